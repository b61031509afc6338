from .views import reports, rounds, stakeholder, workshop

app_name = "assessments"

urlpatterns = [
    *rounds.urlpatterns,
    *stakeholder.urlpatterns,
    *workshop.urlpatterns,
    *reports.urlpatterns,
]
