"""Template filters of the insight pages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def highlight(text: str, words: Sequence[str]) -> SafeString:
    """The text escaped, its line breaks kept, and each of the searched words marked.

    Matches are found in the plain text and each piece escaped on its own, so that a word
    can never match inside an escaped entity (searching "amp" in "&amp;")."""
    pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True) if w)
    pieces: list[str] = []
    last = 0
    if pattern:
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            pieces.append(escape(text[last : match.start()]))
            pieces.append(f"<mark>{escape(match.group())}</mark>")
            last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces).replace("\n", "<br>"))  # noqa: S308 - every piece escaped
