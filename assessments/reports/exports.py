"""CSV and XLSX exports for evaluators: agreed levels and anonymised level counts.

Never a name next to an individual score: agreed levels belong to the group, and level counts
are totals per round and dimension, withheld for rounds with fewer than three submissions.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ..aggregation import LEVELS, MIN_GROUP_SIZE
from ..models import Assessment, ConsensusScore, IndividualScore

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

Cell = str | int | None
# Spreadsheet programs run cells that start with these as formulas (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Cell) -> Cell:
    """Make text that a spreadsheet would read as a formula plain text again."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _rounds(user: User | AnonymousUser) -> list[tuple[int, str, str, date | None]]:
    """(id, community name, round title, date) of every finalised round the user may see."""
    rows = (
        Assessment.objects.visible_to(user)
        .finalised()
        .order_by("community__name", "finalised_at")
        .values_list("pk", "community__name", "title", "workshop_date", "finalised_at")
    )
    return [
        (pk, community, title, workshop_date or (finalised_at.date() if finalised_at else None))
        for pk, community, title, workshop_date, finalised_at in rows
    ]


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
    ]


def agreed_rows(user: User | AnonymousUser) -> list[list[Cell]]:
    """One row per agreed score of every finalised round the user may see. One query, of
    plain values: at national scale model instances cost most of the time."""
    scores = (
        ConsensusScore.objects.filter(
            assessment__in=Assessment.objects.visible_to(user).finalised()
        )
        .order_by("assessment__community__name", "assessment__finalised_at", "dimension__number")
        .values_list(
            "assessment__community__name",
            "assessment__title",
            "assessment__kind",
            "assessment__workshop_date",
            "assessment__finalised_at",
            "dimension__number",
            "dimension__name",
            "level",
            "is_priority",
            "reason",
        )
    )
    kinds = {value: str(label) for value, label in Assessment.Kind.choices}
    yes = _("yes")
    rows: list[list[Cell]] = []
    for (
        community,
        title,
        kind,
        workshop_date,
        finalised_at,
        number,
        name,
        level,
        priority,
        reason,
    ) in scores:
        # As round_date(): the workshop's date, else the day the round was finalised.
        day = workshop_date or (finalised_at.date() if finalised_at else None)
        rows.append(
            [
                community,
                title,
                kinds.get(kind, kind),
                day.isoformat() if day else "",
                number,
                name,
                level,
                yes if priority else "",
                reason,
            ]
        )
    return rows


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
    ids = [pk for pk, *_rest in rounds]
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
        .values("participant__assessment_id", "dimension__number", "dimension__name")
        .annotate(
            **{f"l{level}": Count("pk", filter=Q(level=level)) for level in LEVELS},
            unsure=Count("pk", filter=Q(not_sure=True)),
        )
    )
    for values in scores:
        row: dict[str, Any] = dict(values)
        key = (row["participant__assessment_id"], row["dimension__number"])
        dims[row["participant__assessment_id"]][row["dimension__number"]] = row["dimension__name"]
        for level in LEVELS:
            counts[key][level] += row[f"l{level}"]
        counts[key]["unsure"] += row["unsure"]
    rows: list[list[Cell]] = []
    for pk, community, title, day in rounds:
        n = submitted.get(pk, 0)
        base: list[Cell] = [community, title, day.isoformat() if day else ""]
        if n < MIN_GROUP_SIZE:
            rows.append(
                [
                    *base,
                    "",
                    "",
                    n,
                    *[""] * len(LEVELS),
                    "",
                    _("withheld: fewer than %(n)s sheets submitted") % {"n": MIN_GROUP_SIZE},
                ]
            )
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
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([clean(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([clean(v) for v in row])
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            letter = column[0].column_letter
            longest = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
            for c in column[1:]:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
