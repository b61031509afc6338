"""manage.py import_community FILE: restore a community written by export_community."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.backup import BackupError, community_import


class Command(BaseCommand):
    help = (
        "Restore a community from an export_community JSON file into a database that does not "
        "have it yet. Users are matched by username; missing ones are created inactive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON file written by export_community.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from None
        try:
            community = community_import(data)
        except (BackupError, KeyError, TypeError) as error:
            raise CommandError(f"Cannot restore {options['file']}: {error!s}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {community.name}: {community.assessments.count()} rounds."
            )
        )
