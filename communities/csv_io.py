"""Reading a stakeholder CSV into a checked plan, and writing the network back out as CSV.

Nothing here touches the database: the caller passes in what already exists (emails and
organisation names of the community), so the same plan is built for the preview and again,
against fresh data, at the moment of import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import override

from .models import Sector

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
COLUMNS: tuple[str, ...] = ("name", "email", "organisation", "sector", "role")
# Headers people commonly type for our columns.
COLUMN_ALIASES = {"organization": "organisation", "org": "organisation", "e-mail": "email"}
NAME_MAX = 200
ORGANISATION_MAX = 200
ROLE_MAX = 120
EMAIL_MAX = 254
# Spreadsheet programs treat a cell starting with these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Magic numbers of files people upload by mistake instead of a CSV.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "Excel or another zipped document",
    b"\xd0\xcf\x11\xe0": "old-style Excel or Word document",
    b"%PDF": "PDF",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
}


class CsvFileError(Exception):
    """The file as a whole cannot be read; nothing in it is usable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ParsedRow:
    """One data row as read from the file (values stripped, nothing checked yet)."""

    line: int
    name: str
    email: str
    organisation: str
    sector: str
    role: str
    cell_count_ok: bool = True

    def to_list(self) -> list[Any]:
        return [
            self.line,
            self.name,
            self.email,
            self.organisation,
            self.sector,
            self.role,
            self.cell_count_ok,
        ]

    @classmethod
    def from_list(cls, values: list[Any]) -> ParsedRow:
        line, name, email, organisation, sector, role, cell_count_ok = values
        return cls(int(line), name, email, organisation, sector, role, bool(cell_count_ok))


@dataclass
class ParsedFile:
    rows: list[ParsedRow]
    notes: list[str] = field(default_factory=list)


class Action:
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"


@dataclass
class PlannedRow:
    line: int
    name: str
    email: str
    organisation: str
    sector: str  # the resolved Sector value, or "" when it could not be resolved
    sector_raw: str
    role: str
    action: str = Action.CREATE
    new_organisation: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def sector_label(self) -> str:
        return str(Sector(self.sector).label) if self.sector else self.sector_raw


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    notes: list[str] = field(default_factory=list)

    @property
    def problem_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.problems]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.problem_rows

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.problems)

    @property
    def creates(self) -> int:
        return self.count(Action.CREATE)

    @property
    def updates(self) -> int:
        return self.count(Action.UPDATE)

    @property
    def skips(self) -> int:
        return self.count(Action.SKIP)

    @property
    def new_organisations(self) -> list[str]:
        return [row.organisation for row in self.rows if row.new_organisation]


def decode_upload(data: bytes) -> tuple[str, list[str]]:
    """Bytes → text. UTF-8 (with or without BOM) first, then Windows-1252 with a note."""
    for signature, kind in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise CsvFileError(
                _(
                    "This file is a %(kind)s, not a CSV file. In your spreadsheet program "
                    "choose “Save as” → “CSV (comma-separated)” and upload that file."
                )
                % {"kind": kind}
            )
    if b"\x00" in data:
        raise CsvFileError(
            _(
                "This does not look like a CSV file (it contains binary data). Upload a "
                "comma-separated text file saved from your spreadsheet program."
            )
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvFileError(
            _(
                "We could not read the characters in this file. Save it again as "
                "“CSV UTF-8” and upload it once more."
            )
        ) from None
    return text, [
        _(
            "The file was not saved as UTF-8, so we read it as Windows (Western European) "
            "text. Check that accented names look right below before importing."
        )
    ]


def _header_key(cell: str) -> str:
    key = cell.strip().lstrip("\ufeff").strip().lower()
    return COLUMN_ALIASES.get(key, key)


def read_csv(data: bytes) -> ParsedFile:
    """Parse an uploaded file. Raises CsvFileError when the file as a whole is unusable."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CsvFileError(file_too_big_message(len(data)))
    if not data.strip():
        raise CsvFileError(_("The file is empty."))
    text, notes = decode_upload(data)
    # Some European spreadsheet settings save with semicolons or tabs; the header tells.
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise CsvFileError(_("The file has no header row.")) from None
    keys = [_header_key(cell) for cell in header]
    missing = [column for column in COLUMNS if column not in keys]
    if missing:
        raise CsvFileError(
            _(
                "The first row must name the columns %(expected)s. Missing: %(missing)s. "
                "Found: %(found)s."
            )
            % {
                "expected": ", ".join(COLUMNS),
                "missing": ", ".join(missing),
                "found": ", ".join(cell.strip() for cell in header if cell.strip()) or "—",
            }
        )
    repeated = sorted({k for k in keys if k in COLUMNS and keys.count(k) > 1})
    if repeated:
        raise CsvFileError(
            _("These columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(repeated)}
        )
    extra = [header[i].strip() for i, k in enumerate(keys) if k not in COLUMNS and k]
    if extra:
        notes.append(
            _("These extra columns are ignored: %(columns)s.") % {"columns": ", ".join(extra)}
        )
    index = {column: keys.index(column) for column in COLUMNS}
    rows: list[ParsedRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, including a trailing one
            values = {
                column: (cells[i].strip() if i < len(cells) else "") for column, i in index.items()
            }
            # More cells than headers means commas slipped in and columns have shifted.
            cell_count_ok = len(cells) <= len(header) or not any(
                cell.strip() for cell in cells[len(header) :]
            )
            rows.append(ParsedRow(line=reader.line_num, cell_count_ok=cell_count_ok, **values))
    except csv.Error as error:
        raise CsvFileError(
            _(
                "The file could not be read as CSV near line %(line)s (%(error)s). "
                "Check for a quotation mark that is opened but never closed."
            )
            % {"line": reader.line_num, "error": error}
        ) from None
    if not rows:
        raise CsvFileError(_("The file has a header row but no stakeholders in it."))
    return ParsedFile(rows=rows, notes=notes)


def file_too_big_message(size: int) -> str:
    return _("The file is %(size)s MB; the limit is 2 MB. Split it into smaller files.") % {
        "size": f"{size / 1024 / 1024:.1f}"
    }


def _normalise(text: str) -> str:
    return re.sub(r"[\s_/\-]+", " ", text.strip().lower()).strip()


def _sector_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in Sector.choices:
        lookup[_normalise(value)] = value
        lookup[_normalise(str(label))] = value
        with override("en"):
            lookup[_normalise(str(Sector(value).label))] = value
    return lookup


def resolve_sector(raw: str) -> str | None:
    """A sector value or label, in any case and spacing → its value; None if unknown."""
    return _sector_lookup().get(_normalise(raw))


def plan_import(
    rows: Iterable[ParsedRow],
    *,
    existing_emails: Mapping[str, str],
    existing_organisations: Mapping[str, str],
) -> ImportPlan:
    """Check every row and decide what importing it would do.

    `existing_emails` maps a lower-cased email to the stakeholder's current name;
    `existing_organisations` maps a lower-cased organisation name to its sector.
    """
    sectors = _sector_lookup()
    accepted = ", ".join(value for value, _label in Sector.choices)
    plan = ImportPlan(rows=[])
    first_line_of_email: dict[str, int] = {}
    seen_rows: dict[tuple[str, ...], int] = {}
    new_org_sector: dict[str, str] = {}
    planned_by_line: dict[int, PlannedRow] = {}
    for parsed in rows:
        row = PlannedRow(
            line=parsed.line,
            name=parsed.name,
            email=parsed.email,
            organisation=parsed.organisation,
            sector="",
            sector_raw=parsed.sector,
            role=parsed.role,
        )
        plan.rows.append(row)
        planned_by_line[parsed.line] = row
        problems = row.problems
        identity = (
            parsed.name.lower(),
            parsed.email.lower(),
            parsed.organisation.lower(),
            _normalise(parsed.sector),
            parsed.role.lower(),
        )
        if identity in seen_rows:
            row.action = Action.SKIP
            row.sector = planned_by_line[seen_rows[identity]].sector
            row.notes.append(
                _("Same as row %(line)s; it is imported once.") % {"line": seen_rows[identity]}
            )
            continue
        seen_rows[identity] = parsed.line

        if not parsed.cell_count_ok:
            problems.append(
                _(
                    "This row has more cells than there are columns; a comma inside a value "
                    "probably needs quotes."
                )
            )
        if not parsed.name:
            problems.append(_("The name is blank."))
        elif len(parsed.name) > NAME_MAX:
            problems.append(_("The name is longer than %(max)s characters.") % {"max": NAME_MAX})
        if len(parsed.role) > ROLE_MAX:
            problems.append(_("The role is longer than %(max)s characters.") % {"max": ROLE_MAX})
        if len(parsed.organisation) > ORGANISATION_MAX:
            problems.append(
                _("The organisation name is longer than %(max)s characters.")
                % {"max": ORGANISATION_MAX}
            )

        email_key = parsed.email.lower()
        if parsed.email:
            try:
                if len(parsed.email) > EMAIL_MAX:
                    raise ValidationError("too long")
                validate_email(parsed.email)
            except ValidationError:
                problems.append(
                    _("“%(email)s” is not a valid email address.") % {"email": parsed.email}
                )
            else:
                if email_key in first_line_of_email:
                    problems.append(
                        _("The email %(email)s is also on row %(line)s with different details.")
                        % {"email": parsed.email, "line": first_line_of_email[email_key]}
                    )
                else:
                    first_line_of_email[email_key] = parsed.line
                if email_key in existing_emails:
                    row.action = Action.UPDATE
                    row.notes.append(
                        _("Updates %(name)s, who already has this email.")
                        % {"name": existing_emails[email_key]}
                    )

        org_key = parsed.organisation.lower()
        org_sector = existing_organisations.get(org_key) or new_org_sector.get(org_key)
        if parsed.sector:
            resolved = sectors.get(_normalise(parsed.sector))
            if resolved is None:
                problems.append(
                    _("Unknown sector “%(sector)s”. Use one of: %(accepted)s.")
                    % {"sector": parsed.sector, "accepted": accepted}
                )
            else:
                row.sector = resolved
        elif org_sector:
            row.sector = org_sector
            row.notes.append(_("No sector given: uses the organisation's sector."))
        else:
            problems.append(
                _("The sector is blank. Use one of: %(accepted)s.") % {"accepted": accepted}
            )

        if (
            parsed.organisation
            and org_key not in existing_organisations
            and org_key not in new_org_sector
            and row.sector
        ):
            new_org_sector[org_key] = row.sector
            row.new_organisation = True
            row.notes.append(
                _("Creates the organisation “%(name)s”.") % {"name": parsed.organisation}
            )

        if any(
            value.startswith(FORMULA_PREFIXES)
            for value in (parsed.name, parsed.organisation, parsed.role)
        ):
            row.notes.append(
                _("A cell starts with = + - or @; it is stored as plain text, never a formula.")
            )
    return plan


def neutralise(value: object) -> str:
    """Make a cell safe to open in a spreadsheet: formulas become text."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
