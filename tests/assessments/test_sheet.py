"""The sheet's rubric part (assessments/sheet.py): rendered once per rubric, language and mode,
never holding anything of one person, filled with each person's own answers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from assessments.models import Dimension, IndividualScore, LevelDescriptor, Rubric
from assessments.sheet import DimensionState, local_cache, rubric_part
from tests.assessments.test_stakeholder import save_url, sheet_url
from tests.factories import AssessmentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def first_dimension(participant) -> Dimension:  # type: ignore[no-untyped-def]
    return participant.assessment.rubric.dimensions.order_by("number").first()


def _cached_bytes() -> bytes:
    """Everything the per-process cache holds, as stored (pickled)."""
    return b"".join(value for value in local_cache._cache.values())  # type: ignore[attr-defined]


def test_a_warm_cache_never_shows_one_persons_answers_to_another(participant, make_participants):
    other = make_participants(1)[0]
    dim = first_dimension(participant)
    alice, bob = Client(), Client()
    response = alice.post(
        save_url(participant.token),
        {"dimension": dim.pk, "level": "4", "reason": "alice-secret-reason"},
        **HTMX,
    )
    assert response.status_code == 200
    html = alice.get(sheet_url(participant.token)).content.decode()
    assert 'id="d1-l4" value="4" checked' in html and "alice-secret-reason" in html

    html = bob.get(sheet_url(other.token)).content.decode()
    assert "alice-secret-reason" not in html
    assert " checked" not in html
    assert participant.token not in html
    assert "0 of 9" in html
    # The kept rendering holds neither the answer, nor either link, nor a CSRF token.
    kept = _cached_bytes()
    assert kept
    for secret in ("alice-secret-reason", participant.token, other.token, "csrfmiddlewaretoken"):
        assert secret.encode() not in kept
    assert bob.cookies["csrftoken"].value.encode() not in kept


def test_each_sheet_posts_to_its_own_link_with_a_csrf_token_per_visitor(
    participant, make_participants
):
    other = make_participants(1)[0]
    alice, bob = Client(), Client()
    html_a = alice.get(sheet_url(participant.token)).content.decode()
    html_b = bob.get(sheet_url(other.token)).content.decode()
    assert html_a.count(f'action="{save_url(participant.token)}"') == 9
    assert html_b.count(f'action="{save_url(other.token)}"') == 9
    assert save_url(participant.token) not in html_b
    # One token per save form, and the language switcher's.
    assert html_a.count('name="csrfmiddlewaretoken"') == 9 + 1
    # Bob's page (rendered from the warm cache) carries a token his CSRF cookie accepts.
    dim = first_dimension(other)
    bob_checked = Client(enforce_csrf_checks=True)
    html = bob_checked.get(sheet_url(other.token)).content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = bob_checked.post(
        save_url(other.token),
        {"csrfmiddlewaretoken": token, "dimension": dim.pk, "level": "2"},
        **HTMX,
    )
    assert response.status_code == 200


def test_rubric_part_is_rendered_once_per_rubric_language_and_mode(participant):
    rubric_id = participant.assessment.rubric_id
    with CaptureQueriesContext(connection) as cold:
        rubric_part(rubric_id, editable=True)
    assert len(cold.captured_queries) == 2  # dimensions, their levels
    with CaptureQueriesContext(connection) as warm:
        rubric_part(rubric_id, editable=True)
    assert len(warm.captured_queries) == 0
    with translation.override("cy"), CaptureQueriesContext(connection) as welsh:
        rubric_part(rubric_id, editable=True)
    # ...and its translation: the translation, its names, its level texts; and the key reads
    # the translations' approval.
    assert len(welsh.captured_queries) == 6
    with translation.override("cy"), CaptureQueriesContext(connection) as welsh_warm:
        rubric_part(rubric_id, editable=True)
    assert len(welsh_warm.captured_queries) == 1  # the approval, nothing else
    with CaptureQueriesContext(connection) as read_only:
        part = rubric_part(rubric_id, editable=False)
    assert len(read_only.captured_queries) == 2
    html = part.fill({}, csrf_token="t", save_url="/s/x/save/")
    assert html.count("<fieldset disabled>") == 9 and "hx-post" not in html


def test_a_round_on_another_rubric_shows_that_rubrics_questions(participant, community):
    Client().get(sheet_url(participant.token))  # the current rubric is now cached
    old = Rubric.objects.create(version="2019", name="Earlier model")
    dim = Dimension.objects.create(rubric=old, number=1, name="Old shared vision", sheet_label="V")
    LevelDescriptor.objects.bulk_create(
        LevelDescriptor(dimension=dim, level=n, text=f"Old level {n} words") for n in range(1, 6)
    )
    old_round = AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, rubric=old
    )
    person = ParticipantFactory(assessment=old_round)
    html = Client().get(sheet_url(person.token)).content.decode()
    assert "Old shared vision" in html and "Old level 3 words" in html
    assert html.count("<legend") == 1
    assert "0 of 1" in html
    # A dimension of the current rubric is refused on the old round's sheet.
    current = first_dimension(participant)
    response = Client().post(save_url(person.token), {"dimension": current.pk, "level": "3"})
    assert response.status_code == 400
    assert not IndividualScore.objects.exists()


def test_a_sheet_seen_while_collecting_turns_read_only_when_collection_closes(participant):
    client = Client()
    assert "hx-post" in client.get(sheet_url(participant.token)).content.decode()
    participant.assessment.close_collection()
    html = client.get(sheet_url(participant.token)).content.decode()
    assert "hx-post" not in html
    assert html.count("<fieldset disabled>") == 9


def test_fill_escapes_everything_it_puts_in(participant):
    part = rubric_part(participant.assessment.rubric_id, editable=True)
    dim_id = first_dimension(participant).pk
    html = part.fill(
        {
            dim_id: DimensionState(
                level='3" onclick="x', reason="</textarea><script>alert(1)</script>", error="<b>"
            )
        },
        csrf_token='"><script>',
        save_url='/s/"><script>/save/',
    )
    assert "<script>" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html
    assert " checked" not in html  # not one of the radios' values


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL text cannot hold NUL")
def test_a_level_text_holding_the_slot_marker_is_refused(participant):
    descriptor = LevelDescriptor.objects.filter(
        dimension__rubric_id=participant.assessment.rubric_id
    ).first()
    descriptor.text = "before\x00not-a-slot\x00after"
    descriptor.save()
    with pytest.raises(ValueError):
        rubric_part(participant.assessment.rubric_id, editable=True)
