from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from insight.models import ApiTokenUse


class Command(BaseCommand):
    help = "Delete the records of API requests older than --days (default 365)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        if days < 1:
            self.stderr.write("--days must be 1 or more.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(days=days)
        deleted, _by_model = ApiTokenUse.objects.filter(at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} API request records older than {days} days.")
