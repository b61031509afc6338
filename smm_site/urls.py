from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import LoginForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("communities.urls")),
    path("", include("assessments.urls")),
    path("", include("insight.urls")),
]

handler400 = "smm_site.views.bad_request"
handler403 = "smm_site.views.permission_denied"
handler404 = "smm_site.views.page_not_found"
handler500 = "smm_site.views.server_error"
