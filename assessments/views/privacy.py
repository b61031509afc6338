"""Data-protection requests about one stakeholder: download what we hold, or erase them.

For the facilitators of the person's community and admins. Evaluators read rounds but never
handle personal data (403); facilitators of other communities get 404.
"""

from __future__ import annotations

import json
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from communities.access import can_write
from communities.models import Community, Stakeholder

from ..privacy import ErasureError, stakeholder_data_export, stakeholder_erase


def _get_stakeholder_for(request: HttpRequest, code: UUID) -> Stakeholder:
    try:
        stakeholder = Stakeholder.objects.select_related("community", "organisation").get(
            code=code, community__in=Community.objects.visible_to(request.user)
        )
    except Stakeholder.DoesNotExist:
        raise Http404 from None
    if not can_write(request, stakeholder.community):
        raise PermissionDenied
    return stakeholder


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why are you erasing this person's data?"),
        help_text=gettext_lazy(
            "For the audit trail, e.g. “request by email on 3 March”. Do not write the "
            "person's name: it is removed from the reason anyway."
        ),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that this cannot be undone: the name, email and role are removed "
            "for good, and their personal links stop working."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_data_export_view(request: HttpRequest, code: UUID) -> HttpResponse:
    stakeholder = _get_stakeholder_for(request, code)
    if request.method == "POST":
        data = stakeholder_data_export(stakeholder=stakeholder, by=request.user)  # type: ignore[arg-type]
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="smm-personal-data-{stakeholder.code}.json"'
        )
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "assessments/privacy/export.html", {"stakeholder": stakeholder})


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_erase_view(request: HttpRequest, code: UUID) -> HttpResponse:
    stakeholder = _get_stakeholder_for(request, code)
    form = ErasureForm(request.POST or None)
    status = 200
    if stakeholder.erased_at is not None:
        if request.method == "POST":
            status = 409
        return render(
            request,
            "assessments/privacy/erase.html",
            {"stakeholder": stakeholder, "form": None, "already_erased": True},
            status=status,
        )
    if request.method == "POST":
        if form.is_valid():
            try:
                stakeholder_erase(
                    stakeholder=stakeholder,
                    by=request.user,  # type: ignore[arg-type]
                    reason=form.cleaned_data["reason"],
                )
            except ErasureError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "The person's name, email and role have been erased. Their anonymous "
                        "scores are kept, so no round's figures change."
                    ),
                )
                return redirect(stakeholder.community)
        status = 400
    return render(
        request,
        "assessments/privacy/erase.html",
        {"stakeholder": stakeholder, "form": form, "already_erased": False},
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path(
        "stakeholders/<uuid:code>/data/",
        stakeholder_data_export_view,
        name="stakeholder_data_export",
    ),
    path("stakeholders/<uuid:code>/erase/", stakeholder_erase_view, name="stakeholder_erase"),
]
