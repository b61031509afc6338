"""Staff accounts under /accounts/ (Django's log-in and password views: smm_site/urls.py)."""

from django.urls import path

from . import account_views as views
from . import converters  # noqa: F401 (registers <username:>)

app_name = "accounts"

urlpatterns = [
    path("users/", views.users, name="users"),
    path("users/invite/", views.invite, name="invite"),
    path("users/activity/", views.activity, name="activity"),
    path("users/<username:username>/", views.user_detail, name="user"),
    path("users/<username:username>/role/", views.user_role, name="user_role"),
    path("users/<username:username>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<username:username>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path(
        "users/<username:username>/two-factor/remove/",
        views.user_two_factor_reset,
        name="user_two_factor_reset",
    ),
    path("invitations/<uuid:code>/withdraw/", views.invitation_revoke, name="invitation_revoke"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation"),
    path("security/", views.security, name="security"),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", views.recovery_codes_renew, name="recovery_codes"),
    path("two-factor/remove/", views.two_factor_remove, name="two_factor_remove"),
]
