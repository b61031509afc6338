from .views import audit, privacy, reports, rounds, stakeholder, workshop

app_name = "assessments"

urlpatterns = [
    *rounds.urlpatterns,
    *stakeholder.urlpatterns,
    *workshop.urlpatterns,
    *reports.urlpatterns,
    *audit.urlpatterns,
    *privacy.urlpatterns,
]
