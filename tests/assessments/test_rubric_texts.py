"""The rubric's Welsh translation and easy-read texts (assessments/rubric_texts.py), loaded from
fixtures/rubric-2021-texts.json by migration 0010. Run with -s to see each level's scores."""

from __future__ import annotations

import json
import re
from statistics import mean, median

import pytest
import textstat
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessments.models import AuditEvent, LevelDescriptor, Rubric
from assessments.rubric_loader import FIXTURES
from assessments.rubric_texts import LevelText, RubricTranslation, rubric_texts

pytestmark = pytest.mark.django_db
EASY = RubricTranslation.Kind.EASY_READ
OFFICIAL = RubricTranslation.Kind.OFFICIAL


def _rubric() -> Rubric:
    return Rubric.objects.get(version="2021")


def _texts(language: str, kind: str) -> dict[tuple[int, int], str]:
    rows = LevelText.objects.filter(
        translation__rubric=_rubric(), translation__language=language, translation__kind=kind
    ).select_related("descriptor__dimension")
    return {(r.descriptor.dimension.number, r.descriptor.level): r.text for r in rows}


def _official_english() -> dict[tuple[int, int], str]:
    rows = LevelDescriptor.objects.filter(dimension__rubric=_rubric()).select_related("dimension")
    return {(d.dimension.number, d.level): d.text for d in rows}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_every_level_has_welsh_and_both_easy_reads_and_the_english_is_word_for_word():
    english = _official_english()
    assert len(english) == 45
    for language, kind in (("cy", OFFICIAL), ("en-gb", EASY), ("cy", EASY)):
        texts = _texts(language, kind)
        assert set(texts) == set(english), (language, kind)
        assert all(texts[key] != english[key] for key in english)
    # The English in the database is the fixture's, untouched by the texts' migration.
    fixture = json.loads((FIXTURES / "rubric-2021.json").read_text(encoding="utf-8"))
    words = {o["fields"]["text"] for o in fixture if o["model"] == "assessments.leveldescriptor"}
    assert set(english.values()) == words
    welsh = RubricTranslation.objects.get(rubric=_rubric(), language="cy", kind=OFFICIAL)
    names = dict(welsh.dimension_texts.values_list("dimension__number", "name"))
    assert names[1] == "Gweledigaeth" and len(names) == 9
    assert "machine-assisted" in welsh.provenance and welsh.approved_at is None


def test_english_easy_read_scores_flesch_70_or_more_and_above_the_official():
    easy, official = _texts("en-gb", EASY), _official_english()
    print("\nlevel  official  easy read  (Flesch reading ease)")
    scores = []
    for key in sorted(official):
        plain, hard = (
            textstat.flesch_reading_ease(easy[key]),
            textstat.flesch_reading_ease(official[key]),
        )
        scores.append((hard, plain))
        print(f"{key[0]}.{key[1]}    {hard:7.1f}  {plain:9.1f}")
        assert plain >= 70, (key, easy[key])
        assert plain > hard, key
    print(
        f"official min {min(h for h, _ in scores):.1f} median {median(h for h, _ in scores):.1f};"
        f" easy read min {min(p for _, p in scores):.1f} median {median(p for _, p in scores):.1f}"
    )


def test_welsh_easy_read_sentences_average_15_words_or_fewer():
    # textstat has no Welsh formula: sentence length is the measure that carries over.
    easy, official = _texts("cy", EASY), _texts("cy", OFFICIAL)
    print("\nlevel  words a sentence: official  easy read")
    for key in sorted(easy):
        plain = mean(len(s.split()) for s in _sentences(easy[key]))
        hard = mean(len(s.split()) for s in _sentences(official[key]))
        print(f"{key[0]}.{key[1]}    {hard:24.1f}  {plain:9.1f}")
        assert plain <= 15, (key, easy[key])


def test_one_translation_per_rubric_language_and_kind():
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricTranslation.objects.create(
            rubric=_rubric(), language="cy", kind=OFFICIAL, provenance="again"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricTranslation.objects.create(
            rubric=_rubric(), language="en-gb", kind=OFFICIAL, provenance="English is the rubric"
        )


def test_texts_fall_back_to_english_easy_read_and_to_the_english_wording():
    descriptor = LevelDescriptor.objects.get(
        dimension__rubric=_rubric(), dimension__number=2, level=1
    )
    welsh = rubric_texts(_rubric().pk, language="cy", easy_read=True)
    assert welsh.draft and welsh.level(descriptor) == "Cyfyngedig yw'r cydweithio ar draws ffiniau."
    assert welsh.easy(descriptor).startswith("Dydy grwpiau ddim")
    english = rubric_texts(_rubric().pk, language="en-gb", easy_read=True)
    assert not english.translated and english.level(descriptor) == descriptor.text
    assert english.easy(descriptor) == "Groups do not work much with each other."
    RubricTranslation.objects.filter(language="cy", kind=EASY).delete()
    welsh = rubric_texts(_rubric().pk, language="cy", easy_read=True)
    assert welsh.easy(descriptor) == "Groups do not work much with each other."


def test_approving_a_translation_in_the_admin_is_audited(admin, admin_user_):
    welsh = RubricTranslation.objects.get(rubric=_rubric(), language="cy", kind=OFFICIAL)
    url = reverse("admin:assessments_rubrictranslation_changelist")
    response = admin.post(url, {"action": "approve", "_selected_action": [welsh.pk]})
    assert response.status_code == 302
    welsh.refresh_from_db()
    assert welsh.approved_by == admin_user_ and welsh.approved_at is not None
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.TRANSLATION_APPROVED)
    assert event.actor == admin_user_ and event.detail["language"] == "cy"
    assert not rubric_texts(_rubric().pk, language="cy").draft
