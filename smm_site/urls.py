from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from communities import account_views

from . import i18n, views
from .forms import LoginForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Django's set_language, also remembering the choice on the user or participant.
    path("i18n/setlang/", i18n.set_language, name="set_language"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's password views, under the names its own code reverses.
    path(
        "accounts/password/change/",
        account_views.PasswordChange.as_view(),
        name="password_change",
    ),
    path("accounts/password/reset/", account_views.PasswordReset.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/", include("communities.account_urls")),
    path("", include("communities.urls")),
    path("", include("assessments.urls")),
    path("", include("insight.urls")),
]

handler400 = "smm_site.views.bad_request"
handler403 = "smm_site.views.permission_denied"
handler404 = "smm_site.views.page_not_found"
handler500 = "smm_site.views.server_error"
