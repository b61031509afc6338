"""CSV and XLSX exports for evaluators: agreed levels and anonymised level counts.

Never a name next to an individual score: agreed levels belong to the group, and level counts
are totals per round and dimension, withheld for rounds with fewer than three submissions.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ..aggregation import LEVELS, MIN_GROUP_SIZE
from ..models import Assessment, ConsensusScore, IndividualScore
from .data import round_date

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


def _rounds(user: User | AnonymousUser) -> list[Assessment]:
    return list(
        Assessment.objects.visible_to(user)
        .finalised()
        .select_related("community")
        .order_by("community__name", "finalised_at")
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
    ]


def agreed_rows(user: User | AnonymousUser) -> list[list[Cell]]:
    """One row per agreed score of every finalised round the user may see. One query."""
    scores = (
        ConsensusScore.objects.filter(
            assessment__in=Assessment.objects.visible_to(user).finalised()
        )
        .select_related("assessment__community", "dimension")
        .order_by("assessment__community__name", "assessment__finalised_at", "dimension__number")
    )
    rows: list[list[Cell]] = []
    for score in scores:
        assessment = score.assessment
        day = round_date(assessment)
        rows.append(
            [
                assessment.community.name,
                assessment.title,
                assessment.get_kind_display(),
                day.isoformat() if day else "",
                score.dimension.number,
                score.dimension.name,
                score.level,
                _("yes") if score.is_priority else "",
                score.reason,
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
    submitted = dict(
        Assessment.objects.filter(pk__in=[a.pk for a in rounds])
        .annotate(n=Count("participants", filter=Q(participants__submitted_at__isnull=False)))
        .values_list("pk", "n")
    )
    counts: dict[tuple[int, int], dict[int | str, int]] = defaultdict(lambda: defaultdict(int))
    dims: dict[int, dict[int, str]] = defaultdict(dict)
    scores = (
        IndividualScore.objects.filter(
            participant__assessment__in=[a.pk for a in rounds],
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
    for assessment in rounds:
        n = submitted.get(assessment.pk, 0)
        day = round_date(assessment)
        base: list[Cell] = [
            assessment.community.name,
            assessment.title,
            day.isoformat() if day else "",
        ]
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
        for number, name in sorted(dims[assessment.pk].items()):
            c = counts[(assessment.pk, number)]
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
