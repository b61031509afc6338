from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.models import Assessment

from .access import can_write, get_community_for
from .models import Community, FocalIssue


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    communities = (
        Community.objects.visible_to(request.user)
        .prefetch_related(
            Prefetch("focal_issues", queryset=FocalIssue.objects.filter(status="current")),
            Prefetch(
                "assessments",
                queryset=Assessment.objects.order_by("-created_at").only(
                    "code", "title", "status", "kind", "community_id", "created_at", "deadline"
                ),
            ),
        )
        .order_by("name")
    )
    return render(request, "communities/dashboard.html", {"communities": communities})


@login_required
def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for(request, slug)
    return render(
        request,
        "communities/detail.html",
        {"community": community, "can_write": can_write(request, community)},
    )
