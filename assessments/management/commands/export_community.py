"""manage.py export_community SLUG [--output FILE]: one community as a JSON backup."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from assessments.backup import community_export
from communities.models import Community


class Command(BaseCommand):
    help = (
        "Write one community (rounds, people, private scores, agreed scores, audit trail) as "
        "JSON. The file is as sensitive as the database: keep it encrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The community's slug, e.g. halton.")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            community = Community.objects.get(slug=options["slug"])
        except Community.DoesNotExist:
            raise CommandError(f"No community with slug “{options['slug']}”.") from None
        text = json.dumps(
            community_export(community), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"Wrote {community.name} to {options['output']}.")
        else:
            sys.stdout.write(text + "\n")
