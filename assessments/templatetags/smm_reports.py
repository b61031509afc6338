"""Template tags for reports shown on other parts' pages."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from communities.models import Community
from smm_site.rows import row_url, with_links

from ..reports import charts
from ..reports.data import ChangeOverTime
from ..reports.data import change_over_time as change_over_time_data

register = template.Library()


@register.inclusion_tag("assessments/reports/_change_over_time.html")
def change_over_time(community: Community) -> dict[str, Any]:
    """`{% change_over_time community %}`: every finalised round of the community on one chart
    and in one table. The partial brings its own stylesheet links and (deferred, same-origin)
    scripts, so the host page needs nothing else under our CSP."""
    data = change_over_time_data(community)
    return {
        "community": community,
        "change": data,
        "rounds": with_links(data.rounds, report=row_url("assessments:report")),
        "rows": _rows(data) if data.rounds else "",
        "figure": charts.change_figure(data) if data.rounds else None,
        "figure_id": f"change-figure-{community.pk}",
    }


def _rows(data: ChangeOverTime) -> SafeString:
    """The table's body, a row per dimension: its agreed level in each round and the change
    since the baseline. Built here rather than by the template's loops, which cost more than
    the rest of the community page's table rows together."""
    priority = f' <span class="badge text-bg-warning">{escape(_("baseline priority"))}</span>'
    rows = []
    for dim, levels, delta, is_priority in data.table:
        cells = "".join(
            f'<td class="text-center">{"–" if level is None else level}</td>' for level in levels
        )
        if delta is None:
            change = "–"
        else:
            tone = "text-success" if delta > 0 else "text-danger" if delta < 0 else ""
            change = f'<span class="{tone}">{"+" if delta > 0 else ""}{delta}</span>'
        rows.append(
            f'<tr><th scope="row">{dim.number}. {escape(dim.name)}'
            f"{priority if is_priority else ''}</th>{cells}"
            f'<td class="text-center">{change}</td></tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 - the names are escaped, the rest are numbers
