from .views import audit, packs, privacy, reports, rounds, stakeholder, workshop

app_name = "assessments"

urlpatterns = [
    *rounds.urlpatterns,
    *stakeholder.urlpatterns,
    *workshop.urlpatterns,
    *reports.urlpatterns,
    *packs.urlpatterns,
    *audit.urlpatterns,
    *privacy.urlpatterns,
]
