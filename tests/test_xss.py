"""XSS payloads in every free-text field stay inert: escaped in HTML pages and htmx partials,
plain text in PDFs.

The payloads go into the community's description, focal issue, organisation, stakeholder name
and role, round title, individual reasons, agreed reasons and dissent, and priority actions.
Then every page the crawl of `test_privacy_crawl` reaches (facilitator, evaluator, admin), the
stakeholder's own pages and the htmx partials are fetched.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from assessments.models import ConsensusScore, IndividualScore, PriorityAction
from tests.scenario import Scenario, build_scenario
from tests.test_privacy_crawl import Fetched, crawl, extract

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT}{IMG}"
RAW = ("<script>alert(1)", "<img src=x onerror")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _poison(s: Scenario) -> None:
    s.community.description = f"Desc {PAYLOAD}"
    s.community.save()
    focal = s.focal_issue
    focal.title = f"Focal {PAYLOAD}"[:200]
    focal.description = f"Focal description {PAYLOAD}"
    focal.save()
    s.organisation.name = f"Org {PAYLOAD}"
    s.organisation.save()
    for n, person in enumerate(s.people):
        stakeholder = person.participant.stakeholder
        stakeholder.name = f"Name{n} {PAYLOAD}"
        stakeholder.role = f"Role {PAYLOAD}"[:120]
        stakeholder.save()
    for assessment in (s.collecting, s.workshop, s.finalised):
        assessment.title = f"T {PAYLOAD}"[:120]
        assessment.save()
    IndividualScore.objects.update(reason=f"Reason {PAYLOAD}")
    ConsensusScore.objects.update(reason=f"Agreed {PAYLOAD}", dissent=f"Dissent {PAYLOAD}")
    PriorityAction.objects.update(action=f"Action {PAYLOAD}", owner=f"Owner {PAYLOAD}"[:120])


@pytest.fixture
def scenario(community, other_community) -> Scenario:  # type: ignore[no-untyped-def]
    s = build_scenario(community, other_community)
    _poison(s)
    return s


def assert_inert(fetched: list[Fetched]) -> None:
    raw = [f.label for f in fetched if f.kind == "html" and any(r in f.text for r in RAW)]
    assert not raw, "payload rendered raw in: " + ", ".join(raw)


def _get(client: Client, url: str, **headers: str) -> Fetched:
    cache.clear()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return extract(f"GET {url}", response)


@pytest.mark.parametrize("role", ["facilitator", "evaluator", "admin"])
def test_account_pages_escape_every_payload(role, scenario, request):  # type: ignore[no-untyped-def]
    client = request.getfixturevalue(role)
    client.raise_request_exception = False
    fetched = crawl(client, role, scenario)
    assert_inert(fetched)
    html = [f for f in fetched if f.kind == "html"]
    assert sum(ESCAPED_SCRIPT in f.text for f in html) >= 5, "payloads were not shown at all"
    # In PDFs the payload is just text on the page.
    pdf_text = "\n".join(f.text for f in fetched if f.kind == "pdf").replace("\n", "")
    assert SCRIPT in pdf_text


def test_stakeholder_pages_and_partials_escape_every_payload(scenario):  # type: ignore[no-untyped-def]
    token = scenario.link_this.token
    client = Client(raise_request_exception=False)
    # The stakeholder types a payload; the autosave partial and the sheet show it escaped.
    dimension = scenario.collecting.rubric.dimensions.get(number=1)
    cache.clear()
    saved = client.post(
        reverse("assessments:sheet_save", kwargs={"token": token}),
        {"dimension": dimension.pk, "level": "3", "reason": PAYLOAD},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    fetched = [extract("POST sheet_save (htmx)", saved)]
    cache.clear()
    refused = client.post(
        reverse("assessments:sheet_save", kwargs={"token": token}),
        {"dimension": dimension.pk, "level": "9", "reason": PAYLOAD},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 400
    fetched.append(extract("POST sheet_save invalid (htmx)", refused))
    cache.clear()
    plain = client.post(
        reverse("assessments:sheet_save", kwargs={"token": token}),
        {"dimension": dimension.pk, "level": "9", "reason": PAYLOAD},
    )
    assert plain.status_code == 400
    fetched.append(extract("POST sheet_save invalid", plain))
    for name in ("sheet", "sheet_review", "follow"):
        fetched.append(_get(client, reverse(f"assessments:{name}", kwargs={"token": token})))
    fetched.append(
        _get(client, reverse("assessments:follow", kwargs={"token": token}), HX_Request="true")
    )
    pdf = _get(client, reverse("assessments:my_sheet_pdf", kwargs={"token": token}))
    assert_inert(fetched)
    assert any(ESCAPED_SCRIPT in f.text for f in fetched if "sheet_save" not in f.label)
    assert SCRIPT in pdf.text.replace("\n", "")


def test_closed_round_partial_escapes_what_was_typed(scenario):  # type: ignore[no-untyped-def]
    """After collection closed, the 409 partial gives the typed text back, escaped."""
    person = next(p for p in scenario.people if p.participant.assessment == scenario.workshop)
    client = Client(raise_request_exception=False)
    dimension = scenario.workshop.rubric.dimensions.get(number=1)
    url = reverse("assessments:sheet_save", kwargs={"token": person.participant.token})
    fetched = []
    for headers in ({"HX-Request": "true"}, {}):
        cache.clear()
        response = client.post(
            url, {"dimension": dimension.pk, "level": "3", "reason": PAYLOAD}, headers=headers
        )
        assert response.status_code == 409
        fetched.append(extract(f"POST {url} {headers}", response))
    assert_inert(fetched)
    assert all(ESCAPED_SCRIPT in f.text for f in fetched)


def test_workshop_room_partial_escapes_the_agreed_reason(scenario):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    url = reverse("assessments:room", kwargs={"token": scenario.room_token})
    fetched = [_get(client, url), _get(client, url, HX_Request="true")]
    assert_inert(fetched)


def test_the_check_can_fail():
    html = f"<p>{SCRIPT}</p>"
    with pytest.raises(AssertionError):
        assert_inert([Fetched("fake", "html", html, [])])
