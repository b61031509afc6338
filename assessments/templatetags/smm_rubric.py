"""Template help for the rubric's texts in the page's language."""

from __future__ import annotations

from django import template

from ..models import Dimension, LevelDescriptor
from ..rubric_texts import dimension_name as _dimension_name
from ..rubric_texts import level_text as _level_text

register = template.Library()


@register.filter
def dimension_name(dimension: Dimension) -> str:
    """`{{ dimension|dimension_name }}`: its name in the active language (English's otherwise)."""
    return _dimension_name(dimension)


@register.filter
def level_text(descriptor: LevelDescriptor) -> str:
    """`{{ descriptor|level_text }}`: the level's official wording in the active language."""
    return _level_text(descriptor)
