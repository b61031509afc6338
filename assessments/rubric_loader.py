"""Loads a rubric fixture by natural key (version, dimension number, level), never by primary
key, so a later version can be added beside earlier ones without touching their rounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def read_fixture(path: Path) -> dict[str, Any]:
    objects = json.loads(path.read_text(encoding="utf-8"))
    rubric = next(o["fields"] for o in objects if o["model"] == "assessments.rubric")
    dimensions = {
        o["pk"]: {**o["fields"], "levels": {}}
        for o in objects
        if o["model"] == "assessments.dimension"
    }
    for o in objects:
        if o["model"] == "assessments.leveldescriptor":
            fields = o["fields"]
            dimensions[fields["dimension"]]["levels"][fields["level"]] = fields["text"]
    return {"rubric": rubric, "dimensions": sorted(dimensions.values(), key=lambda d: d["number"])}


def load_rubric(path: Path, *, rubric_model: Any, dimension_model: Any, level_model: Any) -> Any:
    """Create the rubric in `path` unless its version exists. Model classes are passed in so a
    data migration can use its historical models. Returns the rubric."""
    data = read_fixture(path)
    fields = dict(data["rubric"])
    existing = rubric_model.objects.filter(version=fields["version"]).first()
    if existing:
        return existing
    if fields.get("is_current"):
        rubric_model.objects.filter(is_current=True).update(is_current=False)
    rubric = rubric_model.objects.create(**fields)
    for dim in data["dimensions"]:
        dimension = dimension_model.objects.create(
            rubric=rubric, number=dim["number"], name=dim["name"], sheet_label=dim["sheet_label"]
        )
        level_model.objects.bulk_create(
            level_model(dimension=dimension, level=int(level), text=text)
            for level, text in sorted(dim["levels"].items())
        )
    return rubric


def load_rubric_texts(
    path: Path,
    *,
    rubric_model: Any,
    translation_model: Any,
    dimension_text_model: Any,
    level_text_model: Any,
) -> None:
    """Create the translations and easy-read texts in `path` (fixtures/rubric-2021-texts.json:
    dimensions and levels by number, never by primary key) that do not exist yet. The English
    rubric is only read, never written."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rubric = rubric_model.objects.filter(version=data["rubric"]).first()
    if rubric is None:
        return
    dimensions = {d.number: d for d in rubric.dimensions.all()}
    descriptors = {
        (d.dimension.number, d.level): d
        for dim in dimensions.values()
        for d in dim.levels.select_related("dimension")
    }
    for entry in data["translations"]:
        translation, created = translation_model.objects.get_or_create(
            rubric=rubric,
            language=entry["language"],
            kind=entry["kind"],
            defaults={"provenance": entry["provenance"]},
        )
        if not created:
            continue
        for number, dim in entry["dimensions"].items():
            if "name" in dim:
                dimension_text_model.objects.create(
                    translation=translation,
                    dimension=dimensions[int(number)],
                    name=dim["name"],
                    sheet_label=dim["sheet_label"],
                )
            level_text_model.objects.bulk_create(
                level_text_model(
                    translation=translation,
                    descriptor=descriptors[(int(number), int(level))],
                    text=text,
                )
                for level, text in sorted(dim["levels"].items())
            )
