"""The report pages' repeated rows, written here in one pass rather than by the template row by
row: a {% blocktranslate %}, a reverse() and a dozen lookups a row were most of the overview's
rendering. Each row's markup is what the template wrote, word for word; repeated words are
translated once a table, links are reversed once a table (smm_site/rows.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from smm_site.rows import row_url

from .data import CommunityLine

_PLACEHOLDER = str(uuid.UUID(int=0))


def overview_rows(lines: Sequence[CommunityLine]) -> SafeString:
    """The overview table's body: per community its latest round's levels and, on a second
    row, the change since its baseline."""
    report_url = row_url("assessments:report")
    community_url = row_url("communities:detail", row_kwarg="slug")
    change_since = _("change since")
    rows: list[str] = []
    for line in lines:
        community = line.community
        url = community_url.replace(_PLACEHOLDER, community.slug)
        latest = line.latest
        earlier = ""
        if n := line.other_rounds:
            earlier = format_html(
                '<div class="small"><a class="d-inline-block py-1" '
                'href="{}#change-over-time-title">{}<span class="visually-hidden"> ({})</span>'
                "</a></div>",
                url,
                ngettext("%(n)s earlier round", "%(n)s earlier rounds", n) % {"n": n},
                community.name,
            )
        rows.append(
            format_html(
                '<tr><th scope="row" class="text-start"><a href="{}">{}</a>'
                '<div class="small text-body-secondary">{}</div></th>'
                '<td class="text-start"><a href="{}" class="fw-semibold d-inline-block py-1">{}'
                "</a>{}</td>{}</tr>",
                url,
                community.name,
                latest.focal_issue.area,
                report_url.replace(_PLACEHOLDER, str(latest.code)),
                latest.title,
                earlier,
                line.levels_html,
            )
        )
        if baseline := line.baseline:
            rows.append(
                format_html(
                    '<tr class="change-row small"><th scope="row" class="fw-normal '
                    'text-body-secondary text-start" colspan="2">{} <a href="{}">{}</a></th>'
                    "{}</tr>",
                    change_since,
                    report_url.replace(_PLACEHOLDER, str(baseline.code)),
                    baseline.title,
                    line.changes_html,
                )
            )
    return mark_safe("\n".join(rows))  # noqa: S308 - each row made with format_html
