"""The second step of signing in, enforced on every page.

Django's LoginView checks the password; django-otp's OTPMiddleware (before this one) marks the
session verified once a code has been given. Until then a user with two-factor authentication
reaches only the code page, and one who must have it (accounts.two_factor_required) only the
set-up page. Both can always log out.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .accounts import two_factor_required


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
