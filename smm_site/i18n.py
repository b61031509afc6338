"""The interface language: remembered per user and per participant, over the browser's.

Django's LocaleMiddleware picks the language from the cookie set by the switcher, or the
browser's Accept-Language. Then a signed-in user's own choice (User.language) wins, here; on a
personal link the participant's (Participant.language) wins, in assessments/links.py, where the
link is resolved. The switcher posts to `set_language`, which stores the choice on both as well
as in Django's cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from assessments.links import LinkError, participant_for_token
from assessments.models import Participant
from communities.models import User


def activate(request: HttpRequest, language: str) -> None:
    """Use `language` for the rest of this request (LocaleMiddleware's response headers too)."""
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in user's chosen language over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Without a session cookie nobody is signed in: no need to load the (lazy) user.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = request.user
            if isinstance(user, User) and user.language:
                activate(request, user.language)
        return self.get_response(request)


def _participant_of(request: HttpRequest, next_url: str) -> Participant | None:
    """The participant whose personal link `next_url` is a page of, if it is one."""
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return None
    token = match.kwargs.get("token")
    if match.namespace != "assessments" or not isinstance(token, str):
        return None
    if not urlsplit(next_url).path.startswith("/s/"):
        return None
    try:
        return participant_for_token(request, token, for_page=False)
    except LinkError:
        return None


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, redirect to `next`), remembering the choice on the user
    and, from a personal link's page, on that participant."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        User.objects.filter(pk=request.user.pk).update(language=language)
    participant = _participant_of(request, request.POST.get("next", ""))
    if participant is not None:
        Participant.objects.filter(pk=participant.pk).update(language=language)
    return response
