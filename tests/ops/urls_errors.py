"""The site's URLs plus views that fail on purpose, to exercise the error pages."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from django.urls import path

from smm_site import urls as site_urls

SECRET_MARKER = "marker-7f3a-do-not-leak"


def boom(request: HttpRequest) -> HttpResponse:
    secret = SECRET_MARKER  # a local variable a debug page would show
    raise RuntimeError(f"database password is {secret}")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET_MARKER)


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_MARKER)


def nonce_page(request: HttpRequest) -> HttpResponse:
    template = Template('<script src="/static/x.js" nonce="{{ csp_nonce }}"></script>')
    return HttpResponse(template.render(RequestContext(request, {})))


urlpatterns = [
    path("ops-test/boom/", boom),
    path("ops-test/suspicious/", suspicious),
    path("ops-test/forbidden/", forbidden),
    path("ops-test/nonce/", nonce_page),
    *site_urls.urlpatterns,
]

handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500
