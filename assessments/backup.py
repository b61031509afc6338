"""Backup and restore of one community as JSON (manage.py export_community / import_community).

Everything is referenced by public codes, usernames and the rubric version, never by database
ids, so a backup restores into another (empty) database. Link hashes are included, so personal
links keep working (and replaced ones keep saying "revoked"); plain links are never stored, so
none can be written here. The file contains individual scores with the people who gave them:
it is as sensitive as the database itself.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.db.models import Model, Q
from django.utils.dateparse import parse_date, parse_datetime

from communities.models import Community, FocalIssue, Membership, Organisation, Stakeholder, User

from .models import (
    ActionNote,
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


def _fields(names: str) -> list[str]:
    return names.split()


# The fields each kind of record keeps as they are (codes, text, numbers, dates); the links
# between records (by code, username or number) are written beside them.
COMMUNITY = _fields("code name slug nation local_authority description is_demo")
USER = _fields("username email first_name last_name role")
FOCAL_ISSUE = _fields("code title area description status started_on ended_on change_reason")
ORGANISATION = _fields("code name sector is_active")
STAKEHOLDER = _fields("code name email sector role is_active erased_at")
ROUND = _fields("""code title kind status deadline workshop_date next_review_due
    collection_opened_at collection_closed_at finalised_at current_dimension spread_revealed
    room_token_hash room_link_version shuffle_seed""")
PARTICIPANT = _fields("""code sector token_hash link_version token_issued_at invited_at reminded_at
    opened_at draft_saved_at submitted_at""")
SCORE = _fields("level not_sure reason")
CONSENSUS = _fields("level reason dissent is_priority target_level move_up version")
ACTION = _fields("action owner review_date status reminded_at")
NOTE = _fields("written_on text")
EVENT = _fields("verb summary detail created_at")


class BackupError(Exception):
    """A backup file that cannot be restored here; the message says why."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


def _row(obj: Model, fields: Iterable[str], **links: Any) -> dict[str, Any]:
    return {**{name: _plain(getattr(obj, name)) for name in fields}, **links}


def _code(obj: Any) -> str | None:
    return str(obj.code) if obj is not None else None


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
        .prefetch_related("actions__notes__author")
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
        *(n.author for c in consensus for a in c.actions.all() for n in a.notes.all()),
        *(e.actor for e in events),
    ):
        if user is not None:
            users.setdefault(user.get_username(), user)
    created = ["created_at"]
    return {
        "format": BACKUP_FORMAT,
        "community": _row(community, COMMUNITY + created),
        "users": [_row(user, USER) for _, user in sorted(users.items())],
        "memberships": [
            _row(m, ["is_local_lead", *created], username=m.user.get_username())
            for m in memberships
        ],
        "focal_issues": [
            _row(f, FOCAL_ISSUE + created)
            for f in community.focal_issues.order_by("started_on", "pk")
        ],
        "organisations": [
            _row(o, ORGANISATION + created) for o in community.organisations.order_by("pk")
        ],
        "stakeholders": [
            _row(s, STAKEHOLDER + created, organisation=_code(s.organisation))
            for s in community.stakeholders.select_related("organisation").order_by("pk")
        ],
        "rounds": [
            _row(
                a,
                ROUND + created,
                focal_issue=_code(a.focal_issue),
                rubric_version=a.rubric.version,
                previous=_code(a.previous),
                created_by=_username(a.created_by),
            )
            for a in rounds
        ],
        "participants": [
            _row(
                p,
                PARTICIPANT,
                round=_code(p.assessment),
                stakeholder=_code(p.stakeholder),
                entered_by=_username(p.entered_by),
                revoked_links=[
                    _row(r, ["token_hash", "revoked_at"]) for r in p.revoked_links.all()
                ],
                scores=[
                    _row(s, [*SCORE, "updated_at"], dimension=s.dimension.number)
                    for s in p.scores.all()
                ],
            )
            for p in participants
        ],
        "consensus": [
            _row(
                c,
                [*CONSENSUS, "updated_at"],
                round=_code(c.assessment),
                dimension=c.dimension.number,
                updated_by=_username(c.updated_by),
                actions=[
                    _row(
                        a,
                        [*ACTION, *created, "updated_at"],
                        notes=[
                            _row(n, NOTE + created, author=_username(n.author))
                            for n in a.notes.all()
                        ],
                    )
                    for a in c.actions.all()
                ],
            )
            for c in consensus
        ],
        "audit_events": [
            _row(e, EVENT, round=_code(e.assessment), actor=_username(e.actor)) for e in events
        ],
    }


# --- import -----------------------------------------------------------------------------------


def _value(field: Any, value: Any) -> Any:
    """A backup's value as the field takes it: dates parsed, a missing required one refused."""
    if value is None:
        if not field.null:
            raise BackupError(f"No {field.name} in a {field.model.__name__} record.")
        return None
    if isinstance(field, models.DateTimeField):
        parsed: Any = parse_datetime(value)
    elif isinstance(field, models.DateField):
        parsed = parse_date(value)
    else:
        return value
    if parsed is None:
        raise BackupError(f"Not a date: {value!r}")
    return parsed


def _build[M: Model](model: type[M], row: dict[str, Any], fields: Iterable[str], **links: Any) -> M:
    meta = model._meta
    values = {}
    for n in fields:
        field: Any = meta.get_field(n)
        # A backup from before a field existed (the link versions) takes the field's default.
        values[n] = _value(field, row[n]) if n in row else field.get_default()
    return model(**values, **links)


def _restore_timestamps(objects: Sequence[Model], rows: list[dict[str, Any]], field: str) -> None:
    """auto_now / auto_now_add fields ignore values given on create; set them afterwards."""
    changed = []
    for obj, row in zip(objects, rows, strict=True):
        if row.get(field):
            setattr(obj, field, parse_datetime(row[field]))
            changed.append(obj)
    if changed:
        type(changed[0])._default_manager.bulk_update(changed, [field])


def _created[M: Model](model: type[M], rows: list[dict[str, Any]], objects: Iterable[M]) -> list[M]:
    made = model._default_manager.bulk_create(objects)
    _restore_timestamps(made, rows, "created_at")
    return made


def _users(rows: list[dict[str, Any]]) -> dict[str, User]:
    """Match users by username; create the missing ones inactive, with no usable password,
    so nobody can log in as them until an admin activates and resets them."""
    users = {
        u.get_username(): u for u in User.objects.filter(username__in=[r["username"] for r in rows])
    }
    for row in rows:
        if row["username"] not in users:
            user = User(**{n: row.get(n) or "" for n in USER}, is_active=False)
            user.role = user.role or User.Role.FACILITATOR
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

    community = _build(Community, meta, COMMUNITY)
    community.save()
    _restore_timestamps([community], [meta], "created_at")
    rows = data["memberships"]
    _created(
        Membership,
        rows,
        (
            _build(Membership, m, ["is_local_lead"], community=community, user=users[m["username"]])
            for m in rows
        ),
    )
    rows = data["focal_issues"]
    issues = _created(
        FocalIssue, rows, (_build(FocalIssue, f, FOCAL_ISSUE, community=community) for f in rows)
    )
    issue_by_code = {str(i.code): i for i in issues}
    rows = data["organisations"]
    organisations = _created(
        Organisation,
        rows,
        (_build(Organisation, o, ORGANISATION, community=community) for o in rows),
    )
    org_by_code = {str(o.code): o for o in organisations}
    rows = data["stakeholders"]
    stakeholders = _created(
        Stakeholder,
        rows,
        (
            _build(
                Stakeholder,
                s,
                STAKEHOLDER,
                community=community,
                organisation=org_by_code[s["organisation"]] if s["organisation"] else None,
            )
            for s in rows
        ),
    )
    stakeholder_by_code = {str(s.code): s for s in stakeholders}

    rounds = []
    for r in data["rounds"]:
        # Saved one by one (not bulk) so the model's save() runs; shuffle_seed is given, so
        # anonymous reasons come back in the same order.
        assessment = _build(
            Assessment,
            r,
            ROUND,
            community=community,
            focal_issue=issue_by_code[r["focal_issue"]],
            rubric=rubrics[r["rubric_version"]],
            created_by=user(r["created_by"]),
        )
        assessment.save()
        rounds.append(assessment)
    _restore_timestamps(rounds, data["rounds"], "created_at")
    round_by_code = {str(a.code): a for a in rounds}
    with_previous = []
    for assessment, r in zip(rounds, data["rounds"], strict=True):
        if r["previous"]:
            assessment.previous = round_by_code[r["previous"]]
            with_previous.append(assessment)
    if with_previous:
        Assessment.objects.bulk_update(with_previous, ["previous"])

    participants = Participant.objects.bulk_create(
        _build(
            Participant,
            p,
            PARTICIPANT,
            assessment=round_by_code[p["round"]],
            stakeholder=stakeholder_by_code[p["stakeholder"]],
            entered_by=user(p["entered_by"]),
        )
        for p in data["participants"]
    )
    revoked: list[RevokedLink] = []
    revoked_rows: list[dict[str, Any]] = []
    scores: list[IndividualScore] = []
    score_rows: list[dict[str, Any]] = []
    for participant, p in zip(participants, data["participants"], strict=True):
        rubric_id = participant.assessment.rubric_id
        for link in p["revoked_links"]:
            revoked.append(_build(RevokedLink, link, ["token_hash"], participant=participant))
            revoked_rows.append(link)
        for s in p["scores"]:
            dimension = dimensions[(rubric_id, s["dimension"])]
            scores.append(
                _build(IndividualScore, s, SCORE, participant=participant, dimension=dimension)
            )
            score_rows.append(s)
    _restore_timestamps(RevokedLink.objects.bulk_create(revoked), revoked_rows, "revoked_at")
    _restore_timestamps(IndividualScore.objects.bulk_create(scores), score_rows, "updated_at")

    rows = data["consensus"]
    agreed = ConsensusScore.objects.bulk_create(
        _build(
            ConsensusScore,
            c,
            CONSENSUS,
            assessment=round_by_code[c["round"]],
            dimension=dimensions[(round_by_code[c["round"]].rubric_id, c["dimension"])],
            updated_by=user(c["updated_by"]),
        )
        for c in rows
    )
    _restore_timestamps(agreed, rows, "updated_at")
    rows = [
        {**a, "consensus": score}
        for score, c in zip(agreed, rows, strict=True)
        for a in c["actions"]
    ]
    actions = _created(
        PriorityAction,
        rows,
        (_build(PriorityAction, a, ACTION, consensus=a["consensus"]) for a in rows),
    )
    _restore_timestamps(actions, rows, "updated_at")
    # Progress notes (a backup from before them has none).
    note_rows = [
        {**n, "action": action}
        for action, a in zip(actions, rows, strict=True)
        for n in a.get("notes", [])
    ]
    _created(
        ActionNote,
        note_rows,
        (
            _build(ActionNote, n, NOTE, action=n["action"], author=user(n.get("author")))
            for n in note_rows
        ),
    )
    AuditEvent.objects.bulk_create(
        _build(
            AuditEvent,
            e,
            EVENT,
            community=community,
            assessment=round_by_code[e["round"]] if e["round"] else None,
            actor=user(e["actor"]),
        )
        for e in data["audit_events"]
    )
    return community
