"""Charts. For web pages, plotly figures as the plain JSON plotly.js reads (`{"data": [...],
"layout": {...}}`), drawn in the browser by our vendored plotly.js (static/js/charts.js reads
them from a `json_script` element). For PDFs, the same charts as vector SVG made on the server
(svg.py): no browser involved. Each chart's numbers are worked out once, here, for both.

The figures are written as dicts rather than with plotly.graph_objects, which validates every
property: on the loaded bench machine that took 20-50 ms a figure, more than the rest of the
page, against 0.1 ms for the dicts. plotly.js needs only the JSON, which is the same.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from . import svg
from .data import ChangeOverTime, Overview, RoundReport

Figure = dict[str, Any]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 13}
BAR_COLOURS = ["#9ecae1", "#4292c6", "#08519c", "#08306b", "#041c40"]


def _closed(values: list[Any]) -> list[Any]:
    return [*values, values[0]] if values else values


def _label(name: str, width: int = 14) -> str:
    """Wrapped for plotly tick labels, which understand <br>."""
    return "<br>".join(svg.wrap(name, width))


def radar_series(report: RoundReport) -> svg.RadarSeries:
    """What the radar shows, on the page and in the PDF: the band only when every dimension
    has a range to show."""
    lows = [row.spread.low if row.spread else None for row in report.rows]
    highs = [row.spread.high if row.spread else None for row in report.rows]
    band = not report.spread_withheld and None not in lows + highs
    return svg.RadarSeries(
        agreed=report.agreed,
        low=lows if band else None,
        high=highs if band else None,
        previous=[row.previous_level for row in report.rows] if report.previous else None,
    )


def radar_figure(report: RoundReport) -> Figure:
    series = radar_series(report)
    # The points sit at the names; the axis shows them wrapped. (Wrapped names in every trace
    # were most of the figure's "<" and ">", which json_script escapes one by one.)
    names = report.dimension_names
    theta = _closed(names)
    traces: list[dict[str, Any]] = []
    if series.low is not None and series.high is not None:
        # The band: the high ring forwards, then the low ring backwards, filled "toself".
        traces.append(
            {
                "type": "scatterpolar",
                "r": [*_closed(list(series.high)), *_closed(list(series.low))[::-1]],
                "theta": [*theta, *theta[::-1]],
                "fill": "toself",
                "fillcolor": "rgba(127,184,168,0.35)",
                "line": {"width": 0},
                "name": _("Range of private scores"),
                "hoverinfo": "skip",
            }
        )
    if series.previous is not None and report.previous is not None:
        traces.append(
            {
                "type": "scatterpolar",
                "r": _closed(list(series.previous)),
                "theta": theta,
                "mode": "lines+markers",
                "line": {"color": svg.PREVIOUS, "dash": "dash", "width": 2},
                "name": _("Previous round: %(title)s") % {"title": report.previous.title},
            }
        )
    traces.append(
        {
            "type": "scatterpolar",
            "r": _closed(list(series.agreed)),
            "theta": theta,
            "fill": "toself",
            "fillcolor": "rgba(11,93,75,0.18)",
            "mode": "lines+markers",
            "line": {"color": svg.AGREED, "width": 3},
            "name": _("Agreed level"),
        }
    )
    layout = {
        "font": FONT,
        "polar": {
            "radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5], "angle": 90},
            "angularaxis": {
                "direction": "clockwise",
                "rotation": 90,
                "tickmode": "array",
                "tickvals": names,
                "ticktext": [_label(name) for name in names],
            },
        },
        "legend": {"orientation": "h", "y": -0.15},
        "margin": {"l": 90, "r": 90, "t": 50, "b": 30},
        "height": 480,
        # On a phone the names run off the sides: numbers instead (static/js/charts.js; the
        # table beside the chart names every dimension), and the margins they no longer need.
        "meta": {
            "narrow": {
                "polar.angularaxis.ticktext": [str(n) for n in range(1, len(names) + 1)],
                "margin.l": 30,
                "margin.r": 30,
            }
        },
    }
    return {"data": traces, "layout": layout}


def radar_svg(report: RoundReport, *, small: bool = False) -> str:
    """The radar for a PDF: the round report's, or (small) an evaluator pack page's, with the
    dimensions numbered (the table beside it names them)."""
    return svg.radar_svg(
        [str(row.number) for row in report.rows] if small else report.dimension_names,
        radar_series(report),
        title=_("Agreed levels, %(community)s, %(round)s")
        % {"community": report.assessment.community.name, "round": report.assessment.title},
        legend={
            "agreed": _("Agreed level"),
            "range": _("Range of private scores"),
            "previous": report.previous.title if report.previous else "",
        },
        size=300 if small else 400,
        pad_x=30 if small else 70,
        # The pack's is drawn in half a page's width, at about 0.9 of its size.
        font=14 if small else svg.FONT,
    )


def heatmap_figure(data: Overview) -> Figure:
    """Communities × dimensions as square tiles. Drawn as markers rather than a plotly Heatmap
    trace: that one paints a bitmap whose crisp-edge style attribute our CSP blocks, so the
    browser would blur it. Tiles sit at the dimension's number and the axis names it once,
    rather than every tile repeating the name: a page of tiles stays a few kilobytes."""
    numbers = [d.number for d in data.dimensions]
    xs: list[int] = []
    ys: list[str] = []
    zs: list[int] = []
    for line in data.lines:
        for number, level in zip(numbers, line.levels, strict=True):
            if level is not None:
                xs.append(number)
                ys.append(line.community.name)
                zs.append(level)
    tiles = {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "markers+text",
        "text": [str(z) for z in zs],
        "textfont": {"color": ["#ffffff" if z >= 4 else svg.INK for z in zs], "size": 14},
        "marker": {
            "symbol": "square",
            "size": 34,
            "color": zs,
            "cmin": 1,
            "cmax": 5,
            "colorscale": [[(level - 1) / 4, svg.HEAT_COLOURS[level]] for level in svg.LEVELS],
            "line": {"color": svg.GRID, "width": 1},
            # No colour bar: plotly styles its gradient inline, which our CSP blocks, and
            # every tile already shows its level as a number.
            "showscale": False,
        },
        "hovertemplate": "%{y}<br>"
        + _("dimension %(number)s") % {"number": "%{x}"}
        + ": %{marker.color}<extra></extra>",
    }
    layout = {
        "font": FONT,
        "xaxis": {
            "tickvals": numbers,
            "ticktext": [_label(f"{d.number}. {d.name}", 12) for d in data.dimensions],
            "range": [min(numbers, default=1) - 0.5, max(numbers, default=1) + 0.5],
            "side": "top",
            "showgrid": False,
            "zeroline": False,
            "automargin": True,
        },
        "yaxis": {
            "categoryorder": "array",
            "categoryarray": [line.community.name for line in data.lines],
            "autorange": "reversed",
            "showgrid": False,
            "automargin": True,
        },
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "height": 140 + 44 * len(data.lines),
        # On a phone nine names side by side overlap; static/js/charts.js shows the numbers.
        "meta": {"narrow": {"xaxis.ticktext": [str(number) for number in numbers]}},
    }
    return {"data": [tiles], "layout": layout}


def heatmap_svg(data: Overview) -> str:
    """The pack's heatmap: columns headed by the dimensions' numbers, their names in a key (at
    9 pt nine names do not fit side by side)."""
    return svg.heatmap_svg(
        [line.community.name for line in data.lines],
        [str(d.number) for d in data.dimensions],
        [line.levels for line in data.lines],
        title=_("Agreed levels by community and dimension"),
        key=[f"{d.number} {d.name}" for d in data.dimensions],
    )


def change_figure(data: ChangeOverTime) -> Figure:
    """Every finalised round as a group of bars per dimension (at the names, shown wrapped)."""
    names = [f"{d.number}. {d.name}" for d in data.dimensions]
    bars = [
        {
            "type": "bar",
            "x": names,
            "y": levels,
            "name": round_.title,
            "marker": {"color": BAR_COLOURS[min(i, len(BAR_COLOURS) - 1)]},
        }
        for i, (round_, levels) in enumerate(zip(data.rounds, data.levels, strict=True))
    ]
    layout = {
        "font": FONT,
        "barmode": "group",
        "yaxis": {
            "range": [0, 5],
            "tickvals": [1, 2, 3, 4, 5],
            "title": {"text": _("Agreed level")},
        },
        "xaxis": {
            "automargin": True,
            "tickangle": 0,
            "tickmode": "array",
            "tickvals": names,
            "ticktext": [_label(name, 12) for name in names],
        },
        "legend": {"orientation": "h", "y": 1.12},
        "margin": {"l": 50, "r": 10, "t": 40, "b": 10},
        "height": 380,
        # On a phone the names overlap; static/js/charts.js shows the numbers (the table
        # beside the chart names every dimension).
        "meta": {"narrow": {"xaxis.ticktext": [str(d.number) for d in data.dimensions]}},
    }
    return {"data": bars, "layout": layout}
