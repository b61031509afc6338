"""A small SVG builder for the charts in PDFs.

Plotly's own static export (kaleido) drives a headless Chrome, which we do not want on a
server. The two charts a PDF needs — the radar and the heatmap — are simple geometry, so we
draw them here as plain vector SVG that WeasyPrint renders as paths and text. Pure functions,
no Django imports: the caller passes already-translated labels.
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


def points(coords: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)


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


def _polygon_coords(
    values: Sequence[int | None], *, cx: float, cy: float, radius: float
) -> list[tuple[float, float]]:
    count = len(values)
    return [
        radar_point(i, count, float(v or 0), cx=cx, cy=cy, radius=radius)
        for i, v in enumerate(values)
    ]


def radar_svg(
    labels: Sequence[str],
    series: RadarSeries,
    *,
    title: str,
    legend: dict[str, str],
    size: float = 400,
    pad_x: float = 70,
) -> str:
    """Agreed levels as a filled polygon, the private range as a band, the previous round as a
    dashed outline. `legend` maps "agreed"/"range"/"previous" to translated labels."""
    count = len(labels)
    if count < 3:
        raise ValueError("a radar chart needs at least three axes")
    if len(series.agreed) != count:
        raise ValueError("one agreed value per axis")
    legend_height = 28
    # Extra width either side: axis labels at 3 and 9 o'clock run sideways.
    cx, cy = size / 2 + pad_x, size / 2
    radius = size / 2 - 62
    body: list[str] = []

    for level in LEVELS:  # rings
        ring = _polygon_coords([level] * count, cx=cx, cy=cy, radius=radius)
        body.append(
            element("polygon", points=points(ring), fill="none", stroke=GRID, stroke_width=0.8)
        )
    for i in range(count):  # spokes
        x, y = radar_point(i, count, LEVELS[-1], cx=cx, cy=cy, radius=radius)
        body.append(
            element("line", x1=float(cx), y1=float(cy), x2=x, y2=y, stroke=GRID, stroke_width=0.8)
        )
    for level in LEVELS:  # level numbers up the first spoke
        x, y = radar_point(0, count, level, cx=cx, cy=cy, radius=radius)
        body.append(text(x + 4, y + 3, str(level), font_size=9, fill=MUTED))

    if series.low is not None and series.high is not None:
        complete = all(v is not None for v in (*series.low, *series.high))
        if complete:
            outer = _polygon_coords(series.high, cx=cx, cy=cy, radius=radius)
            inner = _polygon_coords(series.low, cx=cx, cy=cy, radius=radius)
            # Outer ring forwards, inner ring backwards: even-odd fill leaves the hole.
            path = (
                "M "
                + " L ".join(f"{_num(x)} {_num(y)}" for x, y in outer)
                + " Z M "
                + " L ".join(f"{_num(x)} {_num(y)}" for x, y in reversed(inner))
                + " Z"
            )
            body.append(
                element(
                    "path",
                    d=path,
                    fill=BAND,
                    fill_opacity=0.35,
                    fill_rule="evenodd",
                    stroke="none",
                    class_="radar-range",
                )
            )
    if series.previous is not None and any(v is not None for v in series.previous):
        prev = _polygon_coords(series.previous, cx=cx, cy=cy, radius=radius)
        body.append(
            element(
                "polygon",
                points=points(prev),
                fill="none",
                stroke=PREVIOUS,
                stroke_width=2,
                stroke_dasharray="6 4",
                class_="radar-previous",
            )
        )
    agreed = _polygon_coords(series.agreed, cx=cx, cy=cy, radius=radius)
    body.append(
        element(
            "polygon",
            points=points(agreed),
            fill=AGREED,
            fill_opacity=0.18,
            stroke=AGREED,
            stroke_width=2.5,
            class_="radar-agreed",
        )
    )
    for (x, y), value in zip(agreed, series.agreed, strict=True):
        if value is not None:
            body.append(element("circle", cx=x, cy=y, r=3.5, fill=AGREED))

    for i, label in enumerate(labels):  # axis labels, outside the rings
        x, y = radar_point(i, count, LEVELS[-1] + 0.55, cx=cx, cy=cy, radius=radius)
        anchor = "middle" if abs(x - cx) < 8 else ("start" if x > cx else "end")
        lines = wrap(label, 16)
        top = y - (len(lines) - 1) * 6 + 3
        for n, line in enumerate(lines):
            body.append(text(x, top + n * 12, line, font_size=10.5, fill=INK, text_anchor=anchor))

    # Legend
    ly = size + legend_height / 2
    entries: list[tuple[str, str]] = [("agreed", legend.get("agreed", "Agreed"))]
    if series.low is not None and series.high is not None:
        entries.append(("range", legend.get("range", "Range")))
    if series.previous is not None and any(v is not None for v in series.previous):
        entries.append(("previous", legend.get("previous", "Previous")))
    x = pad_x
    for kind, label in entries:
        if kind == "agreed":
            body.append(
                element("rect", x=x, y=ly - 6, width=18.0, height=12.0, fill=AGREED, opacity=0.6)
            )
        elif kind == "range":
            body.append(
                element("rect", x=x, y=ly - 6, width=18.0, height=12.0, fill=BAND, opacity=0.6)
            )
        else:
            body.append(
                element(
                    "line",
                    x1=x,
                    y1=float(ly),
                    x2=x + 18,
                    y2=float(ly),
                    stroke=PREVIOUS,
                    stroke_width=2,
                    stroke_dasharray="6 4",
                )
            )
        body.append(text(x + 24, ly + 4, label, font_size=10.5, fill=INK))
        x += 34 + 6.2 * len(label)
    return svg_document(size + 2 * pad_x, size + legend_height, "".join(body), title=title)


# Heatmap --------------------------------------------------------------------------------------


def heatmap_svg(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[int | None]],
    *,
    title: str,
    missing_label: str = "–",
    width: float = 680,
) -> str:
    """Rows × columns of levels 1–5, each cell coloured and labelled with its number."""
    if len(values) != len(rows) or any(len(row) != len(columns) for row in values):
        raise ValueError("values must be len(rows) × len(columns)")
    label_width = 150.0
    header_height = 70.0
    cell_w = (width - label_width) / max(len(columns), 1)
    cell_h = 22.0
    height = header_height + cell_h * len(rows) + 34
    body: list[str] = []
    for j, column in enumerate(columns):
        x = label_width + cell_w * (j + 0.5)
        lines = wrap(column, max(6, int(cell_w / 5.2)))[:5]
        for n, line in enumerate(lines):
            y = header_height - 6 - (len(lines) - 1 - n) * 10
            body.append(text(x, y, line, font_size=7.5, fill=INK, text_anchor="middle"))
    for i, (row, row_values) in enumerate(zip(rows, values, strict=True)):
        y = header_height + cell_h * i
        body.append(
            text(
                label_width - 6, y + cell_h / 2 + 4, row, font_size=10, fill=INK, text_anchor="end"
            )
        )
        for j, value in enumerate(row_values):
            x = label_width + cell_w * j
            fill = HEAT_COLOURS.get(value or 0, "#ffffff")
            body.append(
                element(
                    "rect",
                    x=x + 1,
                    y=y + 1,
                    width=cell_w - 2,
                    height=cell_h - 2,
                    fill=fill,
                    stroke=GRID,
                    stroke_width=0.5,
                )
            )
            shown = str(value) if value is not None else missing_label
            ink = "#ffffff" if (value or 0) >= 4 else INK
            body.append(
                text(
                    x + cell_w / 2,
                    y + cell_h / 2 + 4,
                    shown,
                    font_size=10,
                    fill=ink,
                    text_anchor="middle",
                    font_weight="bold",
                )
            )
    # Legend: the five colours.
    ly = header_height + cell_h * len(rows) + 12
    for n, level in enumerate(LEVELS):
        x = label_width + n * 44
        body.append(
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
        body.append(text(x + 20, ly + 10, str(level), font_size=9.5, fill=INK))
    return svg_document(width, height, "".join(body), title=title)
