"""The room vote: the facilitator opens, closes and reveals it from the presenter; phones on the
follow-along and room pages tap a level.

Facilitator actions go through the presenter's own access check (`write=True`: members only,
evaluators 403); a phone's tap through the same link checks as the page it was made on. A tap is
a plain form POST answered with a redirect back to that page, so it works without JavaScript.
"""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import votes as services
from .. import workshop as workshop_services
from ..forms.workshop import RevealForm
from ..models import Assessment, Dimension, RoomVote
from .workshop import TEMPLATE_DIR, _refused, _round, follow_round, room_round


def _dimension(assessment: Assessment, number: int) -> Dimension:
    dimension = assessment.rubric.dimensions.filter(number=number).first()
    if dimension is None:
        raise Http404
    return dimension


def _vote(assessment: Assessment, number: int, vote: int) -> RoomVote:
    found = (
        RoomVote.objects.select_related("dimension")
        .filter(assessment=assessment, dimension__number=number, number=vote)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _back(assessment: Assessment, number: int) -> HttpResponse:
    url = reverse("assessments:presenter", kwargs={"code": assessment.code, "number": number})
    return redirect(f"{url}#vote")


# --- the facilitator -------------------------------------------------------------------------


@login_required
@require_POST
def vote_open(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    assessment = _round(request, code)
    dimension = _dimension(assessment, number)
    try:
        if assessment.current_dimension != number:
            # The phones show the room's dimension: a vote on this one brings the room here.
            workshop_services.workshop_move(assessment=assessment, number=number)
        services.vote_open(assessment=assessment, dimension=dimension, by=request.user)
    except workshop_services.WorkshopError as error:
        return _refused(request, assessment, error)
    return _back(assessment, number)


@login_required
@require_POST
def vote_close(request: HttpRequest, code: UUID, number: int, vote: int) -> HttpResponse:
    assessment = _round(request, code)
    room_vote = _vote(assessment, number, vote)
    try:
        services.vote_close(assessment=assessment, vote=room_vote, by=request.user)
    except workshop_services.WorkshopError as error:
        return _refused(request, assessment, error)
    return _back(assessment, number)


@login_required
@require_POST
def vote_reveal(request: HttpRequest, code: UUID, number: int, vote: int) -> HttpResponse:
    assessment = _round(request, code)
    room_vote = _vote(assessment, number, vote)
    form = RevealForm(request.POST)
    form.is_valid()  # an unticked or missing box simply means "hide"
    try:
        services.vote_reveal(
            assessment=assessment,
            vote=room_vote,
            revealed=bool(form.cleaned_data.get("revealed")),
            by=request.user,
        )
    except workshop_services.WorkshopError as error:
        return _refused(request, assessment, error)
    return _back(assessment, number)


@login_required
@require_safe
def vote_panel(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    """The presenter's vote panel on its own, polled while a vote is open ("N votes so far");
    without htmx, the presenter page itself."""
    assessment = _round(request, code)
    if not request.htmx:  # type: ignore[attr-defined]
        return _back(assessment, number)
    try:
        row = workshop_services.presenter_row(assessment, number)
    except Dimension.DoesNotExist:
        raise Http404 from None
    context = {
        "assessment": assessment,
        "number": number,
        "row": row,
        "is_current": assessment.current_dimension == number,
        "editable": assessment.status == Assessment.Status.WORKSHOP,
        **services.presenter_vote_context(
            assessment, row, submitted=workshop_services.submitted_count(assessment)
        ),
    }
    response = render(request, f"{TEMPLATE_DIR}/_vote_presenter.html#panel", context)
    response["Cache-Control"] = "no-store"
    return response


# --- a phone's tap ---------------------------------------------------------------------------


class TapForm(forms.Form):
    dimension = forms.IntegerField(min_value=1, max_value=99)
    vote = forms.IntegerField(min_value=1, max_value=999)
    choice = forms.ChoiceField(choices=[(c, c) for c in services.CHOICES])


def _tap_refused(request: HttpRequest, message: str, status: int, *, back: str) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATE_DIR}/_vote_refused.html",
        {"message": message, "back": back},
        status=status,
    )


def _tap(request: HttpRequest, assessment: Assessment, *, page: str) -> HttpResponse:
    """Count this phone's tap on the vote now open, then go back to `page` (its cookie path)."""
    form = TapForm(request.POST)
    if not form.is_valid():
        return _tap_refused(
            request, _("Choose a level from 1 to 5, or “Not sure”."), 400, back=page
        )
    vote = services.current_vote(assessment)
    data = form.cleaned_data
    if (
        vote is None
        or not vote.is_open
        or vote.number != data["vote"]
        or assessment.current_dimension != data["dimension"]
    ):
        return _tap_refused(
            request,
            _("This vote has closed, so your tap was not counted. The page shows what is on now."),
            409,
            back=page,
        )
    try:
        services.vote_cast(
            vote=vote, choice=data["choice"], previous=services.phone_choice(request, vote)
        )
    except services.VoteClosed:
        return _tap_refused(
            request,
            _("This vote has closed, so your tap was not counted. The page shows what is on now."),
            409,
            back=page,
        )
    response = redirect(f"{page}#vote", permanent=False)
    response.status_code = 303
    services.remember_choice(response, vote, data["choice"], path=page, secure=request.is_secure())
    return response


@require_POST
def follow_vote(request: HttpRequest, token: str) -> HttpResponse:
    found = follow_round(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _tap(request, found, page=reverse("assessments:follow", kwargs={"token": token}))


@require_POST
def room_vote(request: HttpRequest, token: str) -> HttpResponse:
    found = room_round(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _tap(request, found, page=reverse("assessments:room", kwargs={"token": token}))


urlpatterns = [
    path("rounds/<uuid:code>/present/<int:number>/votes/", vote_panel, name="vote_panel"),
    path("rounds/<uuid:code>/present/<int:number>/votes/open/", vote_open, name="vote_open"),
    path(
        "rounds/<uuid:code>/present/<int:number>/votes/<int:vote>/close/",
        vote_close,
        name="vote_close",
    ),
    path(
        "rounds/<uuid:code>/present/<int:number>/votes/<int:vote>/reveal/",
        vote_reveal,
        name="vote_reveal",
    ),
    path("s/<str:token>/follow/vote/", follow_vote, name="follow_vote"),
    path("room/<str:token>/vote/", room_vote, name="room_vote"),
]
