"""The stakeholder's sheet as HTML: the rubric rendered once, each person's answers filled in.

The nine dimensions with their five level descriptions are most of the sheet's HTML and most of
its rendering time, yet they are the same for everyone scoring a rubric in a language. So they
are rendered once (templates/assessments/stakeholder/includes/dimensions.html) with *slots*
where anything personal goes, kept per process, and filled per request by joining strings:

    part = rubric_part(assessment.rubric_id, editable=assessment.is_collecting)
    html = part.fill(states, csrf_token=get_token(request), save_url=...)

The kept rendering never holds anything of a participant: not their link (the form's address is
a slot), not the CSRF token, not an answer, reason or error.

Kept in this process's memory rather than the shared cache: a rubric's dimensions and levels
never change once loaded (fixtures are loaded by natural key and never updated), so processes
have nothing to agree on, and a Redis round trip on every sheet and autosave would cost more
than the lookup saves. The key holds a hash of the template, so a deploy that changes it starts
afresh, and entries expire after TIMEOUT so a rubric mended by hand in the admin shows up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache as memoize
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.template.loader import get_template, render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .forms.scoring import NOT_SURE
from .models import LEVEL_LABELS, Assessment, ConsensusScore, Dimension, LevelDescriptor
from .rubric_texts import rubric_texts, translation_state

FRAGMENT_TEMPLATE = "assessments/stakeholder/includes/dimensions.html"
# Marks a slot in the rendered rubric. Escaping leaves control characters alone, so rubric text
# could in theory hold one: _build refuses a rendering whose slots are not exactly its own.
SLOT = "\x00"
TIMEOUT = 60 * 60
# Bump when the meaning of the slots changes without the template changing.
FORMAT = 1
# Per process (see above); tests clear it with the other caches (tests/conftest.py).
local_cache = LocMemCache(
    "assessments.sheet", {"TIMEOUT": TIMEOUT, "OPTIONS": {"MAX_ENTRIES": 200}}
)


@dataclass(frozen=True)
class DimensionState:
    """What one person has on one dimension: their level ("1".."5", "not-sure" or ""), their
    reason, and an error to show (only when a plain form post was refused)."""

    level: str = ""
    reason: str = ""
    error: str = ""

    @property
    def answered(self) -> bool:
        return bool(self.level)


@dataclass(frozen=True)
class RubricPart:
    """The rendered rubric: static HTML at even indexes of `parts`, slot names at odd ones."""

    parts: tuple[str, ...]
    numbers: dict[int, int]  # dimension id -> number, in sheet order
    # The level texts are a translation (the English one tap away), not yet approved.
    translated: bool = False
    draft: bool = False

    @property
    def total(self) -> int:
        return len(self.numbers)

    def fill(
        self, states: Mapping[int, DimensionState], *, csrf_token: str, save_url: str
    ) -> SafeString:
        """The dimensions' HTML with one person's answers; `states` is keyed by dimension id.

        Every value put into a slot is escaped here: the slots stand where the template would
        otherwise have auto-escaped a variable.
        """
        values: dict[str, str] = {
            "csrf": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token
            ),
            "save_url": escape(save_url),
        }
        saved = escape(gettext("Saved"))
        for pk, state in states.items():
            number = self.numbers.get(pk)
            if number is None:
                continue
            if state.level:
                # A level that is not a radio's value (bad input shown back) matches no slot.
                values[f"checked:{pk}:{state.level}"] = " checked"
            if state.reason:
                values[f"reason:{pk}"] = escape(state.reason)
            if state.level or state.reason:
                values[f"status:{pk}"] = saved
            if state.error:
                values[f"border:{pk}"] = " border-danger"
                values[f"invalid:{pk}"] = format_html(
                    ' aria-invalid="true" aria-describedby="d{}-error"', number
                )
                values[f"error:{pk}"] = format_html(
                    '<p class="text-danger small mt-1" id="d{}-error">{}</p>', number, state.error
                )
        filled = list(self.parts)
        filled[1::2] = [values.get(name, "") for name in self.parts[1::2]]
        return mark_safe("".join(filled))  # noqa: S308 - static part from our template, values escaped above


def _slot(name: str) -> SafeString:
    return mark_safe(f"{SLOT}{name}{SLOT}")  # noqa: S308 - a marker, replaced before output


@memoize
def _template_hash() -> str:
    source = get_template(FRAGMENT_TEMPLATE).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _key(rubric_id: int, *, editable: bool, easy_read: bool) -> str:
    state = translation_state(rubric_id, language=get_language(), easy_read=easy_read)
    return (
        f"part:{FORMAT}:{_template_hash()}:{rubric_id}:{get_language()}:{int(editable)}"
        f":{int(easy_read)}:{state}"
    )


def _build(rubric_id: int, *, editable: bool, easy_read: bool = False) -> RubricPart:
    dimensions = list(Dimension.objects.filter(rubric_id=rubric_id).order_by("number"))
    # The level texts in the interface's language (Welsh when translated), the easy read too
    # when asked for; the English official wording stays one tap away under a translation.
    texts = rubric_texts(rubric_id, language=get_language(), easy_read=easy_read)
    levels: dict[int, list[LevelDescriptor]] = {d.pk: [] for d in dimensions}
    descriptors = LevelDescriptor.objects.filter(dimension__rubric_id=rubric_id).order_by("level")
    for descriptor in descriptors:
        levels[descriptor.dimension_id].append(descriptor)
    expected = {"csrf", "save_url"}
    context_dimensions: list[dict[str, Any]] = []
    for dim in dimensions:
        slots = {
            name: f"{name}:{dim.pk}" for name in ("border", "invalid", "reason", "error", "status")
        }
        slots["not_sure"] = f"checked:{dim.pk}:{NOT_SURE}"
        level_slots = [(d, f"checked:{dim.pk}:{d.level}") for d in levels[dim.pk]]
        expected.update(slots.values(), (name for _d, name in level_slots))
        context_dimensions.append(
            {
                "pk": dim.pk,
                "number": dim.number,
                "name": texts.name(dim),
                "english_name": dim.name,
                "levels": [
                    (d, _slot(name), texts.level(d), texts.easy(d)) for d, name in level_slots
                ],
                "slots": {key: _slot(name) for key, name in slots.items()},
            }
        )
    html = render_to_string(
        FRAGMENT_TEMPLATE,
        {
            "dimensions": context_dimensions,
            "texts": texts,
            "editable": editable,
            "csrf_input": _slot("csrf"),
            "save_url": _slot("save_url"),
            "level_labels": LEVEL_LABELS,
            "not_sure": NOT_SURE,
        },
    )
    parts = tuple(html.split(SLOT))
    found = set(parts[1::2])
    if len(parts) % 2 != 1 or not found <= expected:
        raise ValueError(f"rubric {rubric_id} renders text that looks like a slot marker")
    return RubricPart(
        parts=parts,
        numbers={d.pk: d.number for d in dimensions},
        translated=texts.translated,
        draft=texts.draft,
    )


def rubric_part(rubric_id: int, *, editable: bool, easy_read: bool = False) -> RubricPart:
    """The sheet's rubric part for the current language and easy-read choice, rendered at most
    once per TIMEOUT."""
    key = _key(rubric_id, editable=editable, easy_read=easy_read)
    part = local_cache.get(key)
    if part is None:
        part = _build(rubric_id, editable=editable, easy_read=easy_read)
        local_cache.set(key, part)
    return part


def rubric_dimensions(rubric_id: int) -> dict[int, int]:
    """Dimension id -> number for a rubric, in order; kept like the rubric part."""
    key = f"dimensions:{rubric_id}"
    numbers = local_cache.get(key)
    if numbers is None:
        dimensions = Dimension.objects.filter(rubric_id=rubric_id).order_by("number")
        numbers = dict(dimensions.values_list("pk", "number"))
        local_cache.set(key, numbers)
    return numbers


@dataclass(frozen=True)
class AgreedRow:
    """One dimension of a finalised round as its group agreed it, beside one person's own
    answer. Only the group's result: never the spread, anyone else's level or reason, or the
    note of dissent (which may speak for one person)."""

    number: int
    name: str
    level: int
    reason: str
    is_priority: bool
    actions: tuple[tuple[str, str, Any, str], ...]  # (next step, owner, due date, status label)
    own: str  # the person's own level: "1".."5", "not-sure" or ""
    # A priority's target. Progress notes are not here: they are the facilitators' working
    # notes (docs/data-protection.md), so a stakeholder's link never shows them.
    target: int | None = None


def agreed_results(assessment: Assessment, states: Mapping[int, DimensionState]) -> list[AgreedRow]:
    """The round's agreed levels and priorities with the person's own levels (`states`, keyed
    by dimension id). Two queries: the agreed scores and their actions."""
    scores = (
        ConsensusScore.objects.filter(assessment=assessment)
        .select_related("dimension")
        .prefetch_related("actions")
        .only(
            "level", "reason", "is_priority", "target_level", "dimension__number", "dimension__name"
        )
        .order_by("dimension__number")
    )
    # Names in the page's language; no query for English (rubric_texts returns at once).
    texts = rubric_texts(assessment.rubric_id, language=get_language())
    return [
        AgreedRow(
            number=score.dimension.number,
            name=texts.name(score.dimension),
            level=score.level,
            reason=score.reason,
            is_priority=score.is_priority,
            actions=tuple(
                (a.action, a.owner, a.review_date, str(a.get_status_display()))
                for a in score.actions.all()
            ),
            own=states[score.dimension_id].level if score.dimension_id in states else "",
            target=score.target_level if score.is_priority else None,
        )
        for score in scores
    ]
