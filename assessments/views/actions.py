"""Priorities followed through: a priority's target (workshop), an action's progress and notes
(between rounds, also of a finalised round), and a community's open actions.

Writes fetch the round with `write=True` (other facilitators 404, evaluators 403). The open
actions page is readable by evaluators too, finalised rounds only and without forms, as the
round reports they already read show the same actions.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communities.access import can_write_found, get_assessment_for, get_community_for

from .. import followthrough as services
from ..forms.followthrough import ActionFollowUpForm, ActionNoteForm, TargetForm
from ..models import Assessment, ConsensusScore, PriorityAction
from ..rubric_texts import dimension_name

TEMPLATE_DIR = "assessments/actions"


def target_form_for(score: ConsensusScore, data: Any = None) -> TargetForm | None:
    """The target form of a priority (None at level 5: there is nothing higher). An empty
    "what would move us up" starts as the model's description of the next level."""
    if score.level >= 5:
        return None
    return TargetForm(
        data,
        level=score.level,
        prefix=f"t{score.pk}",
        initial={
            "target_level": services.valid_target(score),
            "move_up": score.move_up or services.next_level_text(score),
            "loaded": services.target_fingerprint(score),
        },
    )


def _refused(request: HttpRequest, assessment: Assessment, message: str, status: int) -> Any:
    return render(
        request,
        "assessments/workshop/refused.html",
        {"assessment": assessment, "message": message},
        status=status,
    )


# --- targets (on the workshop's priorities page) -----------------------------------------------


@login_required
@require_POST
def target_save(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    from .workshop import _priorities_page

    assessment = get_assessment_for(request, code, write=True)
    consensus = get_object_or_404(
        ConsensusScore.objects.select_related("dimension"),
        assessment=assessment,
        dimension__number=number,
        is_priority=True,
    )
    if assessment.status != Assessment.Status.WORKSHOP:
        return _refused(request, assessment, _("Targets are set in the workshop stage."), 409)
    form = target_form_for(consensus, request.POST)
    if form is None:
        return _refused(
            request,
            assessment,
            _("The agreed level is already 5, the top of the model: there is no higher target."),
            400,
        )
    if not form.is_valid():
        return _priorities_page(request, assessment, target_forms={number: form}, status=400)
    try:
        services.target_save(
            assessment=assessment,
            consensus=consensus,
            target_level=form.cleaned_data["target_level"],
            move_up=form.cleaned_data["move_up"],
            loaded=form.cleaned_data["loaded"],
            by=request.user,
        )
    except services.TargetConflict as conflict:
        # Keep what this facilitator typed, checked against the target now stored: saving
        # again is then a deliberate choice.
        data = request.POST.copy()
        data[form.add_prefix("loaded")] = services.target_fingerprint(conflict.current)
        again = target_form_for(conflict.current, data)
        assert again is not None  # the agreed level did not change: the round is in workshop
        again.is_valid()
        again.add_error(
            None,
            _(
                "Someone else changed this target while you were editing (it is now: %(now)s). "
                "What you typed is kept below: save again to replace theirs."
            )
            % {"now": conflict.current.target_level or _("no target")},
        )
        return _priorities_page(request, assessment, target_forms={number: again}, status=409)
    except services.FollowThroughError as error:
        form.add_error("target_level", error.message)
        return _priorities_page(
            request, assessment, target_forms={number: form}, status=error.status
        )
    messages.success(
        request, _("Target saved for “%(name)s”.") % {"name": dimension_name(consensus.dimension)}
    )
    return redirect(
        reverse("assessments:priorities", kwargs={"code": assessment.code}) + f"#priority-{number}"
    )


# --- one action: progress between rounds -----------------------------------------------------


def _action_for(assessment: Assessment, pk: int) -> PriorityAction:
    return get_object_or_404(
        PriorityAction.objects.select_related("consensus__dimension"),
        pk=pk,
        consensus__assessment=assessment,
    )


def _action_page(
    request: HttpRequest,
    assessment: Assessment,
    action: PriorityAction,
    *,
    form: ActionFollowUpForm | None = None,
    note_form: ActionNoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = assessment.status in services.FOLLOWED_STATUSES
    context = {
        "assessment": assessment,
        "action": action,
        "consensus": action.consensus,
        "notes": list(action.notes.select_related("author")),
        "form": form or ActionFollowUpForm(instance=action),
        "note_form": note_form or ActionNoteForm(),
        "editable": editable,
        "errors_form": form if form is not None and form.errors else note_form,
    }
    return render(request, f"{TEMPLATE_DIR}/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def action_detail(request: HttpRequest, code: UUID, pk: int) -> HttpResponse:
    assessment = get_assessment_for(request, code, write=True, related=("community",))
    action = _action_for(assessment, pk)
    if request.method != "POST":
        return _action_page(request, assessment, action)
    # The form is bound to a copy: a refused save must not change what the page shows as saved.
    form = ActionFollowUpForm(request.POST, instance=PriorityAction.objects.get(pk=action.pk))
    if not form.is_valid():
        return _action_page(request, assessment, action, form=form, status=400)
    try:
        changed = services.action_follow_up(
            action=action,
            owner=form.cleaned_data["owner"],
            review_date=form.cleaned_data["review_date"],
            status=form.cleaned_data["status"],
            by=request.user,
        )
    except services.FollowThroughError as error:
        return _refused(request, assessment, error.message, error.status)
    messages.success(request, _("Next step updated.") if changed else _("Nothing had changed."))
    return redirect("assessments:action_detail", code=assessment.code, pk=action.pk)


@login_required
@require_POST
def action_note_add(request: HttpRequest, code: UUID, pk: int) -> HttpResponse:
    assessment = get_assessment_for(request, code, write=True, related=("community",))
    action = _action_for(assessment, pk)
    note_form = ActionNoteForm(request.POST)
    if not note_form.is_valid():
        return _action_page(request, assessment, action, note_form=note_form, status=400)
    try:
        services.action_note_add(
            action=action,
            text=note_form.cleaned_data["text"],
            written_on=note_form.cleaned_data["written_on"],
            by=request.user,
        )
    except services.FollowThroughError as error:
        if error.status == 400:
            note_form.add_error("text", error.message)
            return _action_page(request, assessment, action, note_form=note_form, status=400)
        return _refused(request, assessment, error.message, error.status)
    messages.success(request, _("Progress note added."))
    return redirect("assessments:action_detail", code=assessment.code, pk=action.pk)


# --- a community's open actions --------------------------------------------------------------


@login_required
@require_safe
def community_actions(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug)
    facilitating = can_write_found(request)
    groups = services.open_actions(community, finalised_only=not facilitating)
    overdue = len([a for g in groups for a in g.actions if getattr(a, "overdue", False)])
    context = {
        "community": community,
        "groups": groups,
        "facilitating": facilitating,
        "open_count": sum(len(group.actions) for group in groups),
        "overdue_count": overdue,
    }
    return render(request, f"{TEMPLATE_DIR}/community.html", context)


urlpatterns = [
    path("communities/<slug:slug>/actions/", community_actions, name="community_actions"),
    path("rounds/<uuid:code>/actions/<int:pk>/", action_detail, name="action_detail"),
    path("rounds/<uuid:code>/actions/<int:pk>/notes/", action_note_add, name="action_note_add"),
    path("rounds/<uuid:code>/priorities/<int:number>/target/", target_save, name="target_save"),
]
