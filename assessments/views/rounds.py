"""Facilitators run a round: create it, pick people, issue links, invite, remind, move it on.

Pages here show who has and has not submitted, never what anyone answered.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Literal
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communities.access import (
    can_write_found,
    get_assessment_for,
    get_community_for,
    sees_people,
)
from smm_site.rows import row_url, with_links

from ..forms.rounds import (
    OpenCollectionForm,
    ParticipantLanguageForm,
    ParticipantsAddForm,
    RoundForm,
    StakeholderFilterForm,
)
from ..forms.scoring import PaperSheetForm
from ..models import Assessment, ConsensusScore, Participant, TransitionError
from ..qr import qr_svg
from ..reports.pdf import invitation_slips_pdf
from ..rounds import (
    Progress,
    RoundError,
    Step,
    invitations_send,
    next_step,
    participant_link_show,
    participant_mark_invited,
    participants_add,
    personal_link,
    reminders_send,
    round_create,
    round_move,
    slips_printed,
)
from ..rounds import participant_link_revoke as participant_link_revoke_service
from ..scoring import CollectionClosed, PaperEntryRefused, paper_sheet_enter
from ..sheet import rubric_dimensions


def _participant_of(assessment: Assessment, participant_code: UUID) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("stakeholder__organisation"),
        assessment=assessment,
        code=participant_code,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def round_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    focal_issue = community.current_focal_issue
    form = RoundForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if focal_issue is None:
            form.add_error(None, _("This community has no current focal issue. Add one first."))
        if form.is_valid():
            try:
                assessment = round_create(
                    community=community,
                    title=form.cleaned_data["title"],
                    kind=form.cleaned_data["kind"],
                    deadline=form.cleaned_data["deadline"],
                    workshop_date=form.cleaned_data["workshop_date"],
                    by=request.user,  # type: ignore[arg-type]
                )
            except RoundError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Round created. Now add the people to invite."))
                return HttpResponseRedirect(assessment.get_absolute_url(), status=303)
        status = 400
    return render(
        request,
        "assessments/rounds/create.html",
        {"community": community, "focal_issue": focal_issue, "form": form},
        status=status,
    )


def _counts(assessment: Assessment) -> dict[str, int]:
    return assessment.participants.aggregate(
        total=Count("pk"),
        invited=Count("pk", filter=Q(invited_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        drafts=Count("pk", filter=Q(draft_saved_at__isnull=False, submitted_at__isnull=True)),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
    )


def _counted(participants: list[Participant]) -> dict[str, int]:
    """`_counts` from the participants already read (the same rules, no query)."""
    return {
        "total": len(participants),
        "invited": sum(1 for p in participants if p.invited_at is not None),
        "opened": sum(1 for p in participants if p.opened_at is not None),
        "drafts": sum(
            1 for p in participants if p.draft_saved_at is not None and p.submitted_at is None
        ),
        "submitted": sum(1 for p in participants if p.submitted_at is not None),
    }


def _progress(
    assessment: Assessment, counts: dict[str, int], not_invited_with_email: int
) -> Progress:
    agreed = priorities = dimensions = 0
    if assessment.status == Assessment.Status.WORKSHOP:
        # Only at the workshop stage do the agreed levels decide the next step.
        found = ConsensusScore.objects.filter(assessment=assessment).aggregate(
            agreed=Count("pk"), priorities=Count("pk", filter=Q(is_priority=True))
        )
        agreed, priorities = found["agreed"], found["priorities"]
        dimensions = len(rubric_dimensions(assessment.rubric_id))
    return Progress(
        status=assessment.status,
        people=counts["total"],
        invited=counts["invited"],
        not_invited_with_email=not_invited_with_email,
        dimensions=dimensions,
        agreed=agreed,
        priorities=priorities,
        workshop_started=assessment.spread_revealed or assessment.current_dimension > 1,
        workshop_due=bool(
            assessment.workshop_date and assessment.workshop_date <= timezone.localdate()
        ),
    )


def _close_note(counts: dict[str, int]) -> str:
    """What closing collection does to those who have not submitted, said before it is done.

    Their answers stay as they saved them, but only submitted sheets go into the anonymous
    spread (selectors.py, aggregation), and no one can submit once collection is closed.
    """
    waiting = counts["total"] - counts["submitted"]
    if not waiting:
        return _(
            "Everyone has submitted. Closing collection makes personal links read-only and moves "
            "the round to the workshop."
        )
    return ngettext(
        "%(n)d of %(total)d people has not submitted. If you close collection now, their link "
        "shows what they saved read-only and they can no longer submit; a saved draft is kept "
        "but not counted in the anonymous spread.",
        "%(n)d of %(total)d people have not submitted. If you close collection now, their links "
        "show what they saved read-only and they can no longer submit; saved drafts are kept "
        "but not counted in the anonymous spread.",
        waiting,
    ) % {"n": waiting, "total": counts["total"]}


def _render_round(
    request: HttpRequest,
    assessment: Assessment,
    *,
    open_form: OpenCollectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    people = sees_people(request)
    # Names and status only, for those who chase: no score or reason is ever fetched for this
    # page, and for evaluators (who see the counts) not even a participant.
    participants = list(
        assessment.participants.select_related("stakeholder__organisation", "entered_by").only(
            "code",
            "sector",
            "invited_at",
            "reminded_at",
            "opened_at",
            "draft_saved_at",
            "submitted_at",
            "entered_by__username",
            "stakeholder__name",
            "stakeholder__email",
            "stakeholder__organisation__name",
        )
        if people
        else ()
    )
    code = assessment.code
    participants = with_links(
        participants,
        link=row_url("assessments:participant_link", row_kwarg="participant", code=code),
        paper=row_url("assessments:paper_sheet", row_kwarg="participant", code=code),
    )
    # Found through visible_to (get_assessment_for): no need to ask the database again.
    writes = can_write_found(request)
    counts = _counted(participants) if people else _counts(assessment)
    not_invited_with_email = sum(
        1 for p in participants if p.invited_at is None and p.stakeholder.email
    )
    if open_form is None and writes and assessment.status == Assessment.Status.DRAFT:
        open_form = OpenCollectionForm(initial={"deadline": assessment.deadline})
    context = {
        "assessment": assessment,
        "community": assessment.community,
        "participants": participants,
        "participant_rows": _participant_rows(request, assessment, participants, writes=writes),
        "sees_people": people,
        "counts": counts,
        "close_note": _close_note(counts),
        "pending_with_email": sum(
            1 for p in participants if p.submitted_at is None and p.stakeholder.email
        ),
        "not_invited_with_email": not_invited_with_email,
        "can_write": writes,
        "next": next_step(_progress(assessment, counts, not_invited_with_email)),
        "Step": Step,
        "open_form": open_form,
        "Status": Assessment.Status,
    }
    return render(request, "assessments/rounds/detail.html", context, status=status)


def _participant_rows(
    request: HttpRequest, assessment: Assessment, participants: list[Participant], *, writes: bool
) -> SafeString:
    """The participants table's body rows, built here rather than by a template loop (a round
    has forty people or more, and the loop's tags per row were most of the page's time): each
    label translated once, the links reversed once (smm_site/rows.py), every value through
    html.escape. Name (with organisation on a phone, and "no email"), organisation, the sheet's
    status and, for those who run the round, its actions: show link, email, paper sheet."""
    no_email = f' <span class="badge text-bg-light border">{escape(_("no email"))}</span>'
    entered_by = escape(_("paper sheet entered by %(user)s"))
    show_link, enter_paper = escape(_("Show link")), escape(_("Enter paper sheet"))
    email_again, email_invitation = escape(_("Email the link again")), escape(_("Email invitation"))
    inviting = assessment.status in (Assessment.Status.DRAFT, Assessment.Status.COLLECTING)
    collecting = assessment.status == Assessment.Status.COLLECTING
    invite_url = reverse("assessments:round_invite", kwargs={"code": assessment.code})
    invite = (
        f'<form method="post" action="{escape(invite_url)}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
        if writes and inviting
        else ""
    )
    button = "btn btn-sm btn-outline-secondary text-nowrap"
    rows = []
    for p in participants:
        person = p.stakeholder
        name = escape(person.name)
        organisation = escape(person.organisation.name) if person.organisation else ""
        status = escape(p.status_label)
        if p.entered_by:
            by = entered_by % {"user": escape(p.entered_by.username)}
            status += f' <span class="small text-body-secondary">({by})</span>'
        actions = ""
        if writes:
            link_url, paper_url = p.link_url, p.paper_url  # type: ignore[attr-defined]  # with_links
            actions = (
                f'<a class="{button}" href="{escape(link_url)}">{show_link}'
                f'<span class="visually-hidden"> – {name}</span></a>'
            )
            if inviting and person.email:
                actions += (
                    f'{invite}<input type="hidden" name="participant" value="{p.code}">'
                    f'<button class="{button}" type="submit">'
                    f"{email_again if p.invited_at else email_invitation}"
                    f'<span class="visually-hidden"> – {name}</span></button></form>'
                )
            if collecting and ((not p.draft_saved_at and not p.submitted_at) or p.entered_by):
                actions += (
                    f'<a class="{button}" href="{escape(paper_url)}">{enter_paper}'
                    f'<span class="visually-hidden"> – {name}</span></a>'
                )
            actions = f'<td><div class="d-flex flex-wrap gap-1">{actions}</div></td>'
        rows.append(
            f'<tr><th scope="row">{name}<span class="d-md-none small fw-normal '
            f'text-body-secondary d-block">{organisation}</span>'
            f"{'' if person.email else no_email}</th>"
            f'<td class="d-none d-md-table-cell">{organisation or "–"}</td>'
            f"<td>{status}</td>{actions}</tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


@login_required
@require_http_methods(["GET", "HEAD"])
def round_detail(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = get_assessment_for(request, code)
    return _render_round(request, assessment)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def round_progress(request: HttpRequest, code: UUID) -> HttpResponse:
    """The round page's progress line, polled (htmx) while collection is open: counts only."""
    assessment = get_assessment_for(request, code)
    context = {"assessment": assessment, "counts": _counts(assessment), "Status": Assessment.Status}
    return render(request, "assessments/rounds/_detail_body.html#progress", context)


@login_required
@require_POST
def round_status(request: HttpRequest, code: UUID) -> HttpResponse:
    """Open or close collection. A refusal shows the round page again with the reason, as an
    error on the form (what was typed kept), answered 400 (bad input) or 409 (not now)."""
    assessment = get_assessment_for(request, code, write=True, related=("community",))
    to = request.POST.get("to", "")
    form = None
    deadline: date | Literal[False] | None = False
    if to == Assessment.Status.COLLECTING and assessment.status == Assessment.Status.DRAFT:
        form = OpenCollectionForm(request.POST)
        if not form.is_valid():
            return _render_round(request, assessment, open_form=form, status=400)
        deadline = form.cleaned_data["deadline"]
    try:
        round_move(assessment=assessment, to=to, by=request.user, deadline=deadline)  # type: ignore[arg-type]
    except RoundError as error:
        form = form or OpenCollectionForm(request.POST)
        form.is_valid()  # so add_error has cleaned_data to drop the field from
        form.add_error(error.field, str(error))
        # A past deadline or a status this page never asks for is bad input; nobody in the
        # round yet is a state to put right first.
        moves = (Assessment.Status.COLLECTING, Assessment.Status.WORKSHOP)
        bad_input = error.field is not None or to not in moves
        return _render_round(request, assessment, open_form=form, status=400 if bad_input else 409)
    except TransitionError as error:
        form = OpenCollectionForm(request.POST)
        form.is_valid()
        form.add_error(None, str(error))
        return _render_round(request, assessment, open_form=form, status=409)
    if to == Assessment.Status.WORKSHOP:
        messages.success(
            request,
            _(
                "Collection closed. Personal links now show a read-only sheet; the round is ready "
                "for the workshop."
            ),
        )
    else:
        messages.success(request, _("Collection is open: personal links now accept answers."))
    return HttpResponseRedirect(assessment.get_absolute_url(), status=303)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def round_participants_add(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = get_assessment_for(request, code, write=True)
    community = assessment.community
    filters = StakeholderFilterForm(request.GET or None, community=community)
    stakeholders = community.stakeholders.active().select_related("organisation")
    if filters.is_valid():
        if filters.cleaned_data["sector"]:
            stakeholders = stakeholders.filter(sector=filters.cleaned_data["sector"])
        if filters.cleaned_data["organisation"]:
            stakeholders = stakeholders.filter(organisation=filters.cleaned_data["organisation"])
    already = set(assessment.participants.values_list("stakeholder_id", flat=True))
    form = ParticipantsAddForm(
        request.POST if request.method == "POST" else None, community=community
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                added = participants_add(
                    assessment=assessment,
                    stakeholders=form.cleaned_data["stakeholders"],
                    by=request.user,  # type: ignore[arg-type]
                    language=form.cleaned_data["language"],
                )
            except RoundError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("%(n)d people added. Send their invitations or copy their links.")
                    % {"n": len(added)},
                )
                return HttpResponseRedirect(assessment.get_absolute_url(), status=303)
        status = 400
    chosen = {str(c) for c in request.POST.getlist("stakeholders")}
    return render(
        request,
        "assessments/rounds/participants_add.html",
        {
            "assessment": assessment,
            "community": community,
            "filters": filters,
            "form": form,
            "stakeholders": list(stakeholders),
            "already": already,
            "chosen": chosen,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def participant_link(request: HttpRequest, code: UUID, participant: UUID) -> HttpResponse:
    """The person's personal link, to copy or print, as often as needed (it stays the same).

    POST: "I have sent it", which marks the person invited.
    """
    assessment = get_assessment_for(request, code, write=True)
    person = _participant_of(assessment, participant)
    if request.method == "POST" and "language" in request.POST:
        language_form = ParticipantLanguageForm(request.POST)
        if language_form.is_valid():
            person.language = language_form.cleaned_data["language"]
            person.save(update_fields=["language"])
            messages.success(request, _("Language saved."))
        return HttpResponseRedirect(
            reverse(
                "assessments:participant_link", kwargs={"code": code, "participant": participant}
            ),
            status=303,
        )
    if request.method == "POST":
        try:
            marked = participant_mark_invited(participant=person, by=request.user)  # type: ignore[arg-type]
        except RoundError as error:
            messages.error(request, str(error))
        else:
            if marked:
                messages.success(
                    request,
                    _("%(name)s is marked as invited.") % {"name": person.stakeholder.name},
                )
        return HttpResponseRedirect(
            reverse(
                "assessments:participant_link", kwargs={"code": code, "participant": participant}
            ),
            status=303,
        )
    link = personal_link(participant_link_show(participant=person, by=request.user))  # type: ignore[arg-type]
    return render(
        request,
        "assessments/rounds/link.html",
        {
            "assessment": assessment,
            "person": person,
            "link": link,
            "qr": qr_svg(
                link,
                title=_("QR code of the personal link of %(name)s")
                % {"name": person.stakeholder.name},
            ),
            "language_form": ParticipantLanguageForm(initial={"language": person.language}),
            "can_invite": assessment.status
            in (Assessment.Status.DRAFT, Assessment.Status.COLLECTING),
            "Status": Assessment.Status,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def participant_link_revoke(request: HttpRequest, code: UUID, participant: UUID) -> HttpResponse:
    """Revoke a link: a page that says who is cut off, then the POST that does it."""
    assessment = get_assessment_for(request, code, write=True)
    person = _participant_of(assessment, participant)
    if request.method == "POST":
        participant_link_revoke_service(participant=person, by=request.user)  # type: ignore[arg-type]
        messages.success(
            request,
            _(
                "The earlier link of %(name)s no longer works. This is their new link: send it to "
                "them. Anything they saved is kept."
            )
            % {"name": person.stakeholder.name},
        )
        return HttpResponseRedirect(
            reverse(
                "assessments:participant_link", kwargs={"code": code, "participant": participant}
            ),
            status=303,
        )
    return render(
        request, "assessments/rounds/link_revoke.html", {"assessment": assessment, "person": person}
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def round_slips(request: HttpRequest, code: UUID) -> HttpResponse:
    """Printable invitation slips (PDF): everyone in the round, or one person (?participant=)."""
    assessment = get_assessment_for(request, code, write=True, related=("community", "focal_issue"))
    people = assessment.participants.select_related("stakeholder__organisation").filter(
        stakeholder__erased_at__isnull=True
    )
    one = request.GET.get("participant")
    if one is not None:
        try:
            people = people.filter(code=UUID(one))
        except ValueError:
            return HttpResponseBadRequest(_("That is not a participant's reference."))
    chosen = list(people)
    if not chosen:
        messages.error(request, _("There is nobody to print a slip for."))
        return HttpResponseRedirect(assessment.get_absolute_url(), status=303)
    slips_printed(assessment=assessment, participants=chosen, by=request.user)  # type: ignore[arg-type]
    slips = []
    for person in chosen:
        link = personal_link(person.link_token)
        slips.append(
            {
                "name": person.stakeholder.name,
                "organisation": person.stakeholder.organisation.name
                if person.stakeholder.organisation
                else "",
                "link": link,
                "qr": qr_svg(link, title=_("QR code of the personal link")),
            }
        )
    response = HttpResponse(invitation_slips_pdf(assessment, slips), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{assessment.file_stem}-slips.pdf"'
    return response


@login_required
@require_POST
def round_invite(request: HttpRequest, code: UUID) -> HttpResponse:
    """Email invitations: one person (`participant` given) or everyone not yet invited."""
    assessment = get_assessment_for(request, code, write=True)
    people = assessment.participants.select_related(
        "stakeholder", "assessment__community", "assessment__focal_issue"
    )
    one = request.POST.get("participant")
    if one:
        try:
            people = people.filter(code=UUID(one))
        except ValueError:
            messages.error(request, _("That person is not in this round."))
            return HttpResponseRedirect(assessment.get_absolute_url(), status=303)
    else:
        people = people.filter(invited_at__isnull=True)
    try:
        sent = invitations_send(
            assessment=assessment,
            participants=list(people),
            by=request.user,  # type: ignore[arg-type]
        )
    except RoundError as error:
        messages.error(request, str(error))
    else:
        if sent:
            messages.success(request, _("%(n)d invitations sent.") % {"n": sent})
        else:
            messages.warning(request, _("No invitation sent: nobody with an email address."))
    return HttpResponseRedirect(assessment.get_absolute_url(), status=303)


@login_required
@require_POST
def round_remind(request: HttpRequest, code: UUID) -> HttpResponse:
    assessment = get_assessment_for(request, code, write=True)
    try:
        result = reminders_send(assessment=assessment, by=request.user)  # type: ignore[arg-type]
    except RoundError as error:
        messages.error(request, str(error))
    else:
        text = _("%(n)d reminders sent.") % {"n": result.sent}
        if result.without_email:
            text += " " + _(
                "%(n)d people who have not submitted have no email address: copy their links."
            ) % {"n": result.without_email}
        messages.success(request, text)
    return HttpResponseRedirect(assessment.get_absolute_url(), status=303)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def paper_sheet(request: HttpRequest, code: UUID, participant: UUID) -> HttpResponse:
    """Type in a paper sheet for someone. Always a blank form: nothing they saved is shown."""
    assessment = get_assessment_for(request, code, write=True)
    person = _participant_of(assessment, participant)
    dimensions = list(assessment.rubric.dimensions.order_by("number"))
    form = PaperSheetForm(request.POST if request.method == "POST" else None, dimensions=dimensions)
    status = 200
    answered_online = person.entered_by_id is None and bool(
        person.draft_saved_at or person.submitted_at
    )
    refusal = ""
    if not assessment.is_collecting:
        refusal = _("Paper sheets can only be entered while collection is open.")
    elif answered_online:
        refusal = _("This person has already answered online, so a paper sheet cannot replace it.")
    elif request.method == "POST":
        if form.is_valid():
            try:
                paper_sheet_enter(
                    participant=person,
                    answers=form.answers(),
                    by=request.user,  # type: ignore[arg-type]
                )
            except (CollectionClosed, PaperEntryRefused):
                refusal = _("The sheet could not be saved: the round has moved on.")
            else:
                messages.success(
                    request,
                    _("Paper sheet entered for %(name)s.") % {"name": person.stakeholder.name},
                )
                return HttpResponseRedirect(assessment.get_absolute_url(), status=303)
        else:
            status = 400
    if refusal:
        status = 409
    return render(
        request,
        "assessments/rounds/paper.html",
        {
            "assessment": assessment,
            "person": person,
            "form": form,
            "rows": [
                (dim, form[f"level_{dim.number}"], form[f"reason_{dim.number}"])
                for dim in dimensions
            ],
            "refusal": refusal,
        },
        status=status,
    )


urlpatterns = [
    path("communities/<slug:slug>/rounds/new/", round_create_view, name="round_create"),
    path("rounds/<uuid:code>/", round_detail, name="round"),
    path("rounds/<uuid:code>/status/", round_status, name="round_status"),
    path("rounds/<uuid:code>/progress/", round_progress, name="round_progress"),
    path("rounds/<uuid:code>/participants/add/", round_participants_add, name="participants_add"),
    path("rounds/<uuid:code>/invite/", round_invite, name="round_invite"),
    path("rounds/<uuid:code>/remind/", round_remind, name="round_remind"),
    path(
        "rounds/<uuid:code>/participants/<uuid:participant>/link/",
        participant_link,
        name="participant_link",
    ),
    path(
        "rounds/<uuid:code>/participants/<uuid:participant>/link/revoke/",
        participant_link_revoke,
        name="participant_link_revoke",
    ),
    path("rounds/<uuid:code>/slips.pdf", round_slips, name="round_slips"),
    path(
        "rounds/<uuid:code>/participants/<uuid:participant>/paper/",
        paper_sheet,
        name="paper_sheet",
    ),
]
