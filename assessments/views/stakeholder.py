"""The stakeholder's own sheet, reached by a personal link: read, autosave, review, submit.

No account: the link is the key, looked up (rate limited) by `participant_for_token`. Every
write saves one dimension only, so two tabs or devices never lose each other's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.scoring import NOT_SURE, DimensionScoreForm
from ..links import LinkError, participant_for_token
from ..models import LEVEL_LABELS, Dimension, IndividualScore, LevelDescriptor, Participant
from ..scoring import CollectionClosed, score_autosave, sheet_submit

TEMPLATE = "assessments/stakeholder/sheet.html"


@dataclass
class Item:
    """One dimension as the stakeholder sees it, with their own answer (if any)."""

    dimension: Dimension
    levels: list[LevelDescriptor]
    level: str  # "1".."5", "not-sure" or ""
    reason: str
    error: str = ""

    @property
    def answered(self) -> bool:
        return bool(self.level)


def _link_error(request: HttpRequest, error: LinkError) -> HttpResponse:
    return render(
        request,
        "assessments/stakeholder/link_error.html",
        {"error": error, "status": error.status},
        status=error.status,
    )


def _items(participant: Participant) -> list[Item]:
    dimensions = Dimension.objects.filter(
        rubric_id=participant.assessment.rubric_id
    ).prefetch_related(Prefetch("levels", queryset=LevelDescriptor.objects.order_by("level")))
    scores = {s.dimension_id: s for s in IndividualScore.objects.filter(participant=participant)}
    items = []
    for dim in dimensions:
        score = scores.get(dim.pk)
        level = ""
        if score is not None and score.not_sure:
            level = NOT_SURE
        elif score is not None and score.level is not None:
            level = str(score.level)
        items.append(
            Item(
                dimension=dim,
                levels=list(dim.levels.all()),
                level=level,
                reason=score.reason if score else "",
            )
        )
    return items


def _context(participant: Participant, items: list[Item], **extra: Any) -> dict[str, Any]:
    answered = sum(1 for item in items if item.answered)
    return {
        "participant": participant,
        "assessment": participant.assessment,
        "items": items,
        "answered": answered,
        "total": len(items),
        "editable": participant.assessment.is_collecting,
        "level_labels": LEVEL_LABELS,
        "not_sure": NOT_SURE,
        "token": extra.pop("token"),
        **extra,
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def sheet(request: HttpRequest, token: str) -> HttpResponse:
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        return _link_error(request, error)
    if participant.opened_at is None:
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk, opened_at__isnull=True).update(opened_at=now)
        participant.opened_at = now
    items = _items(participant)
    return render(request, TEMPLATE, _context(participant, items, token=token))


def _closed_response(
    request: HttpRequest, participant: Participant, token: str, typed: str
) -> HttpResponse:
    context = {"participant": participant, "assessment": participant.assessment, "typed": typed}
    context["token"] = token
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#closed", context, status=409)
    return render(request, "assessments/stakeholder/closed.html", context, status=409)


@never_cache
@require_POST
def sheet_save(request: HttpRequest, token: str) -> HttpResponse:
    """Autosave (htmx) or the plain "Save" button of one dimension."""
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        return _link_error(request, error)
    typed = request.POST.get("reason", "")
    if not participant.assessment.is_collecting:
        return _closed_response(request, participant, token, typed)
    form = DimensionScoreForm(request.POST, rubric=participant.assessment.rubric)
    if form.is_valid():
        dimension = form.cleaned_data["dimension"]
        try:
            score_autosave(participant=participant, dimension=dimension, answer=form.answer())
        except CollectionClosed:
            return _closed_response(request, participant, token, typed)
        if request.htmx:  # type: ignore[attr-defined]
            answered = (
                IndividualScore.objects.filter(participant=participant)
                .exclude(level__isnull=True, not_sure=False)
                .count()
            )
            total = Dimension.objects.filter(rubric_id=participant.assessment.rubric_id).count()
            return render(
                request,
                f"{TEMPLATE}#saved",
                {"saved_at": participant.draft_saved_at, "answered": answered, "total": total},
            )
        url = reverse("assessments:sheet", kwargs={"token": token})
        return HttpResponseRedirect(f"{url}#dim-{dimension.number}", status=303)
    message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#error", {"message": message}, status=400)
    # Without JavaScript: the whole sheet again, this dimension showing what was typed.
    items = _items(participant)
    posted_dimension = request.POST.get("dimension", "")
    matched = False
    for item in items:
        if str(item.dimension.pk) == posted_dimension:
            item.level = request.POST.get("level", "")[:20]
            item.reason = typed
            item.error = message
            matched = True
    context = _context(participant, items, token=token, form_error=message, typed=typed)
    context["unmatched_error"] = not matched
    return render(request, TEMPLATE, context, status=400)


@never_cache
@require_http_methods(["GET", "HEAD"])
def sheet_review(request: HttpRequest, token: str) -> HttpResponse:
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        return _link_error(request, error)
    items = _items(participant)
    missing = [item.dimension for item in items if not item.answered]
    context = _context(participant, items, token=token, missing=missing)
    return render(request, "assessments/stakeholder/review.html", context)


@never_cache
@require_POST
def sheet_submit_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        return _link_error(request, error)
    if not participant.assessment.is_collecting:
        return _closed_response(request, participant, token, "")
    try:
        result = sheet_submit(participant=participant)
    except CollectionClosed:
        return _closed_response(request, participant, token, "")
    if not result.submitted:
        items = _items(participant)
        context = _context(
            participant, items, token=token, missing=result.missing, submit_refused=True
        )
        return render(request, "assessments/stakeholder/review.html", context, status=400)
    url = reverse("assessments:sheet", kwargs={"token": token})
    return HttpResponseRedirect(f"{url}#top", status=303)


urlpatterns = [
    path("s/<str:token>/", sheet, name="sheet"),
    path("s/<str:token>/save/", sheet_save, name="sheet_save"),
    path("s/<str:token>/review/", sheet_review, name="sheet_review"),
    path("s/<str:token>/submit/", sheet_submit_view, name="sheet_submit"),
]
