"""Welsh hyphenation for WeasyPrint.

WeasyPrint hyphenates a `hyphens: auto` element with pyphen in the element's lang
(weasyprint/text/line_break.py: `pyphen.language_fallback(lang)`, then
`pyphen.Pyphen(lang=...)`), and pyphen ships no Welsh patterns: without them Welsh words in a
PDF's narrow cells wrap whole or break anywhere. hyph_cy.dic is hyph-utf8's Welsh patterns
(Yannis Haralambous, 1996, MIT licence: README.md here) in pyphen's format, converted by
scripts/hyph_to_dic.py.
"""

from __future__ import annotations

from pathlib import Path

WELSH_PATTERNS = Path(__file__).with_name("hyph_cy.dic")
# Welsh's hyphenmins (hyph-cy.tex): at least two letters before a break and three after.
# pyphen skips the dictionary's LEFTHYPHENMIN lines, WeasyPrint passes the CSS
# hyphenate-limit-chars instead: pdf.css sets these for [lang=cy].
LEFT, RIGHT = 2, 3


def register() -> None:
    """Add Welsh to pyphen's languages, the public `pyphen.LANGUAGES` (language → dictionary
    path, what `Pyphen(lang=...)` opens) and `LANGUAGES_LOWERCASE` (what `language_fallback`
    looks a lang up in, so that cy-GB finds cy too). Idempotent; a pyphen that one day ships
    its own Welsh keeps it."""
    import pyphen

    pyphen.LANGUAGES.setdefault("cy", WELSH_PATTERNS)
    pyphen.LANGUAGES_LOWERCASE.setdefault("cy", "cy")
