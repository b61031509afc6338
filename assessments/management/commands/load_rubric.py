from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assessments.models import Dimension, LevelDescriptor, Rubric
from assessments.rubric_loader import load_rubric


class Command(BaseCommand):
    help = "Add a rubric version from a fixture file (existing versions are left untouched)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        rubric = load_rubric(
            path, rubric_model=Rubric, dimension_model=Dimension, level_model=LevelDescriptor
        )
        self.stdout.write(f"Rubric {rubric.version}: {rubric.dimensions.count()} dimensions")
