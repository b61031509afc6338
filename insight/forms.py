from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.reports.forms import OverviewFilterForm


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is this token for?"),
        max_length=100,
        help_text=_("e.g. “annual analysis notebook”. Only you and admins see it."),
    )


class SynthesisFilterForm(OverviewFilterForm):
    """The overview's filters, the words to look for and the dimension to read."""

    q = forms.CharField(label=_("Words to look for"), required=False, max_length=200)
    dimension = forms.TypedChoiceField(
        label=_("Dimension"), required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args: object, dimensions: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["dimension"].choices = [  # type: ignore[attr-defined]
            ("", _("Every dimension")),
            *((number, f"{number}. {name}") for number, name in dimensions),
        ]
