"""Forms for staff accounts, two-factor codes, memberships and new communities."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, PasswordResetForm, UsernameField
from django.utils.translation import gettext_lazy as _

from .models import AccountRole, Community, User


def _helper() -> FormHelper:
    """Fields rendered by crispy; the page template owns <form> and its buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=AccountRole.choices,
        initial=AccountRole.FACILITATOR,
        widget=forms.RadioSelect,
        help_text=_(
            "Facilitators reach the communities they facilitate; evaluators read every "
            "community and change nothing; admins manage accounts and communities."
        ),
    )
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities they will facilitate"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        # By slug: a forged id too big for the database's integers is then just not a choice.
        to_field_name="slug",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        field = self.fields["communities"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Community.objects.active().order_by("name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("There is already an account with this email address."))
        return email


class AcceptInvitationForm(BaseUserCreationForm):  # type: ignore[type-arg]
    """Django's own user creation checks (unique username, password validators against the
    person's own name and email), saved by accounts.invitation_accept rather than by save()."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name")
        field_classes = {"username": UsernameField}

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.email = email
        self.helper = _helper()
        self.fields["username"].help_text = _(
            "What you will type to log in: letters, digits and @ . + - _ only."
        )
        for name in ("first_name", "last_name"):
            self.fields[name].required = True

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken; choose another."))
        return username


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=AccountRole.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.fields["code"].help_text = help_text


class ResetRequestForm(PasswordResetForm):
    """Django's reset form: the same answer whether or not an account has this address (the view
    shows "sent" either way). `get_users` also leaves out accounts that had enough emails this
    hour, and records who was sent one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def get_users(self, email: str) -> list[User]:  # type: ignore[override]
        from . import accounts

        users = [u for u in super().get_users(email) if accounts.reset_allowed_for(u)]
        accounts.password_reset_requested(email=email, users=users)
        return users


class MembershipAddForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    is_local_lead = forms.BooleanField(
        label=_("Local Implementation Lead"),
        required=False,
        help_text=_("The community's own lead for the work, beside the foundation's team."),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        # Evaluators read everything already and change nothing: facilitating is not for them.
        field.queryset = (
            User.objects.filter(is_active=True)
            .exclude(role=User.Role.EVALUATOR, is_superuser=False)
            .exclude(memberships__community=community)
            .order_by("username")
        )
        field.label_from_instance = _person_label  # type: ignore[method-assign, assignment]
        field.empty_label = _("— choose —")


def _person_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class CommunityCreateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Community
        fields = ["name", "slug", "nation", "local_authority", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "slug": _("Its part of the page address: lower-case letters, digits and hyphens."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_slug(self) -> str:
        from .accounts import RESERVED_SLUGS

        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is reserved; choose another."))
        return slug
