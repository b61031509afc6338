"""Backup and restore of one community as JSON (manage.py export_community / import_community).

Everything is referenced by public codes, usernames and the rubric version, never by database
ids, so a backup restores into another (empty) database. Link hashes are included, so personal
links keep working (and replaced ones keep saying "revoked"); plain links are never stored, so
none can be written here. The file contains individual scores with the people who gave them:
it is as sensitive as the database itself.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Model, Q
from django.utils.dateparse import parse_date, parse_datetime

from communities.models import Community, FocalIssue, Membership, Organisation, Stakeholder, User

from .models import (
    Assessment,
    AuditEvent,
    ConsensusScore,
    Dimension,
    IndividualScore,
    Participant,
    PriorityAction,
    RevokedLink,
    Rubric,
)

BACKUP_FORMAT = "smm-community-backup/1"


class BackupError(Exception):
    """A backup file that cannot be restored here; the message says why."""


def _dt(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


# --- export -----------------------------------------------------------------------------------


def community_export(community: Community) -> dict[str, Any]:
    """One community and everything in it, as JSON-ready data."""
    rounds = list(
        Assessment.objects.filter(community=community)
        .select_related("focal_issue", "rubric", "previous", "created_by")
        .order_by("created_at", "pk")
    )
    participants = list(
        Participant.objects.filter(assessment__community=community)
        .select_related("assessment", "stakeholder", "entered_by")
        .prefetch_related("scores__dimension", "revoked_links")
        .order_by("pk")
    )
    consensus = list(
        ConsensusScore.objects.filter(assessment__community=community)
        .select_related("assessment", "dimension", "updated_by")
        .prefetch_related("actions")
        .order_by("pk")
    )
    events = (
        AuditEvent.objects.filter(Q(community=community) | Q(assessment__community=community))
        .select_related("assessment", "actor")
        .order_by("created_at", "pk")
    )
    memberships = Membership.objects.filter(community=community).select_related("user")
    users: dict[str, User] = {m.user.get_username(): m.user for m in memberships}
    for user in (
        *(r.created_by for r in rounds),
        *(p.entered_by for p in participants),
        *(c.updated_by for c in consensus),
        *(e.actor for e in events),
    ):
        if user is not None:
            users.setdefault(user.get_username(), user)
    return {
        "format": BACKUP_FORMAT,
        "community": {
            "code": str(community.code),
            "name": community.name,
            "slug": community.slug,
            "nation": community.nation,
            "local_authority": community.local_authority,
            "description": community.description,
            "is_demo": community.is_demo,
            "created_at": _dt(community.created_at),
        },
        "users": [
            {
                "username": name,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "role": user.role,
            }
            for name, user in sorted(users.items())
        ],
        "memberships": [
            {
                "username": m.user.get_username(),
                "is_local_lead": m.is_local_lead,
                "created_at": _dt(m.created_at),
            }
            for m in memberships
        ],
        "focal_issues": [
            {
                "code": str(f.code),
                "title": f.title,
                "area": f.area,
                "description": f.description,
                "status": f.status,
                "started_on": _dt(f.started_on),
                "ended_on": _dt(f.ended_on),
                "change_reason": f.change_reason,
                "created_at": _dt(f.created_at),
            }
            for f in community.focal_issues.order_by("started_on", "pk")
        ],
        "organisations": [
            {
                "code": str(o.code),
                "name": o.name,
                "sector": o.sector,
                "is_active": o.is_active,
                "created_at": _dt(o.created_at),
            }
            for o in community.organisations.order_by("pk")
        ],
        "stakeholders": [
            {
                "code": str(s.code),
                "name": s.name,
                "email": s.email,
                "organisation": str(s.organisation.code) if s.organisation else None,
                "sector": s.sector,
                "role": s.role,
                "is_active": s.is_active,
                "erased_at": _dt(s.erased_at),
                "created_at": _dt(s.created_at),
            }
            for s in community.stakeholders.select_related("organisation").order_by("pk")
        ],
        "rounds": [
            {
                "code": str(a.code),
                "focal_issue": str(a.focal_issue.code),
                "rubric_version": a.rubric.version,
                "title": a.title,
                "kind": a.kind,
                "status": a.status,
                "deadline": _dt(a.deadline),
                "workshop_date": _dt(a.workshop_date),
                "previous": str(a.previous.code) if a.previous else None,
                "next_review_due": _dt(a.next_review_due),
                "created_by": _username(a.created_by),
                "created_at": _dt(a.created_at),
                "collection_opened_at": _dt(a.collection_opened_at),
                "collection_closed_at": _dt(a.collection_closed_at),
                "finalised_at": _dt(a.finalised_at),
                "current_dimension": a.current_dimension,
                "spread_revealed": a.spread_revealed,
                "room_token_hash": a.room_token_hash,
                "shuffle_seed": a.shuffle_seed,
            }
            for a in rounds
        ],
        "participants": [
            {
                "code": str(p.code),
                "round": str(p.assessment.code),
                "stakeholder": str(p.stakeholder.code),
                "sector": p.sector,
                "token_hash": p.token_hash,
                "token_issued_at": _dt(p.token_issued_at),
                "invited_at": _dt(p.invited_at),
                "reminded_at": _dt(p.reminded_at),
                "opened_at": _dt(p.opened_at),
                "draft_saved_at": _dt(p.draft_saved_at),
                "submitted_at": _dt(p.submitted_at),
                "entered_by": _username(p.entered_by),
                "revoked_links": [
                    {"token_hash": r.token_hash, "revoked_at": _dt(r.revoked_at)}
                    for r in p.revoked_links.all()
                ],
                "scores": [
                    {
                        "dimension": s.dimension.number,
                        "level": s.level,
                        "not_sure": s.not_sure,
                        "reason": s.reason,
                        "updated_at": _dt(s.updated_at),
                    }
                    for s in p.scores.all()
                ],
            }
            for p in participants
        ],
        "consensus": [
            {
                "round": str(c.assessment.code),
                "dimension": c.dimension.number,
                "level": c.level,
                "reason": c.reason,
                "dissent": c.dissent,
                "is_priority": c.is_priority,
                "version": c.version,
                "updated_by": _username(c.updated_by),
                "updated_at": _dt(c.updated_at),
                "actions": [
                    {
                        "action": a.action,
                        "owner": a.owner,
                        "review_date": _dt(a.review_date),
                        "created_at": _dt(a.created_at),
                    }
                    for a in c.actions.all()
                ],
            }
            for c in consensus
        ],
        "audit_events": [
            {
                "round": str(e.assessment.code) if e.assessment else None,
                "actor": _username(e.actor),
                "verb": e.verb,
                "summary": e.summary,
                "detail": e.detail,
                "created_at": _dt(e.created_at),
            }
            for e in events
        ],
    }


# --- import -----------------------------------------------------------------------------------


def _when(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


def _day(value: str | None) -> datetime.date | None:
    return parse_date(value) if value else None


def _required_when(value: str) -> datetime.datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise BackupError(f"Not a date and time: {value!r}")
    return parsed


def _required_day(value: str) -> datetime.date:
    parsed = parse_date(value)
    if parsed is None:
        raise BackupError(f"Not a date: {value!r}")
    return parsed


def _restore_timestamps(objects: Sequence[Model], values: list[str | None], field: str) -> None:
    """auto_now / auto_now_add fields ignore values given on create; set them afterwards."""
    changed = []
    for obj, value in zip(objects, values, strict=True):
        if value:
            setattr(obj, field, _when(value))
            changed.append(obj)
    if changed:
        type(changed[0])._default_manager.bulk_update(changed, [field])


def _users(rows: list[dict[str, Any]]) -> dict[str, User]:
    """Match users by username; create the missing ones inactive, with no usable password,
    so nobody can log in as them until an admin activates and resets them."""
    users = {
        u.get_username(): u for u in User.objects.filter(username__in=[r["username"] for r in rows])
    }
    for row in rows:
        if row["username"] not in users:
            user = User(
                username=row["username"],
                email=row.get("email", ""),
                first_name=row.get("first_name", ""),
                last_name=row.get("last_name", ""),
                role=row.get("role") or User.Role.FACILITATOR,
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
            users[user.get_username()] = user
    return users


@transaction.atomic
def community_import(data: dict[str, Any]) -> Community:
    """Restore a community_export() result. The community must not exist here yet."""
    if data.get("format") != BACKUP_FORMAT:
        raise BackupError(f"Not an smm community backup (format {data.get('format')!r}).")
    meta = data["community"]
    if Community.objects.filter(Q(slug=meta["slug"]) | Q(code=meta["code"])).exists():
        raise BackupError(
            f"A community “{meta['slug']}” already exists here; restore into an empty database."
        )
    versions = {r["rubric_version"] for r in data["rounds"]}
    rubrics = {r.version: r for r in Rubric.objects.filter(version__in=versions)}
    missing = versions - set(rubrics)
    if missing:
        raise BackupError(f"Rubric version(s) {', '.join(sorted(missing))} are not loaded here.")
    dimensions = {
        (d.rubric_id, d.number): d for d in Dimension.objects.filter(rubric__in=rubrics.values())
    }
    users = _users(data["users"])

    def user(name: str | None) -> User | None:
        return users[name] if name else None

    community = Community.objects.create(
        code=meta["code"],
        name=meta["name"],
        slug=meta["slug"],
        nation=meta["nation"],
        local_authority=meta["local_authority"],
        description=meta["description"],
        is_demo=meta["is_demo"],
    )
    _restore_timestamps([community], [meta["created_at"]], "created_at")

    memberships = Membership.objects.bulk_create(
        Membership(community=community, user=users[m["username"]], is_local_lead=m["is_local_lead"])
        for m in data["memberships"]
    )
    _restore_timestamps(memberships, [m["created_at"] for m in data["memberships"]], "created_at")

    issues = FocalIssue.objects.bulk_create(
        FocalIssue(
            community=community,
            code=f["code"],
            title=f["title"],
            area=f["area"],
            description=f["description"],
            status=f["status"],
            started_on=_required_day(f["started_on"]),
            ended_on=_day(f["ended_on"]),
            change_reason=f["change_reason"],
        )
        for f in data["focal_issues"]
    )
    _restore_timestamps(issues, [f["created_at"] for f in data["focal_issues"]], "created_at")
    issue_by_code = {str(i.code): i for i in issues}

    organisations = Organisation.objects.bulk_create(
        Organisation(
            community=community,
            code=o["code"],
            name=o["name"],
            sector=o["sector"],
            is_active=o["is_active"],
        )
        for o in data["organisations"]
    )
    _restore_timestamps(
        organisations,
        [o["created_at"] for o in data["organisations"]],
        "created_at",
    )
    org_by_code = {str(o.code): o for o in organisations}

    stakeholders = Stakeholder.objects.bulk_create(
        Stakeholder(
            community=community,
            code=s["code"],
            name=s["name"],
            email=s["email"],
            organisation=org_by_code[s["organisation"]] if s["organisation"] else None,
            sector=s["sector"],
            role=s["role"],
            is_active=s["is_active"],
            erased_at=_when(s["erased_at"]),
        )
        for s in data["stakeholders"]
    )
    _restore_timestamps(
        stakeholders,
        [s["created_at"] for s in data["stakeholders"]],
        "created_at",
    )
    stakeholder_by_code = {str(s.code): s for s in stakeholders}

    rounds = []
    for r in data["rounds"]:
        # Saved one by one (not bulk) so the model's save() runs; shuffle_seed is given, so
        # anonymous reasons come back in the same order.
        assessment = Assessment(
            community=community,
            code=r["code"],
            focal_issue=issue_by_code[r["focal_issue"]],
            rubric=rubrics[r["rubric_version"]],
            title=r["title"],
            kind=r["kind"],
            status=r["status"],
            deadline=_day(r["deadline"]),
            workshop_date=_day(r["workshop_date"]),
            next_review_due=_day(r["next_review_due"]),
            created_by=user(r["created_by"]),
            collection_opened_at=_when(r["collection_opened_at"]),
            collection_closed_at=_when(r["collection_closed_at"]),
            finalised_at=_when(r["finalised_at"]),
            current_dimension=r["current_dimension"],
            spread_revealed=r["spread_revealed"],
            room_token_hash=r["room_token_hash"],
            shuffle_seed=r["shuffle_seed"],
        )
        assessment.save()
        rounds.append(assessment)
    _restore_timestamps(rounds, [r["created_at"] for r in data["rounds"]], "created_at")
    round_by_code = {str(a.code): a for a in rounds}
    with_previous = []
    for assessment, r in zip(rounds, data["rounds"], strict=True):
        if r["previous"]:
            assessment.previous = round_by_code[r["previous"]]
            with_previous.append(assessment)
    if with_previous:
        Assessment.objects.bulk_update(with_previous, ["previous"])

    participants = Participant.objects.bulk_create(
        Participant(
            code=p["code"],
            assessment=round_by_code[p["round"]],
            stakeholder=stakeholder_by_code[p["stakeholder"]],
            sector=p["sector"],
            token_hash=p["token_hash"],
            token_issued_at=_required_when(p["token_issued_at"]),
            invited_at=_when(p["invited_at"]),
            reminded_at=_when(p["reminded_at"]),
            opened_at=_when(p["opened_at"]),
            draft_saved_at=_when(p["draft_saved_at"]),
            submitted_at=_when(p["submitted_at"]),
            entered_by=user(p["entered_by"]),
        )
        for p in data["participants"]
    )
    revoked: list[RevokedLink] = []
    revoked_times: list[str | None] = []
    scores: list[IndividualScore] = []
    score_times: list[str | None] = []
    for participant, p in zip(participants, data["participants"], strict=True):
        rubric_id = participant.assessment.rubric_id
        for link in p["revoked_links"]:
            revoked.append(RevokedLink(participant=participant, token_hash=link["token_hash"]))
            revoked_times.append(link["revoked_at"])
        for s in p["scores"]:
            scores.append(
                IndividualScore(
                    participant=participant,
                    dimension=dimensions[(rubric_id, s["dimension"])],
                    level=s["level"],
                    not_sure=s["not_sure"],
                    reason=s["reason"],
                )
            )
            score_times.append(s["updated_at"])
    _restore_timestamps(RevokedLink.objects.bulk_create(revoked), revoked_times, "revoked_at")
    _restore_timestamps(IndividualScore.objects.bulk_create(scores), score_times, "updated_at")

    agreed = ConsensusScore.objects.bulk_create(
        ConsensusScore(
            assessment=round_by_code[c["round"]],
            dimension=dimensions[(round_by_code[c["round"]].rubric_id, c["dimension"])],
            level=c["level"],
            reason=c["reason"],
            dissent=c["dissent"],
            is_priority=c["is_priority"],
            version=c["version"],
            updated_by=user(c["updated_by"]),
        )
        for c in data["consensus"]
    )
    _restore_timestamps(agreed, [c["updated_at"] for c in data["consensus"]], "updated_at")
    actions: list[PriorityAction] = []
    action_times: list[str | None] = []
    for score, c in zip(agreed, data["consensus"], strict=True):
        for a in c["actions"]:
            actions.append(
                PriorityAction(
                    consensus=score,
                    action=a["action"],
                    owner=a["owner"],
                    review_date=_day(a["review_date"]),
                )
            )
            action_times.append(a["created_at"])
    _restore_timestamps(PriorityAction.objects.bulk_create(actions), action_times, "created_at")

    AuditEvent.objects.bulk_create(
        AuditEvent(
            community=community,
            assessment=round_by_code[e["round"]] if e["round"] else None,
            actor=user(e["actor"]),
            verb=e["verb"],
            summary=e["summary"],
            detail=e["detail"],
            created_at=_required_when(e["created_at"]),
        )
        for e in data["audit_events"]
    )
    return community
