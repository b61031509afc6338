"""The rubric's other texts: its Welsh translation and its easy-read versions, kept as data
beside the English (LevelDescriptor.text and Dimension.name, which never change).

A `RubricTranslation` is one set of texts for a rubric in a language and a kind, with where it
came from (provenance) and who approved it; until approved it is shown as a draft. Its rows:
`DimensionText` (names and sheet labels, official translations only) and `LevelText`.

    texts = rubric_texts(rubric_id, language="cy", easy_read=True)
    texts.level(descriptor)      # the Welsh official text, or None without a translation
    texts.easy(descriptor)       # the Welsh easy read, else the English easy read, else None
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from communities.models import Language

if TYPE_CHECKING:
    from communities.models import User

    from .models import Dimension, LevelDescriptor


class RubricTranslation(models.Model):
    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Official translation")
        EASY_READ = "easy-read", _("Easy read")

    rubric = models.ForeignKey(
        "assessments.Rubric", on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Who translated or wrote it, how, and when: shown to reviewers in the admin.
    provenance = models.TextField(_("provenance"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["rubric", "language", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "language", "kind"], name="rubric_translation_unique"
            ),
            # English has no official translation: its official text is the rubric itself.
            models.CheckConstraint(
                condition=~models.Q(language=Language.ENGLISH, kind="official"),
                name="rubric_translation_no_official_english",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rubric} – {self.get_language_display()} – {self.get_kind_display()}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    def approve(self, *, by: User) -> None:
        """Mark reviewed: the sheet no longer calls it a draft. Audited."""
        from .models import AuditEvent, audit

        if self.is_approved:
            return
        with transaction.atomic():
            self.approved_by = by
            self.approved_at = timezone.now()
            self.save(update_fields=["approved_by", "approved_at"])
            audit(
                verb=AuditEvent.Verb.TRANSLATION_APPROVED,
                summary=f"Approved {self}",
                actor=by,
                detail={"translation": self.pk, "language": self.language, "kind": self.kind},
            )
        # Nothing to clear: what is kept of the texts is keyed by translation_state, read anew on
        # every request.


class DimensionText(models.Model):
    translation = models.ForeignKey(
        RubricTranslation, on_delete=models.CASCADE, related_name="dimension_texts"
    )
    dimension = models.ForeignKey(
        "assessments.Dimension", on_delete=models.CASCADE, related_name="texts"
    )
    name = models.CharField(_("name"), max_length=120)
    sheet_label = models.CharField(_("score sheet label"), max_length=120)

    class Meta:
        ordering = ["translation", "dimension"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation", "dimension"], name="dimension_text_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LevelText(models.Model):
    translation = models.ForeignKey(
        RubricTranslation, on_delete=models.CASCADE, related_name="level_texts"
    )
    descriptor = models.ForeignKey(
        "assessments.LevelDescriptor", on_delete=models.CASCADE, related_name="texts"
    )
    text = models.TextField(_("description"))

    class Meta:
        ordering = ["translation", "descriptor"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "descriptor"], name="level_text_unique"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


def text_language(language: str | None) -> str:
    """The rubric text language for an interface language ("cy", "en-gb", "en")."""
    return Language.WELSH if (language or "").lower().startswith("cy") else Language.ENGLISH


@dataclass
class RubricTexts:
    """A rubric's texts in one language, read in three queries."""

    language: str
    translation: RubricTranslation | None = None  # the official translation, if any
    names: dict[int, DimensionText] = field(default_factory=dict)  # by dimension id
    levels: dict[int, str] = field(default_factory=dict)  # by descriptor id
    easy_levels: dict[int, str] = field(default_factory=dict)  # by descriptor id

    @property
    def translated(self) -> bool:
        return self.translation is not None

    @property
    def draft(self) -> bool:
        return self.translation is not None and not self.translation.is_approved

    def name(self, dimension: Dimension) -> str:
        text = self.names.get(dimension.pk)
        return text.name if text else dimension.name

    def sheet_label(self, dimension: Dimension) -> str:
        text = self.names.get(dimension.pk)
        return text.sheet_label if text else dimension.sheet_label

    def level(self, descriptor: LevelDescriptor) -> str:
        """The official wording in this language: the translation, else the English."""
        return self.levels.get(descriptor.pk, descriptor.text)

    def easy(self, descriptor: LevelDescriptor) -> str:
        return self.easy_levels.get(descriptor.pk, "")


def rubric_texts(rubric_id: int, *, language: str | None, easy_read: bool = False) -> RubricTexts:
    """The texts of a rubric for `language`. Easy read falls back to English's when the
    language has none of its own (a person who asked for it is better served than refused)."""
    lang = text_language(language)
    texts = RubricTexts(language=lang)
    kinds = [RubricTranslation.Kind.OFFICIAL] if lang != Language.ENGLISH else []
    if easy_read:
        kinds.append(RubricTranslation.Kind.EASY_READ)
    if not kinds:
        return texts
    translations = {
        (t.language, t.kind): t
        for t in RubricTranslation.objects.filter(
            rubric_id=rubric_id,
            kind__in=kinds,
            language__in={lang, Language.ENGLISH},
        )
    }
    official = translations.get((lang, RubricTranslation.Kind.OFFICIAL))
    easy = translations.get((lang, RubricTranslation.Kind.EASY_READ)) or translations.get(
        (Language.ENGLISH, RubricTranslation.Kind.EASY_READ)
    )
    wanted = [t.pk for t in (official, easy) if t is not None]
    if official is not None:
        texts.translation = official
        texts.names = {
            t.dimension_id: t for t in DimensionText.objects.filter(translation=official)
        }
    for row in LevelText.objects.filter(translation_id__in=wanted).values_list(
        "translation_id", "descriptor_id", "text"
    ):
        target = (
            texts.levels if official is not None and row[0] == official.pk else texts.easy_levels
        )
        target[row[1]] = row[2]
    return texts


def _official_texts(
    language: str | None, model: type[DimensionText] | type[LevelText], key: str, value: str
) -> dict[int, str]:
    """One field of a model's official translations in `language`, by `key`; empty for English,
    whose texts are the rubric's own (and then no query).

    Kept per process with the sheet's rubric part (assessments/sheet.py says why that is safe):
    names are read on nearly every signed-in page, and one query each time would be most of
    some pages' SQL."""
    lang = text_language(language)
    if lang == Language.ENGLISH:
        return {}
    from .sheet import local_cache

    cache_key = f"official-texts:{model.__name__}:{lang}"
    texts: dict[int, str] | None = local_cache.get(cache_key)
    if texts is None:
        texts = dict(
            model.objects.filter(
                translation__language=lang, translation__kind=RubricTranslation.Kind.OFFICIAL
            ).values_list(key, value)
        )
        local_cache.set(cache_key, texts)
    return texts


def dimension_names(language: str | None) -> dict[int, str]:
    """Every dimension's name in `language`, by dimension id (empty for English)."""
    return _official_texts(language, DimensionText, "dimension_id", "name")


def level_texts(language: str | None) -> dict[int, str]:
    """Every level description's official wording in `language`, by descriptor id (empty for
    English)."""
    return _official_texts(language, LevelText, "descriptor_id", "text")


def level_text(descriptor: LevelDescriptor) -> str:
    """A level's official wording in the active language: its translation, else the English."""
    return level_texts(get_language()).get(descriptor.pk, descriptor.text)


def dimension_name(dimension: Dimension) -> str:
    """A dimension's name in the active language: its translation, else the English."""
    return dimension_names(get_language()).get(dimension.pk, dimension.name)


def translation_state(rubric_id: int, *, language: str | None, easy_read: bool = False) -> str:
    """What a kept rendering of a rubric's texts depends on beyond the rubric itself: which
    translations apply and whether each is approved, read now (one query; none for English
    without easy read). Part of such a rendering's key, so an approval made anywhere (the admin
    of another process, a shell) shows on the next request, with nobody clearing anything."""
    lang = text_language(language)
    if lang == Language.ENGLISH and not easy_read:
        return ""
    rows = RubricTranslation.objects.filter(
        rubric_id=rubric_id, language__in={lang, Language.ENGLISH}
    ).values_list("pk", "approved_at")
    return ",".join(f"{pk}@{approved.timestamp() if approved else ''}" for pk, approved in rows)
