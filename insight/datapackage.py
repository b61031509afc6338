"""The anonymised open data: a Frictionless Data Package (datapackage.json, its Table Schemas
and CSV files) of finalised rounds, their agreed levels and their level counts.

Anonymised: no stakeholder, participant, per-person status or private score is read (the rows
come from insight/data.py); level counts are withheld (empty, `withheld` true) for rounds with
fewer than MIN_GROUP_SIZE submitted sheets. The agreed reasons and dissent are the group's own
words, as evaluators read them on the reports."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assessments.aggregation import LEVELS, MIN_GROUP_SIZE
from assessments.reports.exports import neutralise

from . import data

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

PROFILE = "tabular-data-package"

Field = dict[str, Any]


def _text(name: str, title: str, description: str = "", **more: Any) -> Field:
    field: Field = {"name": name, "type": "string", "title": title, **more}
    if description:
        field["description"] = description
    return field


def _uuid(name: str, title: str, *, required: bool = True) -> Field:
    return {
        "name": name,
        "type": "string",
        "format": "uuid",
        "title": title,
        "constraints": {"required": required},
    }


def _int(name: str, title: str, *, required: bool = True, **limits: int) -> Field:
    return {
        "name": name,
        "type": "integer",
        "title": title,
        "constraints": {"required": required, **limits},
    }


ROUNDS: list[Field] = [
    _uuid("round", "Round code"),
    _uuid("community", "Community code"),
    _text("community_name", "Community", constraints={"required": True}),
    _text(
        "nation",
        "Nation",
        constraints={"enum": ["england", "wales", "scotland", "northern-ireland"]},
    ),
    _text("title", "Round title"),
    _text("kind", "Kind", constraints={"enum": ["baseline", "review"]}),
    _text("area", "Focal issue area"),
    {
        "name": "date",
        "type": "date",
        "title": "Date",
        "description": "The workshop's date, else the day the round was finalised.",
    },
    _uuid("previous", "Round compared with", required=False),
    _text("rubric_version", "Rubric version"),
    _int("invited", "People invited", minimum=0),
    _int("submitted", "Sheets submitted", minimum=0),
]
AGREED: list[Field] = [
    _uuid("round", "Round code"),
    _uuid("community", "Community code"),
    _int("dimension_number", "Dimension number", minimum=1),
    _text("dimension", "Dimension"),
    _int("level", "Agreed level", minimum=1, maximum=5),
    {
        "name": "priority",
        "type": "boolean",
        "title": "A priority to improve",
        "constraints": {"required": True},
    },
    _text("reason", "Why we scored it this way", "The group's agreed reason, as it wrote it."),
    _text("dissent", "Note of dissent", "Recorded by the group; often empty."),
]
COUNTS: list[Field] = [
    _uuid("round", "Round code"),
    _uuid("community", "Community code"),
    _int("dimension_number", "Dimension number", minimum=1),
    _text("dimension", "Dimension"),
    _int("submitted", "Sheets submitted", minimum=0),
    *[
        _int(f"level_{level}", f"Sheets at level {level}", required=False, minimum=0)
        for level in LEVELS
    ],
    _int("not_sure", "“Not sure” answers", required=False, minimum=0),
    {
        "name": "withheld",
        "type": "boolean",
        "title": "Counts withheld",
        "description": f"True when fewer than {MIN_GROUP_SIZE} sheets were submitted: "
        "the counts are then empty.",
        "constraints": {"required": True},
    },
]


def _csv(fields: Sequence[Field], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f["name"] for f in fields])
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    # Text a spreadsheet would run as a formula starts with a quote instead (as the exports).
    return neutralise(value) if isinstance(value, str) else value


def _resource(name: str, title: str, fields: list[Field], key: list[str], fks: list[Any]) -> Field:
    schema: Field = {"fields": fields, "primaryKey": key, "missingValues": [""]}
    if fks:
        schema["foreignKeys"] = fks
    return {
        "name": name,
        "title": title,
        "path": f"data/{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def _round_fk() -> list[Any]:
    return [{"fields": "round", "reference": {"resource": "rounds", "fields": "round"}}]


def build(user: User | AnonymousUser | None) -> dict[str, bytes]:
    """The package's files by path: datapackage.json and data/*.csv. Five queries."""
    rounds = data.finalised_rounds(user)
    round_rows = list(data.round_values(rounds))
    counts = data.level_counts(round_rows)
    files = {
        "data/rounds.csv": _csv(
            ROUNDS,
            (
                [
                    r["code"],
                    r["community__code"],
                    r["community__name"],
                    r["community__nation"],
                    r["title"],
                    r["kind"],
                    r["focal_issue__area"],
                    r["day"],
                    r["previous__code"],
                    r["rubric__version"],
                    r["invited"],
                    r["submitted"],
                ]
                for r in round_rows
            ),
        ),
        "data/agreed-levels.csv": _csv(
            AGREED,
            (
                [
                    a["assessment__code"],
                    a["assessment__community__code"],
                    a["dimension__number"],
                    a["dimension__name"],
                    a["level"],
                    a["is_priority"],
                    a["reason"],
                    a["dissent"],
                ]
                for a in data.agreed_values(rounds)
            ),
        ),
        "data/level-counts.csv": _csv(
            COUNTS,
            (
                [
                    r["code"],
                    r["community__code"],
                    d.number,
                    d.name,
                    r["submitted"],
                    *[d.counts[level] if d.counts else None for level in LEVELS],
                    d.not_sure,
                    d.counts is None,
                ]
                for r in round_rows
                for d in counts[r["pk"]]
            ),
        ),
    }
    descriptor = {
        "profile": PROFILE,
        "name": "smm-system-maturity",
        "title": "System Maturity Model: agreed levels and level counts",
        "description": (
            "Finalised rounds of the System Maturity Model, the levels each community agreed "
            "with its reasons, and how many submitted sheets chose each level. Anonymised: no "
            "names or individual scores; level counts are withheld for rounds with fewer than "
            f"{MIN_GROUP_SIZE} submitted sheets. Text a spreadsheet would read as a formula "
            "starts with an apostrophe."
        ),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "resources": [
            _resource("rounds", "Finalised rounds", ROUNDS, ["round"], []),
            _resource(
                "agreed-levels",
                "Agreed levels",
                AGREED,
                ["round", "dimension_number"],
                _round_fk(),
            ),
            _resource(
                "level-counts",
                "Level counts",
                COUNTS,
                ["round", "dimension_number"],
                _round_fk(),
            ),
        ],
    }
    return {"datapackage.json": json.dumps(descriptor, indent=2).encode(), **files}


def build_zip(user: User | AnonymousUser | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in build(user).items():
            archive.writestr(path, content)
    return buffer.getvalue()
