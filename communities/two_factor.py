"""Two-factor authentication (django-otp): an authenticator app (TOTPDevice) and single-use
recovery codes (StaticDevice), and the second step of signing in, enforced on every page.

Django's LoginView checks the password; django-otp's OTPMiddleware (before TwoFactorMiddleware)
marks the session verified once a code has been given. Until then a user with two-factor
authentication reaches only the code page, and one who must have it (two_factor_required) only
the set-up page. Both can always log out.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .accounts import AccountVerb, audit_account, end_sessions
from .models import User

RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code copied from paper is read back as it was written.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def two_factor_required(user: User) -> bool:
    """Admins and evaluators must use a second factor (SMM_REQUIRE_2FA); everyone must with
    SMM_REQUIRE_2FA_FOR_ALL. Facilitators may choose to."""
    if settings.SMM_REQUIRE_2FA_FOR_ALL:
        return True
    return bool(settings.SMM_REQUIRE_2FA) and (user.is_superuser or user.is_evaluator)


def totp_device_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator with a fresh secret; the one the user confirms replaces
    any earlier one. Unconfirmed devices never verify anybody (django-otp ignores them)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def pending_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_token(code: str) -> str:
    # StaticToken keeps 16 characters: 64 bits of the SHA-256 of a code with ~40 bits of its
    # own, looked up with django-otp's throttling in front. The code itself is shown once.
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()[:16]


def normalise_recovery_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _c in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=recovery_token(code)) for code in codes]
    )
    return codes


@transaction.atomic
def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows. Returns the new recovery codes (to be shown
    once), or None when the code is wrong. The session that set it up counts as verified, and the
    user's other sessions end: whoever held one had only the password."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    replaced = user.has_two_factor
    user.has_two_factor = True
    user.save(update_fields=["has_two_factor"])
    end_sessions(user)
    update_session_auth_hash(request, user)
    django_otp.login(request, device)
    audit_account(
        verb=AccountVerb.TWO_FACTOR_SET_UP,
        summary=(
            _("%(user)s replaced their authenticator")
            if replaced
            else _("%(user)s set up two-factor authentication")
        )
        % {"user": user},
        about=user,
        by=user,
    )
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    audit_account(
        verb=AccountVerb.RECOVERY_CODES_RENEWED,
        summary=_("%(user)s made new recovery codes (the old ones no longer work)")
        % {"user": user},
        about=user,
        by=user,
    )
    return codes


def has_device(user: User) -> bool:
    return django_otp.user_has_device(user)


def two_factor_lost(*, user: User) -> None:
    user.has_two_factor = False
    user.save(update_fields=["has_two_factor"])
    audit_account(
        verb=AccountVerb.TWO_FACTOR_REMOVED,
        summary=_("%(user)s has no authenticator or recovery codes left (removed elsewhere)")
        % {"user": user},
        about=user,
        by=None,
    )


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def two_factor_remove(*, user: User, by: User) -> None:
    """Remove the authenticator and recovery codes: by the user (when not required of them), or
    by an admin for someone who lost their phone and their codes, who sets it up again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.has_two_factor = False
    user.save(update_fields=["has_two_factor"])
    if by.pk != user.pk:
        # Someone without the second factor may have been trying to get in: start again.
        end_sessions(user)
    audit_account(
        verb=AccountVerb.TWO_FACTOR_REMOVED,
        summary=(
            _("%(user)s removed their two-factor authentication")
            if by.pk == user.pk
            else _("Two-factor authentication of %(user)s removed by an admin")
        )
        % {"user": user},
        about=user,
        by=by,
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str = ""
    recovery_codes_left: int | None = None


def two_factor_verify(*, request: HttpRequest, user: User, code: str) -> Verification:
    """The second step: a code from the authenticator (6 digits) or a recovery code (used up).
    django-otp throttles each device after a wrong code (1, 2, 4 … seconds)."""
    code = code.strip()
    digits = code.replace(" ", "")
    use_totp = digits.isdigit() and len(digits) == 6
    with transaction.atomic():
        model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if use_totp else StaticDevice
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return Verification(ok=False, message=_("That code is not right. Try again."))
        allowed, why = device.verify_is_allowed()
        if not allowed:
            until = (why or {}).get("locked_until")
            seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
            return Verification(
                ok=False,
                message=_("Too many wrong codes. Wait %(seconds)s seconds and try again.")
                % {"seconds": seconds},
            )
        token = digits if use_totp else recovery_token(code)
        if not device.verify_token(token):
            return Verification(ok=False, message=_("That code is not right. Try again."))
    django_otp.login(request, device)
    if use_totp:
        return Verification(ok=True)
    left = recovery_codes_left(user)
    audit_account(
        verb=AccountVerb.RECOVERY_CODE_USED,
        summary=_("%(user)s signed in with a recovery code (%(left)s left)")
        % {"user": user, "left": left},
        about=user,
        by=user,
        left=left,
    )
    return Verification(ok=True, recovery_codes_left=left)


# --- the middleware ------------------------------------------------------------------------------


def _redirect(request: HttpRequest, name: str) -> HttpResponse:
    url = reverse(name)
    if request.method == "GET" and not request.headers.get("HX-Request"):
        url += "?" + urlencode({"next": request.get_full_path()})
    response = HttpResponseRedirect(url)
    if request.headers.get("HX-Request"):
        # An htmx request follows redirects in place; the whole page must go.
        response["HX-Redirect"] = url
    return response


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)  # nobody is signed in without a session
        user = request.user
        # The user row says whether there is a device (User.has_two_factor): no query here
        # for anyone without one, one (django-otp's) for a verified session.
        if user.is_authenticated and not user.is_verified():  # type: ignore[union-attr, attr-defined]
            path = request.path_info
            verify = reverse("accounts:two_factor_verify")
            logout = reverse("logout")
            if user.has_two_factor:  # type: ignore[union-attr]
                if path not in (verify, logout):
                    return _redirect(request, "accounts:two_factor_verify")
            elif two_factor_required(user) and path not in (  # type: ignore[arg-type]
                reverse("accounts:two_factor_setup"),
                logout,
            ):
                return _redirect(request, "accounts:two_factor_setup")
        return self.get_response(request)


def device_saved(sender: type, instance: TOTPDevice | StaticDevice, **kwargs: object) -> None:
    """A confirmed device saved anywhere (the Django admin, a shell) asks its user for the
    second step from their next request: User.has_two_factor follows the device, not only
    the set-up page. Connected in CommunitiesConfig.ready()."""
    if instance.confirmed:
        User.objects.filter(pk=instance.user_id, has_two_factor=False).update(has_two_factor=True)
