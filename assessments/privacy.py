"""Data protection: what we hold about one stakeholder, and erasing their identity.

Erasure removes who the person is (name, email, role) and keeps what they said, anonymously:
their IndividualScore rows, levels, reasons and the sector snapshot on their Participant rows
stay, so a finalised round's aggregates, anonymous reasons and report are exactly the same
afterwards. Reasons are kept because every facilitator and evaluator view shows them without
names and in shuffled order; blanking them would change finalised reports. See
docs/data-protection.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Stakeholder

from .models import AuditEvent, IndividualScore, Participant, audit

if TYPE_CHECKING:
    from communities.models import User

ERASED_NAME = "Erased participant"
EXPORT_FORMAT = "smm-stakeholder-data/1"


class ErasureError(Exception):
    """An erasure that cannot be done (already erased, no reason)."""


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _events_about(stakeholder: Stakeholder, participant_codes: list[str]) -> Q:
    """Audit events that mention this person: by their participant code, or by name."""
    query = Q(detail__participant__in=participant_codes) if participant_codes else Q(pk__in=[])
    if stakeholder.erased_at is None and stakeholder.name.strip():
        query |= Q(summary__icontains=stakeholder.name.strip())
    return Q(community=stakeholder.community) & query


def stakeholder_data(stakeholder: Stakeholder) -> dict[str, Any]:
    """Everything held about one person, including their own individual scores and reasons.

    Only for a data subject's own access request: the result names the person next to their
    private scores, which no other screen or export ever does.
    """
    participations = list(
        Participant.objects.filter(stakeholder=stakeholder)
        .select_related("assessment__community", "assessment__focal_issue", "entered_by")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=IndividualScore.objects.select_related("dimension").order_by(
                    "dimension__number"
                ),
            )
        )
        .order_by("assessment__created_at", "pk")
    )
    codes = [str(p.code) for p in participations]
    events = AuditEvent.objects.filter(_events_about(stakeholder, codes)).order_by(
        "created_at", "pk"
    )
    organisation = stakeholder.organisation
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "about": _(
            "Everything this service holds about one person. It contains their private "
            "scores and reasons; it is for that person only."
        ),
        "person": {
            "reference": str(stakeholder.code),
            "name": stakeholder.name,
            "email": stakeholder.email,
            "role": stakeholder.role,
            "sector": stakeholder.sector,
            "active": stakeholder.is_active,
            "added_on": _iso(stakeholder.created_at),
            "erased_at": _iso(stakeholder.erased_at),
            "community": stakeholder.community.name,
        },
        "organisation": (
            {"name": organisation.name, "sector": organisation.sector}
            if organisation is not None
            else None
        ),
        "participations": [
            {
                "round": p.assessment.title,
                "community": p.assessment.community.name,
                "focal_issue": p.assessment.focal_issue.title,
                "round_status": p.assessment.status,
                "sector_at_invitation": p.sector,
                "status": p.status_label,
                "link_issued_at": _iso(p.token_issued_at),
                "invited_at": _iso(p.invited_at),
                "reminded_at": _iso(p.reminded_at),
                "opened_at": _iso(p.opened_at),
                "draft_saved_at": _iso(p.draft_saved_at),
                "submitted_at": _iso(p.submitted_at),
                "paper_sheet_entered_by": p.entered_by.get_username() if p.entered_by else None,
                "scores": [
                    {
                        "dimension": score.dimension.number,
                        "dimension_name": score.dimension.name,
                        "level": score.level,
                        "not_sure": score.not_sure,
                        "reason": score.reason,
                        "updated_at": _iso(score.updated_at),
                    }
                    for score in p.scores.all()
                ],
            }
            for p in participations
        ],
        "records_mentioning_this_person": [
            {"when": _iso(e.created_at), "what": e.get_verb_display(), "summary": e.summary}
            for e in events
        ],
    }


@transaction.atomic
def stakeholder_data_export(*, stakeholder: Stakeholder, by: User) -> dict[str, Any]:
    """The data, with an audit record that says an export happened (and nothing about them
    beyond their reference)."""
    data = stakeholder_data(stakeholder)
    audit(
        verb=AuditEvent.Verb.DATA_EXPORTED,
        summary=_("%(user)s downloaded the data held about a stakeholder (access request)")
        % {"user": by},
        actor=by,
        community=stakeholder.community,
        detail={"stakeholder": str(stakeholder.code)},
    )
    return data


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = re.sub(
                rf"(?<!\w){re.escape(secret)}(?!\w)", ERASED_NAME, text, flags=re.IGNORECASE
            )
    return text


@transaction.atomic
def stakeholder_erase(*, stakeholder: Stakeholder, by: User, reason: str) -> None:
    """Remove a person's identity; keep their anonymous scores so no figure changes."""
    locked = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if locked.erased_at is not None:
        raise ErasureError(_("This person's data has already been erased."))
    reason = reason.strip()
    if not reason:
        raise ErasureError(_("Give the reason for erasing, e.g. “request by email”."))
    identifiers = [locked.name.strip(), locked.email.strip()]
    codes = [str(code) for code in locked.participations.values_list("code", flat=True)]
    # Audit summaries written before (“link issued for <name>”) must not keep the name either.
    mentioning = AuditEvent.objects.select_for_update().filter(_events_about(locked, codes))
    for event in mentioning:
        scrubbed = _scrub(event.summary, identifiers)
        if scrubbed != event.summary:
            event.summary = scrubbed
            event.save(update_fields=["summary"])
    locked.name = ERASED_NAME
    locked.email = ""
    locked.role = ""
    locked.is_active = False
    locked.erased_at = timezone.now()
    locked.save(update_fields=["name", "email", "role", "is_active", "erased_at"])
    stakeholder.refresh_from_db()
    audit(
        verb=AuditEvent.Verb.ERASED,
        summary=_("%(user)s erased a stakeholder's identity (their anonymous scores are kept)")
        % {"user": by},
        actor=by,
        community=locked.community,
        # The typed reason is kept, with the person's name and email taken out of it.
        detail={"stakeholder": str(locked.code), "reason": _scrub(reason, identifiers)},
    )
