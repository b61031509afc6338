"""The evaluator's insight pages, the API tokens page and the data package download."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.aggregation import MIN_GROUP_SIZE
from assessments.models import AuditEvent, Rubric, audit
from assessments.reports.data import rubric_dimensions
from assessments.reports.forms import OverviewFilterForm

from . import datapackage
from .forms import SynthesisFilterForm, TokenForm
from .representation import representation as representation_data
from .synthesis import search_words
from .synthesis import synthesis as synthesis_data
from .tokens import MAX_ACTIVE_TOKENS, TokenLimitError, token_create, token_revoke, tokens_of

STATEMENTS_PAGE_SIZE = 30
ROUNDS_PAGE_SIZE = 25


def _require_reader(request: HttpRequest) -> None:
    # As the evaluator overview: facilitators have their community pages; the view across
    # communities is for evaluators and admins.
    if not request.user.can_read_all:  # type: ignore[union-attr]
        raise PermissionDenied


def _others(request: HttpRequest) -> str:
    """The query string without the page number, ready for "?{others}page=N"."""
    others = request.GET.copy()
    others.pop("page", None)
    return f"{others.urlencode()}&" if others else ""


def _filters(form: Any) -> dict[str, str]:
    if form.is_bound and form.is_valid():
        return {k: form.cleaned_data[k] for k in ("nation", "area", "kind") if form.cleaned_data[k]}
    return {}


@login_required
@require_GET
def synthesis(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    rubric = Rubric.objects.filter(is_current=True).first()
    dimensions = rubric_dimensions(rubric) if rubric else []
    form = SynthesisFilterForm(
        request.GET or None, dimensions=[(d.number, d.name) for d in dimensions]
    )
    valid = not form.is_bound or form.is_valid()
    cleaned = form.cleaned_data if form.is_bound and valid else {}
    words = search_words(cleaned.get("q", ""))
    data = synthesis_data(
        request.user, words=words, dimension=cleaned.get("dimension"), **_filters(form)
    )
    page = Paginator(data.statements, STATEMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "data": data,
        "words": words,
        "page": page,
        "statements": data.statements_of(list(page.object_list)),
        "page_range": page.paginator.get_elided_page_range(page.number),
        "page_query": _others(request),
    }
    return render(request, "insight/synthesis.html", context, status=200 if valid else 400)


@login_required
@require_GET
def representation(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form = OverviewFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    data = representation_data(request.user, **_filters(form))
    page = Paginator(data.rounds, ROUNDS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "data": data,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
        "page_query": _others(request),
        "min_group": MIN_GROUP_SIZE,
    }
    return render(request, "insight/representation.html", context, status=200 if valid else 400)


@login_required
@require_GET
def datapackage_zip(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    content = datapackage.build_zip(request.user)
    audit(
        verb=AuditEvent.Verb.EXPORTED,
        summary=_("Exported the open data package (zip)"),
        actor=request.user,
        detail={"export": "data package", "format": "zip", "bytes": len(content)},
    )
    filename = f"smm-data-package-{timezone.localdate().isoformat()}.zip"
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@never_cache  # the page that shows a new token must not be kept by any cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    user = request.user
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_token, status = "", 200
    if form.is_bound:
        if form.is_valid():
            try:
                _row, new_token = token_create(user=user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
                form = TokenForm()
                status = 201
            except TokenLimitError:
                form.add_error(
                    None,
                    _("You have %(n)s active tokens already: revoke one you no longer use.")
                    % {"n": MAX_ACTIVE_TOKENS},
                )
                status = 400
        else:
            status = 400
    context = {
        "form": form,
        "tokens": tokens_of(user),  # type: ignore[arg-type]
        "new_token": new_token,
    }
    return render(request, "insight/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, code: UUID) -> HttpResponse:
    _require_reader(request)
    token = token_revoke(user=request.user, code=str(code))  # type: ignore[arg-type]
    if token is None:
        raise Http404
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("insight:tokens")
