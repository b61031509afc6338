"""Site-wide forms."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's log-in form, with the username's length actually enforced.

    AuthenticationForm sets `max_length` on the username field after it is built, which adds no
    validator, so an over-long username reached `authenticate()`; django-axes then failed to
    store the failed attempt (varchar 255 on PostgreSQL) and the page answered 500.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.CharField, self.fields["username"])
        field.validators.append(MaxLengthValidator(field.max_length))
