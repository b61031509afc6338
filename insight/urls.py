"""The insight pages (namespace `insight`) and the API (namespace `api-v1`), included once
from smm_site/urls.py."""

from django.urls import include, path

from . import views
from .api import api

pages = [
    path("insight/synthesis/", views.synthesis, name="synthesis"),
    path("insight/representation/", views.representation, name="representation"),
    path("insight/datapackage.zip", views.datapackage_zip, name="datapackage"),
    path("api/tokens/", views.tokens, name="tokens"),
    path("api/tokens/<uuid:code>/revoke/", views.token_revoke_view, name="token_revoke"),
]

urlpatterns = [
    path("", include((pages, "insight"))),
    path("api/v1/", api.urls),
]
