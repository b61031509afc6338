from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from insight.datapackage import build_zip


class Command(BaseCommand):
    help = (
        "Write the anonymised open data (a Frictionless Data Package of every finalised "
        "round's agreed levels and level counts) as a zip file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="The zip file to write.")

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        content = build_zip(None)
        output.write_bytes(content)
        self.stdout.write(f"Wrote {output} ({len(content)} bytes).")
