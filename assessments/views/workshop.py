"""The consensus workshop: analysis, presenter mode, follow-along, priorities, finalise.

Every facilitator page fetches the round with `write=True`: non-members get 404 and evaluators
403 (the anonymised spread of an unfinished round is the facilitator's working material, not a
report). Writes go through `assessments.workshop` services, which refuse a finalised round.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communities.access import get_assessment_for

from .. import workshop as services
from .. import workshop_html
from ..aggregation import MIN_GROUP_SIZE
from ..followthrough import since_last_time
from ..forms.workshop import (
    ConsensusForm,
    FinaliseForm,
    MoveForm,
    PrioritiesForm,
    PriorityActionForm,
    ReopenForm,
    RevealForm,
)
from ..links import (
    LinkError,
    check_rate_limit,
    error_context,
    participant_for_token,
    resolve_token,
    round_for_room_token,
)
from ..models import Assessment, ConsensusScore, Dimension, PriorityAction, hash_token
from ..qr import qr_svg
from ..rubric_texts import dimension_name
from ..votes import phone_vote_context, presenter_vote_context, round_convergence

TEMPLATE_DIR = "assessments/workshop"


def _round(request: HttpRequest, code: UUID) -> Assessment:
    """The round for a facilitator page: 404 for non-members, 403 for evaluators."""
    return get_assessment_for(request, code, write=True)


# What the analysis and presenter pages read of a round besides itself: not its rubric, whose
# dimensions come by id from the process (services.rubric_dimensions), so one join less to plan.
PAGE_RELATED = ("community", "focal_issue", "previous")


def _refused(request: HttpRequest, assessment: Assessment, error: services.WorkshopError) -> Any:
    return render(
        request,
        f"{TEMPLATE_DIR}/refused.html",
        {"assessment": assessment, "message": error.message},
        status=error.status,
    )


def _dimension_choices(assessment: Assessment) -> list[tuple[int, str]]:
    """(number, name in the page's language) of the round's dimensions."""
    dimensions = assessment.rubric.dimensions.order_by("number").only("pk", "number", "name")
    return [(d.number, dimension_name(d)) for d in dimensions]


# --- analysis --------------------------------------------------------------------------------


@login_required
@require_safe
def analysis(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = get_assessment_for(request, code, write=True, related=PAGE_RELATED)
    sort = "disagreement" if request.GET.get("sort") == "disagreement" else "number"
    rows = services.analysis_rows(assessment, sort=sort)
    submitted = services.submitted_count(assessment)
    convergence = round_convergence(assessment, rows, submitted=submitted)
    names = {row.dimension.number: dimension_name(row.dimension) for row in rows}
    context = {
        "assessment": assessment,
        "rows": rows,
        "agenda_rows": workshop_html.agenda_rows(rows, names),
        "cards": workshop_html.analysis_cards(rows, convergence, names, min_group=MIN_GROUP_SIZE),
        "convergence": convergence,
        # The previous round's priorities and how far they got (assessments/followthrough.py).
        "since": since_last_time(
            assessment,
            levels_now={r.dimension.number: r.consensus.level for r in rows if r.consensus},
        ),
        "sort": sort,
        "submitted": submitted,
        "min_group": MIN_GROUP_SIZE,
    }
    return render(request, f"{TEMPLATE_DIR}/analysis.html", context)


# --- presenter mode --------------------------------------------------------------------------


def _presenter_context(
    request: HttpRequest,
    assessment: Assessment,
    number: int,
    *,
    form: ConsensusForm | None = None,
    conflict: dict[str, Any] | None = None,
) -> dict[str, Any]:
    try:
        data = services.presenter_data(assessment, number)
    except Dimension.DoesNotExist:
        raise Http404 from None
    row = data.row
    # (number, name, agreed?) for the jump list, which marks the agreed ones.
    choices = [(d.number, dimension_name(d), d.number in data.agreed) for d in data.dimensions]
    numbers = [n for n, _name, _agreed in choices]
    index = numbers.index(number)
    editable = assessment.status == Assessment.Status.WORKSHOP
    submitted = services.submitted_count(assessment)
    if form is None and editable:
        consensus = row.consensus
        form = ConsensusForm(
            initial={
                "level": consensus.level if consensus else None,
                "reason": consensus.reason if consensus else "",
                "dissent": consensus.dissent if consensus else "",
                "version": consensus.version if consensus else 0,
            }
        )
    return {
        "assessment": assessment,
        "row": row,
        "name": choices[index][1],
        "jump_list": workshop_html.jump_buttons(
            choices,
            number,
            editable=editable,
            presenter_url=reverse(
                "assessments:presenter", kwargs={"code": assessment.code, "number": 0}
            ),
        ),
        "number": number,
        "choices": choices,
        "agreed_count": len(data.agreed),
        "previous_number": numbers[index - 1] if index > 0 else None,
        "next_number": numbers[index + 1] if index + 1 < len(numbers) else None,
        "is_current": assessment.current_dimension == number,
        "editable": editable,
        "form": form,
        "conflict": conflict,
        "since": since_last_time(assessment, levels_now=data.agreed),
        "submitted": submitted,
        "min_group": MIN_GROUP_SIZE,
        **presenter_vote_context(assessment, row, submitted=submitted),
    }


def _presenter_page(
    request: HttpRequest, assessment: Assessment, number: int, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _presenter_context(request, assessment, number, **extra)
    return render(request, f"{TEMPLATE_DIR}/presenter.html", context, status=status)


@login_required
@require_safe
def presenter(request: HttpRequest, code: UUID, number: int | None = None) -> HttpResponse:
    assessment = get_assessment_for(request, code, write=True, related=PAGE_RELATED)
    if number is None:
        return redirect(
            "assessments:presenter", code=assessment.code, number=assessment.current_dimension
        )
    return _presenter_page(request, assessment, number)


@login_required
@require_POST
def presenter_move(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = _round(request, code)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, assessment, services.WorkshopError(_("Choose a dimension to go to."), 400)
        )
    try:
        services.workshop_move(assessment=assessment, number=form.cleaned_data["number"])
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    return redirect(
        "assessments:presenter", code=assessment.code, number=form.cleaned_data["number"]
    )


@login_required
@require_POST
def presenter_reveal(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    assessment = _round(request, code)
    form = RevealForm(request.POST)
    form.is_valid()  # an unticked or missing box simply means "hide"
    try:
        if assessment.current_dimension != number:
            # Revealing a dimension also brings the room to it, so phones show the same thing.
            services.workshop_move(assessment=assessment, number=number)
        services.workshop_reveal(
            assessment=assessment, revealed=bool(form.cleaned_data.get("revealed"))
        )
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    return redirect(
        reverse("assessments:presenter", kwargs={"code": assessment.code, "number": number})
        + "#spread"
    )


@login_required
@require_POST
def consensus_record(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    assessment = _round(request, code)
    dimension = assessment.rubric.dimensions.filter(number=number).first()
    if dimension is None:
        raise Http404
    try:
        services.ensure_workshop_open(assessment)
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    form = ConsensusForm(request.POST)
    if not form.is_valid():
        return _presenter_page(request, assessment, number, form=form, status=400)
    try:
        services.consensus_save(
            assessment=assessment,
            dimension=dimension,
            level=form.cleaned_data["level"],
            reason=form.cleaned_data["reason"],
            dissent=form.cleaned_data["dissent"],
            loaded_version=form.cleaned_data["version"],
            by=request.user,
        )
    except services.ConsensusConflict as conflict:
        theirs = conflict.current
        # Keep what this facilitator typed, but against the version now stored: saving again
        # is then a deliberate choice made with both texts on screen.
        data: QueryDict = request.POST.copy()
        data["version"] = str(theirs.version)
        return _presenter_page(
            request,
            assessment,
            number,
            form=ConsensusForm(data),
            conflict={"theirs": theirs, "yours": form.cleaned_data},
            status=409,
        )
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    messages.success(request, _("Agreed score saved for “%(name)s”.") % {"name": dimension.name})
    return redirect("assessments:presenter", code=assessment.code, number=number)


def _back_number(request: HttpRequest, assessment: Assessment) -> int:
    """The dimension the presenter came from (?from=), so that going back returns there; the
    room's own dimension when absent or not a dimension of this round."""
    posted = request.POST.get("from") or request.GET.get("from") or ""
    numbers = [n for n, _name in _dimension_choices(assessment)]
    if posted.isascii() and posted.isdigit() and len(posted) < 4 and int(posted) in numbers:
        return int(posted)
    return assessment.current_dimension


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def room_link(request: HttpRequest, code: UUID) -> HttpResponse:
    """The read-only room link as a large QR code for the projector; POST makes a new one.

    Neither showing nor making it moves the room: the room's current dimension and reveal are
    left as they are, and "back" returns to the dimension the presenter was on.
    """
    assessment = _round(request, code)
    back = _back_number(request, assessment)
    if request.method == "POST":
        try:
            services.room_link_issue(assessment=assessment, by=request.user)
        except services.WorkshopError as error:
            return _refused(request, assessment, error)
        url = reverse("assessments:room_link", kwargs={"code": assessment.code})
        return redirect(f"{url}?from={back}", permanent=False)
    link = ""
    qr = ""
    if assessment.room_token:
        link = request.build_absolute_uri(
            reverse("assessments:room", kwargs={"token": assessment.room_token})
        )
        qr = qr_svg(
            link,
            title=_("QR code of the room link"),
            module_px=14,
            css_class="room-qr mw-100 h-auto",
        )
    response = render(
        request,
        f"{TEMPLATE_DIR}/room_link.html",
        {
            "assessment": assessment,
            "link": link,
            "qr": qr,
            "back": back,
            # A room link from before links were derived: only its hash was kept.
            "unshowable": not link and assessment.has_room_link,
            "editable": assessment.status == Assessment.Status.WORKSHOP,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


# --- follow-along ----------------------------------------------------------------------------


def _live(
    request: HttpRequest, assessment: Assessment, *, heading: str, vote_url: str = ""
) -> HttpResponse:
    context: dict[str, Any] = {"assessment": assessment, "heading": heading, "row": None}
    context.update(phone_vote_context(request, assessment, vote_url=vote_url))
    if assessment.status == Assessment.Status.WORKSHOP:
        row = services.presenter_row(assessment, assessment.current_dimension)
        submitted = services.submitted_count(assessment)
        context.update(
            row=row,
            # The room sees a spread only once revealed, and never one small enough to guess
            # who said what.
            show_spread=assessment.spread_revealed and submitted >= MIN_GROUP_SIZE,
            too_few=assessment.spread_revealed and submitted < MIN_GROUP_SIZE,
        )
    template = f"{TEMPLATE_DIR}/follow.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#live"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


# Phones in one room often share one public address, and each polls every few seconds, which
# would soon hit the per-address limit on link lookups. Once a link has been checked (rate
# limited) in a session, that session's polls look the link up directly: guessing stays limited.
FOLLOW_SESSION_KEY = "workshop-follow"
ROOM_SESSION_KEY = "workshop-room"


def _link_error(
    request: HttpRequest, message: str, status: int, *, context: dict[str, Any] | None = None
) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATE_DIR}/link_error.html",
        {**(context or {}), "message": message},
        status=status,
    )


def follow_round(request: HttpRequest, token: str) -> Assessment | HttpResponse:
    """The round behind a personal link for its follow-along page (and its room vote), or the
    link's error page."""
    token_hash = hash_token(token)
    try:
        if request.session.get(FOLLOW_SESSION_KEY) == token_hash:
            participant = resolve_token(token)  # checked (rate limited) earlier in this session
        else:
            participant = participant_for_token(request, token)
    except LinkError as error:
        return _link_error(request, error.message, error.status, context=error_context(error))
    if request.session.get(FOLLOW_SESSION_KEY) != token_hash:
        # Only when it changes: a poll or a tap must not rewrite the session row each time.
        request.session[FOLLOW_SESSION_KEY] = token_hash
    return participant.assessment


def room_round(request: HttpRequest, token: str) -> Assessment | HttpResponse:
    """The round behind a room link (and its room vote), or the link's error page."""
    token_hash = hash_token(token)
    if request.session.get(ROOM_SESSION_KEY) != token_hash:
        try:
            check_rate_limit(request, "room")
        except LinkError as error:
            return _link_error(request, error.message, error.status)
    assessment = round_for_room_token(token)
    if assessment is None:
        return _link_error(
            request, _("We could not find this room link. Ask the facilitator for a new one."), 404
        )
    if request.session.get(ROOM_SESSION_KEY) != token_hash:
        request.session[ROOM_SESSION_KEY] = token_hash
    return assessment


@require_safe
def follow(request: HttpRequest, token: str) -> HttpResponse:
    found = follow_round(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _live(
        request,
        found,
        heading=_("Follow the workshop"),
        vote_url=reverse("assessments:follow_vote", kwargs={"token": token}),
    )


@require_safe
def room(request: HttpRequest, token: str) -> HttpResponse:
    found = room_round(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _live(
        request,
        found,
        heading=_("Workshop room"),
        vote_url=reverse("assessments:room_vote", kwargs={"token": token}),
    )


# --- priorities ------------------------------------------------------------------------------


def _priority_scores(assessment: Assessment) -> list[ConsensusScore]:
    return list(
        ConsensusScore.objects.filter(assessment=assessment)
        .select_related("dimension")
        .prefetch_related(Prefetch("actions", queryset=PriorityAction.objects.order_by("pk")))
        .order_by("dimension__number")
    )


def _priorities_page(
    request: HttpRequest,
    assessment: Assessment,
    *,
    form: PrioritiesForm | None = None,
    action_forms: dict[int, PriorityActionForm] | None = None,
    target_forms: dict[int, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    from .actions import target_form_for

    scores = _priority_scores(assessment)
    choices = [
        (s.dimension.number, f"{s.dimension.number}. {dimension_name(s.dimension)}") for s in scores
    ]
    if form is None:
        form = PrioritiesForm(
            choices=choices,
            initial={"dimensions": [s.dimension.number for s in scores if s.is_priority]},
        )
    action_forms = action_forms or {}
    priorities = [
        {
            "score": s,
            "form": action_forms.get(s.dimension.number) or PriorityActionForm(prefix=f"d{s.pk}"),
            # A priority's target and "what would move us up" (assessments/followthrough.py).
            "target_form": (target_forms or {}).get(s.dimension.number) or target_form_for(s),
        }
        for s in scores
        if s.is_priority
    ]
    return render(
        request,
        f"{TEMPLATE_DIR}/priorities.html",
        {
            "assessment": assessment,
            "form": form,
            "priorities": priorities,
            "has_scores": bool(scores),
            "editable": assessment.status == Assessment.Status.WORKSHOP,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def priorities(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = _round(request, code)
    if request.method != "POST":
        return _priorities_page(request, assessment)
    try:
        services.ensure_workshop_open(assessment)
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    choices = _dimension_choices(assessment)
    form = PrioritiesForm(request.POST, choices=choices)
    if not form.is_valid():
        return _priorities_page(request, assessment, form=form, status=400)
    try:
        services.priorities_set(
            assessment=assessment, numbers=set(form.cleaned_data["dimensions"]), by=request.user
        )
    except services.WorkshopError as error:
        form.add_error("dimensions", error.message)
        return _priorities_page(request, assessment, form=form, status=error.status)
    messages.success(request, _("Priorities saved."))
    return redirect("assessments:priorities", code=assessment.code)


@login_required
@require_POST
def priority_action_add(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    assessment = _round(request, code)
    consensus = get_object_or_404(
        ConsensusScore.objects.select_related("dimension"),
        assessment=assessment,
        dimension__number=number,
    )
    form = PriorityActionForm(request.POST, prefix=f"d{consensus.pk}")
    try:
        services.ensure_workshop_open(assessment)
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    if not form.is_valid():
        return _priorities_page(request, assessment, action_forms={number: form}, status=400)
    try:
        services.priority_action_save(
            assessment=assessment,
            consensus=consensus,
            action=None,
            text=form.cleaned_data["action"],
            owner=form.cleaned_data["owner"],
            review_date=form.cleaned_data["review_date"],
            by=request.user,
        )
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    messages.success(request, _("Next step added."))
    return redirect("assessments:priorities", code=assessment.code)


def _action_for(assessment: Assessment, pk: int) -> PriorityAction:
    return get_object_or_404(
        PriorityAction.objects.select_related("consensus__dimension"),
        pk=pk,
        consensus__assessment=assessment,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def priority_action_edit(request: HttpRequest, code: UUID, pk: int) -> HttpResponse:
    assessment = _round(request, code)
    action = _action_for(assessment, pk)
    try:
        services.ensure_workshop_open(assessment)
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    form = PriorityActionForm(request.POST or None, instance=action)
    if request.method == "POST" and form.is_valid():
        try:
            services.priority_action_save(
                assessment=assessment,
                consensus=action.consensus,
                action=action,
                text=form.cleaned_data["action"],
                owner=form.cleaned_data["owner"],
                review_date=form.cleaned_data["review_date"],
                by=request.user,
            )
        except services.WorkshopError as error:
            return _refused(request, assessment, error)
        messages.success(request, _("Next step saved."))
        return redirect("assessments:priorities", code=assessment.code)
    return render(
        request,
        f"{TEMPLATE_DIR}/action_edit.html",
        {"assessment": assessment, "action": action, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def priority_action_delete(request: HttpRequest, code: UUID, pk: int) -> HttpResponse:
    assessment = _round(request, code)
    action = _action_for(assessment, pk)
    try:
        services.priority_action_delete(assessment=assessment, action=action, by=request.user)
    except services.WorkshopError as error:
        return _refused(request, assessment, error)
    messages.success(request, _("Next step deleted."))
    return redirect("assessments:priorities", code=assessment.code)


# --- finalise and reopen ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def finalise(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = _round(request, code)
    form = FinaliseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            services.ensure_workshop_open(assessment)
        except services.WorkshopError as error:
            return _refused(request, assessment, error)
        if form.is_valid():
            try:
                services.round_finalise(
                    assessment=assessment,
                    next_review_due=form.cleaned_data["next_review_due"],
                    by=request.user,
                )
            except services.WorkshopError as error:
                return _refused(request, assessment, error)
            messages.success(request, _("The round is finalised."))
            return redirect("assessments:finalise", code=assessment.code)
        status = 400
    return render(
        request,
        f"{TEMPLATE_DIR}/finalise.html",
        {
            "assessment": assessment,
            "form": form,
            "rows": services.analysis_rows(assessment),
            "missing": services.missing_for_finalise(assessment),
            "editable": assessment.status == Assessment.Status.WORKSHOP,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reopen(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = _round(request, code)
    if not assessment.is_finalised:
        return _refused(
            request,
            assessment,
            services.WorkshopError(_("Only a finalised round can be reopened.")),
        )
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_reopen(
                assessment=assessment, reason=form.cleaned_data["reason"], by=request.user
            )
        except services.WorkshopError as error:
            return _refused(request, assessment, error)
        messages.success(request, _("The round is open for the workshop again."))
        return redirect("assessments:finalise", code=assessment.code)
    return render(
        request,
        f"{TEMPLATE_DIR}/reopen.html",
        {"assessment": assessment, "form": form},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("rounds/<uuid:code>/analysis/", analysis, name="analysis"),
    path("rounds/<uuid:code>/present/", presenter, name="presenter"),
    path("rounds/<uuid:code>/present/<int:number>/", presenter, name="presenter"),
    path("rounds/<uuid:code>/present/move/", presenter_move, name="presenter_move"),
    path(
        "rounds/<uuid:code>/present/<int:number>/reveal/",
        presenter_reveal,
        name="presenter_reveal",
    ),
    path(
        "rounds/<uuid:code>/present/<int:number>/record/",
        consensus_record,
        name="consensus_record",
    ),
    path("rounds/<uuid:code>/present/room-link/", room_link, name="room_link"),
    path("s/<str:token>/follow/", follow, name="follow"),
    path("room/<str:token>/", room, name="room"),
    path("rounds/<uuid:code>/priorities/", priorities, name="priorities"),
    path(
        "rounds/<uuid:code>/priorities/<int:number>/actions/",
        priority_action_add,
        name="priority_action_add",
    ),
    path(
        "rounds/<uuid:code>/priorities/actions/<int:pk>/",
        priority_action_edit,
        name="priority_action_edit",
    ),
    path(
        "rounds/<uuid:code>/priorities/actions/<int:pk>/delete/",
        priority_action_delete,
        name="priority_action_delete",
    ),
    path("rounds/<uuid:code>/finalise/", finalise, name="finalise"),
    path("rounds/<uuid:code>/reopen/", reopen, name="reopen"),
]
