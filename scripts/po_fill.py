"""Fill a gettext .po file from JSON, and list what is still untranslated.

    python scripts/po_fill.py todo [--po PATH] [--limit N] [--offset N]   # JSON of empty entries
    python scripts/po_fill.py fill FILE.json [FILE.json ...] [--po PATH]

The JSON maps an English msgid to its translation: a string, or for a plural entry a list with
one string per plural form (six for Welsh). A msgctxt is written as "context\\x04msgid", as
gettext itself keys them. Plain parsing rather than polib: the .po format that makemessages
writes is small and regular, and one dependency fewer is one thing fewer to install on CI.
Filling also drops the "fuzzy" flag of the entries it fills (a translation written here has been
read against its msgid), so that no fuzzy entry survives.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PO = Path(__file__).resolve().parent.parent / "locale/cy/LC_MESSAGES/django.po"
FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$')


def unquote(text: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}[m.group(1)], text
    )


def quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    obsolete: bool = False

    @property
    def key(self) -> str:
        msgid = self.fields.get("msgid", "")
        ctx = self.fields.get("msgctxt")
        return f"{ctx}\x04{msgid}" if ctx is not None else msgid

    @property
    def is_plural(self) -> bool:
        return "msgid_plural" in self.fields

    def msgstrs(self) -> list[str]:
        if not self.is_plural:
            return [self.fields.get("msgstr", "")]
        return [v for k, v in sorted(self.fields.items()) if k.startswith("msgstr[")]

    @property
    def fuzzy(self) -> bool:
        return any(c.startswith("#,") and "fuzzy" in c for c in self.comments)


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        entry, current = Entry(), None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
                entry.comments.append(line)
                continue
            if line.startswith("#"):
                entry.comments.append(line)
                continue
            match = FIELD.match(line)
            if match:
                current = match.group(1)
                entry.fields[current] = unquote(match.group(2))
            elif line.startswith('"') and current:
                entry.fields[current] += unquote(line[1:-1])
        entries.append(entry)
    return entries


def serialise(entries: list[Entry]) -> str:
    out = []
    for entry in entries:
        lines = list(entry.comments)
        for name, value in entry.fields.items():
            if "\n" in value[:-1]:
                parts = value.splitlines(keepends=True)
                lines.append(f'{name} ""')
                lines.extend(f'"{quote(part)}"' for part in parts)
            else:
                lines.append(f'{name} "{quote(value)}"')
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def plural_count(entries: list[Entry]) -> int:
    header = entries[0].fields.get("msgstr", "")
    match = re.search(r"nplurals=(\d+)", header)
    return int(match.group(1)) if match else 2


def todo(po: Path, limit: int, offset: int) -> None:
    entries = [e for e in parse(po.read_text())[1:] if not e.obsolete]
    empty = [e for e in entries if e.fuzzy or not all(e.msgstrs())]
    chunk = empty[offset : offset + limit]
    items = {
        e.key: ([e.fields["msgid"], e.fields["msgid_plural"]] if e.is_plural else "") for e in chunk
    }
    json.dump(items, sys.stdout, ensure_ascii=False, indent=1)
    print(f"\n# {len(empty)} of {len(entries)} untranslated or fuzzy", file=sys.stderr)


def fill(po: Path, sources: list[Path]) -> None:
    translations: dict[str, str | list[str]] = {}
    for source in sources:
        translations.update(json.loads(source.read_text()))
    entries = parse(po.read_text())
    nplurals = plural_count(entries)
    filled = 0
    for entry in entries[1:]:
        value = translations.get(entry.key)
        if value is None or entry.obsolete:
            continue
        if entry.is_plural:
            forms = [value] * nplurals if isinstance(value, str) else list(value)
            if len(forms) != nplurals:
                sys.exit(f"{entry.key!r}: {len(forms)} forms, the header says {nplurals}")
            for name in [k for k in entry.fields if k.startswith("msgstr")]:
                del entry.fields[name]
            for i, form in enumerate(forms):
                entry.fields[f"msgstr[{i}]"] = form
        else:
            entry.fields["msgstr"] = value if isinstance(value, str) else value[0]
        # No fuzzy flag, and no "#|" (the msgid msgmerge guessed from) once translated.
        entry.comments = [
            re.sub(r",\s*fuzzy", "", c)
            for c in entry.comments
            if c.strip() != "#, fuzzy" and not c.startswith("#|")
        ]
        filled += 1
    po.write_text(serialise(entries))
    print(f"filled {filled} entries in {po}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["todo", "fill"])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--po", type=Path, default=DEFAULT_PO)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--offset", type=int, default=0)
    args = parser.parse_args()
    if args.command == "todo":
        todo(args.po, args.limit, args.offset)
    else:
        fill(args.po, args.sources)


if __name__ == "__main__":
    main()
