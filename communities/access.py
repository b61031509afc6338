"""The one place that decides who may read or change a community or a round.

Views fetch through these helpers so that no view can forget a check. Facilitators who are not
members get 404, so a community's existence is not revealed; evaluators may read everything but
get 403 on any write. Nor do evaluators see people: no names, emails or per-person status,
only counts (`sees_people`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .models import Community

if TYPE_CHECKING:
    from assessments.models import Assessment


def can_write(request: HttpRequest, community: Community) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.is_evaluator:  # type: ignore[union-attr]
        return False
    return community.memberships.filter(user=user).exists()


def can_write_found(request: HttpRequest) -> bool:
    """`can_write` for a community just found through `visible_to`, without asking the
    database again: a facilitator finds only the communities they are a member of, so only
    evaluators are refused (admins and members may write)."""
    user = request.user
    return user.is_superuser or not user.can_read_all  # type: ignore[union-attr]


def sees_people(request: HttpRequest) -> bool:
    """Whether the user may see who is in a network or a round (names, emails, who has
    submitted), on a community or round found through the helpers below: its facilitators and
    admins may; evaluators see counts only."""
    return not request.user.is_evaluator  # type: ignore[union-attr]


def get_community_for(request: HttpRequest, slug: str, *, write: bool = False) -> Community:
    try:
        community = Community.objects.visible_to(request.user).get(slug=slug)
    except Community.DoesNotExist:
        raise Http404 from None
    if write and not can_write_found(request):
        raise PermissionDenied
    return community


def get_assessment_for(
    request: HttpRequest,
    code: UUID,
    *,
    write: bool = False,
    related: tuple[str, ...] = ("community", "focal_issue", "rubric", "previous"),
) -> Assessment:
    """`related`: what to join; a page that needs only the community asks for `("community",)`."""
    from assessments.models import Assessment

    try:
        assessment = (
            Assessment.objects.visible_to(request.user).select_related(*related).get(code=code)
        )
    except Assessment.DoesNotExist:
        raise Http404 from None
    if write and not can_write_found(request):
        raise PermissionDenied
    return assessment
