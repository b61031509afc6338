"""Forms for private scores: one dimension at a time (autosave) and a whole paper sheet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import LEVELS, REASON_MAX_LENGTH, Dimension
from ..rubric_texts import dimension_name
from ..scoring import Answer

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

NOT_SURE = "not-sure"
LEVEL_CHOICES = [("", _("No answer yet")), *((str(n), str(n)) for n in LEVELS)]
LEVEL_CHOICES.append((NOT_SURE, _("Not sure")))

REASON_ERROR = _(
    "Please keep your reason under %(limit_value)d characters (it has %(show_value)d). "
    "Your text is still in the box."
)


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Why? Use examples wherever you can"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": REASON_ERROR},
    )


def _level_field(label: str | _StrPromise) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=LEVEL_CHOICES,
        error_messages={
            "invalid_choice": _("Choose a level from 1 to 5, or “not sure”."),
        },
    )


def _answer(level: str, reason: str) -> Answer | None:
    """None when nothing at all was given."""
    if not level and not reason.strip():
        return None
    if level == NOT_SURE:
        return Answer(level=None, not_sure=True, reason=reason)
    return Answer(level=int(level) if level else None, not_sure=False, reason=reason)


class DimensionScoreForm(forms.Form):
    """One dimension of a stakeholder's sheet. The dimension must belong to the round's rubric,
    given as the ids of its dimensions (cached by the caller: autosave runs on every keystroke
    pause, so it should not query the rubric each time)."""

    dimension = forms.TypedChoiceField(
        coerce=int,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _("That question is not part of this round’s model."),
            "required": _("That question is not part of this round’s model."),
        },
    )
    level = _level_field(_("Your score"))
    reason = _reason_field()

    def __init__(self, *args: Any, dimension_ids: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dimension"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(str(pk), str(pk)) for pk in dimension_ids]

    def answer(self) -> Answer:
        level, reason = self.cleaned_data["level"], self.cleaned_data["reason"]
        return _answer(level, reason) or Answer(level=None, not_sure=False, reason="")


class PaperSheetForm(forms.Form):
    """A whole paper sheet typed in by a facilitator: a level and a reason per dimension."""

    def __init__(self, *args: Any, dimensions: list[Dimension], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dimensions = dimensions
        for dim in dimensions:
            self.fields[f"level_{dim.number}"] = _level_field(
                f"{dim.number}. {dimension_name(dim)}"
            )
            self.fields[f"reason_{dim.number}"] = _reason_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.answers():
            raise forms.ValidationError(_("The sheet is empty: enter at least one score."))
        return data

    def answers(self) -> dict[Dimension, Answer]:
        result = {}
        for dim in self.dimensions:
            answer = _answer(
                self.cleaned_data.get(f"level_{dim.number}", ""),
                self.cleaned_data.get(f"reason_{dim.number}", ""),
            )
            if answer is not None:
                result[dim] = answer
        return result
