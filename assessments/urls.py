from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern

from .views import actions as action_views
from .views import audit, packs, privacy, reports, rounds, stakeholder, votes, workshop

app_name = "assessments"

# A personal link or a room link is a secret in a URL: its pages must never be listed by a
# search engine, even if a link leaks onto a public page. Set here, on every pattern under
# these prefixes, so that every answer (a sheet, its PDF, an error page, a 405) carries it and
# no view can forget.
NOINDEX_PREFIXES = ("s/", "room/")


def _noindex(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def _marked(patterns: list[Any]) -> list[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith(NOINDEX_PREFIXES):
            pattern.callback = _noindex(pattern.callback)
    return patterns


urlpatterns = _marked(
    [
        *rounds.urlpatterns,
        *stakeholder.urlpatterns,
        *workshop.urlpatterns,
        *votes.urlpatterns,
        *action_views.urlpatterns,
        *reports.urlpatterns,
        *packs.urlpatterns,
        *audit.urlpatterns,
        *privacy.urlpatterns,
    ]
)
