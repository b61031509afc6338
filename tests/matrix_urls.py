"""The project's URLs plus one deliberately unguarded view, for the permission-matrix test.

Never used by the site: `tests/test_permission_matrix.py` points ROOT_URLCONF here to show
that a view fetching a round without `get_assessment_for` fails the matrix.
"""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from assessments.models import Assessment
from smm_site.urls import handler400, handler403, handler404, handler500  # noqa: F401
from smm_site.urls import urlpatterns as site_urlpatterns


def unguarded_round(request: HttpRequest, code: UUID) -> HttpResponse:
    """Shows any round to anyone: exactly what the matrix must catch."""
    assessment = get_object_or_404(Assessment, code=code)
    return HttpResponse(f"<h1>{assessment.title}</h1>")


urlpatterns = [
    *site_urlpatterns,
    path("matrix-test/rounds/<uuid:code>/", unguarded_round, name="matrix_unguarded"),
]
