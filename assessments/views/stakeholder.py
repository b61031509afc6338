"""The stakeholder's own sheet, reached by a personal link: read, autosave, review, submit.

No account: the link is the key, looked up (rate limited) by `participant_for_token`. Every
write saves one dimension only, so two tabs or devices never lose each other's answers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.scoring import NOT_SURE, DimensionScoreForm
from ..links import LinkError, error_context, participant_for_token
from ..models import Dimension, IndividualScore, LevelDescriptor, Participant
from ..rubric_texts import rubric_texts
from ..scoring import CollectionClosed, score_autosave, sheet_submit
from ..sheet import DimensionState, agreed_results, rubric_dimensions, rubric_part

TEMPLATE = "assessments/stakeholder/sheet.html"


@dataclass
class Item:
    """One dimension on the review page, with the person's own answer (if any)."""

    dimension: Dimension
    levels: list[LevelDescriptor]
    level: str  # "1".."5", "not-sure" or ""
    reason: str

    @property
    def answered(self) -> bool:
        return bool(self.level)

    @property
    def without_reason(self) -> bool:
        return self.answered and not self.reason.strip()


def _link_error(request: HttpRequest, error: LinkError) -> HttpResponse:
    return render(
        request,
        "assessments/stakeholder/link_error.html",
        error_context(error),
        status=error.status,
    )


def _items(participant: Participant) -> list[Item]:
    dimensions = Dimension.objects.filter(
        rubric_id=participant.assessment.rubric_id
    ).prefetch_related(Prefetch("levels", queryset=LevelDescriptor.objects.order_by("level")))
    scores = {s.dimension_id: s for s in IndividualScore.objects.filter(participant=participant)}
    # The names and levels in the page's language (the rubric's translation, if any): these
    # instances are for display only and never saved.
    texts = rubric_texts(participant.assessment.rubric_id, language=get_language())
    items = []
    for dim in dimensions:
        dim.name = texts.name(dim)
        for descriptor in dim.levels.all():
            descriptor.text = texts.level(descriptor)
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
    first_missing = next((item.dimension.number for item in items if not item.answered), None)
    return {
        "participant": participant,
        "assessment": participant.assessment,
        "items": items,
        "answered": answered,
        "total": len(items),
        "editable": participant.assessment.is_collecting,
        "not_sure": NOT_SURE,
        # Reasons are asked for but not required (scoring.sheet_submit): a warning, not a block.
        "without_reason": [item.dimension for item in items if item.without_reason],
        # "Back to my sheet" lands on the first dimension still to answer.
        "back_anchor": f"#dim-{first_missing}" if first_missing else "#top",
        "token": extra.pop("token"),
        **extra,
    }


def _states(participant: Participant) -> dict[int, DimensionState]:
    """The person's own answers by dimension id (values only: no model instances to build)."""
    rows = (
        IndividualScore.objects.filter(participant=participant)
        .order_by()  # the default ordering would join the dimension table for nothing
        .values_list("dimension_id", "level", "not_sure", "reason")
    )
    return {
        dimension_id: DimensionState(
            level=NOT_SURE if not_sure else ("" if level is None else str(level)),
            reason=reason,
        )
        for dimension_id, level, not_sure, reason in rows
    }


def _render_sheet(
    request: HttpRequest,
    participant: Participant,
    token: str,
    states: dict[int, DimensionState],
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    assessment = participant.assessment
    part = rubric_part(
        assessment.rubric_id, editable=assessment.is_collecting, easy_read=participant.easy_read
    )
    answered = sum(1 for pk, state in states.items() if state.answered and pk in part.numbers)
    csrf_token = get_token(request)
    # After finalising, the group's agreed levels and priorities beside the person's own.
    results = agreed_results(assessment, states) if assessment.is_finalised else None
    dimensions_html = part.fill(
        states,
        csrf_token=csrf_token,
        save_url=reverse("assessments:sheet_save", kwargs={"token": token}),
    )
    context = {
        "csrf_token": csrf_token,  # the same one for the layout's htmx header: one masking
        "participant": participant,
        "assessment": assessment,
        "dimensions_html": dimensions_html,
        "answered": answered,
        "total": part.total,
        "editable": assessment.is_collecting,
        "token": token,
        "results": results,
        "draft_translation": part.draft,
        "easy_read": participant.easy_read,
        "priorities": [row for row in results or () if row.is_priority],
        "not_sure": NOT_SURE,
        **extra,
    }
    return render(request, TEMPLATE, context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD"])
def sheet(request: HttpRequest, token: str) -> HttpResponse:
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        return _link_error(request, error)
    choice = request.GET.get("easy-read")
    if choice in ("on", "off"):
        # The person's own display choice, kept on their participant so that it follows their
        # link to another device; a link rather than a form, as it changes nothing of the round.
        participant.easy_read = choice == "on"
        Participant.objects.filter(pk=participant.pk).update(easy_read=participant.easy_read)
        return HttpResponseRedirect(f"{request.path}#easy-read")
    if participant.opened_at is None:
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk, opened_at__isnull=True).update(opened_at=now)
        participant.opened_at = now
    return _render_sheet(request, participant, token, _states(participant))


def _closed_response(
    request: HttpRequest, participant: Participant, token: str, typed: str
) -> HttpResponse:
    context = {"participant": participant, "assessment": participant.assessment, "typed": typed}
    context["token"] = token
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#closed", context, status=409)
    return render(request, "assessments/stakeholder/closed.html", context, status=409)


def _saved(at: datetime, answered: int, total: int) -> HttpResponse:
    """The autosave's answer: "Saved at …" and the progress line."""
    time = formats.time_format(timezone.localtime(at), "H:i")
    return HttpResponse(_saved_html(get_language() or "", time, answered, total))


@functools.lru_cache(maxsize=1024)
def _saved_html(language: str, time: str, answered: int, total: int) -> str:
    # Autosave is the busiest request of all, and its answer is one of a few (a time to the
    # minute, a count): each is rendered once per process, without the request's context
    # processors (nothing they give is in it).
    with translation.override(language):
        context = {"saved_time": time, "answered": answered, "total": total}
        return render_to_string(f"{TEMPLATE}#saved", context)


@never_cache
@require_POST
def sheet_save(request: HttpRequest, token: str) -> HttpResponse:
    """Autosave (htmx) or the plain "Save" button of one dimension."""
    try:
        participant = participant_for_token(request, token, for_page=False)
    except LinkError as error:
        return _link_error(request, error)
    typed = request.POST.get("reason", "")
    if not participant.assessment.is_collecting:
        return _closed_response(request, participant, token, typed)
    rubric_id = participant.assessment.rubric_id
    numbers = rubric_dimensions(rubric_id)
    form = DimensionScoreForm(request.POST, dimension_ids=numbers)
    if form.is_valid():
        pk = form.cleaned_data["dimension"]
        # The form checked that it is one of this rubric's dimensions, so the id is all the
        # write needs: no query for the Dimension row.
        dimension = Dimension(pk=pk, rubric_id=rubric_id, number=numbers[pk])
        try:
            score = score_autosave(
                participant=participant, dimension=dimension, answer=form.answer()
            )
        except CollectionClosed:
            return _closed_response(request, participant, token, typed)
        if request.htmx:  # type: ignore[attr-defined]
            answered = (
                IndividualScore.objects.filter(participant=participant)
                .exclude(level__isnull=True, not_sure=False)
                .count()
            )
            return _saved(score.updated_at, answered, len(numbers))
        url = reverse("assessments:sheet", kwargs={"token": token})
        return HttpResponseRedirect(f"{url}#dim-{dimension.number}", status=303)
    message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#error", {"message": message}, status=400)
    # Without JavaScript: the whole sheet again, this dimension showing what was typed.
    states = _states(participant)
    posted = request.POST.get("dimension", "")
    # isascii: "²".isdigit() is true, but int("²") fails; and no number of 5,000 digits.
    matched = posted.isascii() and posted.isdigit() and len(posted) < 12 and int(posted) in numbers
    summary = [("", message)]
    if matched:
        states[int(posted)] = DimensionState(
            level=request.POST.get("level", "")[:20], reason=typed, error=message
        )
        summary = [(f"#d{numbers[int(posted)]}-reason", message)]
    return _render_sheet(
        request,
        participant,
        token,
        states,
        status=400,
        form_error=message,
        summary_errors=summary,
        typed=typed,
        unmatched_error=not matched,
    )


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
        # The same dimensions as the items, with their names in the page's language.
        by_id = {item.dimension.pk: item.dimension for item in items}
        result = replace(result, missing=[by_id.get(d.pk, d) for d in result.missing])
        sheet_url = reverse("assessments:sheet", kwargs={"token": token})
        context = _context(
            participant,
            items,
            token=token,
            missing=result.missing,
            submit_refused=True,
            summary_errors=[
                (
                    f"{sheet_url}#dim-{dim.number}",
                    _("%(number)d. %(name)s: choose a level, or “not sure”")
                    % {"number": dim.number, "name": dim.name},
                )
                for dim in result.missing
            ],
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
