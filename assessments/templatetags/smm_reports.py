"""Template tags for reports shown on other parts' pages."""

from __future__ import annotations

from typing import Any

from django import template

from communities.models import Community

from ..reports import charts
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
        "figure": charts.change_figure(data) if data.rounds else None,
        "figure_id": f"change-figure-{community.pk}",
    }
