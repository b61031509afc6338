"""The stakeholder's sheet in Welsh (the rubric's translation, a draft until approved, the
English one tap away) and in easy read (beside the official wording), remembered per person."""

from __future__ import annotations

import pytest
from django.test import Client

from assessments.models import Participant
from assessments.rubric_texts import RubricTranslation
from tests.assessments.test_stakeholder import sheet_url

pytestmark = pytest.mark.django_db

WELSH_2_1 = "Cyfyngedig yw'r cydweithio ar draws ffiniau."
ENGLISH_2_1 = "Collaboration across boundaries is limited."
EASY_EN_2_1 = "Groups do not work much with each other."
EASY_CY_2_1 = "Dydy grwpiau ddim yn gweithio llawer gyda'i gilydd."


def _sheet(participant: Participant, **query: str) -> str:
    response = Client().get(sheet_url(participant.token), query, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_welsh_participant_sees_the_welsh_levels_marked_draft_with_the_english_one_tap_away(
    participant,
):
    Participant.objects.filter(pk=participant.pk).update(language="cy")
    html = _sheet(participant)
    assert '<html lang="cy"' in html
    assert "Cydweithio</legend>" in html
    label = html.split('for="d2-l1">', 1)[1].split("</label>", 1)[0]
    assert WELSH_2_1.replace("'", "&#x27;") in label and ENGLISH_2_1 not in label
    assert 'id="draft-translation"' in html
    details = html.split('<details class="official-english', 2)[2].split("</details>", 1)[0]
    assert ENGLISH_2_1 in details and 'lang="en-GB"' in details


def test_the_draft_label_goes_once_the_translation_is_approved(participant, admin_user_):
    Participant.objects.filter(pk=participant.pk).update(language="cy")
    assert 'id="draft-translation"' in _sheet(participant)
    RubricTranslation.objects.get(language="cy", kind="official").approve(by=admin_user_)
    html = _sheet(participant)
    assert 'id="draft-translation"' not in html
    assert 'class="official-english' in html and ENGLISH_2_1 in html


def test_an_approval_written_from_anywhere_shows_on_the_next_sheet(participant, admin_user_):
    """Set with update() (as another process's admin or a shell would, leaving this process's
    kept rendering alone): the key the rendering is kept under reads the approval afresh."""
    from django.utils import timezone

    Participant.objects.filter(pk=participant.pk).update(language="cy")
    assert 'id="draft-translation"' in _sheet(participant)
    RubricTranslation.objects.filter(language="cy", kind="official").update(
        approved_at=timezone.now(), approved_by=admin_user_
    )
    assert 'id="draft-translation"' not in _sheet(participant)
    RubricTranslation.objects.filter(language="cy", kind="official").update(approved_at=None)
    assert 'id="draft-translation"' in _sheet(participant)


def test_an_english_sheet_has_no_translation_parts(participant):
    html = _sheet(participant)
    label = html.split('for="d2-l1">', 1)[1].split("</label>", 1)[0]
    assert ENGLISH_2_1 in label
    assert "official-english" not in html and "draft-translation" not in html
    assert "Easy read" not in label


def test_easy_read_is_shown_beside_the_official_wording_and_remembered(participant):
    html = _sheet(participant, **{"easy-read": "on"})
    participant.refresh_from_db()
    assert participant.easy_read
    label = html.split('for="d2-l1">', 1)[1].split("</label>", 1)[0]
    assert '<span class="easy-read-label">Easy read</span> ' + EASY_EN_2_1 in label
    assert ENGLISH_2_1 in label
    # Another visit (another device) keeps it; the toggle turns it off again.
    assert EASY_EN_2_1 in _sheet(participant)
    assert "Hide easy read" in html
    html = _sheet(participant, **{"easy-read": "off"})
    assert EASY_EN_2_1 not in html and "Show easy read" in html


def test_welsh_easy_read_with_the_welsh_official_wording(participant):
    Participant.objects.filter(pk=participant.pk).update(language="cy", easy_read=True)
    html = _sheet(participant)
    label = html.split('for="d2-l1">', 1)[1].split("</label>", 1)[0]
    assert EASY_CY_2_1.replace("'", "&#x27;") in label
    assert WELSH_2_1.replace("'", "&#x27;") in label
    # The kept renderings are per language and easy-read choice: English plain stays plain.
    Participant.objects.filter(pk=participant.pk).update(language="en-gb", easy_read=False)
    assert EASY_CY_2_1.replace("'", "&#x27;") not in _sheet(participant)


def test_the_welsh_easy_read_sheet_is_valid_html(participant, tmp_path):
    from tests.test_html_valid import _errors, _vnu_command

    command = _vnu_command()
    Participant.objects.filter(pk=participant.pk).update(language="cy", easy_read=True)
    pages = {"welsh easy read": _sheet(participant)}
    Participant.objects.filter(pk=participant.pk).update(language="en-gb")
    pages["english easy read"] = _sheet(participant)
    assert _errors(command, pages, tmp_path) == []


def test_the_rubric_handout_page_in_welsh_with_easy_read(facilitator, facilitator_user, tmp_path):
    from django.urls import reverse

    from tests.test_html_valid import _errors, _vnu_command

    url = reverse("assessments:rubric_handout", kwargs={"fmt": "html"})
    english = facilitator.get(url).content.decode()
    assert ENGLISH_2_1 in english and "draft-translation" not in english
    assert "official-english" not in english
    facilitator_user.language = "cy"
    facilitator_user.save(update_fields=["language"])
    welsh = facilitator.get(url).content.decode()
    assert WELSH_2_1.replace("'", "&#x27;") in welsh and 'id="draft-translation"' in welsh
    details = welsh.split('<details class="official-english', 1)[1].split("</details>", 1)[0]
    assert ENGLISH_2_1 in details and "just getting started" in details
    easy = facilitator.get(url, {"easy-read": "on"}).content.decode()
    assert EASY_CY_2_1.replace("'", "&#x27;") in easy
    assert _errors(_vnu_command(), {"welsh handout, easy read": easy}, tmp_path) == []


def test_the_review_page_and_its_refusal_name_the_welsh_dimensions(participant):
    from django.urls import reverse

    Participant.objects.filter(pk=participant.pk).update(language="cy")
    client = Client()
    review = reverse("assessments:sheet_review", kwargs={"token": participant.token})
    html = client.get(review).content.decode()
    assert "2. Cydweithio" in html and "2. Collaboration" not in html
    submit = reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    refused = client.post(submit).content.decode()
    assert "2. Cydweithio" in refused and "Collaboration" not in refused
