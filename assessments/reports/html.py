"""The report pages' repeated rows, written here in one pass rather than by the template row by
row: a {% blocktranslate %}, a reverse() and a dozen lookups a row were most of the overview's
rendering. Each row's markup is what the template wrote, word for word; repeated words are
translated once a table, links are reversed once a table (smm_site/rows.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from smm_site.rows import row_url

from .data import CommunityLine, RoundReport

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


def _level(level: int | None) -> str:
    return f'<span class="level level-{level}">{level}</span>' if level else "–"


def _change(change: int | None) -> str:
    if change is None:
        return "–"
    if change > 0:
        return f'<span class="text-success">+{change}</span>'
    if change < 0:
        return f'<span class="text-danger">{change}</span>'
    return "0"


def report_table_rows(report: RoundReport) -> SafeString:
    """The report's table of agreed levels, a row per dimension."""
    priority = format_html(' <span class="badge text-bg-warning">{}</span>', _("priority"))
    rows = []
    for row in report.rows:
        before = ""
        if report.previous:
            before = (
                f'<td class="text-center">{row.previous_level or "–"}</td>'
                f'<td class="text-center">{_change(row.change)}</td>'
            )
        rows.append(
            format_html(
                '<tr><th scope="row"><a href="#dim-{}">{}. {}</a>{}</th>'
                '<td class="text-center">{}</td><td class="text-center">{}</td>'
                '<td class="text-center">{}</td>{}</tr>',
                row.number,
                row.number,
                row.name,
                priority if row.is_priority else "",
                mark_safe(_level(row.level)),  # noqa: S308 - an integer
                row.range or "–",
                row.median or "–",
                mark_safe(before),  # noqa: S308 - integers only
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - each row made with format_html


def report_articles(report: RoundReport) -> SafeString:
    """The report's dimension by dimension: each dimension's agreed level and its reasons, what
    the private scores said, and how the room got from them to the agreed level."""
    priority = format_html(' <span class="badge text-bg-warning">{}</span>', _("priority"))
    why, dissent = _("Why we scored it this way"), _("Recorded dissent")
    not_agreed = format_html('<p class="text-body-secondary">{}</p>', _("No level agreed yet."))
    no_spread = (
        _("Too few private sheets to show their spread.")
        if report.spread_withheld
        else _("No private scores for this dimension.")
    )
    convergence = get_template("assessments/workshop/_convergence.html")
    articles = []
    for row in report.rows:
        if row.level:
            agreed = format_html(
                '<p>{} {}</p><h4 class="h6">{}</h4><p class="report-reason">{}</p>{}',
                mark_safe(_level(row.level)),  # noqa: S308 - an integer
                row.level_text,
                why,
                linebreaksbr(row.reason, autoescape=True),
                format_html(
                    '<h4 class="h6">{}</h4><p class="report-reason">{}</p>',
                    dissent,
                    linebreaksbr(row.dissent, autoescape=True),
                )
                if row.dissent
                else "",
            )
        else:
            agreed = not_agreed
        articles.append(
            format_html(
                '<article class="card mb-3" id="dim-{}"><div class="card-body">'
                '<h3 class="h5">{}. {}{}</h3>{}<p class="small text-body-secondary mb-0">{}</p>'
                "{}</div></article>",
                row.number,
                row.number,
                row.name,
                priority if row.is_priority else "",
                agreed,
                row.private_scores or no_spread,
                mark_safe(convergence.render({"c": row.convergence}))  # noqa: S308 - a template
                if row.convergence and row.convergence.has_anything
                else "",
            )
        )
    return mark_safe("\n".join(articles))  # noqa: S308 - each made with format_html
