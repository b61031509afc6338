"""A small SVG builder for the charts in PDFs.

Plotly's own static export (kaleido) drives a headless Chrome, which we do not want on a
server. The two charts the PDFs need — the radar and the heatmap — are simple geometry, so we
draw them here as plain vector SVG that WeasyPrint renders as paths and text, for the round
report and the evaluator pack alike. Pure functions, no Django imports: the caller passes
already-translated labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

LEVELS = (1, 2, 3, 4, 5)
# Sequential, colour-blind safe (ColorBrewer Blues), light = level 1, dark = level 5.
HEAT_COLOURS = {1: "#eff3ff", 2: "#bdd7e7", 3: "#6baed6", 4: "#3182bd", 5: "#08519c"}
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#d1d5db"
AGREED = "#0b5d4b"
PREVIOUS = "#b45309"
BAND = "#7fb8a8"


def _num(value: float) -> str:
    """Compact, locale-independent coordinates."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(attributes: dict[str, object]) -> str:
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        shown = _num(value) if isinstance(value, float) else str(value)
        parts.append(f'{name}="{escape(shown, quote=True)}"')
    return " ".join(parts)


def element(tag: str, content: str = "", **attributes: object) -> str:
    attrs = _attrs(attributes)
    opening = f"<{tag} {attrs}" if attrs else f"<{tag}"
    return f"{opening}>{content}</{tag}>" if content else f"{opening}/>"


def text(x: float, y: float, label: str, **attributes: object) -> str:
    return element("text", escape(label), x=float(x), y=float(y), **attributes)


def svg_document(width: float, height: float, body: str, *, title: str, desc: str = "") -> str:
    """A standalone <svg> with an accessible title, sized in CSS pixels."""
    head = element("title", escape(title)) + (element("desc", escape(desc)) if desc else "")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" '
        f'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">'
        f"{head}{body}</svg>"
    )


def wrap(label: str, width: int = 14) -> list[str]:
    """Greedy word wrap for axis labels."""
    lines: list[str] = []
    for word in label.replace("/", "/ ").split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] = f"{lines[-1]} {word}".replace("/ ", "/")
        else:
            lines.append(word)
    return [line.replace("/ ", "/") for line in lines] or [""]


# Radar ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RadarSeries:
    agreed: Sequence[int | None]
    low: Sequence[int | None] | None = None
    high: Sequence[int | None] | None = None
    previous: Sequence[int | None] | None = None


def radar_point(
    index: int, count: int, value: float, *, cx: float, cy: float, radius: float
) -> tuple[float, float]:
    """Axis `index` of `count`, first axis straight up, clockwise; value 0–5 maps to 0–radius."""
    angle = -math.pi / 2 + 2 * math.pi * index / count
    r = radius * value / LEVELS[-1]
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


# WeasyPrint draws an SVG <text> anchored "middle" or "end", and any element with `opacity`,
# into a transparency group of its own (a PDF form XObject) so that it can measure it first:
# six such groups a page made the radar the costliest thing on an evaluator pack page to draw.
# So labels that are numbers are anchored at their start and shifted by their known width
# (digits in DejaVu Sans, the PDFs' font, are all 0.636 em wide; bold ones 0.696 em), the
# legend's swatches are painted in the colour their 60 % opacity gave them over white, and each
# kind of line or tile is one path: fewer elements to parse and draw, the same picture.
DIGIT_EM = 0.636
BOLD_DIGIT_EM = 0.696
DASH_EM = 0.5  # "–" in both weights
# Text in px of the SVG: at least 12 where a chart is drawn at its own width (9 pt, the smallest
# text in any of our PDFs), more where it is drawn smaller.
FONT = 12.0
SWATCH = {AGREED: "#6d9e93", BAND: "#b2d4cb"}  # at 60 % over white


def _path(coords: Sequence[tuple[float, float]]) -> str:
    """A closed outline through the points."""
    head, *rest = coords
    return (
        f"M{_num(head[0])} {_num(head[1])}"
        + "".join(f"L{_num(x)} {_num(y)}" for x, y in rest)
        + "Z"
    )


def _axis_label(x: float, y: float, label: str, *, cx: float, font: float) -> list[str]:
    side = "middle" if abs(x - cx) < 8 else ("start" if x > cx else "end")
    if label.isdigit():  # placed by its width, not anchored (see above)
        width = len(label) * DIGIT_EM * font
        shift = {"middle": width / 2, "start": 0.0, "end": width}[side]
        return [text(x - shift, y + font / 3, label, font_size=font, fill=INK)]
    lines = wrap(label, 16)
    line_height = font * 1.15
    top = y - (len(lines) - 1) * line_height / 2 + font / 3
    return [
        text(x, top + n * line_height, line, font_size=font, fill=INK, text_anchor=side)
        for n, line in enumerate(lines)
    ]


def radar_svg(
    labels: Sequence[str],
    series: RadarSeries,
    *,
    title: str,
    legend: dict[str, str],
    size: float = 400,
    pad_x: float = 70,
    font: float = FONT,
) -> str:
    """Agreed levels as a filled polygon, the private range as a band, the previous round as a
    dashed outline. `legend` maps "agreed"/"range"/"previous" to translated labels. Axes
    labelled with numbers (the evaluator pack's) are cheaper for WeasyPrint to draw."""
    count = len(labels)
    if count < 3:
        raise ValueError("a radar chart needs at least three axes")
    if len(series.agreed) != count:
        raise ValueError("one agreed value per axis")
    # Extra width either side: axis labels at 3 and 9 o'clock run sideways.
    cx, cy, radius = size / 2 + pad_x, size / 2, size / 2 - 62

    def ring(values: Sequence[float | None]) -> list[tuple[float, float]]:
        return [
            radar_point(i, count, float(v or 0), cx=cx, cy=cy, radius=radius)
            for i, v in enumerate(values)
        ]

    outer = ring([LEVELS[-1]] * count)
    grid = "".join(_path(ring([level] * count)) for level in LEVELS)
    grid += "".join(f"M{_num(cx)} {_num(cy)}L{_num(x)} {_num(y)}" for x, y in outer)
    body = [element("path", d=grid, fill="none", stroke=GRID, stroke_width=0.8)]
    for level in LEVELS:  # level numbers up the first spoke
        x, y = radar_point(0, count, level, cx=cx, cy=cy, radius=radius)
        body.append(text(x + 4, y + font / 3, str(level), font_size=font, fill=MUTED))
    keys: list[tuple[str, str]] = [("agreed", legend.get("agreed", "Agreed"))]
    if (
        series.low is not None
        and series.high is not None
        and None not in (*series.low, *series.high)
    ):
        # Outer ring forwards, inner ring backwards: even-odd fill leaves the hole.
        band = _path(ring(series.high)) + _path(ring(series.low)[::-1])
        body.append(
            element(
                "path",
                d=band,
                fill=BAND,
                fill_opacity=0.35,
                fill_rule="evenodd",
                stroke="none",
                class_="radar-range",
            )
        )
        keys.append(("range", legend.get("range", "Range")))
    if series.previous is not None and any(v is not None for v in series.previous):
        body.append(
            element(
                "path",
                d=_path(ring(series.previous)),
                fill="none",
                stroke=PREVIOUS,
                stroke_width=2,
                stroke_dasharray="6 4",
                class_="radar-previous",
            )
        )
        keys.append(("previous", legend.get("previous", "Previous")))
    agreed = ring(series.agreed)
    body.append(
        element(
            "path",
            d=_path(agreed),
            fill=AGREED,
            fill_opacity=0.18,
            stroke=AGREED,
            stroke_width=2.5,
            class_="radar-agreed",
        )
    )
    dot = 3.5
    dots = "".join(
        f"M{_num(x - dot)} {_num(y)}a{dot} {dot} 0 1 0 {2 * dot} 0a{dot} {dot} 0 1 0 {-2 * dot} 0"
        for (x, y), value in zip(agreed, series.agreed, strict=True)
        if value is not None
    )
    if dots:
        body.append(element("path", d=dots, fill=AGREED))
    # Axis labels outside the rings, clear of the level numbers whatever the text size.
    outside = LEVELS[-1] * (1 + (6 + font) / radius)
    for i, label in enumerate(labels):
        x, y = radar_point(i, count, outside, cx=cx, cy=cy, radius=radius)
        body.extend(_axis_label(x, y, label, cx=cx, font=font))
    ly, x = size + 14, pad_x  # the legend
    for key, label in keys:
        if key == "previous":
            body.append(
                element(
                    "line",
                    x1=x,
                    y1=ly,
                    x2=x + 18,
                    y2=ly,
                    stroke=PREVIOUS,
                    stroke_width=2,
                    stroke_dasharray="6 4",
                )
            )
        else:
            colour = SWATCH[AGREED if key == "agreed" else BAND]
            body.append(element("rect", x=x, y=ly - 6, width=18.0, height=12.0, fill=colour))
        body.append(text(x + 24, ly + font / 3, label, font_size=font, fill=INK))
        x += 34 + 0.6 * font * len(label)
    return svg_document(size + 2 * pad_x, size + 28, "".join(body), title=title)


# Heatmap --------------------------------------------------------------------------------------

ROW_LABEL_CHARS = 20  # about what fits in the heatmap's label column


def heatmap_svg(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[int | None]],
    *,
    title: str,
    width: float = 680,
    key: Sequence[str] = (),
) -> str:
    """Rows × columns of levels 1–5, each cell coloured and labelled with its number; nothing
    anchored (see above): headings and names start at the left of their column, a long name
    shortened (the pack has it in full in its contents). `key`: what short headings stand for,
    written under the chart."""
    if len(values) != len(rows) or any(len(row) != len(columns) for row in values):
        raise ValueError("values must be len(rows) × len(columns)")
    label_width, cell_h, line_height = 150.0, 22.0, FONT * 1.1
    cell_w = (width - label_width) / max(len(columns), 1)
    tile_w, tile_h = _num(cell_w - 2), _num(cell_h - 2)
    headings = [wrap(column, max(5, int(cell_w / (FONT * 0.6))))[:6] for column in columns]
    header_height = 8 + line_height * max((len(h) for h in headings), default=1)
    key_lines = wrap(" · ".join(key), int(width / (FONT * 0.6))) if key else []
    height = header_height + cell_h * len(rows) + 34 + line_height * len(key_lines)
    body: list[str] = []
    for j, heading in enumerate(headings):
        x = label_width + cell_w * j + 2
        for n, words in enumerate(heading):
            y = header_height - 6 - (len(heading) - 1 - n) * line_height
            body.append(text(x, y, words, font_size=FONT, fill=INK))
    tiles: dict[str, list[str]] = {}  # fill colour → rectangles, one path each
    for i, (row, row_values) in enumerate(zip(rows, values, strict=True)):
        y = header_height + cell_h * i
        name = row if len(row) <= ROW_LABEL_CHARS else row[: ROW_LABEL_CHARS - 1].rstrip() + "…"
        body.append(text(6, y + cell_h / 2 + FONT / 3, name, font_size=FONT, fill=INK))
        for j, value in enumerate(row_values):
            x = label_width + cell_w * j
            tile = f"M{_num(x + 1)} {_num(y + 1)}h{tile_w}v{tile_h}h-{tile_w}Z"
            tiles.setdefault(HEAT_COLOURS.get(value or 0, "#ffffff"), []).append(tile)
            shown = str(value) if value is not None else "–"
            em = BOLD_DIGIT_EM * len(shown) if value is not None else DASH_EM
            body.append(
                text(
                    x + cell_w / 2 - em * FONT / 2,
                    y + cell_h / 2 + FONT / 3,
                    shown,
                    font_size=FONT,
                    fill="#ffffff" if (value or 0) >= 4 else INK,
                    font_weight="bold",
                )
            )
    shapes = [
        element("path", d="".join(rects), fill=fill, stroke=GRID, stroke_width=0.5)
        for fill, rects in tiles.items()
    ]
    ly = header_height + cell_h * len(rows) + 12  # the legend: the five colours
    for n, level in enumerate(LEVELS):
        x = label_width + n * 44
        shapes.append(
            element(
                "rect",
                x=float(x),
                y=float(ly),
                width=16.0,
                height=12.0,
                fill=HEAT_COLOURS[level],
                stroke=GRID,
                stroke_width=0.5,
            )
        )
        body.append(text(x + 20, ly + 10, str(level), font_size=FONT, fill=INK))
    for n, line in enumerate(key_lines):
        body.append(text(6, ly + 12 + line_height * (n + 1), line, font_size=FONT, fill=INK))
    return svg_document(width, height, "".join(shapes + body), title=title)
