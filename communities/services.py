"""Writes that span several rows or models: focal-issue changes, removals and CSV imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from assessments.models import AuditEvent, Participant, audit

from .csv_io import Action, ImportPlan, ParsedRow, plan_import
from .models import Community, FocalIssue, Organisation, Stakeholder, User

Removal = Literal["deleted", "deactivated"]


@transaction.atomic
def focal_issue_choose(
    *,
    community: Community,
    by: User,
    title: str,
    area: str,
    description: str,
    started_on: date,
    how: str = "",
    reason: str = "",
) -> FocalIssue:
    """Make a new focal issue current. The old one is kept, marked narrowed, reset or
    replaced, with the day it ended and why."""
    previous = (
        FocalIssue.objects.select_for_update()
        .filter(community=community, status=FocalIssue.Status.CURRENT)
        .first()
    )
    if previous is not None:
        previous.status = how or FocalIssue.Status.REPLACED
        previous.ended_on = started_on
        previous.change_reason = reason
        previous.full_clean()
        previous.save(update_fields=["status", "ended_on", "change_reason"])
    issue = FocalIssue(
        community=community,
        title=title,
        area=area,
        description=description,
        started_on=started_on,
        status=FocalIssue.Status.CURRENT,
    )
    issue.full_clean()
    issue.save()
    if previous is None:
        summary = _("Focal issue chosen: %(title)s") % {"title": title}
    else:
        summary = _("Focal issue %(how)s: %(old)s → %(new)s") % {
            "how": previous.get_status_display().lower(),
            "old": previous.title,
            "new": title,
        }
    audit(
        verb=AuditEvent.Verb.COMMUNITY_CHANGED,
        summary=summary,
        actor=by,
        community=community,
        detail={"focal_issue": str(issue.code), "reason": reason},
    )
    return issue


def stakeholder_took_part(stakeholder: Stakeholder) -> bool:
    return Participant.objects.filter(stakeholder=stakeholder).exists()


def organisation_took_part(organisation: Organisation) -> bool:
    return Participant.objects.filter(stakeholder__organisation=organisation).exists()


@transaction.atomic
def stakeholder_remove(*, stakeholder: Stakeholder, by: User) -> Removal:
    """Delete someone who never took part in a round; otherwise only deactivate them,
    so nothing they contributed vanishes."""
    community = stakeholder.community
    name = stakeholder.name
    if stakeholder_took_part(stakeholder):
        stakeholder.is_active = False
        stakeholder.save(update_fields=["is_active"])
        outcome: Removal = "deactivated"
        summary = _("Stakeholder deactivated: %(name)s") % {"name": name}
    else:
        stakeholder.delete()
        outcome = "deleted"
        summary = _("Stakeholder deleted: %(name)s") % {"name": name}
    audit(verb=AuditEvent.Verb.COMMUNITY_CHANGED, summary=summary, actor=by, community=community)
    return outcome


@transaction.atomic
def organisation_remove(*, organisation: Organisation, by: User) -> Removal:
    """Like stakeholder_remove. Deleting an organisation that never took part leaves its
    stakeholders in the network, without an organisation."""
    community = organisation.community
    name = organisation.name
    if organisation_took_part(organisation):
        organisation.is_active = False
        organisation.save(update_fields=["is_active"])
        outcome: Removal = "deactivated"
        summary = _("Organisation deactivated: %(name)s") % {"name": name}
    else:
        organisation.stakeholders.update(organisation=None)
        organisation.delete()
        outcome = "deleted"
        summary = _("Organisation deleted: %(name)s") % {"name": name}
    audit(verb=AuditEvent.Verb.COMMUNITY_CHANGED, summary=summary, actor=by, community=community)
    return outcome


def import_plan_for(community: Community, rows: Sequence[ParsedRow]) -> ImportPlan:
    """Check parsed rows against what the community holds right now (two queries)."""
    existing_emails = dict(
        Stakeholder.objects.filter(community=community)
        .exclude(email="")
        .annotate(email_key=Lower("email"))
        .values_list("email_key", "name")
    )
    existing_organisations = dict(
        Organisation.objects.filter(community=community)
        .annotate(name_key=Lower("name"))
        .values_list("name_key", "sector")
    )
    return plan_import(
        rows, existing_emails=existing_emails, existing_organisations=existing_organisations
    )


class ImportRejected(Exception):
    def __init__(self, plan: ImportPlan) -> None:
        super().__init__("import has problems")
        self.plan = plan


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int
    organisations_created: int


@transaction.atomic
def stakeholders_import(
    *, community: Community, rows: Sequence[ParsedRow], by: User
) -> ImportResult:
    """All or nothing: re-check the rows against current data, then write them in bulk.

    A fixed number of queries whatever the number of rows (bulk create and update)."""
    # Serialise imports into one community so two uploads cannot both create a person.
    Community.objects.select_for_update().get(pk=community.pk)
    plan = import_plan_for(community, rows)
    if not plan.is_valid:
        raise ImportRejected(plan)

    organisations = {
        org.name.lower(): org for org in Organisation.objects.filter(community=community)
    }
    new_organisations = [
        Organisation(community=community, name=row.organisation, sector=row.sector)
        for row in plan.rows
        if row.new_organisation and not row.problems
    ]
    created_orgs = Organisation.objects.bulk_create(new_organisations, batch_size=500)
    organisations.update({org.name.lower(): org for org in created_orgs})

    to_update_by_email = {
        row.email.lower(): row for row in plan.rows if row.action == Action.UPDATE
    }
    # One read of the community's stakeholders beats an IN list of thousands of emails.
    existing = Stakeholder.objects.filter(community=community).exclude(email="")
    updated: list[Stakeholder] = []
    for stakeholder in existing if to_update_by_email else ():
        row = to_update_by_email.get(stakeholder.email.lower())
        if row is None:
            continue
        stakeholder.name = row.name
        stakeholder.organisation = organisations.get(row.organisation.lower())
        stakeholder.sector = row.sector
        stakeholder.role = row.role
        updated.append(stakeholder)
    Stakeholder.objects.bulk_update(
        updated, ["name", "organisation", "sector", "role"], batch_size=500
    )
    created = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                community=community,
                name=row.name,
                email=row.email,
                organisation=organisations.get(row.organisation.lower()),
                sector=row.sector,
                role=row.role,
            )
            for row in plan.rows
            if row.action == Action.CREATE
        ],
        batch_size=500,
    )
    result = ImportResult(
        created=len(created),
        updated=len(updated),
        skipped=plan.skips,
        organisations_created=len(created_orgs),
    )
    audit(
        verb=AuditEvent.Verb.COMMUNITY_CHANGED,
        summary=_("Stakeholders imported: %(created)s added, %(updated)s updated")
        % {"created": result.created, "updated": result.updated},
        actor=by,
        community=community,
        detail={
            "created": result.created,
            "updated": result.updated,
            "skipped": result.skipped,
            "organisations_created": result.organisations_created,
        },
    )
    return result
