"""Convert a hyph-utf8 pattern file (TeX hyphenation patterns, one a line) into the hyphenation
dictionary format that pyphen (WeasyPrint's hyphenator) and libhyphen read.

    python scripts/hyph_to_dic.py PATTERNS.pat.txt HEADER.tex OUTPUT.dic

PATTERNS is hyph-utf8's `patterns/txt/hyph-XX.pat.txt`; HEADER is its `patterns/tex/hyph-XX.tex`,
whose header gives the hyphenmins (`left:` and `right:` under `typesetting:`). The .dic file is
`UTF-8` on its first line, then LEFTHYPHENMIN and RIGHTHYPHENMIN, then the patterns unchanged,
as in pyphen's own dictionaries (pyphen/dictionaries/hyph_en_GB.dic).

The patterns are copied as they are: pyphen applies TeX patterns directly. (The C libhyphen
wants them run through its substrings.pl first; we only use them with pyphen.) A language with
hyphenation exceptions (`hyph-XX.hyp.txt`) is refused rather than converted half-way: Welsh
has none.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# A TeX pattern: letters with digits between them, a dot at either end for a word's edge.
PATTERN = re.compile(r"^\.?\d?(?:[^\W\d_]\d?)+\.?$")


def hyphenmins(header: str) -> tuple[int, int]:
    """(left, right) from a hyph-utf8 .tex header's `hyphenmins: typesetting:` entry."""
    match = re.search(
        r"%\s*hyphenmins:\s*\n%\s*typesetting:\s*\n%\s*left:\s*(\d+)\s*\n%\s*right:\s*(\d+)",
        header,
    )
    if match is None:
        raise SystemExit("no 'hyphenmins: typesetting: left/right' in the header")
    return int(match.group(1)), int(match.group(2))


def convert(patterns: str, header: str) -> str:
    left, right = hyphenmins(header)
    lines = [line.strip() for line in patterns.splitlines()]
    lines = [line for line in lines if line and not line.startswith("%")]
    bad = [line for line in lines if not PATTERN.match(line)]
    if bad:
        raise SystemExit(f"not a pattern: {bad[:5]}")
    if len(set(lines)) != len(lines):
        raise SystemExit("the same pattern twice")
    return "\n".join(["UTF-8", f"LEFTHYPHENMIN {left}", f"RIGHTHYPHENMIN {right}", *lines]) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit(__doc__)
    source, header, output = (Path(arg) for arg in argv)
    if source.with_name(source.name.replace(".pat.", ".hyp.")).exists():
        raise SystemExit("this language has hyphenation exceptions, which are not converted")
    text = convert(source.read_text(encoding="utf-8"), header.read_text(encoding="utf-8"))
    output.write_text(text, encoding="utf-8")
    print(f"{output}: {text.count(chr(10)) - 3} patterns")


if __name__ == "__main__":
    main(sys.argv[1:])
