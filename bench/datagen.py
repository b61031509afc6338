"""The synthetic national data set, written with PostgreSQL COPY.

Shape (defaults): 300 communities x 6 rounds x 40 participants x 9 dimensions = 648,000
IndividualScore rows. Per community: a current focal issue (and a replaced earlier one), 12
organisations, 60 stakeholders, rounds 1-5 finalised with consensus scores and priority actions,
round 6 collecting (two communities in three) or in workshop (one in three).

Personal links are deterministic (`bench_token(participant_id)`), so the load client can reach
any participant without storing plain tokens anywhere.

Requires django.setup() to have run against the target database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

BENCH_PASSWORD = "bench-password-not-a-secret"  # bench database only
SLUG_PREFIX = "bench-"
SUBMIT_ROUND_TITLE = "bench submission run"

SECTORS = [
    "statutory",
    "health",
    "police-justice",
    "housing",
    "vcs",
    "small-charity",
    "private",
    "faith",
    "lived-experience",
]
ROLES = ["Partner", "Commissioner", "Local Implementation Lead", "Person with lived experience"]
FIRST = [
    "Alex",
    "Sam",
    "Jo",
    "Priya",
    "Owen",
    "Rhian",
    "Tom",
    "Aisha",
    "Gareth",
    "Mia",
    "Dev",
    "Lee",
]
LAST = ["Jones", "Patel", "Evans", "Smith", "Khan", "Hughes", "Brown", "Davies", "Ali", "Price"]
PHRASES = [
    "Partners meet monthly but decisions still happen elsewhere.",
    "The housing forum shares data, though not with the voluntary sector.",
    "People with lived experience sit on the board now, which is new.",
    "We have a shared plan on paper; funding is still siloed.",
    "Referrals between agencies work when the right people are in post.",
    "Commissioners talk about co-production but contracts have not changed.",
    "For example, the hub pilot joined up outreach and health checks.",
    "Leadership changes at the council set us back a year.",
    "Small charities are invited late and cannot shape priorities.",
    "Data is collected by everyone and used by no one.",
    "There is real goodwill; what is missing is time and a backbone team.",
    "The alliance has started to hold services to account.",
]


@dataclass(frozen=True)
class Scale:
    communities: int = 300
    rounds: int = 6
    participants: int = 40
    stakeholders: int = 60
    organisations: int = 12
    facilitators: int = 25
    communities_per_facilitator: int = 12

    @property
    def individual_scores(self) -> int:
        return self.communities * self.rounds * self.participants * 9


FULL = Scale()


def bench_token(participant_id: int) -> str:
    """The personal link of a generated participant (43 URL-safe characters, like new_token)."""
    digest = hashlib.sha256(f"smm-bench-link:{participant_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:43]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- COPY encoding -------------------------------------------------------------------------


def _enc(value: Any) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


class Copier:
    """Streams rows for one model into COPY, filling omitted fields with the model's defaults
    (so a field the lead adds later with a default does not break the generator)."""

    CHUNK = 50_000

    def __init__(self, cursor: Any, model: Any, now: dt.datetime) -> None:
        from django.db import models

        self.cursor = cursor
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.defaults: list[Any] = []
        for f in self.fields:
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                self.defaults.append(lambda now=now: now)
            else:  # the declared default, or "" for text and None for nullable fields
                self.defaults.append(f.get_default)
        cols = ", ".join(f'"{f.column}"' for f in self.fields)
        self.sql = f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN'
        self.buf = io.StringIO()
        self.pending = 0
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        values = []
        for f, default in zip(self.fields, self.defaults, strict=True):
            v = row[f.attname] if f.attname in row else default()
            if isinstance(v, uuid.UUID):
                v = str(v)
            values.append(_enc(v))
        self.buf.write("\t".join(values))
        self.buf.write("\n")
        self.pending += 1
        if self.pending >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.buf.seek(0)
            self.cursor.copy_expert(self.sql, self.buf)
            self.count += self.pending
            self.buf = io.StringIO()
            self.pending = 0


def _next_id(cursor: Any, model: Any) -> int:
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
    return int(cursor.fetchone()[0])


def _ids(start: int) -> Iterator[int]:
    i = start
    while True:
        yield i
        i += 1


# --- the generator -------------------------------------------------------------------------


def expected_counts(scale: Scale) -> dict[str, int]:
    c = scale.communities
    return {
        "communities": c,
        "rounds": c * scale.rounds,
        "participants": c * scale.rounds * scale.participants,
        "individual_scores": scale.individual_scores,
        "consensus_scores": c * (scale.rounds - 1) * 9,
    }


def actual_counts() -> dict[str, int]:
    from assessments.models import Assessment, ConsensusScore, IndividualScore, Participant
    from communities.models import Community

    bench = {"community__slug__startswith": SLUG_PREFIX}
    rounds = Assessment.objects.filter(**bench).exclude(title=SUBMIT_ROUND_TITLE)
    return {
        "communities": Community.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "rounds": rounds.count(),
        "participants": Participant.objects.filter(assessment__in=rounds).count(),
        "individual_scores": IndividualScore.objects.filter(
            participant__assessment__in=rounds
        ).count(),
        "consensus_scores": ConsensusScore.objects.filter(assessment__in=rounds).count(),
    }


def generate(scale: Scale = FULL, *, seed: int = 20250601, log: Any = print) -> dict[str, int]:
    """Write the data set into an empty (migrated) database. Returns row counts per table."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from assessments.models import (
        Assessment,
        ConsensusScore,
        Dimension,
        IndividualScore,
        Participant,
        PriorityAction,
        Rubric,
    )
    from communities.models import (
        Community,
        FocalIssue,
        Membership,
        Organisation,
        Stakeholder,
        User,
    )

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    rubric = Rubric.current()
    dimension_ids = list(
        Dimension.objects.filter(rubric=rubric).order_by("number").values_list("id", flat=True)
    )
    assert len(dimension_ids) == 9, dimension_ids
    password = make_password(BENCH_PASSWORD)
    reasons = [" ".join(rng.sample(PHRASES, k)) for k in (1, 1, 2, 2, 3) for _ in range(40)] + [
        ""
    ] * 60

    with transaction.atomic(), connection.cursor() as cur:
        ids = {
            m: _ids(_next_id(cur, m))
            for m in (
                User,
                Community,
                FocalIssue,
                Organisation,
                Stakeholder,
                Membership,
                Assessment,
                Participant,
                IndividualScore,
                ConsensusScore,
                PriorityAction,
            )
        }
        copiers = {m: Copier(cur, m, now) for m in ids}

        # Users: an evaluator and facilitators, each a member of a block of communities.
        def user(username: str, role: str) -> int:
            pk = next(ids[User])
            copiers[User].add(
                {
                    "id": pk,
                    "username": username,
                    "password": password,
                    "role": role,
                    "email": f"{username}@bench.invalid",
                    "first_name": "",
                    "last_name": "",
                    "is_active": True,
                    "is_staff": False,
                    "is_superuser": False,
                    "date_joined": now,
                    "last_login": None,
                }
            )
            return pk

        user("bench-evaluator", "evaluator")
        facilitators = [
            user("bench-facilitator" if i == 0 else f"bench-facilitator-{i}", "facilitator")
            for i in range(scale.facilitators)
        ]
        copiers[User].flush()

        started = dt.date(2015, 1, 1)
        for c in range(scale.communities):
            cid = next(ids[Community])
            name = f"Bench Town {c + 1:03d}"
            copiers[Community].add(
                {
                    "id": cid,
                    "name": name,
                    "slug": f"{SLUG_PREFIX}town-{c + 1:03d}",
                    "nation": "wales" if c % 5 == 0 else "england",
                    "local_authority": f"{name} Council",
                    "description": "A synthetic community for the performance benchmark.",
                    "is_demo": False,
                }
            )
            f_index = (c // scale.communities_per_facilitator) % len(facilitators)
            copiers[Membership].add(
                {
                    "id": next(ids[Membership]),
                    "user_id": facilitators[f_index],
                    "community_id": cid,
                    "is_local_lead": False,
                }
            )
            old_focal = next(ids[FocalIssue])
            copiers[FocalIssue].add(
                {
                    "id": old_focal,
                    "community_id": cid,
                    "title": "Homelessness",
                    "area": "homelessness",
                    "status": "replaced",
                    "started_on": started,
                    "ended_on": dt.date(2017, 12, 31),
                    "change_reason": "Narrowed to rough sleeping after the first review.",
                }
            )
            focal = next(ids[FocalIssue])
            copiers[FocalIssue].add(
                {
                    "id": focal,
                    "community_id": cid,
                    "title": "Rough sleeping and housing pathways",
                    "area": "homelessness",
                    "status": "current",
                    "started_on": dt.date(2018, 1, 1),
                }
            )
            orgs = []
            for o in range(scale.organisations):
                oid = next(ids[Organisation])
                sector = SECTORS[o % len(SECTORS)]
                orgs.append((oid, sector))
                copiers[Organisation].add(
                    {
                        "id": oid,
                        "community_id": cid,
                        "name": f"{name} {sector.replace('-', ' ').title()} {o + 1}",
                        "sector": sector,
                        "is_active": True,
                    }
                )
            stakeholders = []
            for s in range(scale.stakeholders):
                sid = next(ids[Stakeholder])
                oid, sector = orgs[s % len(orgs)]
                stakeholders.append((sid, sector))
                copiers[Stakeholder].add(
                    {
                        "id": sid,
                        "community_id": cid,
                        "name": f"{FIRST[s % len(FIRST)]} {LAST[(s // len(FIRST)) % len(LAST)]} {s + 1}",
                        "email": f"person{s + 1}@town-{c + 1:03d}.bench.invalid",
                        "organisation_id": oid,
                        "sector": sector,
                        "role": ROLES[s % len(ROLES)],
                        "is_active": s < scale.stakeholders - 3,
                        "erased_at": None,
                    }
                )
            truth = [rng.randint(1, 4) for _ in range(9)]
            previous = None
            for r in range(scale.rounds):
                aid = next(ids[Assessment])
                last = r == scale.rounds - 1
                opened = dt.datetime(2015 + r * 18 // 12, 1 + (r * 18) % 12, 10, tzinfo=dt.UTC)
                if last:
                    status = "workshop" if c % 3 == 0 else "collecting"
                    opened = now - dt.timedelta(days=20)
                else:
                    status = "finalised"
                finalised_at = opened + dt.timedelta(days=60) if status == "finalised" else None
                copiers[Assessment].add(
                    {
                        "id": aid,
                        "community_id": cid,
                        "focal_issue_id": old_focal if r < 2 else focal,
                        "rubric_id": rubric.id,
                        "title": f"{opened.year} {'baseline' if r == 0 else 'review'} ({r + 1})",
                        "kind": "baseline" if r == 0 else "review",
                        "status": status,
                        "deadline": (opened + dt.timedelta(days=30)).date(),
                        "workshop_date": (opened + dt.timedelta(days=45)).date(),
                        "previous_id": previous,
                        "next_review_due": (finalised_at + dt.timedelta(days=548)).date()
                        if finalised_at
                        else None,
                        "created_by_id": facilitators[f_index],
                        "created_at": opened - dt.timedelta(days=3),
                        "collection_opened_at": opened,
                        "collection_closed_at": opened + dt.timedelta(days=31)
                        if status != "collecting"
                        else None,
                        "finalised_at": finalised_at,
                        "current_dimension": 1,
                        "spread_revealed": False,
                        "room_token_hash": "",
                        "shuffle_seed": rng.getrandbits(62),
                    }
                )
                if status == "finalised":
                    previous = aid
                chosen = rng.sample(stakeholders, scale.participants)
                truth = [min(5, max(1, t + rng.choice((0, 0, 0, 1)))) for t in truth]
                for p, (sid, sector) in enumerate(chosen):
                    pid = next(ids[Participant])
                    submitted = status != "collecting" or p % 10 >= 3
                    copiers[Participant].add(
                        {
                            "id": pid,
                            "assessment_id": aid,
                            "stakeholder_id": sid,
                            "sector": sector,
                            "token_hash": _hash(bench_token(pid)),
                            "token_issued_at": opened,
                            "invited_at": opened,
                            "reminded_at": None,
                            "opened_at": opened + dt.timedelta(hours=p),
                            "draft_saved_at": opened + dt.timedelta(hours=p + 1),
                            "submitted_at": opened + dt.timedelta(hours=p + 2)
                            if submitted
                            else None,
                            "entered_by_id": None,
                        }
                    )
                    for d, dim_id in enumerate(dimension_ids):
                        not_sure = rng.random() < 0.04
                        level = None if not_sure else min(5, max(1, truth[d] + rng.randint(-1, 1)))
                        copiers[IndividualScore].add(
                            {
                                "id": next(ids[IndividualScore]),
                                "participant_id": pid,
                                "dimension_id": dim_id,
                                "level": level,
                                "not_sure": not_sure,
                                "reason": reasons[rng.randrange(len(reasons))],
                                "updated_at": opened + dt.timedelta(hours=p + 1),
                            }
                        )
                if status == "finalised":
                    priorities = set(rng.sample(range(9), 2))
                    for d, dim_id in enumerate(dimension_ids):
                        csid = next(ids[ConsensusScore])
                        copiers[ConsensusScore].add(
                            {
                                "id": csid,
                                "assessment_id": aid,
                                "dimension_id": dim_id,
                                "level": truth[d],
                                "reason": " ".join(rng.sample(PHRASES, 3)),
                                "dissent": "" if rng.random() < 0.8 else rng.choice(PHRASES),
                                "is_priority": d in priorities,
                                "version": 1,
                                "updated_by_id": facilitators[f_index],
                                "updated_at": finalised_at,
                            }
                        )
                        if d in priorities:
                            copiers[PriorityAction].add(
                                {
                                    "id": next(ids[PriorityAction]),
                                    "consensus_id": csid,
                                    "action": "Agree a shared referral protocol and review it.",
                                    "owner": "Housing forum chair",
                                    "review_date": (finalised_at + dt.timedelta(days=180)).date(),
                                    "created_at": finalised_at,
                                }
                            )
            if c % 25 == 24:
                log(f"  generated {c + 1} of {scale.communities} communities")
        # Flush parents before children (foreign keys are checked per statement).
        for m in (
            User,
            Community,
            Membership,
            FocalIssue,
            Organisation,
            Stakeholder,
            Assessment,
            Participant,
            IndividualScore,
            ConsensusScore,
            PriorityAction,
        ):
            copiers[m].flush()
        _reset_sequences(cur, list(ids))
    return {m._meta.db_table: copiers[m].count for m in copiers}


def _reset_sequences(cursor: Any, models: Iterable[Any]) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
        cursor.execute(sql)
