"""Every form that can come back with errors starts its page with the error summary: "There is
a problem" and a link to each field in error (templates/base.html's error_summary block), the
page answers 4xx (or 200 where the page always did), and what was typed is kept."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Dimension
from communities.models import Organisation
from tests.factories import (
    AssessmentFactory,
    ConsensusScoreFactory,
    ParticipantFactory,
    PriorityActionFactory,
    StakeholderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r"<div[^>]*data-error-summary[^>]*>(.*?)</div>", re.S)


@dataclass
class Case:
    """One form: who posts what where, which fields the summary must link to, what must be
    kept on the page as typed."""

    url: str
    data: dict[str, Any]
    fields: list[str]
    kept: list[str] = field(default_factory=list)
    statuses: tuple[int, ...] = (400,)
    client: str = "facilitator"


def summary_of(html: str) -> str:
    found = SUMMARY.findall(html)
    assert len(found) == 1, f"expected one error summary, found {len(found)}"
    return found[0]


def check(case: Case, clients: dict[str, Client]) -> None:
    response = clients[case.client].post(case.url, case.data)
    assert response.status_code in case.statuses, (response.status_code, case.url)
    html = response.content.decode()
    summary = summary_of(html)
    assert "There is a problem" in summary
    links = re.findall(r'href="#([^"]+)"', summary)
    for name in case.fields:
        assert name in links, f"{case.url}: no link to #{name} in {links}"
        assert f'id="{name}"' in html, f"{case.url}: the link #{name} goes nowhere"
    for typed in case.kept:
        assert typed in unescape(html), f"{case.url}: lost what was typed: {typed!r}"


@pytest.fixture
def clients(facilitator, admin, anonymous) -> dict[str, Client]:  # type: ignore[no-untyped-def]
    return {"facilitator": facilitator, "admin": admin, "anonymous": anonymous}


# --- the community's own forms ---------------------------------------------------------------


def community_cases(community: Any) -> list[Case]:
    slug = community.slug
    org = Organisation.objects.create(community=community, name="Halton Housing", sector="vcs")
    person: Any = StakeholderFactory(community=community, organisation=org, name="Ann Partner")
    issue = community.current_focal_issue
    return [
        Case(
            reverse("communities:create"),
            {"name": "Newtown typed", "slug": slug, "nation": "england"},
            ["id_slug"],
            ['value="Newtown typed"'],
            client="admin",
        ),
        Case(
            reverse("communities:focal_issue_create", kwargs={"slug": slug}),
            {"title": "Housing first typed", "description": "Kept words", "started_on": "x"},
            ["id_started_on"],
            ['value="Housing first typed"', "Kept words"],
        ),
        Case(
            reverse("communities:focal_issue_edit", kwargs={"slug": slug, "code": issue.code}),
            {"title": "", "description": "Edited words typed", "started_on": "2024-01-01"},
            ["id_title"],
            ["Edited words typed"],
        ),
        Case(
            reverse("communities:organisation_create", kwargs={"slug": slug}),
            {"name": "New charity typed", "sector": "no-such-sector"},
            ["id_sector"],
            ['value="New charity typed"'],
        ),
        Case(
            reverse("communities:organisation_edit", kwargs={"slug": slug, "code": org.code}),
            {"name": "", "sector": "vcs"},
            ["id_name"],
        ),
        Case(
            reverse("communities:stakeholder_create", kwargs={"slug": slug}),
            {"name": "Bea typed", "email": "not-an-address", "sector": "vcs", "role": "Partner"},
            ["id_email"],
            ['value="Bea typed"', 'value="not-an-address"'],
        ),
        Case(
            reverse("communities:stakeholder_edit", kwargs={"slug": slug, "code": person.code}),
            {"name": "", "email": "ann@example.org", "sector": "vcs", "role": "Lead typed"},
            ["id_name"],
            ['value="Lead typed"'],
        ),
        Case(
            reverse("communities:import", kwargs={"slug": slug}),
            {},
            ["id_file"],
        ),
        Case(
            reverse("communities:membership_add", kwargs={"slug": slug}),
            {"user": "", "is_local_lead": "on"},
            ["id_user"],
            ["checked"],
            client="admin",
        ),
    ]


def test_the_community_forms_summarise_their_errors(clients, community):  # type: ignore[no-untyped-def]
    for case in community_cases(community):
        check(case, clients)


# --- accounts and signing in -----------------------------------------------------------------


def test_the_account_forms_summarise_their_errors(clients, facilitator_user):  # type: ignore[no-untyped-def]
    cases = [
        Case(
            reverse("accounts:invite"),
            {"email": "nia-typed@", "role": "facilitator"},
            ["id_email"],
            ['value="nia-typed@"'],
            client="admin",
        ),
        Case(
            reverse("accounts:user", kwargs={"username": facilitator_user.username}),
            {"role": "no-such-role"},
            ["id_role"],
            client="admin",
        ),
        Case(
            reverse("password_change"),
            {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
            ["id_old_password"],
        ),
        Case(
            reverse("password_reset"),
            {"email": "typed-not-an-address"},
            ["id_email"],
            ['value="typed-not-an-address"'],
            client="anonymous",
        ),
    ]
    for case in cases:
        if "role" in case.data and "email" not in case.data:
            # The role form posts to its own URL and shows the user's page.
            case.url = reverse("accounts:user_role", kwargs={"username": facilitator_user.username})
        check(case, clients)


def test_a_wrong_two_factor_code_at_set_up_summarises(facilitator):  # type: ignore[no-untyped-def]
    facilitator.get(reverse("accounts:two_factor_setup"))  # makes the device to confirm
    case = Case(reverse("accounts:two_factor_setup"), {"code": "123456"}, ["id_code"])
    check(case, {"facilitator": facilitator})


def test_a_wrong_second_step_code_summarises(settings):  # type: ignore[no-untyped-def]
    from communities.models import User
    from tests.communities.test_accounts_two_factor import log_in, set_up

    settings.SMM_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    set_up(log_in("ada"))
    case = Case(reverse("accounts:two_factor_verify"), {"code": "123456"}, ["id_code"])
    check(case, {"facilitator": log_in("ada")})  # the password only: the second step is due


def test_a_refused_login_says_so_first_and_keeps_the_username(facilitator_user):  # type: ignore[no-untyped-def]
    response = Client().post(reverse("login"), {"username": "fac-typed", "password": "wrong"})
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert "There is a problem" in summary_of(html)
    assert 'value="fac-typed"' in html


def test_an_invitation_with_a_bad_password_summarises_and_keeps_the_name(admin):  # type: ignore[no-untyped-def]
    admin.post(reverse("accounts:invite"), {"email": "nia@example.org", "role": "facilitator"})
    link = re.search(r"https?://\S+(/accounts/invitation/\S+/)", str(mail.outbox[-1].body))
    assert link
    case = Case(
        link.group(1),
        {
            "username": "nia-typed",
            "first_name": "Nia",
            "last_name": "Evans",
            "password1": "123",
            "password2": "124",
        },
        ["id_password2"],
        ['value="nia-typed"'],
        client="anonymous",
    )
    check(case, {"anonymous": Client()})


def test_a_new_password_that_does_not_match_summarises(facilitator_user):  # type: ignore[no-untyped-def]
    client = Client()
    client.post(reverse("password_reset"), {"email": facilitator_user.email})
    link = re.search(r"https?://\S+(/accounts/password/reset/\S+/)", str(mail.outbox[-1].body))
    assert link
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "a-Long-pass-42", "new_password2": "b"})
    assert response.status_code in (200, 400)
    summary = summary_of(response.content.decode())
    assert 'href="#id_new_password2"' in summary


# --- rounds, the workshop and priorities -----------------------------------------------------


@pytest.fixture
def workshop_round(community, facilitator_user):  # type: ignore[no-untyped-def]
    assessment = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        status=Assessment.Status.WORKSHOP,
        created_by=facilitator_user,
    )
    ParticipantFactory(assessment=assessment)
    return assessment


def test_the_round_forms_summarise_their_errors(clients, community, assessment):  # type: ignore[no-untyped-def]
    person: Any = ParticipantFactory(assessment=assessment)
    cases = [
        Case(
            reverse("assessments:round_create", kwargs={"slug": community.slug}),
            {"title": "Round typed", "kind": "baseline", "deadline": "not-a-date"},
            ["id_deadline"],
            ['value="Round typed"'],
        ),
        Case(
            reverse(
                "assessments:paper_sheet",
                kwargs={"code": assessment.code, "participant": person.code},
            ),
            {"level_1": "9", "reason_1": "Paper reason typed"},
            [],
            ["Paper reason typed"],
        ),
    ]
    for case in cases:
        check(case, clients)


def test_the_agreed_score_form_summarises_and_keeps_the_reason(facilitator, workshop_round):  # type: ignore[no-untyped-def]
    url = reverse("assessments:consensus_record", kwargs={"code": workshop_round.code, "number": 1})
    check(
        Case(url, {"reason": "Agreed reason typed", "version": "0"}, ["id_level"]),
        {"facilitator": facilitator},
    )
    html = facilitator.post(url, {"reason": "Agreed reason typed", "version": "0"}).content
    assert "Agreed reason typed" in html.decode()


def test_the_finalise_and_reopen_forms_summarise(facilitator, workshop_round):  # type: ignore[no-untyped-def]
    for dimension in Dimension.objects.filter(rubric=workshop_round.rubric):
        ConsensusScoreFactory(assessment=workshop_round, dimension=dimension)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    check(
        Case(
            reverse("assessments:finalise", kwargs={"code": workshop_round.code}),
            {"next_review_due": yesterday},
            ["id_next_review_due"],
            [f'value="{yesterday}"'],
        ),
        {"facilitator": facilitator},
    )
    workshop_round.status = Assessment.Status.FINALISED
    workshop_round.finalised_at = timezone.now()
    workshop_round.save()
    check(
        Case(
            reverse("assessments:reopen", kwargs={"code": workshop_round.code}),
            {"reason": ""},
            ["id_reason"],
        ),
        {"facilitator": facilitator},
    )


def test_a_next_step_with_a_bad_date_summarises_and_keeps_the_text(facilitator, workshop_round):  # type: ignore[no-untyped-def]
    dimension = Dimension.objects.get(rubric=workshop_round.rubric, number=3)
    score: Any = ConsensusScoreFactory(
        assessment=workshop_round, dimension=dimension, is_priority=True
    )
    add = Case(
        reverse(
            "assessments:priority_action_add", kwargs={"code": workshop_round.code, "number": 3}
        ),
        {f"d{score.pk}-action": "Next step typed", f"d{score.pk}-review_date": "soon"},
        [f"id_d{score.pk}-review_date"],
        ["Next step typed"],
    )
    check(add, {"facilitator": facilitator})
    action: Any = PriorityActionFactory(consensus=score)
    edit = Case(
        reverse(
            "assessments:priority_action_edit",
            kwargs={"code": workshop_round.code, "pk": action.pk},
        ),
        {"action": "Edited step typed", "review_date": "soon"},
        ["id_review_date"],
        ["Edited step typed"],
    )
    check(edit, {"facilitator": facilitator})


def test_a_token_without_a_name_summarises(evaluator):  # type: ignore[no-untyped-def]
    case = Case(reverse("insight:tokens"), {"name": ""}, ["id_name"], client="evaluator")
    check(case, {"evaluator": evaluator})


def test_a_page_without_errors_has_no_summary(facilitator, community):  # type: ignore[no-untyped-def]
    html = facilitator.get(
        reverse("communities:stakeholder_create", kwargs={"slug": community.slug})
    ).content.decode()
    assert "data-error-summary" not in html and "There is a problem" not in html
