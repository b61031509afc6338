"""Every database gets the System Maturity Model (2021) without a manual step."""

from django.db import migrations


def load(apps, schema_editor):
    from assessments.rubric_loader import FIXTURES, load_rubric

    load_rubric(
        FIXTURES / "rubric-2021.json",
        rubric_model=apps.get_model("assessments", "Rubric"),
        dimension_model=apps.get_model("assessments", "Dimension"),
        level_model=apps.get_model("assessments", "LevelDescriptor"),
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
