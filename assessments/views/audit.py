"""The audit trail of one round, for its facilitators and admins.

Event details are written by many services. Only whitelisted keys are rendered, so that a
service that one day stores something it should not show (an individual score, a token) does
not leak it through this page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from communities.access import get_assessment_for

from ..models import Assessment, AuditEvent, PriorityAction

EVENTS_PER_PAGE = 50

# Keys of AuditEvent.detail that may be shown, with their labels. Everything else is hidden.
DETAIL_LABELS: dict[str, Any] = {
    "dimension": _("Dimension"),
    "to": _("New status"),
    "reason": _("Reason given"),
    "next_review_due": _("Next review due"),
    "kind": _("Kind"),
    "created": _("Added"),
    "updated": _("Updated"),
    "skipped": _("Skipped"),
    "format": _("Format"),
    # Priorities followed through (assessments/followthrough.py).
    "changed": _("Changed"),
    "written_on": _("Note dated"),
    "due": _("Due"),
    "sent_to": _("Facilitators emailed"),
}
# Fields of a before/after snapshot that may be shown (agreed scores, priorities, next steps,
# statuses: all group decisions, never one person's private score).
CHANGE_LABELS: dict[str, Any] = {
    "status": _("Status"),
    "level": _("Agreed level"),
    "reason": _("Why we scored it this way"),
    "dissent": _("Note of dissent"),
    "is_priority": _("Priority"),
    "action": _("Next step"),
    "owner": _("Owner"),
    "review_date": _("Due date"),
    "target_level": _("Target level"),
    "move_up": _("What would move us up one level"),
    "priorities": _("Priority dimensions"),
}
# Keys that are bookkeeping (internal references, versions), skipped without a note.
_IGNORED_KEYS = {"participant", "stakeholder", "action", "actions", "focal_issue"}
_IGNORED_CHANGE_KEYS = {"version"}


@dataclass(frozen=True)
class DetailRow:
    label: str
    value: str


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _display(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    if isinstance(value, list):
        return ", ".join(_display(item) for item in value) or "–"
    if isinstance(value, dict):
        # Nested structures are not whitelisted field by field; say only that there is one.
        return str(_("(details not shown)"))
    if isinstance(value, str) and value in Assessment.Status.values:
        return str(Assessment.Status(value).label)
    if isinstance(value, str) and value in PriorityAction.Status.values:
        return str(PriorityAction.Status(value).label)
    return str(value)


def _as_snapshot(value: Any) -> dict[str, Any]:
    """Before/after values come as dicts (consensus, next steps), lists (priorities), plain
    statuses, or None (nothing before)."""
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    if isinstance(value, list):
        return {"priorities": value}
    return {"status": value}


def detail_rows(detail: dict[str, Any]) -> list[DetailRow]:
    return [
        DetailRow(label=str(label), value=_display(detail[key]))
        for key, label in DETAIL_LABELS.items()
        if key in detail and detail[key] not in (None, "")
    ]


def change_rows(detail: dict[str, Any]) -> list[ChangeRow]:
    if "before" not in detail and "after" not in detail:
        return []
    before, after = _as_snapshot(detail.get("before")), _as_snapshot(detail.get("after"))
    rows = []
    for key, label in CHANGE_LABELS.items():
        if key in before or key in after:
            rows.append(
                ChangeRow(
                    label=str(label),
                    before=_display(before.get(key)),
                    after=_display(after.get(key)),
                )
            )
    return rows


@dataclass(frozen=True)
class EventView:
    event: AuditEvent
    details: list[DetailRow]
    changes: list[ChangeRow]
    hidden_keys: bool


def _event_view(event: AuditEvent) -> EventView:
    detail = event.detail if isinstance(event.detail, dict) else {}
    shown = set(DETAIL_LABELS) | {"before", "after"}
    hidden = set(detail) - shown - _IGNORED_KEYS
    before_after = [detail.get("before"), detail.get("after")]
    hidden_inner = any(
        set(value) - set(CHANGE_LABELS) - _IGNORED_CHANGE_KEYS
        for value in before_after
        if isinstance(value, dict)
    )
    return EventView(
        event=event,
        details=detail_rows(detail),
        changes=change_rows(detail),
        hidden_keys=bool(hidden) or hidden_inner,
    )


@login_required
def audit_trail(request: HttpRequest, code: UUID) -> HttpResponse:
    # write=True: evaluators read rounds but not their audit trail (403); non-members 404.
    assessment = get_assessment_for(request, code, write=True)
    events = AuditEvent.objects.filter(assessment=assessment).select_related("actor")
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/audit/trail.html",
        {
            "assessment": assessment,
            "page": page,
            "events": [_event_view(event) for event in page.object_list],
        },
    )


urlpatterns: list[URLPattern] = [
    path("rounds/<uuid:code>/audit/", audit_trail, name="audit"),
]
