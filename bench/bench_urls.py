"""The app's own URLs plus two baselines for the benchmark:

- `bench/minimal`: the cheapest possible Django response. It goes through the full middleware
  stack but touches no database and no template. Every page's p95 is compared with it.
- `bench/minimal-page`: the site layout (base.html) around one paragraph, no database: what any
  server-rendered page costs before it does anything of its own.
"""

from functools import cache

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


urlpatterns = [
    path("bench/minimal", minimal, name="bench-minimal"),
    path("bench/minimal-page", minimal_page, name="bench-minimal-page"),
    path("", include("smm_site.urls")),
]
