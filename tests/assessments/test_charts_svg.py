"""The server-side SVG builder: well-formed, escaped, geometrically right."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.reports import svg

NS = {"s": "http://www.w3.org/2000/svg"}
LABELS = [f"Dimension {n}" for n in range(1, 10)]


def parse(document: str) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - our own output, not untrusted input


def radar(**series) -> ET.Element:
    return parse(
        svg.radar_svg(
            LABELS,
            svg.RadarSeries(**series),
            title="Radar",
            legend={"agreed": "Agreed", "range": "Range", "previous": "2022"},
        )
    )


def test_radar_is_well_formed_with_title_and_labels():
    root = radar(agreed=[3] * 9)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("s:title", NS).text == "Radar"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Dimension 1" in texts and "Agreed" in texts


def test_radar_agreed_outline_points_at_levels():
    root = radar(agreed=[5, 1, 1, 1, 1, 1, 1, 1, 1])
    outline = root.find("s:path[@class='radar-agreed']", NS)
    first = outline.get("d").split("L")[0]  # "M<x> <y>"
    x, y = (float(v) for v in first[1:].split())
    cx, size = 200 + 70, 400
    radius = size / 2 - 62
    # Level 5 on the first axis: straight up from the centre by the full radius.
    assert x == pytest.approx(cx)
    assert y == pytest.approx(size / 2 - radius)


def test_radar_band_and_previous_drawn_only_when_given():
    bare = radar(agreed=[3] * 9)
    assert bare.find("s:path[@class='radar-range']", NS) is None
    assert bare.find("s:path[@class='radar-previous']", NS) is None
    full = radar(agreed=[3] * 9, low=[2] * 9, high=[4] * 9, previous=[2] * 9)
    band = full.find("s:path[@class='radar-range']", NS)
    assert band.get("fill-rule") == "evenodd"
    assert band.get("d").count("M") == 2  # outer ring and the hole
    assert full.find("s:path[@class='radar-previous']", NS).get("stroke-dasharray")
    texts = [t.text for t in full.iter("{http://www.w3.org/2000/svg}text")]
    assert {"Agreed", "Range", "2022"} <= set(texts)  # the legend names all three


def test_radar_with_numbered_axes_anchors_no_text():
    """The evaluator pack's radar: WeasyPrint would draw each anchored label, or anything with
    opacity, into a group of its own."""
    document = svg.radar_svg(
        [str(n) for n in range(1, 10)],
        svg.RadarSeries(agreed=[3] * 9, previous=[2] * 9),
        title="Pack",
        legend={"agreed": "Agreed", "previous": "2022"},
        size=300,
        pad_x=30,
    )
    assert not re.search(r"\s(text-anchor|opacity)=", document)
    texts = [t.text for t in parse(document).iter("{http://www.w3.org/2000/svg}text")]
    assert texts[5:14] == [str(n) for n in range(1, 10)]  # after the five level numbers


def test_radar_band_skipped_when_a_dimension_has_no_ratings():
    root = radar(agreed=[3] * 9, low=[2] * 8 + [None], high=[4] * 9)
    assert root.find("s:path[@class='radar-range']", NS) is None


def test_radar_escapes_text():
    document = svg.radar_svg(
        ["<b>&", *LABELS[1:]], svg.RadarSeries(agreed=[1] * 9), title='"quoted" <title>', legend={}
    )
    assert "<b>" not in document
    root = parse(document)
    assert root.find("s:title", NS).text == '"quoted" <title>'


def test_radar_rejects_bad_shapes():
    with pytest.raises(ValueError):
        svg.radar_svg(["a", "b"], svg.RadarSeries(agreed=[1, 2]), title="x", legend={})
    with pytest.raises(ValueError):
        svg.radar_svg(LABELS, svg.RadarSeries(agreed=[1, 2]), title="x", legend={})


@given(
    st.integers(min_value=3, max_value=12),
    st.integers(min_value=0, max_value=11),
    st.floats(min_value=0, max_value=5),
)
def test_radar_point_distance_is_proportional_to_value(count, index, value):
    index %= count
    x, y = svg.radar_point(index, count, value, cx=100, cy=100, radius=50)
    assert math.hypot(x - 100, y - 100) == pytest.approx(value * 10, abs=1e-6)


def test_heatmap_cells_coloured_and_labelled():
    root = parse(
        svg.heatmap_svg(
            ["Halton", "Bolsover"], ["Vision", "Finance"], [[1, 5], [None, 3]], title="Heat"
        )
    )
    # One path of tiles per colour, as many tiles as cells of that level.
    tiles = {p.get("fill"): p.get("d").count("M") for p in root.findall("s:path", NS)}
    assert tiles == {
        svg.HEAT_COLOURS[1]: 1,
        svg.HEAT_COLOURS[5]: 1,
        "#ffffff": 1,
        svg.HEAT_COLOURS[3]: 1,
    }
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"Halton", "Bolsover", "Vision", "Finance", "1", "5", "–", "3"} <= set(texts)
    assert root.find("s:title", NS).text == "Heat"


def test_heatmap_rejects_ragged_values():
    with pytest.raises(ValueError):
        svg.heatmap_svg(["a"], ["x", "y"], [[1]], title="t")


@pytest.mark.parametrize(
    "label,width,expected",
    [
        ("Vision", 14, ["Vision"]),
        (
            "Learning, evaluation and continuous improvement",
            16,
            ["Learning,", "evaluation and", "continuous", "improvement"],
        ),
        ("Planning/ Strategy/ Programming", 14, ["Planning/", "Strategy/", "Programming"]),
    ],
)
def test_wrap(label, width, expected):
    assert svg.wrap(label, width) == expected


def test_numbers_are_locale_free_and_compact():
    assert svg._num(1.0) == "1"
    assert svg._num(-0.0001) == "0"
    assert svg._num(2.345) == "2.35" or svg._num(2.345) == "2.34"
