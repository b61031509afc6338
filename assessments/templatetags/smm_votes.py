"""Template help for the room vote and convergence pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def of_dimension(values: Mapping[int, Any] | None, number: int) -> Any:
    """`values[number]`, for per-dimension dictionaries (None when absent)."""
    return (values or {}).get(number)
