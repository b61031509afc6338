"""Template help for the rubric's texts in the page's language."""

from __future__ import annotations

from django import template

from ..models import Dimension
from ..rubric_texts import dimension_name as _dimension_name

register = template.Library()


@register.filter
def dimension_name(dimension: Dimension) -> str:
    """`{{ dimension|dimension_name }}`: its name in the active language (English's otherwise)."""
    return _dimension_name(dimension)
