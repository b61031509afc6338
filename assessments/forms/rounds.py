"""Forms for facilitators running a round."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Language, Organisation, Sector, Stakeholder

from ..models import Assessment


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        # <input type="date"> reads only ISO dates, whatever the language's own format.
        super().__init__(attrs, format or "%Y-%m-%d")


class RoundForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["title", "kind", "deadline", "workshop_date"]
        widgets = {"deadline": DateInput(), "workshop_date": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Create round")))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deadline, workshop = data.get("deadline"), data.get("workshop_date")
        if deadline and workshop and workshop < deadline:
            self.add_error(
                "workshop_date", _("The workshop should come after the deadline for scores.")
            )
        return data


class StakeholderFilterForm(forms.Form):
    """GET filters for picking people from the community's stakeholder network."""

    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=[("", _("All sectors")), *Sector.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.none(),
        empty_label=_("All organisations"),
        to_field_name="code",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_field = self.fields["organisation"]
        assert isinstance(org_field, forms.ModelChoiceField)
        org_field.queryset = community.organisations.order_by("name")


class ParticipantsAddForm(forms.Form):
    stakeholders = forms.ModelMultipleChoiceField(
        label=_("People to invite"),
        queryset=Stakeholder.objects.none(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one person.")},
    )
    language = forms.ChoiceField(
        label=_("Language of their links and emails"),
        choices=[("", _("Not known")), *Language.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_(
            "Not known: their link opens in their browser's language, and emails to a "
            "community in Wales are in Welsh and English. They can switch on their sheet."
        ),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["stakeholders"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = community.stakeholders.active().select_related("organisation")


class OpenCollectionForm(forms.Form):
    """Open collection, with the deadline shown (and changeable) at the moment it matters.

    The round has no edit page, so a deadline set when it was created, and since passed, is put
    right here; the service refuses a past one (rounds.round_move).
    """

    deadline = forms.DateField(
        label=_("Deadline for private scores"),
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
        help_text=_("Leave empty for no deadline."),
    )


class ParticipantLanguageForm(forms.Form):
    """The language of one person's link and emails (on their link's page)."""

    language = ParticipantsAddForm.base_fields["language"]
