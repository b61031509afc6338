"""Two-factor sign-in: set-up with an authenticator (TOTP), recovery codes used once, the second
step after the password, and the requirement for admins and evaluators on every page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from assessments.models import AuditEvent
from communities.accounts import AccountVerb
from communities.models import User
from tests.factories import UserFactory
from tests.scenario import all_routes, build_scenario
from tests.test_permission_matrix import MATRIX, url_for

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def required(settings):  # type: ignore[no-untyped-def]
    """The real sites' rule (test settings turn it off for the other tests)."""
    settings.SMM_REQUIRE_2FA = True
    # A wrong code then the right one, without waiting (test_wrong_codes_are_throttled waits).
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or `steps_ahead` 30-second steps later, which the
    one step of tolerance accepts: a code once used is refused until the next step)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step):06d}"


def log_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def set_up(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Go through the set-up page; the confirmed device and the recovery codes shown."""
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("accounts:two_factor_setup"), {"code": code_for(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb))


def test_the_real_settings_require_it_for_admins_and_evaluators() -> None:
    from smm_site.settings import base

    assert base.SMM_REQUIRE_2FA is True
    assert base.SMM_REQUIRE_2FA_FOR_ALL is False


def test_an_admin_without_two_factor_is_sent_to_set_it_up_before_any_page(
    required, community, other_community, admin, evaluator_user
):  # type: ignore[no-untyped-def]
    """Every page of the site (as the permission matrix builds its URL), GET and POST."""
    scenario = build_scenario(community, other_community)
    setup = reverse("accounts:two_factor_setup")
    allowed = {setup, reverse("logout")}
    admin.raise_request_exception = False
    checked = 0
    for route in all_routes():
        entry = MATRIX.get(route.key)
        if entry is None:
            continue  # the matrix test itself fails a page without an entry
        url = url_for(route, entry, scenario, "admin")
        if url.split("?")[0] in allowed:
            continue
        for response in (admin.get(url), admin.post(url)):
            assert response.status_code == 302, url
            assert response["Location"].startswith(setup), url
        checked += 1
    assert checked > 50
    assert admin.get(setup).status_code == 200


def test_the_set_up_redirect_brings_them_back_where_they_were_going(required, evaluator):  # type: ignore[no-untyped-def]
    response = evaluator.get("/overview/?x=1")
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("accounts:two_factor_setup") + "?next=%2Foverview%2F%3Fx%3D1"
    )


def test_set_up_shows_a_qr_code_and_the_key_then_recovery_codes_once(required, admin, admin_user_):  # type: ignore[no-untyped-def]
    page = admin.get(reverse("accounts:two_factor_setup"))
    html = page.content.decode()
    assert "<svg" in html and "QR code for your authenticator app" in html
    device = TOTPDevice.objects.get(user=admin_user_)
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # drawn here, nothing fetched

    wrong = admin.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()

    response = admin.post(reverse("accounts:two_factor_setup"), {"code": code_for(device)})
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code in response.content.decode()
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes)  # only hashes are kept
    admin_user_.refresh_from_db()
    assert admin_user_.has_two_factor
    assert admin.get(reverse("communities:dashboard")).status_code == 200  # this session: verified
    assert [e.detail["user"] for e in events(AccountVerb.TWO_FACTOR_SET_UP)] == ["root"]


def test_after_the_password_the_second_step_comes_before_any_page(required):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    device, _codes = set_up(log_in("ada"))

    client = log_in("ada")
    response = client.get(reverse("communities:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    # Someone with only the password cannot put their own phone in place of the owner's.
    replace = client.get(reverse("accounts:two_factor_setup"))
    assert replace["Location"].startswith(reverse("accounts:two_factor_verify"))

    wrong = client.post(reverse("accounts:two_factor_verify"), {"code": "123456"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    right = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": code_for(device, steps_ahead=1), "next": "/overview/"},
    )
    assert right.status_code == 302 and right["Location"] == "/overview/"
    assert client.get(reverse("communities:dashboard")).status_code == 200


def test_a_code_is_not_accepted_twice(required):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    device, _codes = set_up(log_in("ada"))
    code = code_for(device, steps_ahead=1)
    first, second = log_in("ada"), log_in("ada")
    assert first.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 302
    assert second.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 400


def test_a_recovery_code_works_once(required):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    _device, codes = set_up(log_in("ada"))

    client = log_in("ada")
    response = client.post(
        reverse("accounts:two_factor_verify"), {"code": codes[3].upper().replace("-", " ")}
    )
    assert response.status_code == 302
    assert client.get(reverse("communities:dashboard")).status_code == 200
    assert StaticToken.objects.count() == 9
    (used,) = events(AccountVerb.RECOVERY_CODE_USED)
    assert used.detail == {"user_id": used.detail["user_id"], "user": "ada", "left": 9}

    again = log_in("ada")
    refused = again.post(reverse("accounts:two_factor_verify"), {"code": codes[3]})
    assert refused.status_code == 400
    assert again.get(reverse("communities:dashboard")).status_code == 302


def test_wrong_codes_are_throttled(settings):  # type: ignore[no-untyped-def]
    settings.SMM_REQUIRE_2FA = True
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    device, _codes = set_up(log_in("ada"))
    client = log_in("ada")
    client.post(reverse("accounts:two_factor_verify"), {"code": "000000"})
    response = client.post(
        reverse("accounts:two_factor_verify"), {"code": code_for(device, steps_ahead=1)}
    )
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_setting_it_up_signs_out_the_other_sessions(required):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.FACILITATOR)
    here, elsewhere = log_in("ada"), log_in("ada")
    set_up(here)
    assert here.get(reverse("communities:dashboard")).status_code == 200
    response = elsewhere.get(reverse("communities:dashboard"))
    assert response["Location"].startswith(reverse("login"))


def test_facilitators_may_choose_and_remove_it(required):  # type: ignore[no-untyped-def]
    UserFactory(username="fran")
    client = log_in("fran")
    assert client.get(reverse("communities:dashboard")).status_code == 200  # not required
    set_up(client)
    response = client.post(reverse("accounts:two_factor_remove"))
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
    assert not User.objects.get(username="fran").has_two_factor
    assert [e.detail["user"] for e in events(AccountVerb.TWO_FACTOR_REMOVED)] == ["fran"]


def test_the_setting_for_everyone_sends_facilitators_to_set_it_up(required, settings, facilitator):  # type: ignore[no-untyped-def]
    settings.SMM_REQUIRE_2FA_FOR_ALL = True
    response = facilitator.get(reverse("communities:dashboard"))
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_admins_and_evaluators_cannot_turn_it_off_for_themselves(required):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    client = log_in("ada")
    set_up(client)
    client.post(reverse("accounts:two_factor_remove"))
    assert TOTPDevice.objects.filter(confirmed=True).exists()


def test_an_admin_removes_it_for_someone_who_lost_their_phone(required, admin_user_):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    theirs = log_in("ada")
    set_up(theirs)
    admin = Client()
    admin.force_login(admin_user_)
    session = admin.session
    # The admin passed their own second step (what django_otp.login records).
    own = TOTPDevice.objects.create(user=admin_user_, name="a", confirmed=True)
    session["otp_device_id"] = own.persistent_id
    session.save()
    admin_user_.has_two_factor = True
    admin_user_.save()
    response = admin.post(reverse("accounts:user_two_factor_reset", kwargs={"username": "ada"}))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user__username="ada").exists()
    # Their sessions end; at the next log-in they set it up again.
    assert theirs.get(reverse("communities:dashboard"))["Location"].startswith(reverse("login"))
    again = log_in("ada")
    assert again.get("/")["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_new_recovery_codes_replace_the_old_ones(required):  # type: ignore[no-untyped-def]
    UserFactory(username="ada", role=User.Role.EVALUATOR)
    client = log_in("ada")
    _device, old = set_up(client)
    response = client.post(reverse("accounts:recovery_codes"))
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    other = log_in("ada")
    assert other.post(reverse("accounts:two_factor_verify"), {"code": old[0]}).status_code == 400
    assert other.post(reverse("accounts:two_factor_verify"), {"code": new[0]}).status_code == 302
    assert len(events(AccountVerb.RECOVERY_CODES_RENEWED)) == 1


def test_an_invited_evaluator_goes_from_the_password_to_the_set_up(required, admin_user_):  # type: ignore[no-untyped-def]
    from communities.accounts import invitation_send

    sent = invitation_send(email="ev@example.org", role="evaluator", communities=[], by=admin_user_)
    link = sent.link.split("8000", 1)[1]
    client = Client()
    password = "a-Long-new-passphrase-42"
    response = client.post(
        link,
        {
            "username": "ev",
            "first_name": "Ev",
            "last_name": "Ans",
            "password1": password,
            "password2": password,
        },
    )
    assert response["Location"] == reverse("accounts:two_factor_setup")


def test_the_demo_prints_how_to_pass_the_second_step_and_it_works(required):  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    from communities.management.commands.load_demo import DEMO_TOTP_KEY

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert DEMO_TOTP_KEY in out.getvalue() and "demo-0001" in out.getvalue()
    device = TOTPDevice.objects.get(user__username="evaluator")
    client = log_in("evaluator", "demo-password")
    assert client.get("/")["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert (
        client.post(reverse("accounts:two_factor_verify"), {"code": code_for(device)}).status_code
        == 302
    )
    assert client.get("/").status_code == 200

    admin = log_in("admin", "demo-password")
    assert (
        admin.post(reverse("accounts:two_factor_verify"), {"code": "demo-0001"}).status_code == 302
    )
    call_command("load_demo", quiet=True)  # gives the used code back
    again = log_in("admin", "demo-password")
    assert (
        again.post(reverse("accounts:two_factor_verify"), {"code": "demo-0001"}).status_code == 302
    )
    assert User.objects.get(username="facilitator").has_two_factor is False


def test_the_demo_without_the_requirement_signs_in_with_the_password_alone(settings):  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    settings.SMM_REQUIRE_2FA = True
    call_command("load_demo", quiet=True)
    settings.SMM_REQUIRE_2FA = False  # e.g. the benchmark
    call_command("load_demo", quiet=True)
    assert not TOTPDevice.objects.exists()
    assert log_in("evaluator", "demo-password").get("/").status_code == 200


def test_devices_deleted_elsewhere_do_not_lock_the_user_out(required):  # type: ignore[no-untyped-def]
    from django_otp.plugins.otp_static.models import StaticDevice

    UserFactory(username="ada", role=User.Role.EVALUATOR)
    set_up(log_in("ada"))
    TOTPDevice.objects.all().delete()  # e.g. in the Django admin
    StaticDevice.objects.all().delete()
    client = log_in("ada")
    response = client.get(reverse("accounts:two_factor_verify"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:two_factor_setup"))
    assert not User.objects.get(username="ada").has_two_factor


def test_the_two_factor_pages_are_not_cached(required, evaluator):  # type: ignore[no-untyped-def]
    response = evaluator.get(reverse("accounts:two_factor_setup"))
    assert "no-store" in response["Cache-Control"]


def test_a_device_added_in_the_admin_asks_for_the_second_step(client, settings):  # type: ignore[no-untyped-def]
    """Writes from anywhere: a confirmed authenticator saved outside the set-up page (the
    Django admin, a shell) is asked for on the user's next request."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import UserFactory

    user = UserFactory(username="phone-from-admin")
    client.force_login(user)
    assert client.get("/").status_code == 200
    TOTPDevice.objects.create(user=user, name="added in the admin", confirmed=True)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
