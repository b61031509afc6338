from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Nation

from ..models import Assessment


class OverviewFilterForm(forms.Form):
    """The evaluator overview's filters (GET). Unknown values are a 400 with a message."""

    nation = forms.ChoiceField(
        label=_("Nation"), required=False, choices=[("", _("All nations")), *Nation.choices]
    )
    area = forms.CharField(label=_("Focal issue area"), required=False, max_length=80)
    kind = forms.ChoiceField(
        label=_("Round kind"),
        required=False,
        choices=[("", _("Latest of any kind")), *Assessment.Kind.choices],
    )
