"""Forms of the consensus workshop."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import LEVELS, REASON_MAX_LENGTH, PriorityAction, add_months


def _level_choices() -> list[tuple[int, str]]:
    from ..workshop import level_label

    return [(level, level_label(level)) for level in LEVELS]


class ConsensusForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("Agreed level"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the level the group agreed.")},
    )
    reason = forms.CharField(
        label=_("Why we scored it this way"),
        help_text=_("Use examples wherever you can, as the model asks."),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write why the group scored it this way, with examples.")},
    )
    dissent = forms.CharField(
        label=_("Note of dissent (optional)"),
        help_text=_("Anyone who did not agree, and why, without names unless they ask."),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The version of the agreed score this form was loaded with (0 = none yet).
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = _level_choices()  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    number = forms.IntegerField(label=_("Go to dimension"), min_value=1)


class RevealForm(forms.Form):
    revealed = forms.BooleanField(required=False)


class PrioritiesForm(forms.Form):
    dimensions = forms.TypedMultipleChoiceField(
        label=_("Top priorities to improve"),
        help_text=_("The model asks for one or two."),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    confirm_more = forms.BooleanField(
        label=_("Yes, we really want more than two priorities"),
        required=False,
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dimensions"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = cleaned.get("dimensions") or []
        if len(chosen) > 2 and not cleaned.get("confirm_more"):
            self.add_error(
                "confirm_more",
                _(
                    "The model suggests one or two priorities. Tick the box to confirm "
                    "that the group wants %(count)s."
                )
                % {"count": len(chosen)},
            )
        return cleaned


class PriorityActionForm(forms.ModelForm):
    class Meta:
        model = PriorityAction
        fields = ["action", "owner", "review_date"]
        widgets = {
            "action": forms.Textarea(attrs={"rows": 2}),
            "review_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class FinaliseForm(forms.Form):
    next_review_due = forms.DateField(
        label=_("Next review due"),
        help_text=_("18 months from today by default, as the model suggests."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_review_due"].initial = add_months(
            timezone.localdate(), settings.SMM_NEXT_REVIEW_MONTHS
        )

    def clean_next_review_due(self) -> date:
        value: date = self.cleaned_data["next_review_due"]
        if value <= timezone.localdate():
            raise forms.ValidationError(_("The next review must be after today."))
        return value


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you reopening this round?"),
        help_text=_("Recorded in the audit trail."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the round is being reopened.")},
    )
