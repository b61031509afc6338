"""Email the facilitators about next steps past their due date and reviews that are due (cron)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assessments.followthrough import send_action_reminders


class Command(BaseCommand):
    help = (
        "Email each community's facilitators the open next steps whose due date has passed, and "
        "finalised rounds whose next review is overdue: once per due date. Run daily from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=date.fromisoformat, help="Run as if today were this date (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = send_action_reminders(today=options.get("today"))
        self.stdout.write(
            f"{summary.emails} reminder emails sent: {summary.actions} next steps past their "
            f"due date, {summary.reviews} reviews due."
        )
