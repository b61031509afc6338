"""Staff accounts: invitations, the users page, deactivation, password reset and change, signing
out everywhere, memberships and communities; every change audited."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import AuditEvent
from communities import accounts
from communities.accounts import AccountVerb
from communities.models import Community, Invitation, Membership, User, hash_invitation_token
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
NEW_PASSWORD = "a-Long-new-passphrase-42"


def log_in(username: str, password: str = PASSWORD, ip: str = "10.0.0.9") -> Client:
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    assert response.status_code == 302, response.content
    return client


def signed_in(client: Client) -> bool:
    response = client.get(reverse("communities:dashboard"))
    return response.status_code == 200


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb))


def invite(admin: Client, **data: object) -> str:
    """Send an invitation as `admin`; the link from the email."""
    response = admin.post(reverse("accounts:invite"), data)
    assert response.status_code == 302, response.content.decode()
    match = re.search(r"https?://\S+/accounts/invitation/(\S+)/", mail.outbox[-1].body)
    assert match
    return match.group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- invitations ---------------------------------------------------------------------------------


def test_an_admin_invites_and_the_link_opens_an_account_with_role_and_communities(
    admin, community, other_community
):  # type: ignore[no-untyped-def]
    link = invite(
        admin,
        email="nia@example.org",
        role="facilitator",
        communities=[community.slug, other_community.slug],
    )
    (message,) = mail.outbox
    assert message.to == ["nia@example.org"]
    assert "Halton" in message.body and "7 days" in message.body
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_invitation_token(token)
    assert token not in str(Invitation.objects.values().get())  # only the hash is stored
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)

    visitor = Client()
    page = visitor.get(path_of(link))
    assert page.status_code == 200
    assert "nia@example.org" in page.content.decode()
    response = visitor.post(
        path_of(link),
        {
            "username": "nia",
            "first_name": "Nia",
            "last_name": "Evans",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="nia")
    assert user.email == "nia@example.org" and user.role == User.Role.FACILITATOR
    assert not user.is_superuser
    assert user.check_password(NEW_PASSWORD)
    assert set(Membership.objects.filter(user=user).values_list("community__slug", flat=True)) == {
        "halton",
        "bolsover",
    }
    assert signed_in(visitor)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.user == user
    assert [e.detail["email"] for e in events(AccountVerb.INVITED)] == ["nia@example.org"]
    (accepted,) = events(AccountVerb.INVITATION_ACCEPTED)
    assert accepted.detail["user"] == "nia"


@pytest.mark.parametrize(
    ("role", "superuser", "stored_role"),
    [("admin", True, User.Role.FACILITATOR), ("evaluator", False, User.Role.EVALUATOR)],
)
def test_the_invited_role_is_the_accounts_role(admin, role, superuser, stored_role):  # type: ignore[no-untyped-def]
    link = invite(admin, email="x@example.org", role=role)
    Client().post(
        path_of(link),
        {
            "username": "x",
            "first_name": "X",
            "last_name": "Y",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    user = User.objects.get(username="x")
    assert user.is_superuser is superuser and user.is_staff is superuser
    assert user.role == stored_role


def _accept(link: str, username: str = "nia") -> object:
    return Client().post(
        path_of(link),
        {
            "username": username,
            "first_name": "Nia",
            "last_name": "Evans",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


def test_a_used_invitation_is_refused_with_a_clear_page(admin):  # type: ignore[no-untyped-def]
    link = invite(admin, email="nia@example.org", role="facilitator")
    _accept(link)
    for response in (Client().get(path_of(link)), _accept(link, username="nia2")):
        assert response.status_code == 410  # type: ignore[attr-defined]
        assert "already been used" in response.content.decode()  # type: ignore[attr-defined]
    assert User.objects.filter(email="nia@example.org").count() == 1


def test_an_expired_invitation_is_refused(admin):  # type: ignore[no-untyped-def]
    link = invite(admin, email="nia@example.org", role="facilitator")
    Invitation.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=8),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    response = _accept(link)
    assert response.status_code == 410  # type: ignore[attr-defined]
    assert "expired" in response.content.decode()  # type: ignore[attr-defined]
    assert not User.objects.filter(username="nia").exists()


def test_a_new_invitation_replaces_the_pending_one_and_withdrawn_links_are_refused(admin):  # type: ignore[no-untyped-def]
    first = invite(admin, email="nia@example.org", role="facilitator")
    second = invite(admin, email="NIA@example.org", role="evaluator")
    assert Client().get(path_of(first)).status_code == 410
    assert Client().get(path_of(second)).status_code == 200
    admin.post(
        reverse(
            "accounts:invitation_revoke", kwargs={"code": Invitation.objects.pending().get().code}
        )
    )
    assert Client().get(path_of(second)).status_code == 410
    assert len(events(AccountVerb.INVITATION_REVOKED)) == 1


def test_an_unknown_invitation_is_404(anonymous):  # type: ignore[no-untyped-def]
    response = anonymous.get(reverse("accounts:invitation", kwargs={"token": "nope"}))
    assert response.status_code == 404
    assert "could not find this invitation" in response.content.decode()


def test_a_bad_password_is_a_400_that_keeps_what_was_typed(admin):  # type: ignore[no-untyped-def]
    link = invite(admin, email="nia@example.org", role="facilitator")
    response = Client().post(
        path_of(link),
        {
            "username": "nia-typed",
            "first_name": "Nia",
            "last_name": "Evans",
            "password1": "123",
            "password2": "124",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="nia-typed"' in html and "t match" in html
    assert not User.objects.filter(username="nia-typed").exists()


def test_inviting_an_existing_address_is_refused_with_a_message(admin, facilitator_user):  # type: ignore[no-untyped-def]
    response = admin.post(
        reverse("accounts:invite"), {"email": facilitator_user.email.upper(), "role": "facilitator"}
    )
    assert response.status_code == 400
    assert "already an account" in response.content.decode()
    assert not mail.outbox


def test_only_admins_invite(facilitator, evaluator):  # type: ignore[no-untyped-def]
    for client in (facilitator, evaluator):
        response = client.post(
            reverse("accounts:invite"), {"email": "a@example.org", "role": "admin"}
        )
        assert response.status_code == 403
    assert not Invitation.objects.exists()


# --- the users page, deactivation, roles ---------------------------------------------------------


def test_the_users_page_shows_role_last_login_and_state(admin, facilitator_user, evaluator_user):  # type: ignore[no-untyped-def]
    facilitator_user.last_login = timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 30))
    facilitator_user.save()
    html = admin.get(reverse("accounts:users")).content.decode()
    assert "fac" in html and "Evaluator" in html and "Admin" in html
    assert "4 Mar 2026 09:30" in html and "never" in html


def test_the_users_page_queries_do_not_grow_with_users(admin, community):  # type: ignore[no-untyped-def]
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert admin.get(reverse("accounts:users")).status_code == 200
        return len(queries)

    for _n in range(3):
        MembershipFactory(user=UserFactory(), community=community)
    few = count()
    for _n in range(20):
        MembershipFactory(user=UserFactory(), community=CommunityFactory())
    assert count() == few


def test_deactivating_ends_the_users_sessions_and_reactivating_lets_them_in(admin):  # type: ignore[no-untyped-def]
    person = UserFactory(username="leaver")
    theirs = log_in("leaver")
    assert signed_in(theirs)
    response = admin.post(reverse("accounts:user_deactivate", kwargs={"username": "leaver"}))
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert not signed_in(theirs)
    assert (
        Client().post(reverse("login"), {"username": "leaver", "password": PASSWORD}).status_code
        == 200
    )

    admin.post(reverse("accounts:user_reactivate", kwargs={"username": "leaver"}))
    assert not signed_in(theirs)  # the old session stays ended
    assert signed_in(log_in("leaver"))
    assert [e.detail["user"] for e in events(AccountVerb.DEACTIVATED)] == ["leaver"]
    assert len(events(AccountVerb.REACTIVATED)) == 1


def test_an_admin_cannot_deactivate_themselves(admin, admin_user_):  # type: ignore[no-untyped-def]
    response = admin.post(
        reverse("accounts:user_deactivate", kwargs={"username": admin_user_.username})
    )
    assert response.status_code == 400
    assert "your own account" in response.content.decode()
    admin_user_.refresh_from_db()
    assert admin_user_.is_active


def test_roles_change_on_the_user_page_but_the_last_admin_stays(
    admin, admin_user_, facilitator_user
):  # type: ignore[no-untyped-def]
    admin.post(reverse("accounts:user_role", kwargs={"username": "fac"}), {"role": "evaluator"})
    facilitator_user.refresh_from_db()
    assert facilitator_user.role == User.Role.EVALUATOR
    response = admin.post(
        reverse("accounts:user_role", kwargs={"username": admin_user_.username}),
        {"role": "facilitator"},
    )
    assert response.status_code == 400
    assert "last active admin" in response.content.decode()
    assert len(events(AccountVerb.ROLE_CHANGED)) == 1


# --- password reset and change -------------------------------------------------------------------


def _reset(client: Client, email: str, ip: str = "10.1.1.1") -> object:
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_a_reset_sends_a_single_use_link_that_sets_the_password(facilitator_user):  # type: ignore[no-untyped-def]
    client = Client()
    response = _reset(client, "FAC@example.org")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == reverse("password_reset_done")  # type: ignore[index]
    (message,) = mail.outbox
    assert message.to == ["fac@example.org"]
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", message.body)
    assert link
    page = client.get(path_of(link.group(0)), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    facilitator_user.refresh_from_db()
    assert facilitator_user.check_password(NEW_PASSWORD)
    again = client.get(path_of(link.group(0)), follow=True)
    assert "cannot be used" in again.content.decode()
    assert len(events(AccountVerb.PASSWORD_RESET_REQUESTED)) == 1
    assert [e.detail["user"] for e in events(AccountVerb.PASSWORD_RESET_DONE)] == ["fac"]


def test_the_reset_link_is_on_the_public_address_whatever_the_host_header(
    settings, facilitator_user
):  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://smm.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    Client().post(reverse("password_reset"), {"email": "fac@example.org"}, HTTP_HOST="evil.example")
    assert "https://smm.example.org/accounts/password/reset/" in mail.outbox[0].body
    assert "evil.example" not in mail.outbox[0].body


def test_a_reset_for_an_unknown_address_gives_the_same_answer(facilitator_user):  # type: ignore[no-untyped-def]
    known = _reset(Client(), "fac@example.org")
    unknown = _reset(Client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 302  # type: ignore[attr-defined]
    assert known["Location"] == unknown["Location"]  # type: ignore[index]
    assert len(mail.outbox) == 1
    page = Client().get(unknown["Location"]).content.decode()  # type: ignore[index]
    assert "If an account has this address" in page


def test_resets_are_limited_per_address_and_per_account(settings, facilitator_user):  # type: ignore[no-untyped-def]
    settings.SMM_PASSWORD_RESETS_PER_HOUR = 5
    client = Client()
    for _n in range(5):
        assert _reset(client, "fac@example.org").status_code == 302  # type: ignore[attr-defined]
    assert len(mail.outbox) == 3  # the account's own limit: the same answer, nothing sent
    limited = _reset(client, "fac@example.org")
    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert "Too many reset requests" in limited.content.decode()  # type: ignore[attr-defined]
    # Another address (another client) is not held back by this one.
    assert _reset(Client(), "x@example.org", ip="10.2.2.2").status_code == 302  # type: ignore[attr-defined]


def test_a_bad_reset_form_is_a_400(anonymous):  # type: ignore[no-untyped-def]
    response = anonymous.post(reverse("password_reset"), {"email": "not an email"})
    assert response.status_code == 400
    assert 'value="not an email"' in response.content.decode()


def test_changing_the_password_ends_the_other_sessions_only(facilitator_user):  # type: ignore[no-untyped-def]
    here, elsewhere = log_in("fac"), log_in("fac")
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)
    assert len(events(AccountVerb.PASSWORD_CHANGED)) == 1


def test_a_wrong_old_password_is_a_400(facilitator):  # type: ignore[no-untyped-def]
    response = facilitator.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert not events(AccountVerb.PASSWORD_CHANGED)


def test_sign_out_everywhere_keeps_this_session(facilitator_user):  # type: ignore[no-untyped-def]
    here, elsewhere = log_in("fac"), log_in("fac")
    response = here.post(reverse("accounts:sign_out_everywhere"))
    assert response.status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)
    assert signed_in(log_in("fac"))  # the password still works
    assert len(events(AccountVerb.SIGNED_OUT_EVERYWHERE)) == 1


def test_sessions_of_users_who_never_signed_out_everywhere_hash_as_djangos(facilitator_user):  # type: ignore[no-untyped-def]
    from django.contrib.auth.base_user import AbstractBaseUser

    assert facilitator_user.session_salt == ""
    assert facilitator_user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(
        facilitator_user
    )


# --- memberships and communities -----------------------------------------------------------------


def test_an_admin_manages_facilitators_from_the_community_page(admin, community, facilitator_user):  # type: ignore[no-untyped-def]
    newcomer = UserFactory(username="newcomer", first_name="New", last_name="Comer")
    page = admin.get(reverse("communities:membership_add", kwargs={"slug": "halton"}))
    assert "New Comer (newcomer)" in page.content.decode()
    assert "fac" not in re.findall(r"\((\w+)\)</option>", page.content.decode())
    admin.post(
        reverse("communities:membership_add", kwargs={"slug": "halton"}),
        {"user": newcomer.pk, "is_local_lead": "on"},
    )
    membership = Membership.objects.get(user=newcomer, community=community)
    assert membership.is_local_lead
    detail = admin.get(community.get_absolute_url()).content.decode()
    assert "newcomer" in detail and "Facilitators" in detail
    admin.post(
        reverse("communities:membership_lead", kwargs={"slug": "halton", "username": "newcomer"}),
        {"is_local_lead": "0"},
    )
    membership.refresh_from_db()
    assert not membership.is_local_lead
    admin.post(
        reverse("communities:membership_remove", kwargs={"slug": "halton", "username": "newcomer"})
    )
    assert not Membership.objects.filter(user=newcomer).exists()
    assert [
        len(events(v)) for v in ("membership-added", "membership-changed", "membership-removed")
    ] == [1, 1, 1]
    assert events(AccountVerb.MEMBERSHIP_ADDED)[0].community == community


def test_facilitators_see_who_facilitates_but_do_not_manage(facilitator, evaluator, community):  # type: ignore[no-untyped-def]
    html = facilitator.get(community.get_absolute_url()).content.decode()
    assert 'id="facilitators"' in html and "Add a facilitator" not in html
    assert 'id="facilitators"' not in evaluator.get(community.get_absolute_url()).content.decode()
    response = facilitator.post(
        reverse("communities:membership_remove", kwargs={"slug": "halton", "username": "fac"})
    )
    assert response.status_code == 403
    assert Membership.objects.filter(user__username="fac").exists()


def test_a_missing_person_is_a_400_that_keeps_the_lead_box(admin, community):  # type: ignore[no-untyped-def]
    response = admin.post(
        reverse("communities:membership_add", kwargs={"slug": "halton"}),
        {"user": "999999", "is_local_lead": "on"},
    )
    assert response.status_code == 400
    assert "checked" in response.content.decode()


def test_an_admin_creates_and_archives_a_community(admin):  # type: ignore[no-untyped-def]
    response = admin.post(
        reverse("communities:create"),
        {"name": "Wrexham", "slug": "wrexham", "nation": "wales", "local_authority": "Wrexham"},
    )
    community = Community.objects.get(slug="wrexham")
    assert response["Location"] == community.get_absolute_url()
    assert "Wrexham" in admin.get(reverse("communities:dashboard")).content.decode()

    # Followed, so that its message is shown there and not on the dashboard.
    admin.post(reverse("communities:archive", kwargs={"slug": "wrexham"}), follow=True)
    community.refresh_from_db()
    assert community.archived_at is not None
    assert "Wrexham" not in admin.get(reverse("communities:dashboard")).content.decode()
    archived = admin.get(reverse("communities:dashboard") + "?archived=1").content.decode()
    assert "Wrexham" in archived
    assert admin.get(community.get_absolute_url()).status_code == 200  # kept, readable

    admin.post(reverse("communities:unarchive", kwargs={"slug": "wrexham"}))
    community.refresh_from_db()
    assert community.archived_at is None
    verbs = list(AuditEvent.objects.filter(community=community).values_list("verb", flat=True))
    assert sorted(verbs) == ["community-archived", "community-created", "community-unarchived"]


def test_a_reserved_or_taken_slug_is_a_400_that_keeps_the_name(admin, community):  # type: ignore[no-untyped-def]
    for slug in ("new", "halton"):
        response = admin.post(
            reverse("communities:create"), {"name": "Typed name", "slug": slug, "nation": "wales"}
        )
        assert response.status_code == 400
        assert 'value="Typed name"' in response.content.decode()
    assert Community.objects.count() == 1


def test_facilitators_cannot_create_or_archive(facilitator, community):  # type: ignore[no-untyped-def]
    assert (
        facilitator.post(
            reverse("communities:create"), {"name": "X", "slug": "x", "nation": "wales"}
        ).status_code
        == 403
    )
    assert (
        facilitator.post(reverse("communities:archive", kwargs={"slug": "halton"})).status_code
        == 403
    )
    community.refresh_from_db()
    assert community.archived_at is None


def test_the_activity_page_lists_account_events_with_labels(admin, facilitator_user):  # type: ignore[no-untyped-def]
    accounts.user_deactivate(user=facilitator_user, by=User.objects.get(username="root"))
    html = admin.get(reverse("accounts:activity")).content.decode()
    assert "Account deactivated" in html and "fac deactivated" in html


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/users/a%00b/",
        "/accounts/users/a%00b/deactivate/",
        "/communities/halton/facilitators/a%00b/remove/",
        "/accounts/invitation/a%00b/",
    ],
)
def test_a_nul_in_a_name_or_token_is_a_404_not_a_500(admin, community, url):  # type: ignore[no-untyped-def]
    """PostgreSQL refuses a NUL byte in a query: such addresses must never reach one."""
    admin.raise_request_exception = False
    assert admin.get(url).status_code in (404, 405)
    assert admin.post(url).status_code in (404, 405)


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_activity_and_community_pages_queries_do_not_grow(admin, admin_user_, community):  # type: ignore[no-untyped-def]
    def add(n: int) -> None:
        for _n in range(n):
            user = UserFactory()
            accounts.membership_add(
                community=community, user=user, is_local_lead=False, by=admin_user_
            )

    add(2)
    activity, page = (
        _queries(admin, reverse("accounts:activity")),
        _queries(admin, community.get_absolute_url()),
    )
    add(15)
    assert _queries(admin, reverse("accounts:activity")) == activity
    assert _queries(admin, community.get_absolute_url()) == page
