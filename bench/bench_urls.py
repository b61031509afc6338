"""The app's own URLs plus three floors for the benchmark:

- `bench/minimal`: the cheapest possible Django response. It goes through the full middleware
  stack but touches no database and no template.
- `bench/minimal-page`: the site layout (base.html) around one paragraph, no database: what any
  anonymous server-rendered page costs before it does anything of its own. The floor of the
  stakeholder sheet and of autosave, which are reached by a personal link, not a login.
- `bench/minimal-page-signed-in`: the same layout for a signed-in user, behind `login_required`,
  so it reads the session and the user (from the database) as every signed-in page does, and
  renders the layout's menu for that user. The floor of every signed-in page.
"""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import Template, engines
from django.urls import include, path

from smm_site.urls import handler400, handler403, handler404, handler500  # noqa: F401


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@cache
def _layout_template() -> Template:
    return engines["django"].from_string(  # type: ignore[return-value]
        '{% extends "base.html" %}{% block content %}<p>ok</p>{% endblock %}'
    )


def minimal_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_layout_template().render({}, request))


@login_required
def minimal_page_signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_layout_template().render({}, request))


urlpatterns = [
    path("bench/minimal", minimal, name="bench-minimal"),
    path("bench/minimal-page", minimal_page, name="bench-minimal-page"),
    path(
        "bench/minimal-page-signed-in",
        minimal_page_signed_in,
        name="bench-minimal-page-signed-in",
    ),
    path("", include("smm_site.urls")),
]
