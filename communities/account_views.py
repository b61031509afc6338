"""Pages for staff accounts: invitations, the users page, one's own security page, password
change and reset (Django's views with our templates and audit), and two-factor sign-in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import accounts, two_factor
from .account_forms import (
    AcceptInvitationForm,
    CodeForm,
    InviteForm,
    ResetRequestForm,
    RoleForm,
)
from .models import AccountRole, Invitation, Membership, User

USERS_PAGE_SIZE = 100
ACTIVITY_PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _admin(request: HttpRequest) -> User:
    """Account management is for admins only: everyone else signed in gets 403."""
    user = _user(request)
    if not user.is_superuser:
        raise PermissionDenied
    return user


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a two-factor page: a path on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


# --- users and invitations (admins) --------------------------------------------------------------


@login_required
@require_safe
def users(request: HttpRequest) -> HttpResponse:
    _admin(request)
    people = User.objects.order_by("-is_active", "username").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("community").order_by("community__name"),
        )
    )
    page = Paginator(people, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    invitations = (
        Invitation.objects.pending()
        .select_related("invited_by")
        .prefetch_related("communities")
        .order_by("-created_at")
    )
    return render(
        request,
        "accounts/users.html",
        {"page": page, "invitations": invitations, "roles": dict(AccountRole.choices)},
    )


def _get_user(username: str) -> User:
    return get_object_or_404(User, username=username)


@login_required
@require_safe
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    _admin(request)
    person = _get_user(username)
    return _render_user(request, person, RoleForm(initial={"role": person.account_role}))


def _render_user(
    request: HttpRequest, person: User, form: RoleForm, *, status: int = 200
) -> HttpResponse:
    events = [
        (event, accounts.verb_label(event.verb)) for event in accounts.events_about(person)[:20]
    ]
    return render(
        request,
        "accounts/user_detail.html",
        {
            "person": person,
            "form": form,
            "memberships": person.memberships.select_related("community"),
            "events": events,
            "role_label": dict(AccountRole.choices)[person.account_role],
        },
        status=status,
    )


@login_required
@require_POST
def user_role(request: HttpRequest, username: str) -> HttpResponse:
    by = _admin(request)
    person = _get_user(username)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _render_user(request, person, form, status=400)
    try:
        accounts.user_set_role(user=person, role=form.cleaned_data["role"], by=by)
    except accounts.AccountError as error:
        form.add_error("role", error.message)
        return _render_user(request, person, form, status=400)
    messages.success(request, _("Role saved."))
    return redirect("accounts:user", username=person.username)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    by = _admin(request)
    person = _get_user(username)
    try:
        accounts.user_deactivate(user=person, by=by)
    except accounts.AccountError as error:
        messages.error(request, error.message)
        return _render_user(
            request, person, RoleForm(initial={"role": person.account_role}), status=400
        )
    messages.success(request, _("%(user)s is deactivated and signed out.") % {"user": person})
    return redirect("accounts:user", username=person.username)


@login_required
@require_POST
def user_reactivate(request: HttpRequest, username: str) -> HttpResponse:
    by = _admin(request)
    person = _get_user(username)
    accounts.user_reactivate(user=person, by=by)
    messages.success(request, _("%(user)s can log in again.") % {"user": person})
    return redirect("accounts:user", username=person.username)


@login_required
@require_POST
def user_two_factor_reset(request: HttpRequest, username: str) -> HttpResponse:
    by = _admin(request)
    person = _get_user(username)
    two_factor.two_factor_remove(user=person, by=by)
    messages.success(
        request,
        _(
            "Two-factor authentication removed for %(user)s: they set it up again at their next "
            "log-in."
        )
        % {"user": person},
    )
    return redirect("accounts:user", username=person.username)


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    by = _admin(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.invitation_send(
                email=data["email"],
                role=data["role"],
                communities=list(data["communities"]),
                by=by,
            )
        except accounts.AccountError as error:
            form.add_error("email", error.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works once, for %(days)s days.")
                % {"email": data["email"], "days": settings.SMM_INVITATION_DAYS},
            )
            return redirect("accounts:users")
    return render(
        request,
        "accounts/invite.html",
        {"form": form, "days": settings.SMM_INVITATION_DAYS},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, code: UUID) -> HttpResponse:
    by = _admin(request)
    invitation = get_object_or_404(Invitation, code=code)
    try:
        accounts.invitation_revoke(invitation=invitation, by=by)
    except accounts.AccountError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation})
    return redirect("accounts:users")


@login_required
@require_safe
def activity(request: HttpRequest) -> HttpResponse:
    _admin(request)
    page = Paginator(accounts.account_events(), ACTIVITY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(event, accounts.verb_label(event.verb)) for event in page]
    return render(request, "accounts/activity.html", {"page": page, "rows": rows})


# --- accepting an invitation (anonymous) ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    from assessments.links import LinkError, check_rate_limit, refuse_if_limited

    try:
        refuse_if_limited(request, bucket="invitation")
        try:
            invitation = accounts.invitation_for_token(token)
        except accounts.InvitationRefused as refused:
            if refused.status == 404:
                check_rate_limit(request, bucket="invitation")  # guesses count, like links
            raise
    except LinkError as error:
        return render(
            request, "accounts/invitation_refused.html", {"message": error.message}, status=429
        )
    except accounts.InvitationRefused as refused:
        return render(
            request,
            "accounts/invitation_refused.html",
            {"message": refused.message},
            status=refused.status,
        )
    if request.user.is_authenticated:
        return render(
            request,
            "accounts/invitation_refused.html",
            {
                "message": _(
                    "You are logged in as %(user)s. Log out first, then open the invitation "
                    "link again."
                )
                % {"user": request.user},
                "signed_in": True,
            },
            status=409,
        )
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.invitation_accept(
                invitation=invitation,
                username=data["username"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except accounts.InvitationRefused as refused:
            return render(
                request,
                "accounts/invitation_refused.html",
                {"message": refused.message},
                status=refused.status,
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome, %(name)s. Your account is ready.")
            % {"name": user.first_name or user.username},
        )
        if two_factor.two_factor_required(user):
            return redirect("accounts:two_factor_setup")
        return redirect("communities:dashboard")
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "form": form,
            "invitation": invitation,
            "role": dict(AccountRole.choices)[invitation.role],
            "communities": invitation.communities.all(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- one's own account ---------------------------------------------------------------------------


@login_required
@require_safe
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    events = [(e, accounts.verb_label(e.verb)) for e in accounts.events_about(user)[:10]]
    return render(
        request,
        "accounts/security.html",
        {
            "required": two_factor.two_factor_required(user),
            "codes_left": two_factor.recovery_codes_left(user) if user.has_two_factor else None,
            "events": events,
        },
    )


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    accounts.sign_out_everywhere(request=request, user=_user(request))
    messages.success(request, _("You are signed out everywhere else; this browser stays in."))
    return redirect("accounts:security")


class PasswordChange(auth_views.PasswordChangeView):
    """Django's view (it keeps this session with update_session_auth_hash; the new password hash
    ends the others), audited."""

    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        accounts.password_changed(user=form.user)
        messages.success(
            self.request, _("Password changed. Your other sessions have been signed out.")
        )
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordReset(auth_views.PasswordResetView):
    """Django's view: the same "sent" page for every address. Rate limited per client address
    (429) and per account (silently: nothing more is sent)."""

    form_class = ResetRequestForm
    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        # Links are built on SITE_URL, the public address, never on the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not accounts.reset_allowed_from(request):
            return render(
                request,
                "registration/password_reset_form.html",
                {
                    "form": self.get_form(),
                    "limited": True,
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        accounts.password_reset_done(user=form.user)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


# --- two-factor authentication -------------------------------------------------------------------


def _qr_svg(device: TOTPDevice) -> str:
    # Drawn here as inline SVG: the secret never leaves the server for a QR-code service.
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )


def _secret_text(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# never_cache on the two-factor pages: a key or recovery codes must not stay in a browser's cache.
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator. Replacing needs a verified session, which the
    middleware guarantees: someone with only the password cannot swap in their own phone."""
    user = _user(request)
    next_url = _next_url(request, reverse("communities:dashboard"))
    device = two_factor.pending_totp_device(user)
    form = CodeForm(
        request.POST or None, help_text=_("The 6 digits your app shows for smm right now.")
    )
    if request.method == "POST" and device is not None and form.is_valid():
        codes = two_factor.totp_device_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": next_url, "just_set_up": True},
            )
        form.add_error("code", _("That code is not right. Check the app's clock and try again."))
    if device is None:
        device = two_factor.totp_device_start(user=user)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device),
            "secret": _secret_text(device),
            "next": next_url,
            "required": two_factor.two_factor_required(user),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    next_url = _next_url(request, reverse("communities:dashboard"))
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(next_url)
    if not user.has_two_factor:
        return HttpResponseRedirect(next_url)  # the middleware sends them to set-up if they must
    if not two_factor.has_device(user):
        # Its devices were deleted elsewhere (the Django admin): nothing could verify, so
        # the user starts again from set-up (or no second step, when it is not required).
        two_factor.two_factor_lost(user=user)
        return HttpResponseRedirect(next_url)
    form = CodeForm(
        request.POST or None,
        help_text=_("6 digits from your authenticator app, or one of your recovery codes."),
    )
    if request.method == "POST" and form.is_valid():
        result = two_factor.two_factor_verify(
            request=request, user=user, code=form.cleaned_data["code"]
        )
        if result.ok:
            if result.recovery_codes_left is not None:
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left)s left. Each works once: make new ones "
                        "on your account page."
                    )
                    % {"left": result.recovery_codes_left},
                )
            return HttpResponseRedirect(next_url)
        form.add_error("code", result.message)
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@never_cache
@require_POST
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.has_two_factor:
        messages.error(request, _("Set up two-factor authentication first."))
        return redirect("accounts:security")
    codes = two_factor.recovery_codes_renew(user=user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:security"), "just_set_up": False},
    )


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if two_factor.two_factor_required(user):
        messages.error(
            request,
            _(
                "Your role requires two-factor authentication. You can replace the authenticator "
                "instead."
            ),
        )
        return redirect("accounts:security")
    two_factor.two_factor_remove(user=user, by=user)
    messages.success(request, _("Two-factor authentication is off for your account."))
    return redirect("accounts:security")
