"""The long tables of the community pages (the dashboard's communities, a community's network
and organisations) as HTML built in Python: an evaluator's dashboard has fifty lines a page and a
network hundreds of people, and the template engine's cost per row (a tag, a filter or a
variable lookup for every cell) was most of the page's time. Each label is translated once per
table, each link reversed once per table (smm_site/rows.py), and each row is one f-string whose
every value goes through html.escape (what Django's escape filter does). The markup is what the
templates' loops made, cell for cell (templates/communities/_dashboard_list.html and
_detail_body.html)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from smm_site.rows import row_url

from .models import Community
from .selectors import CommunityLine, NetworkRow, OrganisationRow

_DASH = "—"
_INACTIVE_ROW = ' class="row-inactive"'


def _urls(community: Community, **names: str) -> dict[str, tuple[str, str]]:
    """Each row link of the table as the (escaped) text before and after the row's code."""
    urls = {}
    for key, name in names.items():
        kwargs = {} if name.startswith("assessments:") else {"slug": community.slug}
        before, _code, after = row_url(name, **kwargs).partition(_PLACEHOLDER)
        urls[key] = (escape(before), escape(after))
    return urls


# The code smm_site.rows.row_url puts in a link.
_PLACEHOLDER = str(uuid.UUID(int=0))


def _edit_remove(
    urls: dict[str, tuple[str, str]], code: uuid.UUID, name: str, edit: str, remove: str
) -> str:
    """A row's edit and remove links (`name` escaped already), as both tables have them."""
    (edit_a, edit_b), (delete_a, delete_b) = urls["edit"], urls["delete"]
    return (
        f'<a class="btn btn-link btn-sm" href="{edit_a}{code}{edit_b}">{edit}'
        f'<span class="visually-hidden"> {name}</span></a> '
        f'<a class="btn btn-link btn-sm text-danger" href="{delete_a}{code}{delete_b}">'
        f'{remove}<span class="visually-hidden"> {name}</span></a>'
    )


def network_rows(
    community: Community, people: Iterable[NetworkRow], *, can_write: bool
) -> SafeString:
    """The network table's body rows: name and email, organisation, sector, role, rounds taken
    and, for those who may change the network, the edit, remove and their-data links."""
    organisation, sector, role, rounds = (
        escape(_(label)) for label in ("Organisation", "Sector", "Role", "Rounds")
    )
    inactive = f' <span class="badge text-bg-secondary">{escape(_("inactive"))}</span>'
    edit, remove, their_data = escape(_("Edit")), escape(_("Remove")), escape(_("Their data"))
    urls = _urls(
        community,
        edit="communities:stakeholder_edit",
        delete="communities:stakeholder_delete",
        data="assessments:stakeholder_data_export",
    )
    data_a, data_b = urls["data"]
    rows = []
    for person in people:
        name, code = escape(person.name), person.code
        email = (
            f'<br><span class="small text-body-secondary cell-email">{escape(person.email)}</span>'
            if person.email
            else ""
        )
        actions = (
            '<td class="text-nowrap text-md-end cell-actions">'
            f"{_edit_remove(urls, code, name, edit, remove)} "
            f'<a class="btn btn-link btn-sm" href="{data_a}{code}{data_b}">{their_data}'
            f'<span class="visually-hidden"> – {name}</span></a></td>'
            if can_write
            else ""
        )
        rows.append(
            f"<tr{'' if person.is_active else _INACTIVE_ROW}>"
            f'<td class="cell-title"><span class="fw-semibold">{name}</span>'
            f"{'' if person.is_active else inactive}{email}</td>"
            f'<td data-label="{organisation}">{escape(person.organisation or _DASH)}</td>'
            f'<td data-label="{sector}">{escape(person.sector_label)}</td>'
            f'<td data-label="{role}">{escape(person.role or _DASH)}</td>'
            f'<td data-label="{rounds}" class="text-md-end">{person.rounds_taken}</td>'
            f"{actions}</tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


def organisation_rows(
    community: Community,
    organisations: Iterable[OrganisationRow],
    *,
    sees_people: bool,
    can_write: bool,
) -> SafeString:
    """The organisations table's body rows: name, sector, how many people (for those who see
    people) and, for those who may change the network, the edit and remove links."""
    sector, people = escape(_("Sector")), escape(_("People"))
    inactive = f' <span class="badge text-bg-secondary">{escape(_("inactive"))}</span>'
    edit, remove = escape(_("Edit")), escape(_("Remove"))
    urls = _urls(
        community, edit="communities:organisation_edit", delete="communities:organisation_delete"
    )
    rows = []
    for organisation in organisations:
        name, code = escape(organisation.name), organisation.code
        count = (
            f'<td data-label="{people}" class="text-md-end">{organisation.people}</td>'
            if sees_people
            else ""
        )
        actions = (
            '<td class="text-nowrap text-md-end cell-actions">'
            f"{_edit_remove(urls, code, name, edit, remove)}</td>"
            if can_write
            else ""
        )
        rows.append(
            f"<tr{'' if organisation.is_active else _INACTIVE_ROW}>"
            f'<td class="cell-title"><span class="fw-semibold">{name}</span>'
            f"{'' if organisation.is_active else inactive}</td>"
            f'<td data-label="{sector}">{escape(organisation.sector_label)}</td>'
            f"{count}{actions}</tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


def dashboard_rows(lines: Iterable[CommunityLine]) -> SafeString:
    """The dashboard table's body rows: a community with its place, its focal issue and its
    latest round (linked, with its status) and how many rounds it has had."""
    focal_issue, latest_round, rounds = (
        escape(_(label)) for label in ("Focal issue", "Latest round", "Rounds")
    )
    none_chosen = f"<em>{escape(_('none chosen yet'))}</em>"
    no_rounds = f'<span class="text-body-secondary">{escape(_("No rounds yet."))}</span>'
    community_a, _code, community_b = (
        escape(part)
        for part in row_url("communities:detail", row_kwarg="slug").partition(_PLACEHOLDER)
    )
    round_a, _code, round_b = (
        escape(part) for part in row_url("assessments:round").partition(_PLACEHOLDER)
    )
    rows = []
    for line in lines:
        latest = (
            f'<a href="{round_a}{escape(line.latest_code)}{round_b}">'
            f"{escape(line.latest_title)}</a> "
            '<span class="badge text-bg-light border text-wrap text-start">'
            f"{escape(line.latest_status)}</span>"
            if line.latest_code
            else no_rounds
        )
        rows.append(
            '<tr><td class="cell-title"><a class="fw-semibold" '
            f'href="{community_a}{escape(line.slug)}{community_b}">{escape(line.name)}</a><br>'
            f'<span class="small text-body-secondary">{escape(line.place)}</span></td>'
            f'<td data-label="{focal_issue}">'
            f"{escape(line.focal_issue) if line.focal_issue else none_chosen}</td>"
            f'<td data-label="{latest_round}">{latest}</td>'
            f'<td data-label="{rounds}" class="text-md-end">{line.rounds}</td></tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped
