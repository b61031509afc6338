"""The evaluator's filter forms (the overview, the synthesis, who was at the table): every
control has a visible label tied to it by for/id, and the label says what it filters."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

EXPECTED = {"nation": "Nation", "area": "Focal issue area", "kind": "Round kind"}


class FilterForm(HTMLParser):
    """The GET form's controls (name → id) and its labels (for → text, and whether hidden)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_form = False
        self.controls: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.hidden_labels: set[str] = set()
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("method") == "get":
            self.in_form = True
        if not self.in_form:
            return
        if tag in {"select", "input", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.controls[a.get("name") or ""] = a.get("id") or ""
        if tag == "label":
            self._label = a.get("for") or ""
            self.labels[self._label] = ""
            if "visually-hidden" in (a.get("class") or ""):
                self.hidden_labels.add(self._label)

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None
        if tag == "form":
            self.in_form = False


def _filters(html: str) -> FilterForm:
    parser = FilterForm()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "url_name", ["assessments:overview", "insight:synthesis", "insight:representation"]
)
def test_every_filter_has_a_visible_label_that_names_it(evaluator, community, url_name):  # type: ignore[no-untyped-def]
    AssessmentFactory(community=community, focal_issue=community.current_focal_issue)
    form = _filters(evaluator.get(reverse(url_name)).content.decode())
    assert set(EXPECTED) <= set(form.controls), form.controls
    for name, control_id in form.controls.items():
        assert control_id, f"{name} has no id"
        assert control_id in form.labels, f"no <label for={control_id}> for {name}"
        assert control_id not in form.hidden_labels, f"the label of {name} is not visible"
        assert form.labels[control_id].strip(), f"the label of {name} is empty"
    for name, text in EXPECTED.items():
        assert form.labels[form.controls[name]].strip() == text
