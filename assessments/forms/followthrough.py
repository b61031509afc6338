"""Forms of priorities followed through: a priority's target, an action's progress, a note."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import MAX_LEVEL, REASON_MAX_LENGTH, ActionNote, PriorityAction


class TargetForm(forms.Form):
    target_level = forms.TypedChoiceField(
        label=_("Target level by the next round"),
        coerce=int,
        empty_value=None,
        required=False,
    )
    move_up = forms.CharField(
        label=_("What would move us up one level"),
        help_text=_(
            "Starts as the model's description of the next level: change it into the group's "
            "own words."
        ),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # target_fingerprint as the form was loaded: a target changed meanwhile is not overwritten.
    loaded = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, level: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ..workshop import level_label

        self.level = level
        field = self.fields["target_level"]
        field.choices = [  # type: ignore[attr-defined]
            ("", _("No target yet")),
            *((n, level_label(n)) for n in range(level + 1, MAX_LEVEL + 1)),
        ]

    def clean_target_level(self) -> int | None:
        value: int | None = self.cleaned_data.get("target_level")
        if value is not None and not self.level < value <= MAX_LEVEL:
            raise forms.ValidationError(
                _("The target must be above the agreed level (%(level)s) and at most 5."),
                params={"level": self.level},
            )
        return value


class ActionFollowUpForm(forms.ModelForm):
    class Meta:
        model = PriorityAction
        fields = ["status", "owner", "review_date"]
        labels = {"review_date": _("Due date")}
        help_texts = {
            "owner": _("Who is taking it forward: a role or an organisation where you can."),
            "review_date": _("A reminder goes to the facilitators once this date has passed."),
        }
        widgets = {"review_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ActionNoteForm(forms.ModelForm):
    class Meta:
        model = ActionNote
        fields = ["written_on", "text"]
        labels = {"written_on": _("Date"), "text": _("What has happened")}
        widgets = {
            "written_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["written_on"]
        field.initial = timezone.localdate
        # The model's callable default would add a hidden "initial-" copy of the field, which
        # nothing here compares with (and whose aria-describedby is invalid HTML).
        field.show_hidden_initial = False

    def clean_written_on(self) -> date:
        value: date = self.cleaned_data["written_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A progress note cannot be dated in the future."))
        return value
