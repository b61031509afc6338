from django.apps import AppConfig


class InsightConfig(AppConfig):
    """Evaluator insight across communities: the synthesis and representation pages, the
    read-only API with its tokens, and the anonymised open data package."""

    name = "insight"
    default_auto_field = "django.db.models.BigAutoField"
