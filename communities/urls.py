from django.urls import path

from . import converters, views  # noqa: F401 (converters registers <username:>)

app_name = "communities"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Before the detail page: "new" is a reserved slug (accounts.RESERVED_SLUGS).
    path("communities/new/", views.community_create, name="create"),
    path("communities/<slug:slug>/", views.community_detail, name="detail"),
    path("communities/<slug:slug>/archive/", views.community_archive, name="archive"),
    path("communities/<slug:slug>/unarchive/", views.community_unarchive, name="unarchive"),
    path(
        "communities/<slug:slug>/facilitators/add/",
        views.membership_add,
        name="membership_add",
    ),
    path(
        "communities/<slug:slug>/facilitators/<username:username>/lead/",
        views.membership_lead,
        name="membership_lead",
    ),
    path(
        "communities/<slug:slug>/facilitators/<username:username>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path(
        "communities/<slug:slug>/focal-issues/new/",
        views.focal_issue_create,
        name="focal_issue_create",
    ),
    path(
        "communities/<slug:slug>/focal-issues/<uuid:code>/edit/",
        views.focal_issue_edit,
        name="focal_issue_edit",
    ),
    path(
        "communities/<slug:slug>/organisations/new/",
        views.organisation_create,
        name="organisation_create",
    ),
    path(
        "communities/<slug:slug>/organisations/<uuid:code>/edit/",
        views.organisation_edit,
        name="organisation_edit",
    ),
    path(
        "communities/<slug:slug>/organisations/<uuid:code>/delete/",
        views.organisation_delete,
        name="organisation_delete",
    ),
    path(
        "communities/<slug:slug>/stakeholders/new/",
        views.stakeholder_create,
        name="stakeholder_create",
    ),
    path(
        "communities/<slug:slug>/stakeholders/<uuid:code>/edit/",
        views.stakeholder_edit,
        name="stakeholder_edit",
    ),
    path(
        "communities/<slug:slug>/stakeholders/<uuid:code>/delete/",
        views.stakeholder_delete,
        name="stakeholder_delete",
    ),
    path("communities/<slug:slug>/import/", views.import_upload, name="import"),
    path("communities/<slug:slug>/import/confirm/", views.import_confirm, name="import_confirm"),
    path("communities/<slug:slug>/network.csv", views.export_csv, name="export_csv"),
]
