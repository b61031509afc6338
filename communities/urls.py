from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("communities/<slug:slug>/", views.community_detail, name="detail"),
]
