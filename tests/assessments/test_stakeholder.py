"""The stakeholder's sheet at /s/<token>/: reading, autosave, review, submit, and bad input."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    LEVEL_LABELS,
    Dimension,
    IndividualScore,
    Participant,
    Rubric,
)
from tests.factories import submit_sheet

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def sheet_url(token: str) -> str:
    return reverse("assessments:sheet", kwargs={"token": token})


def save_url(token: str) -> str:
    return reverse("assessments:sheet_save", kwargs={"token": token})


def dims(participant: Participant) -> list[Dimension]:
    return list(participant.assessment.rubric.dimensions.order_by("number"))


def save(
    client: Client,
    participant: Participant,
    dim: Dimension,
    level: str,
    reason: str = "",
    htmx: bool = True,
):  # type: ignore[no-untyped-def]
    extra = HTMX if htmx else {}
    return client.post(
        save_url(participant.token),
        {"dimension": dim.pk, "level": level, "reason": reason},
        **extra,
    )


# --- reading the sheet ----------------------------------------------------------------


def test_sheet_shows_intro_nine_dimensions_descriptions_and_privacy(anonymous, participant):
    response = anonymous.get(sheet_url(participant.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert participant.assessment.focal_issue.title in html
    assert "your named answers are seen by you only; the group sees an anonymous spread" in html
    assert html.count("<legend") == 9
    assert html.count('type="radio"') == 9 * 6
    assert html.count("Why? Use examples wherever you can") == 9
    assert str(LEVEL_LABELS[1]) in html and str(LEVEL_LABELS[5]) in html
    assert "There is no clear shared vision for the future, or there are competing visions." in html
    assert "0 of 9" in html
    assert "Not sure" in html
    assert 'aria-live="polite"' in html
    assert "plotly" not in html


def test_opening_the_link_sets_opened_at_once(anonymous, participant):
    anonymous.get(sheet_url(participant.token))
    participant.refresh_from_db()
    first = participant.opened_at
    assert first is not None
    anonymous.get(sheet_url(participant.token))
    participant.refresh_from_db()
    assert participant.opened_at == first


@pytest.mark.parametrize(
    "persona", ["anonymous", "facilitator", "evaluator", "other_facilitator", "admin"]
)
def test_a_link_shows_its_own_sheet_whoever_is_logged_in(request, persona, participant):
    client = request.getfixturevalue(persona)
    response = client.get(sheet_url(participant.token))
    assert response.status_code == 200
    assert participant.stakeholder.name in response.content.decode()


def test_link_of_another_round_shows_that_round_only(
    anonymous, participant, other_round_participant
):
    submit_sheet(participant, [3] * 9, [f"secret-{i}" for i in range(9)])
    response = anonymous.get(sheet_url(other_round_participant.token))
    html = response.content.decode()
    assert response.status_code == 200
    assert other_round_participant.stakeholder.name in html
    assert participant.stakeholder.name not in html
    assert "secret-" not in html


@pytest.mark.parametrize(("persona"), ["anonymous", "facilitator", "evaluator"])
def test_unknown_and_tampered_tokens_are_404_with_ask_for_new_link(request, persona, participant):
    client = request.getfixturevalue(persona)
    tampered = participant.token[:-1] + ("A" if participant.token[-1] != "A" else "B")
    for token in ["nope", tampered]:
        response = client.get(sheet_url(token))
        assert response.status_code == 404
        assert "Ask your facilitator for a new link" in response.content.decode()


def test_revoked_token_is_410_and_the_new_one_works(anonymous, participant):
    old = participant.token
    new = participant.issue_token()
    response = anonymous.get(sheet_url(old))
    assert response.status_code == 410
    assert "This link has been revoked" in response.content.decode()
    # Autosave through the old link is refused too, and stores nothing.
    dim = dims(participant)[0]
    response = anonymous.post(save_url(old), {"dimension": dim.pk, "level": "3"}, **HTMX)
    assert response.status_code == 410
    assert not IndividualScore.objects.exists()
    assert anonymous.get(sheet_url(new)).status_code == 200


def test_rate_limit_answers_429(anonymous, participant, settings):
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 3
    for _ in range(3):
        assert anonymous.get(sheet_url("guess")).status_code == 404
    response = anonymous.get(sheet_url(participant.token))
    assert response.status_code == 429
    assert "wait a minute" in response.content.decode()


# --- autosave -----------------------------------------------------------------------


def test_autosave_saves_one_dimension_and_reports_saved_and_progress(anonymous, participant):
    dim = dims(participant)[0]
    response = save(anonymous, participant, dim, "4", "We share a vision, e.g. the 2022 strategy")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved at" in html
    assert "1 of 9" in html
    score = IndividualScore.objects.get(participant=participant)
    assert (score.dimension, score.level, score.not_sure) == (dim, 4, False)
    assert score.reason == "We share a vision, e.g. the 2022 strategy"
    participant.refresh_from_db()
    assert participant.draft_saved_at is not None
    assert participant.submitted_at is None


def test_not_sure_is_saved_and_counts_as_answered(anonymous, participant):
    dim = dims(participant)[1]
    response = save(anonymous, participant, dim, "not-sure", "I do not know the finance side")
    assert "1 of 9" in response.content.decode()
    score = IndividualScore.objects.get(participant=participant)
    assert score.level is None and score.not_sure


def test_plain_save_without_javascript_redirects_back_to_the_dimension(anonymous, participant):
    dim = dims(participant)[2]
    response = save(anonymous, participant, dim, "2", "", htmx=False)
    assert response.status_code == 303
    assert response["Location"].endswith(f"#dim-{dim.number}")
    assert IndividualScore.objects.get(participant=participant).level == 2


def test_answers_survive_a_reload(anonymous, participant):
    dim = dims(participant)[0]
    save(anonymous, participant, dim, "5", "Reload me")
    html = anonymous.get(sheet_url(participant.token)).content.decode()
    assert 'id="d1-l5" value="5" checked' in html
    assert "Reload me" in html
    assert "1 of 9" in html


def test_two_tabs_saving_different_dimensions_lose_nothing(participant):
    tab_a, tab_b = Client(), Client()
    d1, d2 = dims(participant)[:2]
    # Tab A loaded the sheet before tab B saved anything; neither overwrites the other.
    tab_a.get(sheet_url(participant.token))
    tab_b.get(sheet_url(participant.token))
    assert save(tab_a, participant, d1, "2", "from tab A").status_code == 200
    assert save(tab_b, participant, d2, "4", "from tab B").status_code == 200
    assert save(tab_a, participant, d1, "3", "tab A again").status_code == 200
    rows = {
        s.dimension_id: (s.level, s.reason)
        for s in IndividualScore.objects.filter(participant=participant)
    }
    assert rows == {d1.pk: (3, "tab A again"), d2.pk: (4, "from tab B")}


def test_same_dimension_from_two_devices_is_last_save_wins_without_error(participant):
    d1 = dims(participant)[0]
    assert save(Client(), participant, d1, "2", "phone").status_code == 200
    assert save(Client(), participant, d1, "5", "laptop").status_code == 200
    score = IndividualScore.objects.get(participant=participant)
    assert (score.level, score.reason) == (5, "laptop")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writers")
@pytest.mark.django_db(transaction=True)
def test_tabs_autosaving_at_the_same_instant_all_succeed_and_lose_nothing(participant):
    d = dims(participant)[:3]
    start = threading.Barrier(6)
    statuses: list[int] = []

    def tab(i: int) -> None:
        try:
            start.wait()
            statuses.append(
                save(Client(), participant, d[i % 3], str(1 + i % 5), f"tab {i}").status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    rows = IndividualScore.objects.filter(participant=participant)
    assert sorted(r.dimension_id for r in rows) == sorted(dim.pk for dim in d)
    for row in rows:  # each dimension holds one of the two saves made to it, whole
        i = int(row.reason.removeprefix("tab "))
        assert (row.dimension_id, row.level) == (d[i % 3].pk, 1 + i % 5)


@pytest.mark.parametrize("level", ["0", "6", "abc", "2.5", "-1", "99999999999999999999"])
def test_bad_levels_are_400_with_a_message_and_nothing_saved(anonymous, participant, level):
    dim = dims(participant)[0]
    response = save(anonymous, participant, dim, level, "keep this text")
    assert response.status_code == 400
    assert "Choose a level from 1 to 5" in response.content.decode()
    assert not IndividualScore.objects.exists()


def test_bad_level_without_javascript_keeps_the_typed_text(anonymous, participant):
    dim = dims(participant)[3]
    response = save(anonymous, participant, dim, "7", "my carefully typed reason", htmx=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "my carefully typed reason" in html
    assert "Choose a level from 1 to 5" in html


def test_dimension_of_another_rubric_is_400(anonymous, participant):
    other = Rubric.objects.create(version="1999", name="Old model")
    foreign = Dimension.objects.create(rubric=other, number=1, name="Foreign", sheet_label="F")
    response = save(anonymous, participant, foreign, "3", "typed")
    assert response.status_code == 400
    assert "not part of this round" in response.content.decode()
    response = anonymous.post(
        save_url(participant.token), {"dimension": "x", "level": "3", "reason": "typed here"}
    )
    assert response.status_code == 400
    assert "typed here" in response.content.decode()
    assert not IndividualScore.objects.exists()


def test_reason_over_5000_characters_is_400_and_text_is_kept(anonymous, participant):
    dim = dims(participant)[0]
    long_text = "x" * 5000 + "TAIL"
    response = save(anonymous, participant, dim, "3", long_text, htmx=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "5000" in html
    assert long_text in html
    response = save(anonymous, participant, dim, "3", long_text)
    assert response.status_code == 400
    assert not IndividualScore.objects.exists()
    assert save(anonymous, participant, dim, "3", "x" * 5000).status_code == 200


def test_post_after_collection_closed_is_409_and_shows_the_typed_text(anonymous, participant):
    participant.assessment.close_collection()
    dim = dims(participant)[0]
    for htmx in (True, False):
        response = save(anonymous, participant, dim, "3", "words I do not want to lose", htmx=htmx)
        assert response.status_code == 409
        html = response.content.decode()
        assert "words I do not want to lose" in html
        assert "not saved" in html
    assert not IndividualScore.objects.exists()


def test_sheet_is_read_only_but_viewable_after_close(anonymous, participant):
    submit_sheet(participant, [1, 2, 3, 4, 5, None, 1, 2, 3], [f"why {i}" for i in range(9)])
    participant.assessment.close_collection()
    response = anonymous.get(sheet_url(participant.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "fieldset disabled" in html
    assert "hx-post" not in html
    assert "why 8" in html
    assert "Scoring has closed" in html


# --- review and submit ------------------------------------------------------------


def test_review_lists_blank_dimensions_by_name(anonymous, participant):
    d = dims(participant)
    save(anonymous, participant, d[0], "3")
    response = anonymous.get(
        reverse("assessments:sheet_review", kwargs={"token": participant.token})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 of 9 answered" in html
    for dim in d[1:]:
        assert dim.name in html


def test_submit_with_blanks_is_400_naming_them(anonymous, participant):
    d = dims(participant)
    for dim in d[:7]:
        save(anonymous, participant, dim, "3")
    save(anonymous, participant, d[7], "", "a reason but no level")
    response = anonymous.post(
        reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "was not submitted" in html
    assert d[7].name in html and d[8].name in html
    participant.refresh_from_db()
    assert participant.submitted_at is None


def test_submit_double_click_is_one_submission_and_edit_after_submit_works(anonymous, participant):
    d = dims(participant)
    for dim in d[:8]:
        save(anonymous, participant, dim, "2")
    save(anonymous, participant, d[8], "not-sure")
    url = reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    first = anonymous.post(url)
    assert first.status_code == 303
    participant.refresh_from_db()
    submitted = participant.submitted_at
    assert submitted is not None
    assert anonymous.post(url).status_code == 303
    participant.refresh_from_db()
    assert participant.submitted_at == submitted
    assert IndividualScore.objects.filter(participant=participant).count() == 9
    # Still collecting: the sheet can be changed after submitting.
    assert save(anonymous, participant, d[0], "5", "changed my mind").status_code == 200
    assert IndividualScore.objects.get(participant=participant, dimension=d[0]).level == 5
    html = anonymous.get(sheet_url(participant.token)).content.decode()
    assert "you submitted your sheet" in html


def test_submit_after_close_is_409(anonymous, participant):
    submit_sheet(participant, [3] * 9, submitted=False)
    participant.assessment.close_collection()
    response = anonymous.post(
        reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    )
    assert response.status_code == 409
    participant.refresh_from_db()
    assert participant.submitted_at is None


def test_draft_round_link_is_read_only(anonymous, participant):
    participant.assessment.status = "draft"
    participant.assessment.save()
    html = anonymous.get(sheet_url(participant.token)).content.decode()
    assert "has not opened yet" in html
    assert save(anonymous, participant, dims(participant)[0], "3", "early").status_code == 409


def test_get_only_pages_refuse_other_methods(anonymous, participant):
    assert anonymous.post(sheet_url(participant.token)).status_code == 405
    assert anonymous.get(save_url(participant.token)).status_code == 405


# --- performance and weight ---------------------------------------------------------


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_sheet_query_count_does_not_grow_with_participants(
    anonymous, participant, make_participants
):
    make_participants(2)
    for p in Participant.objects.all():
        submit_sheet(p, [3] * 9)
    participant.opened_at = timezone.now()
    participant.save()
    # The first visit renders the rubric part (dimensions and their levels: two queries more).
    cold = _count_queries(anonymous, sheet_url(participant.token))
    small = _count_queries(anonymous, sheet_url(participant.token))
    for p in make_participants(57):
        submit_sheet(p, [2] * 9)
    assert Participant.objects.filter(assessment=participant.assessment).count() == 60
    large = _count_queries(anonymous, sheet_url(participant.token))
    assert small == large == 2  # the participant by link, their own answers
    assert cold == 4


def test_sheet_total_transfer_is_under_150_kb_and_loads_no_chart_library(anonymous, participant):
    html = anonymous.get(sheet_url(participant.token)).content
    assert b"plotly" not in html
    total = len(gzip.compress(html))
    static_root = Path(settings.BASE_DIR) / "static"
    for marker in (b'href="/static/', b'src="/static/'):
        start = 0
        while (index := html.find(marker, start)) != -1:
            begin = index + len(marker)
            end = html.index(b'"', begin)
            asset = static_root / html[begin:end].decode()
            total += len(gzip.compress(asset.read_bytes()))
            start = end
    assert total < 150 * 1024, total


def _count_save_queries(client: Client, participant: Participant, dim: Dimension) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert save(client, participant, dim, "4", "counted").status_code == 200
    return [q["sql"].split(" ", 1)[0] for q in ctx.captured_queries]


def test_autosave_query_count_does_not_grow_with_participants(
    anonymous, participant, make_participants
):
    d = dims(participant)
    # The first save also marks the draft (one UPDATE) and reads the rubric's dimensions.
    save(anonymous, participant, d[0], "3")
    for p in make_participants(2):
        submit_sheet(p, [3] * 9)
    small = _count_save_queries(anonymous, participant, d[1])
    for p in make_participants(57):
        submit_sheet(p, [2] * 9)
    large = _count_save_queries(anonymous, participant, d[2])
    assert small == large
    writes = [sql for sql in large if sql not in {"SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"}]
    # The same on every database: the participant by link; one upsert; the progress count.
    assert writes == ["SELECT", "INSERT", "SELECT"]
