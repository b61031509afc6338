"""The evaluator pack's data: the overview plus, for every community in it, a compact round
report of its latest finalised round, in a constant number of queries.

`data.round_report` costs seven queries per round, which for a pack of 300 communities means
2,100 queries before any layout starts. The pack shows agreed levels, reasons, priorities with
their next steps, the previous round's levels and how many people took part, so those come here
in four queries for all communities together. The private spread is not fetched: the pack does
not show it, and the band it would draw on the radar is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ..models import ConsensusScore, Participant, PriorityAction
from . import svg
from .data import (
    CommunityLine,
    DimensionRow,
    Overview,
    Participation,
    RoundReport,
    overview,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User


@dataclass(frozen=True)
class PackEntry:
    line: CommunityLine
    report: RoundReport  # rows without spread; participation holds the two counts only


@dataclass(frozen=True)
class PackData:
    overview: Overview
    entries: list[PackEntry]


def pack_data(
    user: User | AnonymousUser, *, nation: str = "", area: str = "", kind: str = ""
) -> PackData:
    """Seven queries (the overview's four, its lines included, then three), however many
    communities."""
    data = overview(user, nation=nation, area=area, kind=kind)
    latest_ids = [line.latest.pk for line in data.lines]
    wanted = latest_ids + [line.previous.pk for line in data.lines if line.previous]

    consensus: dict[int, dict[int, ConsensusScore]] = defaultdict(dict)
    for score in ConsensusScore.objects.filter(assessment_id__in=wanted).select_related(
        "dimension"
    ):
        consensus[score.assessment_id][score.dimension.number] = score
    actions: dict[int, list[PriorityAction]] = defaultdict(list)
    for action in PriorityAction.objects.filter(
        consensus__assessment_id__in=latest_ids, consensus__is_priority=True
    ).order_by("pk"):
        actions[action.consensus_id].append(action)
    counts = {
        row["assessment_id"]: row
        for row in Participant.objects.filter(assessment_id__in=latest_ids)
        .values("assessment_id")
        .annotate(invited=Count("pk"), submitted=Count("pk", filter=Q(submitted_at__isnull=False)))
    }

    entries = []
    for line in data.lines:
        latest = line.latest
        before = line.previous
        agreed = consensus.get(latest.pk, {})
        earlier = consensus.get(before.pk, {}) if before else {}
        rows = []
        for dim in data.dimensions:
            agreed_score = agreed.get(dim.number)
            prev = earlier.get(dim.number)
            rows.append(
                DimensionRow.of(
                    dim,
                    agreed_score,
                    previous_level=prev.level if prev else None,
                    actions=actions.get(agreed_score.pk, []) if agreed_score else [],
                )
            )
        people = counts.get(latest.pk, {"invited": 0, "submitted": 0})
        report = RoundReport(
            assessment=latest,
            previous=before,
            rows=rows,
            participation=Participation(
                invited=people["invited"],
                submitted=people["submitted"],
                sectors_represented=[],
                by_group=None,
                missing_sectors=[],
            ),
            spread_withheld=False,
            small_round=False,
        )
        entries.append(PackEntry(line=line, report=report))
    return PackData(overview=data, entries=entries)


# WeasyPrint draws an SVG <text> anchored "middle" or "end", and any element with `opacity`,
# into a transparency group of its own (a PDF form XObject) so that it can measure it first:
# six such groups a page made the radar the costliest thing on a pack page to draw. The pack's
# radar therefore anchors every label at its start, shifted by its known width (the axis
# labels are numbers, and digits in DejaVu Sans, the pack's font, are all 0.636 em wide), and
# paints the legend's swatch in the colour the 60 % opacity gave it over white. Rings and
# spokes are one path, the dots another: fewer elements to parse and draw, the same picture.
RADAR_SIZE = 300.0
RADAR_PAD_X = 30.0
RADAR_LEGEND_HEIGHT = 28.0
DIGIT_EM = 0.636
AXIS_FONT = 10.5
AGREED_SWATCH = "#6d9e93"  # svg.AGREED at opacity 0.6 over white, as svg.radar_svg draws it


def _path(coords: list[tuple[float, float]], *, closed: bool = True) -> str:
    head, *rest = coords
    d = f"M{head[0]:.2f} {head[1]:.2f}" + "".join(f"L{x:.2f} {y:.2f}" for x, y in rest)
    return d + "Z" if closed else d


def pack_radar_svg(report: RoundReport) -> str:
    """The round report's radar (svg.radar_svg's geometry), smaller and cheaper to draw: axes
    numbered 1-9 (the table beside it names them), no private-score band (the pack does not
    show it), and nothing WeasyPrint would draw into a group of its own (see above)."""
    count = len(report.rows)
    cx, cy = RADAR_SIZE / 2 + RADAR_PAD_X, RADAR_SIZE / 2
    radius = RADAR_SIZE / 2 - 62

    def ring(values: list[float]) -> list[tuple[float, float]]:
        return [
            svg.radar_point(i, count, value, cx=cx, cy=cy, radius=radius)
            for i, value in enumerate(values)
        ]

    grid = "".join(_path(ring([float(level)] * count)) for level in svg.LEVELS)
    grid += "".join(
        f"M{cx:.2f} {cy:.2f}L{x:.2f} {y:.2f}" for x, y in ring([float(svg.LEVELS[-1])] * count)
    )
    body = [svg.element("path", d=grid, fill="none", stroke=svg.GRID, stroke_width=0.8)]
    for level in svg.LEVELS:  # level numbers up the first spoke
        x, y = svg.radar_point(0, count, level, cx=cx, cy=cy, radius=radius)
        body.append(svg.text(x + 4, y + 3, str(level), font_size=9, fill=svg.MUTED))

    if report.previous and any(row.previous_level is not None for row in report.rows):
        previous = ring([float(row.previous_level or 0) for row in report.rows])
        body.append(
            svg.element(
                "path",
                d=_path(previous),
                fill="none",
                stroke=svg.PREVIOUS,
                stroke_width=2,
                stroke_dasharray="6 4",
                class_="radar-previous",
            )
        )
    agreed = ring([float(level or 0) for level in report.agreed])
    body.append(
        svg.element(
            "path",
            d=_path(agreed),
            fill=svg.AGREED,
            fill_opacity=0.18,
            stroke=svg.AGREED,
            stroke_width=2.5,
            class_="radar-agreed",
        )
    )
    dot = 3.5
    dots = "".join(
        f"M{x - dot:.2f} {y:.2f}a{dot} {dot} 0 1 0 {2 * dot} 0a{dot} {dot} 0 1 0 {-2 * dot} 0"
        for (x, y), level in zip(agreed, report.agreed, strict=True)
        if level is not None
    )
    if dots:
        body.append(svg.element("path", d=dots, fill=svg.AGREED))

    for i, row in enumerate(report.rows):  # axis numbers, outside the rings
        x, y = svg.radar_point(i, count, svg.LEVELS[-1] + 0.55, cx=cx, cy=cy, radius=radius)
        label = str(row.number)
        width = len(label) * DIGIT_EM * AXIS_FONT
        # As text-anchor would place it: centred near the vertical axis, else away from it.
        shift = width / 2 if abs(x - cx) < 8 else (0.0 if x > cx else width)
        body.append(svg.text(x - shift, y + 3, label, font_size=AXIS_FONT, fill=svg.INK))

    ly = RADAR_SIZE + RADAR_LEGEND_HEIGHT / 2
    x = RADAR_PAD_X
    body.append(svg.element("rect", x=x, y=ly - 6, width=18.0, height=12.0, fill=AGREED_SWATCH))
    label = _("Agreed level")
    body.append(svg.text(x + 24, ly + 4, label, font_size=AXIS_FONT, fill=svg.INK))
    if report.previous and any(row.previous_level is not None for row in report.rows):
        x += 34 + 6.2 * len(label)
        body.append(
            svg.element(
                "line",
                x1=x,
                y1=ly,
                x2=x + 18,
                y2=ly,
                stroke=svg.PREVIOUS,
                stroke_width=2,
                stroke_dasharray="6 4",
            )
        )
        body.append(
            svg.text(x + 24, ly + 4, report.previous.title, font_size=AXIS_FONT, fill=svg.INK)
        )
    return svg.svg_document(
        RADAR_SIZE + 2 * RADAR_PAD_X,
        RADAR_SIZE + RADAR_LEGEND_HEIGHT,
        "".join(body),
        title=_("Agreed levels, %(community)s, %(round)s")
        % {"community": report.assessment.community.name, "round": report.assessment.title},
    )


BOLD_DIGIT_EM = 0.696  # DejaVu Sans Bold: every digit
DASH_EM = 0.5  # "–" in both weights
ROW_LABEL_CHARS = 24  # about what fits in the heatmap's label column at 10 px


def pack_heatmap_svg(data: Overview) -> str:
    """svg.heatmap_svg's picture (communities × dimensions, coloured and numbered), drawn
    without anchored text (see above): cell numbers are centred by their known width, names
    and headings start at the left of their column (a long name is shortened: it is in full on
    the community's own page and in the contents)."""
    columns = [d.name for d in data.dimensions]
    width = 680.0
    label_width = 150.0
    header_height = 70.0
    cell_w = (width - label_width) / max(len(columns), 1)
    cell_h = 22.0
    height = header_height + cell_h * len(data.lines) + 34
    body: list[str] = []
    for j, column in enumerate(columns):
        x = label_width + cell_w * j + 2
        heading = svg.wrap(column, max(6, int(cell_w / 5.2)))[:5]
        for n, words in enumerate(heading):
            y = header_height - 6 - (len(heading) - 1 - n) * 10
            body.append(svg.text(x, y, words, font_size=7.5, fill=svg.INK))
    cells: dict[str, list[str]] = defaultdict(list)  # fill colour → rectangles, one path each
    for i, line in enumerate(data.lines):
        y = header_height + cell_h * i
        name = line.community.name
        if len(name) > ROW_LABEL_CHARS:
            name = name[: ROW_LABEL_CHARS - 1].rstrip() + "…"
        body.append(svg.text(6, y + cell_h / 2 + 4, name, font_size=10, fill=svg.INK))
        for j, value in enumerate(line.levels):
            x = label_width + cell_w * j
            cells[svg.HEAT_COLOURS.get(value or 0, "#ffffff")].append(
                f"M{x + 1:.2f} {y + 1:.2f}h{cell_w - 2:.2f}v{cell_h - 2:.2f}h{2 - cell_w:.2f}Z"
            )
            shown = str(value) if value is not None else "–"
            em = BOLD_DIGIT_EM * len(shown) if value is not None else DASH_EM
            body.append(
                svg.text(
                    x + cell_w / 2 - em * 10 / 2,
                    y + cell_h / 2 + 4,
                    shown,
                    font_size=10,
                    fill="#ffffff" if (value or 0) >= 4 else svg.INK,
                    font_weight="bold",
                )
            )
    tiles = [
        svg.element("path", d="".join(rects), fill=fill, stroke=svg.GRID, stroke_width=0.5)
        for fill, rects in cells.items()
    ]
    # Legend: the five colours.
    ly = header_height + cell_h * len(data.lines) + 12
    for n, level in enumerate(svg.LEVELS):
        x = label_width + n * 44
        tiles.append(
            svg.element(
                "rect",
                x=float(x),
                y=float(ly),
                width=16.0,
                height=12.0,
                fill=svg.HEAT_COLOURS[level],
                stroke=svg.GRID,
                stroke_width=0.5,
            )
        )
        body.append(svg.text(x + 20, ly + 10, str(level), font_size=9.5, fill=svg.INK))
    return svg.svg_document(
        width,
        height,
        "".join(tiles + body),
        title=_("Agreed levels by community and dimension"),
    )
