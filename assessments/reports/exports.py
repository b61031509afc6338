"""CSV and XLSX exports for evaluators: agreed levels and anonymised level counts.

Never a name next to an individual score: agreed levels belong to the group, and level counts
are totals per round and dimension, withheld for rounds with fewer than three submissions.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from communities.models import Nation

from ..aggregation import LEVELS, MIN_GROUP_SIZE
from ..models import Assessment, ConsensusScore, Dimension, IndividualScore
from ..rubric_texts import dimension_names

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

Cell = str | int | date | None  # dates stay dates in XLSX, ISO text in CSV
# Spreadsheet programs run cells that start with these as formulas (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = "".join(FORMULA_PREFIXES)  # the same, as one string to look a character up in


def neutralise(value: Cell) -> Cell:
    """Make text that a spreadsheet would read as a formula plain text again."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Round(NamedTuple):
    pk: int
    community: str
    title: str
    kind: str
    day: date
    nation: str


def _rounds(user: User | AnonymousUser) -> list[_Round]:
    """Every finalised round the user may see, by community and date, its text neutralised
    here once rather than in each of its rows. One query."""
    kinds = {value: str(label) for value, label in Assessment.Kind.choices}
    nations = {value: str(label) for value, label in Nation.choices}
    return [
        _Round(
            pk,
            str(neutralise(community)),
            str(neutralise(title)),
            kinds.get(kind, kind),
            day,
            nations.get(nation, nation),
        )
        for pk, community, title, kind, day, nation in _round_values(user)
    ]


def _round_values(user: User | AnonymousUser) -> Iterable[tuple[int, str, str, str, date, str]]:
    return (
        Assessment.objects.visible_to(user)
        .finalised()
        .order_by("community__name", "finalised_at")
        # As round_date(): the workshop's date, else the day it was finalised (in UTC, as
        # finalised_at.date()), worked out by the database rather than from a datetime read
        # with its time zone for every round.
        .annotate(day=Coalesce("workshop_date", TruncDate("finalised_at", tzinfo=UTC)))
        .values_list("pk", "community__name", "title", "kind", "day", "community__nation")
    )


def agreed_header() -> list[str]:
    return [
        _("community"),
        _("round"),
        _("kind"),
        _("date"),
        _("dimension number"),
        _("dimension"),
        _("agreed level"),
        _("priority"),
        _("why we scored it this way"),
        # Added after the first release's columns, so that scripts reading those still work.
        _("dissent"),
        _("nation"),
    ]


def _agreed_scores(
    user: User | AnonymousUser,
) -> Iterable[tuple[int, int, int, bool, str, str]]:
    """(round, dimension, level, priority, reason, dissent) of each agreed score the user may see.
    Unsorted: sorted by community in the database, 13,500 rows and their reasons spilled to
    disk, when only the rounds need sorting."""
    rounds = Assessment.objects.visible_to(user).finalised()
    return (
        ConsensusScore.objects.filter(assessment__in=rounds)
        .order_by()
        .values_list("assessment_id", "dimension_id", "level", "is_priority", "reason", "dissent")
    )


def _dimensions() -> dict[int, tuple[int, str]]:
    """Every dimension's number and name (in the active language), by id."""
    names = dimension_names(get_language())
    return {
        pk: (number, str(neutralise(names.get(pk, name))))
        for pk, number, name in Dimension.objects.values_list("pk", "number", "name")
    }


def agreed_rows(user: User | AnonymousUser) -> list[list[Cell]]:
    """One row per agreed score of every finalised round the user may see. Three queries of
    plain values: at national scale model instances cost most of the time."""
    rounds, dimensions, yes = _rounds(user), _dimensions(), _("yes")
    scores: dict[int, list[list[Cell]]] = defaultdict(list)
    for assessment_id, dimension_id, level, priority, reason, dissent in _agreed_scores(user):
        number, name = dimensions[dimension_id]
        priority_cell = yes if priority else ""
        cells: list[Cell] = [number, name, level, priority_cell, neutralise(reason)]
        scores[assessment_id].append([*cells, neutralise(dissent)])
    return [
        [r.community, r.title, r.kind, r.day, *cells, r.nation]
        for r in rounds
        for cells in sorted(scores.get(r.pk, ()), key=itemgetter(0))
    ]


def agreed_csv(user: User | AnonymousUser) -> tuple[bytes, int]:
    """agreed_rows as CSV, and its number of rows. Written here line by line rather than with
    the csv module, which takes its time over every cell (at 13,500 rows, as long as the
    query): each score's part of its line is made in one go as it is read, into its round's
    slot for its dimension (so nothing is sorted), a round's first and last cells and a
    dimension's once; every reason is quoted."""
    dimensions = _dimensions()
    width = max((number for number, _name in dimensions.values()), default=0)
    middles = {pk: (n - 1, f"{n},{_csv_field(name)},") for pk, (n, name) in dimensions.items()}
    yes = _csv_field(_("yes"))
    slots: dict[int, list[str | None]] = {}  # by round, one per dimension number
    for assessment_id, dimension_id, level, priority, reason, dissent in _agreed_scores(user):
        if reason[:1] in FORMULA_FIRST and reason:  # as neutralise(), without a call a row
            reason = "'" + reason
        if '"' in reason:  # looking is quicker than replacing nothing
            reason = reason.replace('"', '""')
        if dissent:  # mostly empty
            dissent = _csv_text(dissent)
        index, middle = middles[dimension_id]
        if (found := slots.get(assessment_id)) is None:
            found = slots[assessment_id] = [None] * width
        found[index] = f'{middle}{level},{yes if priority else ""},"{reason}",{dissent},'
    parts = [_csv_line(agreed_header()), "\r\n"]
    rows = 0
    for r in rounds_csv(user):
        if (found := slots.get(r.pk)) is None:
            continue
        for line in found:
            if line is not None:
                parts += (r.head, line, r.tail)
                rows += 1
    # A byte-order mark so that Excel opens UTF-8 correctly; added to the bytes, since in the
    # text it would make all of it four times slower to encode (most lines are plain ASCII).
    return codecs.BOM_UTF8 + "".join(parts).encode("utf-8"), rows


class _CsvRound(NamedTuple):
    pk: int
    head: str  # its first four fields, and the comma after them
    tail: str  # its last field and the line's end


def rounds_csv(user: User | AnonymousUser) -> list[_CsvRound]:
    """The rounds of _rounds with their fields written as CSV, each distinct text once (a
    community has several rounds, and most rounds share a handful of titles)."""
    kinds = {value: _csv_field(str(label)) for value, label in Assessment.Kind.choices}
    nations = {value: f"{_csv_field(str(label))}\r\n" for value, label in Nation.choices}
    written: dict[str, str] = {}

    def field(text: str) -> str:
        if (done := written.get(text)) is None:
            done = written[text] = _csv_field(str(neutralise(text)))
        return done

    return [
        _CsvRound(
            pk,
            f"{field(community)},{field(title)},{kinds.get(kind) or field(kind)},{day},",
            nations.get(nation) or f"{field(nation)}\r\n",
        )
        for pk, community, title, kind, day, nation in _round_values(user)
    ]


def _csv_text(value: str) -> str:
    """Free text as a CSV field, neutralised (mostly empty: the dissent)."""
    return _csv_field(str(neutralise(value))) if value else ""


def _csv_field(value: str) -> str:
    """As the csv module writes a field (QUOTE_MINIMAL)."""
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_line(cells: Sequence[Cell]) -> str:
    return ",".join(_csv_field("" if v is None else str(v)) for v in cells)


def counts_header() -> list[str]:
    return [
        _("community"),
        _("round"),
        _("date"),
        _("dimension number"),
        _("dimension"),
        _("sheets submitted"),
        *[_("level %(level)s") % {"level": level} for level in LEVELS],
        _("not sure"),
        _("note"),
    ]


def counts_rows(user: User | AnonymousUser) -> list[list[Cell]]:
    """Per round and dimension, how many submitted sheets chose each level. Three queries."""
    rounds = _rounds(user)
    ids = [r.pk for r in rounds]
    submitted = dict(
        Assessment.objects.filter(pk__in=ids)
        .annotate(n=Count("participants", filter=Q(participants__submitted_at__isnull=False)))
        .values_list("pk", "n")
    )
    counts: dict[tuple[int, int], dict[int | str, int]] = defaultdict(lambda: defaultdict(int))
    dims: dict[int, dict[int, str]] = defaultdict(dict)
    scores = (
        IndividualScore.objects.filter(
            participant__assessment__in=ids,
            participant__submitted_at__isnull=False,
        )
        .values(
            "participant__assessment_id", "dimension_id", "dimension__number", "dimension__name"
        )
        .annotate(
            **{f"l{level}": Count("pk", filter=Q(level=level)) for level in LEVELS},
            unsure=Count("pk", filter=Q(not_sure=True)),
        )
    )
    names = dimension_names(get_language())  # in the active language
    for values in scores:
        row: dict[str, Any] = dict(values)
        key = (row["participant__assessment_id"], row["dimension__number"])
        name = names.get(row["dimension_id"], row["dimension__name"])
        dims[row["participant__assessment_id"]][row["dimension__number"]] = name
        for level in LEVELS:
            counts[key][level] += row[f"l{level}"]
        counts[key]["unsure"] += row["unsure"]
    withheld = _("withheld: fewer than %(n)s sheets submitted") % {"n": MIN_GROUP_SIZE}
    rows: list[list[Cell]] = []
    for pk, community, title, _kind, day, _nation in rounds:
        n = submitted.get(pk, 0)
        base: list[Cell] = [community, title, day]
        if n < MIN_GROUP_SIZE:
            rows.append([*base, "", "", n, *[""] * len(LEVELS), "", withheld])
            continue
        for number, name in sorted(dims[pk].items()):
            c = counts[(pk, number)]
            rows.append([*base, number, name, n, *[c[level] for level in LEVELS], c["unsure"], ""])
    return rows


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    # A byte-order mark so that Excel opens UTF-8 (é, ’, –) correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    def clean(value: Cell) -> Cell:
        value = neutralise(value)
        # Control characters pasted into a reason would make openpyxl refuse the whole file.
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    # One alignment for every cell: made anew for each, they were most of the file's time.
    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([clean(h) for h in header])
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append([clean(v) for v in row])
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            letter = column[0].column_letter
            longest = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
            for c in column[1:]:
                c.alignment = wrapped
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
