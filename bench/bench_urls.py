"""The app's own URLs plus `bench/minimal`: the cheapest possible Django response, which every
page's p95 is compared with. It goes through the full middleware stack but touches no database."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from smm_site.urls import handler400, handler403, handler404, handler500  # noqa: F401


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal", minimal, name="bench-minimal"),
    path("", include("smm_site.urls")),
]
