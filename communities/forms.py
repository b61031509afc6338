"""Forms for a community's focal issues, organisations, stakeholders and CSV import."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .csv_io import MAX_UPLOAD_BYTES, file_too_big_message
from .models import Community, FocalIssue, Organisation, Stakeholder

CHANGE_CHOICES = [
    (FocalIssue.Status.NARROWED, _("Narrowed – the new issue is a sharper part of the old one")),
    (FocalIssue.Status.RESET, _("Reset – the group started again on the same theme")),
    (FocalIssue.Status.REPLACED, _("Replaced – the group chose a different issue")),
]


class _CrispyForm:
    """Forms render their fields with crispy; the page template owns <form> and buttons."""

    def _setup_helper(self) -> None:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        self.helper = helper


class FocalIssueChooseForm(_CrispyForm, forms.ModelForm):
    """A new current focal issue; when one exists already, also how and why it changed."""

    how = forms.ChoiceField(
        label=_("What happened to the current focal issue?"),
        choices=CHANGE_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    reason = forms.CharField(
        label=_("Why did it change?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Kept in the focal issue's history, so later readers understand the change."),
    )

    class Meta:
        model = FocalIssue
        fields = ["title", "area", "description", "started_on"]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, current: FocalIssue | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self._setup_helper()
        self.fields["started_on"].initial = timezone.localdate()
        if current is None:
            del self.fields["how"]
            del self.fields["reason"]
        else:
            self.fields["how"].required = True
            self.fields["reason"].required = True
            self.order_fields(["how", "reason", "title", "area", "description", "started_on"])

    def clean_started_on(self) -> Any:
        started_on = self.cleaned_data["started_on"]
        if self.current is not None and started_on < self.current.started_on:
            raise forms.ValidationError(
                _("The new focal issue cannot start before the current one (%(date)s)."),
                params={"date": self.current.started_on.isoformat()},
            )
        return started_on


class FocalIssueEditForm(_CrispyForm, forms.ModelForm):
    """Corrections to a focal issue's wording. Changing *which* issue is current goes through
    FocalIssueChooseForm, so that history is kept."""

    class Meta:
        model = FocalIssue
        fields = ["title", "area", "description", "started_on", "ended_on", "change_reason"]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ended_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "change_reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        if self.instance.status == FocalIssue.Status.CURRENT:
            del self.fields["ended_on"]
            del self.fields["change_reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", _("It cannot end before it started."))
        return cleaned


class OrganisationForm(_CrispyForm, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "sector", "is_active"]

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self._setup_helper()
        if not self.instance.pk:
            del self.fields["is_active"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Organisation.objects.filter(community=self.community, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(
                _("This community already has an organisation called “%(name)s”."),
                params={"name": name},
            )
        return name


class StakeholderForm(_CrispyForm, forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = ["name", "email", "organisation", "sector", "role", "is_active"]

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self._setup_helper()
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = Organisation.objects.filter(community=community).order_by("name")
        organisation.empty_label = _("— none —")
        sector = self.fields["sector"]
        sector.required = False
        sector.help_text = _("Leave blank to use the organisation's sector.")
        if not self.instance.pk:
            del self.fields["is_active"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email:
            clash = (
                Stakeholder.objects.filter(community=self.community, email__iexact=email)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if clash is not None:
                raise forms.ValidationError(
                    _("%(name)s in this community already has this email."),
                    params={"name": clash.name},
                )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("sector"):
            organisation = cleaned.get("organisation")
            if organisation is not None:
                cleaned["sector"] = organisation.sector
                self.instance.sector = organisation.sector
            elif "sector" not in self.errors:
                self.add_error("sector", _("Choose a sector, or an organisation that has one."))
        return cleaned


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: name, email, organisation, sector, role. Up to 2 MB. "
            "Nothing is saved until you confirm the preview."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(file_too_big_message(upload.size))
        return upload
