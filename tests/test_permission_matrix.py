"""The permission matrix: every URL pattern of the project × every role × GET and POST.

`MATRIX` maps each pattern (as `tests.scenario.all_routes` names it) to how its URL is built
from the scenario and which status each role must get. A pattern without an entry fails
`test_every_url_pattern_has_a_matrix_entry`, so no page can be added without deciding who may
use it. The end of this module shows the matrix catching a deliberately unguarded view.

Roles: anonymous; stakeholder link of this round / of another round / a revoked link; the
facilitator of this community / of another; evaluator; admin. Account pages are reached by the
link roles as anonymous visitors (a link is not an account). On `/s/<token>/` pages the link
roles use their own tokens and every other role an unknown token.

POSTs carry no data: the matrix is about who gets in, the fuzz tests about what they send.
Each request runs in a rolled-back savepoint, so one role's POST never changes another's view.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.scenario import Route, Scenario, all_routes, build_scenario

LOGIN = "login"  # a redirect to the log-in page
ROLES = (
    "anonymous",
    "link_this",
    "link_other",
    "link_revoked",
    "facilitator",
    "other_facilitator",
    "evaluator",
    "admin",
)
LINK_ROLES = ("link_this", "link_other", "link_revoked")
ACCOUNT_ROLES = ("facilitator", "other_facilitator", "evaluator", "admin")

Status = int | str
Kwargs = Callable[[Scenario, str], dict[str, Any]]


@dataclass(frozen=True)
class Entry:
    kwargs: Kwargs
    get: dict[str, Status]
    post: dict[str, Status]
    query: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def account(
    *, fac: Status, other: Status, ev: Status, admin: Status, anon: Status = LOGIN
) -> dict[str, Status]:
    """Statuses for an account page; link holders are anonymous visitors there."""
    return {
        "anonymous": anon,
        **dict.fromkeys(LINK_ROLES, anon),
        "facilitator": fac,
        "other_facilitator": other,
        "evaluator": ev,
        "admin": admin,
    }


def everyone(status: Status) -> dict[str, Status]:
    return dict.fromkeys(ROLES, status)


def link(
    *, this: Status, other: Status, revoked: Status = 410, unknown: Status = 404
) -> dict[str, Status]:
    """Statuses for a personal-link page: account roles hold no link (unknown token)."""
    return {
        **dict.fromkeys(("anonymous", *ACCOUNT_ROLES), unknown),
        "link_this": this,
        "link_other": other,
        "link_revoked": revoked,
    }


def READ(ok: Status = 200) -> dict[str, Status]:
    """Readable by the community's facilitators, evaluators and admins."""
    return account(fac=ok, other=404, ev=ok, admin=ok)


def WRITE(ok: Status = 200) -> dict[str, Status]:
    """Only the community's facilitators and admins; evaluators 403, other facilitators 404."""
    return account(fac=ok, other=404, ev=403, admin=ok)


NO_POST = account(fac=405, other=405, ev=405, admin=405)
NO_GET = NO_POST
ANY_USER_GET = account(fac=200, other=200, ev=200, admin=200)
EVALUATORS_GET = account(fac=403, other=403, ev=200, admin=200)


def slug(s: Scenario, role: str) -> dict[str, Any]:
    return {"slug": s.community.slug}


def on(attr: str, **more: Any) -> Kwargs:
    """kwargs {"code": <scenario.attr>.code, ...}"""

    def build(s: Scenario, role: str) -> dict[str, Any]:
        return {"code": getattr(s, attr).code, **more}

    return build


def in_community(attr: str) -> Kwargs:
    def build(s: Scenario, role: str) -> dict[str, Any]:
        return {"slug": s.community.slug, "code": getattr(s, attr).code}

    return build


def token(s: Scenario, role: str) -> dict[str, Any]:
    return {"token": s.token_for(role)}


def room_token(s: Scenario, role: str) -> dict[str, Any]:
    return {"token": s.room_token if role == "link_this" else s.token_for(role)}


def nothing(s: Scenario, role: str) -> dict[str, Any]:
    return {}


def participant_of_collecting(s: Scenario, role: str) -> dict[str, Any]:
    return {"code": s.collecting.code, "participant": s.link_this.code}


def workshop_action(s: Scenario, role: str) -> dict[str, Any]:
    return {"code": s.workshop.code, "pk": s.action.pk}


def finalised_action(s: Scenario, role: str) -> dict[str, Any]:
    return {"code": s.finalised.code, "pk": s.finalised_action.pk}


def workshop_vote(s: Scenario, role: str) -> dict[str, Any]:
    """The first room vote on dimension 1 of the workshop round (made on first use)."""
    from assessments.models import RoomVote

    RoomVote.objects.get_or_create(
        assessment=s.workshop,
        dimension=s.workshop.rubric.dimensions.get(number=1),
        number=1,
    )
    return {"code": s.workshop.code, "number": 1, "vote": 1}


def OWN_JOB(ok: Status) -> dict[str, Status]:
    """A pack job: only the evaluator who started it; admins and facilitators get 404."""
    return account(fac=404, other=404, ev=ok, admin=404)


def evaluators_job(s: Scenario, role: str) -> dict[str, Any]:
    """A queued pack job of the scenario's evaluator (the download redirects to its page)."""
    from assessments.models import ReportJob
    from communities.models import User

    evaluator = User.objects.get(username="eval")
    job, _created = ReportJob.objects.get_or_create(
        requested_by=evaluator, filters_key="matrix", defaults={"filters": {}}
    )
    return {"code": job.code}


def ADMINS(ok: Status) -> dict[str, Status]:
    """Account management: admins only, everyone else signed in 403."""
    return account(fac=403, other=403, ev=403, admin=ok)


def COMMUNITY_ADMINS(ok: Status) -> dict[str, Status]:
    """A community's facilitators and archive: admins manage them; others who see the community
    get 403, other facilitators 404 (its existence stays hidden)."""
    return account(fac=403, other=404, ev=403, admin=ok)


def the_facilitator(s: Scenario, role: str) -> dict[str, Any]:
    return {"username": "fac"}


def facilitator_here(s: Scenario, role: str) -> dict[str, Any]:
    return {"slug": s.community.slug, "username": "fac"}


def pending_invitation(s: Scenario, role: str) -> dict[str, Any]:
    from communities.models import Invitation

    invitation, _created = Invitation.objects.get_or_create(
        token_hash="0" * 64,
        defaults={
            "email": "matrix@example.org",
            "role": "facilitator",
            "expires_at": timezone.now() + datetime.timedelta(days=7),
        },
    )
    return {"code": invitation.code}


def invitation_token(s: Scenario, role: str) -> dict[str, Any]:
    from communities.models import Invitation, hash_invitation_token

    token = "matrix-invitation-token"
    Invitation.objects.get_or_create(
        token_hash=hash_invitation_token(token),
        defaults={
            "email": "invited@example.org",
            "role": "facilitator",
            "expires_at": timezone.now() + datetime.timedelta(days=7),
        },
    )
    return {"token": token}


def evaluators_token(s: Scenario, role: str) -> dict[str, Any]:
    """An API token of the scenario's evaluator (only its owner may revoke it)."""
    from communities.models import User
    from insight.models import ApiToken

    evaluator = User.objects.get(username="eval")
    token = ApiToken.objects.filter(user=evaluator).first()
    if token is None:
        token, _secret = ApiToken.issue(user=evaluator, name="matrix")
    return {"code": token.code}


def API(ok: Status = 200) -> dict[str, Status]:
    """The JSON API by session (tokens: tests/insight): evaluators and admins; 401 without."""
    return account(fac=403, other=403, ev=ok, admin=ok, anon=401)


def community_code(s: Scenario, role: str) -> dict[str, Any]:
    return {"code": s.community.code}


MATRIX: dict[str, Entry] = {
    # --- site ----------------------------------------------------------------------------------
    "healthz": Entry(nothing, get=everyone(200), post=everyone(405)),
    "login": Entry(
        nothing,
        # Logged-in users are sent on to the dashboard.
        get=account(fac=302, other=302, ev=302, admin=302, anon=200),
        post=account(fac=302, other=302, ev=302, admin=302, anon=200),
    ),
    "logout": Entry(nothing, get=everyone(405), post=everyone(302)),
    # The language switcher (smm_site/i18n.py): a POST from any page, back to `next` (here "/").
    "set_language": Entry(nothing, get=everyone(405), post=everyone(302)),
    # --- accounts: Django's password views ------------------------------------------------------
    # A bad form is a 400 (every field missing here), a bad reset link a page that says so.
    "password_change": Entry(
        nothing, get=ANY_USER_GET, post=account(fac=400, other=400, ev=400, admin=400)
    ),
    "password_reset": Entry(nothing, get=everyone(200), post=everyone(400)),
    "password_reset_done": Entry(nothing, get=everyone(200), post=everyone(405)),
    "password_reset_confirm": Entry(
        lambda s, role: {"uidb64": "MQ", "token": "set-password"},
        get=everyone(200),
        post=everyone(200),
    ),
    "password_reset_complete": Entry(nothing, get=everyone(200), post=everyone(405)),
    # --- accounts: users and invitations (admins) ----------------------------------------------
    "accounts:users": Entry(nothing, get=ADMINS(200), post=NO_POST),
    "accounts:invite": Entry(nothing, get=ADMINS(200), post=ADMINS(200)),
    "accounts:activity": Entry(nothing, get=ADMINS(200), post=NO_POST),
    "accounts:user": Entry(the_facilitator, get=ADMINS(200), post=NO_POST),
    "accounts:user_role": Entry(the_facilitator, get=NO_GET, post=ADMINS(400)),
    "accounts:user_deactivate": Entry(the_facilitator, get=NO_GET, post=ADMINS(302)),
    "accounts:user_reactivate": Entry(the_facilitator, get=NO_GET, post=ADMINS(302)),
    "accounts:user_two_factor_reset": Entry(the_facilitator, get=NO_GET, post=ADMINS(302)),
    "accounts:invitation_revoke": Entry(pending_invitation, get=NO_GET, post=ADMINS(302)),
    # The invitation link is for someone without an account: signed in, they are asked to
    # log out first (409).
    "accounts:invitation": Entry(
        invitation_token,
        get=account(fac=409, other=409, ev=409, admin=409, anon=200),
        post=account(fac=409, other=409, ev=409, admin=409, anon=200),
    ),
    # --- accounts: one's own ---------------------------------------------------------------------
    "accounts:security": Entry(nothing, get=ANY_USER_GET, post=NO_POST),
    "accounts:sign_out_everywhere": Entry(
        nothing, get=NO_GET, post=account(fac=302, other=302, ev=302, admin=302)
    ),
    "accounts:two_factor_setup": Entry(nothing, get=ANY_USER_GET, post=ANY_USER_GET),
    # Nobody here has a device, so the second step sends them straight on.
    "accounts:two_factor_verify": Entry(
        nothing,
        get=account(fac=302, other=302, ev=302, admin=302),
        post=account(fac=302, other=302, ev=302, admin=302),
    ),
    "accounts:recovery_codes": Entry(
        nothing, get=NO_GET, post=account(fac=302, other=302, ev=302, admin=302)
    ),
    "accounts:two_factor_remove": Entry(
        nothing, get=NO_GET, post=account(fac=302, other=302, ev=302, admin=302)
    ),
    # --- communities ---------------------------------------------------------------------------
    # Not limited to GET: a POST simply shows the dashboard again (harmless, nothing written).
    "communities:dashboard": Entry(nothing, get=ANY_USER_GET, post=ANY_USER_GET),
    "communities:detail": Entry(slug, get=READ(), post=NO_POST),
    "communities:create": Entry(nothing, get=ADMINS(200), post=ADMINS(200)),
    "communities:archive": Entry(slug, get=NO_GET, post=COMMUNITY_ADMINS(302)),
    "communities:unarchive": Entry(slug, get=NO_GET, post=COMMUNITY_ADMINS(302)),
    "communities:membership_add": Entry(
        slug, get=COMMUNITY_ADMINS(200), post=COMMUNITY_ADMINS(200)
    ),
    "communities:membership_lead": Entry(facilitator_here, get=NO_GET, post=COMMUNITY_ADMINS(302)),
    "communities:membership_remove": Entry(
        facilitator_here, get=NO_GET, post=COMMUNITY_ADMINS(302)
    ),
    # These forms bind `request.POST or None`: a POST with no fields at all (which no browser
    # sends) shows the blank form again with 200; a POST with bad fields is a 400 (fuzz tests).
    "communities:focal_issue_create": Entry(slug, get=WRITE(), post=WRITE(200)),
    "communities:focal_issue_edit": Entry(
        in_community("focal_issue"), get=WRITE(), post=WRITE(200)
    ),
    "communities:organisation_create": Entry(slug, get=WRITE(), post=WRITE(200)),
    "communities:organisation_edit": Entry(
        in_community("organisation"), get=WRITE(), post=WRITE(200)
    ),
    # Removing an organisation deletes it, or deactivates it if it took part in a round.
    "communities:organisation_delete": Entry(
        in_community("organisation"), get=WRITE(), post=WRITE(302)
    ),
    "communities:stakeholder_create": Entry(slug, get=WRITE(), post=WRITE(200)),
    "communities:stakeholder_edit": Entry(
        in_community("stakeholder"), get=WRITE(), post=WRITE(200)
    ),
    "communities:stakeholder_delete": Entry(
        in_community("stakeholder"), get=WRITE(), post=WRITE(302)
    ),
    "communities:import": Entry(slug, get=WRITE(), post=WRITE(400)),
    "communities:import_confirm": Entry(slug, get=NO_GET, post=WRITE(400)),
    # Names and emails: evaluators see a network as counts only, so it is refused them as a
    # write would be.
    "communities:export_csv": Entry(slug, get=WRITE(), post=NO_POST),
    # --- rounds --------------------------------------------------------------------------------
    "assessments:round_create": Entry(slug, get=WRITE(), post=WRITE(400)),
    "assessments:round": Entry(on("collecting"), get=READ(), post=NO_POST),
    # An empty POST names no status to move to: the round page again with the problem, 400.
    "assessments:round_status": Entry(on("collecting"), get=NO_GET, post=WRITE(400)),
    # The round page's progress line (counts only), polled while collecting.
    "assessments:round_progress": Entry(on("collecting"), get=READ(), post=NO_POST),
    "assessments:participants_add": Entry(on("collecting"), get=WRITE(), post=WRITE(400)),
    "assessments:round_invite": Entry(on("collecting"), get=NO_GET, post=WRITE(303)),
    "assessments:round_remind": Entry(on("collecting"), get=NO_GET, post=WRITE(303)),
    # The same link every time it is shown; a POST marks the person invited ("I have sent it").
    "assessments:participant_link": Entry(participant_of_collecting, get=WRITE(), post=WRITE(303)),
    # A confirmation page naming who is cut off, then the POST that revokes.
    "assessments:participant_link_revoke": Entry(
        participant_of_collecting, get=WRITE(), post=WRITE(303)
    ),
    # Slips carry personal links: the community's facilitators only, never evaluators.
    "assessments:round_slips": Entry(on("collecting"), get=WRITE(), post=NO_POST),
    "assessments:paper_sheet": Entry(participant_of_collecting, get=WRITE(), post=WRITE(400)),
    # --- the stakeholder's own sheet -----------------------------------------------------------
    "assessments:sheet": Entry(token, get=link(this=200, other=200), post=everyone(405)),
    "assessments:sheet_save": Entry(token, get=everyone(405), post=link(this=400, other=400)),
    "assessments:sheet_review": Entry(token, get=link(this=200, other=200), post=everyone(405)),
    # Nothing answered yet, so submitting is refused with the list of what is missing.
    "assessments:sheet_submit": Entry(token, get=everyone(405), post=link(this=400, other=400)),
    "assessments:my_sheet_pdf": Entry(token, get=link(this=200, other=200), post=everyone(405)),
    # --- workshop ------------------------------------------------------------------------------
    "assessments:analysis": Entry(on("workshop"), get=WRITE(), post=NO_POST),
    "assessments:presenter[code]": Entry(on("workshop"), get=WRITE(302), post=NO_POST),
    "assessments:presenter[code,number]": Entry(
        on("workshop", number=1), get=WRITE(), post=NO_POST
    ),
    "assessments:presenter_move": Entry(on("workshop"), get=NO_GET, post=WRITE(400)),
    "assessments:presenter_reveal": Entry(on("workshop", number=1), get=NO_GET, post=WRITE(302)),
    "assessments:consensus_record": Entry(on("workshop", number=1), get=NO_GET, post=WRITE(400)),
    # The room link as a QR code; a POST makes a new one and comes back to the page.
    "assessments:room_link": Entry(on("workshop"), get=WRITE(), post=WRITE(302)),
    "assessments:follow": Entry(token, get=link(this=200, other=200), post=everyone(405)),
    # The room link is the only token the room page knows; personal links are not room links.
    "assessments:room": Entry(
        room_token, get=link(this=200, other=404, revoked=404), post=everyone(405)
    ),
    # The room vote: the presenter's actions, then a phone's tap (no choice posted: 400).
    # The panel answers htmx polls; a plain GET goes back to the presenter page.
    "assessments:vote_panel": Entry(on("workshop", number=1), get=WRITE(302), post=NO_POST),
    "assessments:vote_open": Entry(on("workshop", number=1), get=NO_GET, post=WRITE(302)),
    "assessments:vote_close": Entry(workshop_vote, get=NO_GET, post=WRITE(302)),
    "assessments:vote_reveal": Entry(workshop_vote, get=NO_GET, post=WRITE(302)),
    "assessments:follow_vote": Entry(token, get=everyone(405), post=link(this=400, other=400)),
    "assessments:room_vote": Entry(
        room_token, get=everyone(405), post=link(this=400, other=404, revoked=404)
    ),
    "assessments:priorities": Entry(on("workshop"), get=WRITE(), post=WRITE(302)),
    "assessments:priority_action_add": Entry(on("workshop", number=3), get=NO_GET, post=WRITE(400)),
    "assessments:priority_action_edit": Entry(workshop_action, get=WRITE(), post=WRITE(400)),
    "assessments:priority_action_delete": Entry(workshop_action, get=NO_GET, post=WRITE(302)),
    # Priorities followed through (assessments/views/actions.py): a target is set in the
    # workshop; a finalised round's actions stay editable between rounds (status, notes).
    "assessments:target_save": Entry(on("workshop", number=3), get=NO_GET, post=WRITE(400)),
    "assessments:action_detail": Entry(finalised_action, get=WRITE(), post=WRITE(400)),
    "assessments:action_note_add": Entry(finalised_action, get=NO_GET, post=WRITE(400)),
    # Evaluators read a community's open actions (finalised rounds, no forms).
    "assessments:community_actions": Entry(slug, get=READ(), post=NO_POST),
    "assessments:finalise": Entry(on("workshop"), get=WRITE(), post=WRITE(400)),
    "assessments:reopen": Entry(on("finalised"), get=WRITE(), post=WRITE(400)),
    # --- reports -------------------------------------------------------------------------------
    "assessments:report": Entry(on("finalised"), get=READ(), post=NO_POST),
    "assessments:report_pdf": Entry(on("finalised"), get=READ(), post=NO_POST),
    "assessments:agreed_sheet": Entry(on("finalised", fmt="html"), get=READ(), post=NO_POST),
    # The cross-community overview is the evaluator's (and admin's) page.
    "assessments:overview": Entry(nothing, get=EVALUATORS_GET, post=NO_POST),
    # The evaluator pack job: started by evaluators (and admins) from the overview; a job is
    # seen only by the user who started it (here the evaluator), everybody else gets 404.
    "assessments:pack_start": Entry(
        nothing, get=NO_GET, post=account(fac=403, other=403, ev=302, admin=302)
    ),
    "assessments:pack_job": Entry(evaluators_job, get=OWN_JOB(200), post=NO_POST),
    "assessments:pack_download": Entry(evaluators_job, get=OWN_JOB(302), post=NO_POST),
    "assessments:export_csv": Entry(nothing, get=ANY_USER_GET, post=NO_POST),
    "assessments:export_xlsx": Entry(nothing, get=ANY_USER_GET, post=NO_POST),
    "assessments:export_counts_csv": Entry(nothing, get=ANY_USER_GET, post=NO_POST),
    "assessments:blank_sheet": Entry(
        lambda s, role: {"fmt": "html"}, get=ANY_USER_GET, post=NO_POST
    ),
    "assessments:rubric_handout": Entry(
        lambda s, role: {"fmt": "html"}, get=ANY_USER_GET, post=NO_POST
    ),
    # --- audit and data protection -------------------------------------------------------------
    # Not limited to GET: a POST shows the same read-only page (nothing is written).
    "assessments:audit": Entry(on("finalised"), get=WRITE(), post=WRITE()),
    "assessments:stakeholder_data_export": Entry(on("stakeholder"), get=WRITE(), post=WRITE(200)),
    "assessments:stakeholder_erase": Entry(on("stakeholder"), get=WRITE(), post=WRITE(400)),
    # --- insight: synthesis, representation, open data, the API and its tokens ---------------
    "insight:synthesis": Entry(nothing, get=EVALUATORS_GET, post=NO_POST),
    "insight:representation": Entry(nothing, get=EVALUATORS_GET, post=NO_POST),
    "insight:datapackage": Entry(nothing, get=EVALUATORS_GET, post=NO_POST),
    # A POST without a name is the form again with its error.
    "insight:tokens": Entry(
        nothing, get=EVALUATORS_GET, post=account(fac=403, other=403, ev=400, admin=400)
    ),
    # Only the token's owner (the evaluator) may revoke it; anyone else's is not found.
    "insight:token_revoke": Entry(
        evaluators_token, get=NO_GET, post=account(fac=403, other=403, ev=302, admin=404)
    ),
    # The schema and its docs page describe the API and hold no data: open to everyone.
    "api-v1:openapi-json": Entry(nothing, get=everyone(200), post=everyone(405)),
    "api-v1:openapi-view": Entry(nothing, get=everyone(200), post=everyone(405)),
    "api-v1:api-root": Entry(nothing, get=everyone(404), post=everyone(404)),
    "api-v1:communities": Entry(nothing, get=API(), post=everyone(405)),
    "api-v1:community": Entry(community_code, get=API(), post=everyone(405)),
    "api-v1:rounds": Entry(nothing, get=API(), post=everyone(405)),
    "api-v1:round_detail": Entry(on("finalised"), get=API(), post=everyone(405)),
    "api-v1:round_level_counts": Entry(on("finalised"), get=API(), post=everyone(405)),
    "api-v1:agreed_levels": Entry(nothing, get=API(), post=everyone(405)),
    "api-v1:level_counts": Entry(nothing, get=API(), post=everyone(405)),
}


# --- the checker -------------------------------------------------------------------------------


def missing_entries(routes: list[Route], matrix: dict[str, Entry]) -> list[str]:
    return [f"{r.key} ({r.route})" for r in routes if r.key not in matrix]


def url_for(route: Route, entry: Entry, scenario: Scenario, role: str) -> str:
    url = reverse(route.name, kwargs=entry.kwargs(scenario, role) or None)
    return f"{url}?{entry.query}" if entry.query else url


def request_as(client: Client, method: str, url: str) -> HttpResponse:
    """One request in a savepoint that is rolled back afterwards."""
    cache.clear()  # rate-limit counters
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    return response


def _matches(response: HttpResponse, expected: Status) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return response.status_code == expected


def _shown(response: HttpResponse) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} → {response['Location']}"
    return str(response.status_code)


def _template_syntax_shown(response) -> bool:  # type: ignore[no-untyped-def]
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    html = b"".join(response.streaming_content) if response.streaming else response.content
    return b"{#" in html or b"{%" in html


def check_route(
    route: Route, entry: Entry, scenario: Scenario, clients: dict[str, Client]
) -> list[str]:
    """Every role × method that does not get its expected status, as readable lines."""
    mismatches = []
    for method, expectations in (("GET", entry.get), ("POST", entry.post)):
        for role in ROLES:
            expected = expectations[role]
            url = url_for(route, entry, scenario, role)
            response = request_as(clients[role], method, url)
            if not _matches(response, expected):
                mismatches.append(
                    f"{method} {url} [{route.key}] as {role}: "
                    f"expected {expected}, got {_shown(response)}"
                )
            elif _template_syntax_shown(response):
                # A template comment or tag printed as text (a {# #} over two lines, say).
                mismatches.append(f"{method} {url} [{route.key}] as {role}: shows {{# or {{%")
    return mismatches


# --- fixtures and tests ------------------------------------------------------------------------


@pytest.fixture
def scenario(community, other_community) -> Scenario:  # type: ignore[no-untyped-def]
    return build_scenario(community, other_community)


@pytest.fixture
def clients(facilitator, other_facilitator, evaluator, admin) -> dict[str, Client]:  # type: ignore[no-untyped-def]
    clients = {
        "anonymous": Client(),
        "link_this": Client(),
        "link_other": Client(),
        "link_revoked": Client(),
        "facilitator": facilitator,
        "other_facilitator": other_facilitator,
        "evaluator": evaluator,
        "admin": admin,
    }
    for client in clients.values():
        client.raise_request_exception = False
    return clients


ROUTES = all_routes()


def test_every_url_pattern_has_a_matrix_entry():
    missing = missing_entries(ROUTES, MATRIX)
    assert not missing, "URL patterns without a permission-matrix entry: " + ", ".join(missing)


def test_no_matrix_entry_is_stale():
    keys = {r.key for r in ROUTES}
    stale = sorted(set(MATRIX) - keys)
    assert not stale, f"MATRIX entries for URL patterns that no longer exist: {stale}"


def test_every_entry_names_every_role():
    for key, entry in MATRIX.items():
        for method, expectations in (("GET", entry.get), ("POST", entry.post)):
            assert set(expectations) == set(ROLES), f"{key} {method}"


def test_the_walk_covers_the_site_and_skips_admin():
    keys = {r.key for r in ROUTES}
    assert {"healthz", "login", "logout", "communities:dashboard", "assessments:sheet"} <= keys
    assert not any(r.route.startswith("admin/") for r in ROUTES)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.key in MATRIX], ids=lambda r: r.key)
def test_permission_matrix(route: Route, scenario, clients):  # type: ignore[no-untyped-def]
    mismatches = check_route(route, MATRIX[route.key], scenario, clients)
    assert not mismatches, "\n".join(mismatches)


# --- the matrix catches an unguarded view ------------------------------------------------------


def test_an_unguarded_view_has_no_entry_and_fails_the_matrix(settings, scenario, clients):  # type: ignore[no-untyped-def]
    """tests/matrix_urls.py adds a view that shows a round to anyone. The matrix must notice:
    first because it has no entry, then because its statuses are not the ones a round page
    must have."""
    settings.ROOT_URLCONF = "tests.matrix_urls"
    routes = all_routes("tests.matrix_urls")
    missing = missing_entries(routes, MATRIX)
    assert missing == ["matrix_unguarded (matrix-test/rounds/<uuid:code>/)"]

    (route,) = [r for r in routes if r.key == "matrix_unguarded"]
    # What a round page must answer (the same as the real round page).
    entry = Entry(on("collecting"), get=READ(), post=NO_POST)
    mismatches = check_route(route, entry, scenario, clients)
    failed = {line.split(" as ")[1].split(":")[0] for line in mismatches if line.startswith("GET")}
    assert {"anonymous", "link_this", "other_facilitator"} <= failed
    assert any("as anonymous: expected login, got 200" in line for line in mismatches)
