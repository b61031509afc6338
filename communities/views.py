from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.models import AuditEvent, audit
from smm_site.rows import row_url, with_links

from . import accounts, selectors, services, tables
from .access import can_write_found, get_community_for, sees_people
from .account_forms import CommunityCreateForm, MembershipAddForm
from .csv_io import MAX_UPLOAD_BYTES, CsvFileError, ImportPlan, ParsedRow, read_csv, write_csv
from .forms import (
    FocalIssueChooseForm,
    FocalIssueEditForm,
    ImportUploadForm,
    OrganisationForm,
    StakeholderForm,
)
from .models import Community, FocalIssue, Membership, Organisation, Sector, Stakeholder, User

IMPORT_SESSION_KEY = "communities.import"


# One line per community: at national scale an evaluator sees hundreds of them.
DASHBOARD_PAGE_SIZE = 50


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # Printable characters only: PostgreSQL refuses a NUL in a query, which would be a 500.
    query = "".join(c for c in request.GET.get("q", "") if c.isprintable()).strip()[:100]
    archived = request.GET.get("archived") == "1"
    visible = Community.objects.visible_to(user)
    communities = (
        visible.filter(archived_at__isnull=False) if archived else visible.filter(archived_at=None)
    )
    if query:
        communities = communities.filter(name__icontains=query)
    paginator = Paginator(selectors.dashboard_communities(communities), DASHBOARD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    lines = selectors.community_lines(page)
    return render(
        request,
        "communities/dashboard.html",
        {
            "page": page,
            "lines": lines,
            "rows": tables.dashboard_rows(lines),
            "query": query,
            "searchable": bool(query) or paginator.count > DASHBOARD_PAGE_SIZE,
            "archived": archived,
        },
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_safe
def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug)
    focal_issues = list(community.focal_issues.order_by("-started_on", "-created_at"))
    current = next((f for f in focal_issues if f.status == FocalIssue.Status.CURRENT), None)
    people = sees_people(request)
    writes = can_write_found(request)  # found through visible_to: no need to ask again
    # Evaluators see the network as counts: nobody's row is even fetched for them.
    stakeholders = selectors.network_rows(community) if people else None
    organisations = selectors.organisation_rows(community)
    seats = selectors.at_the_table(community, network=stakeholders, organisations=organisations)
    context = {
        "community": community,
        "can_write": writes,
        "sees_people": people,
        "current_focal_issue": current,
        "focal_history": [f for f in focal_issues if f is not current],
        "rounds": with_links(
            selectors.community_rounds(community), round=row_url("assessments:round")
        ),
        "seats": seats,
        "gaps": [seat for seat in seats if seat.is_gap],
        "stakeholders": stakeholders,
        "network_rows": tables.network_rows(community, stakeholders, can_write=writes)
        if stakeholders
        else "",
        "network": None if people else selectors.network_counts(seats),
        "organisations": organisations,
        "organisation_rows": tables.organisation_rows(
            community, organisations, sees_people=people, can_write=writes
        ),
        # Who facilitates: staff accounts, shown to the community's facilitators and admins
        # (evaluators see no people); admins manage them.
        "memberships": community.memberships.select_related("user").order_by(
            "-is_local_lead", "user__username"
        )
        if people
        else None,
        "manages": _user(request).is_superuser,
    }
    return render(request, "communities/detail.html", context)


def _admin_community(request: HttpRequest, slug: str) -> Community:
    """A community whose facilitators and archive only admins manage: others who can see it
    get 403, those who cannot 404 (as everywhere)."""
    community = get_community_for(request, slug)
    if not _user(request).is_superuser:
        raise PermissionDenied
    return community


@login_required
@require_http_methods(["GET", "POST"])
def community_create(request: HttpRequest) -> HttpResponse:
    if not _user(request).is_superuser:
        raise PermissionDenied
    form = CommunityCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        community = accounts.community_create(community=form.instance, by=_user(request))
        messages.success(
            request,
            _("%(name)s created. Add its facilitators and choose its focal issue.")
            % {"name": community.name},
        )
        return redirect(community)
    return render(
        request,
        "communities/create.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def community_archive(request: HttpRequest, slug: str) -> HttpResponse:
    community = _admin_community(request, slug)
    if community.archived_at is None:
        accounts.community_archive(community=community, by=_user(request))
    messages.success(
        request,
        _("%(name)s is archived: it has left the dashboard; its rounds and reports are kept.")
        % {"name": community.name},
    )
    return redirect(community)


@login_required
@require_POST
def community_unarchive(request: HttpRequest, slug: str) -> HttpResponse:
    community = _admin_community(request, slug)
    if community.archived_at is not None:
        accounts.community_unarchive(community=community, by=_user(request))
    messages.success(request, _("%(name)s is back on the dashboard.") % {"name": community.name})
    return redirect(community)


@login_required
@require_http_methods(["GET", "POST"])
def membership_add(request: HttpRequest, slug: str) -> HttpResponse:
    community = _admin_community(request, slug)
    form = MembershipAddForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.membership_add(
                community=community,
                user=form.cleaned_data["user"],
                is_local_lead=form.cleaned_data["is_local_lead"],
                by=_user(request),
            )
        except accounts.AccountError as error:
            form.add_error("user", error.message)
        else:
            messages.success(
                request,
                _("%(user)s now facilitates %(community)s.")
                % {"user": form.cleaned_data["user"], "community": community},
            )
            return redirect(community.get_absolute_url() + "#facilitators")
    return _render_form(
        request,
        community,
        form,
        title=_("Add a facilitator"),
        intro=_(
            "They will see and manage this community's network and rounds. To add someone "
            "without an account, invite them from the users page."
        ),
        submit=_("Add"),
    )


def _get_membership(request: HttpRequest, slug: str, username: str) -> Membership:
    community = _admin_community(request, slug)
    return get_object_or_404(
        Membership.objects.select_related("user", "community"),
        community=community,
        user__username=username,
    )


@login_required
@require_POST
def membership_lead(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    membership = _get_membership(request, slug, username)
    is_lead = request.POST.get("is_local_lead") == "1"
    accounts.membership_set_lead(membership=membership, is_local_lead=is_lead, by=_user(request))
    messages.success(request, _("Saved."))
    return redirect(membership.community.get_absolute_url() + "#facilitators")


@login_required
@require_POST
def membership_remove(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    membership = _get_membership(request, slug, username)
    community = membership.community
    accounts.membership_remove(membership=membership, by=_user(request))
    messages.success(
        request,
        _("%(user)s no longer facilitates %(community)s.")
        % {"user": membership.user, "community": community},
    )
    return redirect(community.get_absolute_url() + "#facilitators")


def _render_form(
    request: HttpRequest,
    community: Community,
    form: Any,
    *,
    title: str,
    intro: str = "",
    submit: str = "",
) -> HttpResponse:
    return render(
        request,
        "communities/form.html",
        {
            "community": community,
            "form": form,
            "title": title,
            "intro": intro,
            "submit": submit or _("Save"),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def focal_issue_create(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    current = community.focal_issues.filter(status=FocalIssue.Status.CURRENT).first()
    form = FocalIssueChooseForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.focal_issue_choose(
            community=community,
            by=_user(request),
            title=data["title"],
            area=data["area"],
            description=data["description"],
            started_on=data["started_on"],
            how=data.get("how", ""),
            reason=data.get("reason", ""),
        )
        messages.success(request, _("The focal issue is now “%s”.") % data["title"])
        return redirect(community)
    if current is None:
        title, intro = _("Choose a focal issue"), ""
    else:
        title = _("Change the focal issue")
        intro = _(
            "The current focal issue, “%s”, is kept in the history with the reason you give."
        ) % (current.title,)
    return _render_form(request, community, form, title=title, intro=intro)


@login_required
@require_http_methods(["GET", "POST"])
def focal_issue_edit(request: HttpRequest, slug: str, code: UUID) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    issue = get_object_or_404(FocalIssue, community=community, code=code)
    form = FocalIssueEditForm(request.POST or None, instance=issue)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Focal issue saved."))
        return redirect(community)
    return _render_form(
        request,
        community,
        form,
        title=_("Edit focal issue"),
        intro=_("Correct the wording here. To move to a different focal issue, use “Change”."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    form = OrganisationForm(
        request.POST or None, instance=Organisation(community=community), community=community
    )
    if request.method == "POST" and form.is_valid():
        organisation = form.save()
        messages.success(request, _("Organisation “%s” added.") % organisation.name)
        return redirect(community.get_absolute_url() + "#organisations")
    return _render_form(request, community, form, title=_("Add an organisation"))


def _get_organisation(request: HttpRequest, slug: str, code: UUID) -> Organisation:
    community = get_community_for(request, slug, write=True)
    return get_object_or_404(
        Organisation.objects.select_related("community"), community=community, code=code
    )


def _get_stakeholder(request: HttpRequest, slug: str, code: UUID) -> Stakeholder:
    community = get_community_for(request, slug, write=True)
    return get_object_or_404(
        Stakeholder.objects.select_related("community", "organisation"),
        community=community,
        code=code,
        erased_at__isnull=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, slug: str, code: UUID) -> HttpResponse:
    organisation = _get_organisation(request, slug, code)
    community = organisation.community
    form = OrganisationForm(request.POST or None, instance=organisation, community=community)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Organisation saved."))
        return redirect(community.get_absolute_url() + "#organisations")
    return _render_form(request, community, form, title=_("Edit organisation"))


@login_required
@require_http_methods(["GET", "POST"])
def organisation_delete(request: HttpRequest, slug: str, code: UUID) -> HttpResponse:
    organisation = _get_organisation(request, slug, code)
    community = organisation.community
    if request.method == "POST":
        outcome = services.organisation_remove(organisation=organisation, by=_user(request))
        if outcome == "deleted":
            messages.success(request, _("Organisation “%s” deleted.") % organisation.name)
        else:
            messages.success(
                request,
                _("Organisation “%s” deactivated: it took part in a round, so it is kept.")
                % organisation.name,
            )
        return redirect(community.get_absolute_url() + "#organisations")
    return render(
        request,
        "communities/confirm_remove.html",
        {
            "community": community,
            "object": organisation,
            "kind": _("organisation"),
            "took_part": services.organisation_took_part(organisation),
            "people": organisation.stakeholders.count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_create(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    form = StakeholderForm(
        request.POST or None, instance=Stakeholder(community=community), community=community
    )
    if request.method == "POST" and form.is_valid():
        stakeholder = form.save()
        messages.success(request, _("%s added to the network.") % stakeholder.name)
        return redirect(community.get_absolute_url() + "#network")
    return _render_form(request, community, form, title=_("Add a stakeholder"))


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request: HttpRequest, slug: str, code: UUID) -> HttpResponse:
    stakeholder = _get_stakeholder(request, slug, code)
    community = stakeholder.community
    form = StakeholderForm(request.POST or None, instance=stakeholder, community=community)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Stakeholder saved."))
        return redirect(community.get_absolute_url() + "#network")
    return _render_form(request, community, form, title=_("Edit stakeholder"))


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_delete(request: HttpRequest, slug: str, code: UUID) -> HttpResponse:
    stakeholder = _get_stakeholder(request, slug, code)
    community = stakeholder.community
    if request.method == "POST":
        outcome = services.stakeholder_remove(stakeholder=stakeholder, by=_user(request))
        if outcome == "deleted":
            messages.success(request, _("%s deleted.") % stakeholder.name)
        else:
            messages.success(
                request,
                _("%s deactivated: they took part in a round, so what they gave is kept.")
                % stakeholder.name,
            )
        return redirect(community.get_absolute_url() + "#network")
    return render(
        request,
        "communities/confirm_remove.html",
        {
            "community": community,
            "object": stakeholder,
            "kind": _("stakeholder"),
            "took_part": services.stakeholder_took_part(stakeholder),
        },
    )


def _render_upload(
    request: HttpRequest,
    community: Community,
    form: ImportUploadForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "communities/import_upload.html",
        {"community": community, "form": form, "error": error, "sectors": Sector.choices},
        status=status,
    )


def _render_preview(
    request: HttpRequest,
    community: Community,
    plan: ImportPlan,
    *,
    filename: str,
    import_id: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "communities/import_preview.html",
        {
            "community": community,
            "plan": plan,
            "filename": filename,
            "import_id": import_id,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    if request.method != "POST":
        return _render_upload(request, community, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, community, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        parsed = read_csv(upload.read(MAX_UPLOAD_BYTES + 1))
    except CsvFileError as error:
        form.add_error("file", error.message)
        return _render_upload(request, community, form, status=400)
    plan = services.import_plan_for(community, parsed.rows)
    plan.notes[:0] = parsed.notes
    import_id = ""
    if plan.is_valid:
        # The parsed rows wait in the (database-backed) session for the confirm step, so
        # the file is not uploaded twice; they are checked again at import time.
        import_id = uuid.uuid4().hex
        request.session[IMPORT_SESSION_KEY] = {
            "id": import_id,
            "community": community.pk,
            "filename": upload.name,
            "notes": parsed.notes,
            "rows": [row.to_list() for row in parsed.rows],
        }
    else:
        request.session.pop(IMPORT_SESSION_KEY, None)
    return _render_preview(
        request,
        community,
        plan,
        filename=upload.name,
        import_id=import_id,
        status=200 if plan.is_valid else 400,
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug, write=True)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if (
        not pending
        or pending.get("id") != request.POST.get("import_id")
        or pending.get("community") != community.pk
    ):
        error = _(
            "This preview has expired or was replaced by another upload. "
            "Nothing was imported; upload the file again."
        )
        return _render_upload(request, community, ImportUploadForm(), error=error, status=400)
    rows = [ParsedRow.from_list(values) for values in pending["rows"]]
    try:
        result = services.stakeholders_import(community=community, rows=rows, by=_user(request))
    except services.ImportRejected as rejected:
        messages.error(
            request,
            _("The network changed since the preview; nothing was imported. See the problems."),
        )
        request.session.pop(IMPORT_SESSION_KEY, None)
        return _render_preview(
            request, community, rejected.plan, filename=pending["filename"], status=409
        )
    except IntegrityError:
        # Someone else added the same person in the instant between check and write.
        error = _(
            "Someone changed the network at the same moment. Nothing was imported; try again."
        )
        return _render_upload(request, community, ImportUploadForm(), error=error, status=409)
    request.session.pop(IMPORT_SESSION_KEY, None)
    messages.success(
        request,
        _(
            "Import done: %(created)s added, %(updated)s updated, %(skipped)s duplicate rows "
            "skipped, %(orgs)s organisations created."
        )
        % {
            "created": result.created,
            "updated": result.updated,
            "skipped": result.skipped,
            "orgs": result.organisations_created,
        },
    )
    return redirect(community.get_absolute_url() + "#network")


@login_required
@require_safe
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug)
    if not sees_people(request):
        raise PermissionDenied  # names and emails: evaluators see counts only
    rows = (
        (
            s.name,
            s.email,
            s.organisation.name if s.organisation else "",
            s.sector,
            s.role,
            "yes" if s.is_active else "no",
        )
        for s in selectors.network(community)
    )
    body = write_csv(["name", "email", "organisation", "sector", "role", "active"], rows)
    audit(
        verb=AuditEvent.Verb.EXPORTED,
        summary=_("Stakeholder network exported as CSV"),
        actor=request.user,
        community=community,
    )
    filename = f"{community.slug}-network-{timezone.localdate().isoformat()}.csv"
    response = HttpResponse(body.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
