"""The read-only JSON API (version 1) for evaluators and admins, with django-ninja.

What it gives is what an evaluator may read on the pages, as data: communities, finalised
rounds with their invited and submitted counts, agreed levels with the group's reasons and
dissent, and level counts (withheld for rounds with fewer than MIN_GROUP_SIZE sheets). Never a
stakeholder, a participant, a per-person status or a private score or reason: the rows come
from insight/data.py, which reads none of them.

Who: a Bearer token made on the tokens page (each request recorded, ApiTokenUse), or the
signed-in session of the browser. Either way only evaluators and admins; facilitators get 403
(their communities' pages are theirs, the cross-community view is not)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import APIKeyCookie, HttpBearer

from assessments.aggregation import MIN_GROUP_SIZE
from communities.models import Community
from smm_site.clients import client_ip

from . import data
from .models import ApiToken, ApiTokenUse, hash_token

if TYPE_CHECKING:
    from communities.models import User

MAX_PAGE = 100
# Far beyond any real offset, and below what a database integer holds (a bigger one was a 500).
MAX_OFFSET = 10**9
# The nations and kinds as the schema lists them (tests check they match the models' choices).
NationCode = Literal["england", "wales", "scotland", "northern-ireland"]
KindCode = Literal["baseline", "review"]


def _reader(user: Any) -> User:
    """The user, if they may read the API; a 403 for signed-in users who may not."""
    if not user.can_read_all:
        raise HttpError(403, "The API is for evaluators and admins.")
    return user  # type: ignore[no-any-return]


def _user(request: HttpRequest) -> User:
    """The user an auth class returned (ninja keeps it on the request)."""
    return request.auth  # type: ignore[attr-defined, no-any-return]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.startswith("smm_") or len(token) > 100:
            return None
        found = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(token_hash=hash_token(token), user__is_active=True)
            .first()
        )
        if found is None:
            return None
        user = _reader(found.user)
        ApiTokenUse.objects.create(
            token=found,
            method=request.method or "",
            path=request.get_full_path()[:500],
            client_ip=client_ip(request)[:45],
        )
        return user


class SessionAuth(APIKeyCookie):
    """The browser's signed-in session, so that the API can be read where the pages are."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if not request.user.is_authenticated:
            return None
        return _reader(request.user)


def _values(schema: dict[str, Any]) -> str:
    """What a parameter takes, as the docs page says it: its choices, or its type and range."""
    for option in [schema, *schema.get("anyOf", [])]:
        if "enum" in option:
            return ", ".join(option["enum"])
    kind = schema.get("format") or schema.get("type") or "string"
    if "minimum" in schema and "maximum" in schema:
        return f"{kind}, {schema['minimum']}–{schema['maximum']}"
    return str(kind)


class Docs(DocsBase):
    """A docs page of our own listing the operations from the schema: Swagger UI and Redoc
    would fetch their code from a CDN, and nothing is loaded from a third-party host here."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema()
        operations = [
            {
                "method": method.upper(),
                "path": path,
                **operation,
                "parameters": [
                    {**p, "values": _values(p["schema"])} for p in operation.get("parameters", [])
                ],
            }
            for path, methods in schema["paths"].items()
            for method, operation in methods.items()
        ]
        context = {
            "schema": schema,
            "operations": operations,
            "openapi_url": reverse("api-v1:openapi-json"),
        }
        return render(request, "insight/api_docs.html", context)


class Api(NinjaAPI):
    def create_response(self, *args: Any, **kwargs: Any) -> HttpResponse:
        # What an evaluator may read, for this user: never kept by a browser or proxy cache.
        response = super().create_response(*args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response


api = Api(
    title="smm evaluator API",
    version="1",
    description=(
        "Read-only data for evaluators: communities, finalised rounds, agreed levels and level "
        "counts. No names, emails, per-person status or private scores. Send a token from "
        "the tokens page in the header Authorization: Bearer smm_…"
    ),
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    docs=Docs(),
    docs_url="/docs/",
    docs_decorator=require_GET,  # the schema and its page are read, never posted to
)


class Error(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Error, 401: Error, 403: Error, 404: Error}


@api.exception_handler(ValidationError)
def _bad_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # 400, as the pages answer a bad filter, with what was wrong.
    return api.create_response(request, {"detail": exc.errors}, status=400)


@api.exception_handler(AuthenticationError)
def _no_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Send a valid API token as 'Authorization: Bearer <token>'."},
        status=401,
    )


class Paging(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE, description="Items a page (at most 100).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


def _page(request: HttpRequest, paging: Paging, count: int, items: list[Any]) -> dict[str, Any]:
    nxt = None
    if paging.offset + paging.limit < count:
        query = request.GET.copy()
        query["offset"] = str(paging.offset + paging.limit)
        query["limit"] = str(paging.limit)
        nxt = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {
        "count": count,
        "limit": paging.limit,
        "offset": paging.offset,
        "next": nxt,
        "items": items,
    }


class PageBase(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = Field(description="The next page's URL, or null on the last page.")


# Communities ----------------------------------------------------------------------------------


class FocalIssueOut(Schema):
    title: str
    area: str


class CommunityOut(Schema):
    code: UUID
    slug: str
    name: str
    nation: str
    local_authority: str
    description: str
    focal_issue: FocalIssueOut | None


class CommunityPage(PageBase):
    items: list[CommunityOut]


def _community(c: Community) -> dict[str, Any]:
    issue = c.current_focal_issue
    return {
        "code": c.code,
        "slug": c.slug,
        "name": c.name,
        "nation": c.nation,
        "local_authority": c.local_authority,
        "description": c.description,
        "focal_issue": {"title": issue.title, "area": issue.area} if issue else None,
    }


def _communities(user: User) -> Any:
    return Community.objects.visible_to(user).prefetch_related("focal_issues").order_by("name")


@api.get("/communities", response={200: CommunityPage, **ERRORS}, tags=["communities"])
def communities(
    request: HttpRequest, paging: Query[Paging], nation: NationCode | None = None
) -> dict[str, Any]:
    """Every community, by name."""
    found = _communities(_user(request))
    if nation:
        found = found.filter(nation=nation)
    items = [_community(c) for c in found[paging.offset : paging.offset + paging.limit]]
    return _page(request, paging, found.count(), items)


@api.get("/communities/{code}", response={200: CommunityOut, **ERRORS}, tags=["communities"])
def community(request: HttpRequest, code: UUID) -> dict[str, Any]:
    """One community, by its code."""
    return _community(get_object_or_404(_communities(_user(request)), code=code))


# Rounds ---------------------------------------------------------------------------------------


class RoundOut(Schema):
    code: UUID
    community: UUID
    community_name: str
    nation: str
    title: str
    kind: str
    focal_issue: str
    area: str
    date: dt.date | None = Field(description="The workshop's date, else the day it was finalised.")
    finalised_at: dt.datetime
    previous: UUID | None = Field(description="The round it is compared with, when linked.")
    rubric_version: str
    invited: int
    submitted: int


class RoundPage(PageBase):
    items: list[RoundOut]


class RoundFilters(Schema):
    community: UUID | None = Field(None, description="A community's code.")
    nation: NationCode | None = None
    area: str | None = Field(None, max_length=80, description="A focal issue area.")
    kind: KindCode | None = None

    def rounds(self, user: User) -> Any:
        return data.finalised_rounds(
            user,
            data.RoundFilters(
                community=self.community,
                nation=self.nation or "",
                area=self.area or "",
                kind=self.kind or "",
            ),
        )


def _round(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": r["code"],
        "community": r["community__code"],
        "community_name": r["community__name"],
        "nation": r["community__nation"],
        "title": r["title"],
        "kind": r["kind"],
        "focal_issue": r["focal_issue__title"],
        "area": r["focal_issue__area"],
        "date": r["day"],
        "finalised_at": r["finalised_at"],
        "previous": r["previous__code"],
        "rubric_version": r["rubric__version"],
        "invited": r["invited"],
        "submitted": r["submitted"],
    }


@api.get("/rounds", response={200: RoundPage, **ERRORS}, tags=["rounds"])
def rounds(
    request: HttpRequest, paging: Query[Paging], filters: Query[RoundFilters]
) -> dict[str, Any]:
    """Finalised rounds, by community and date."""
    found = filters.rounds(_user(request))
    rows = data.round_values(found)[paging.offset : paging.offset + paging.limit]
    return _page(request, paging, found.count(), [_round(r) for r in rows])


class AgreedOut(Schema):
    dimension_number: int
    dimension: str
    level: int = Field(ge=1, le=5)
    priority: bool
    reason: str = Field(description="Why the group scored it this way.")
    dissent: str = Field(description="A note of dissent the group recorded (may be empty).")


class RoundDetail(RoundOut):
    agreed: list[AgreedOut]


def _agreed(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "dimension_number": a["dimension__number"],
        "dimension": a["dimension__name"],
        "level": a["level"],
        "priority": a["is_priority"],
        "reason": a["reason"],
        "dissent": a["dissent"],
    }


def _one_round(request: HttpRequest, code: UUID) -> Any:
    return data.finalised_rounds(_user(request)).filter(code=code)


@api.get("/rounds/{code}", response={200: RoundDetail, **ERRORS}, tags=["rounds"])
def round_detail(request: HttpRequest, code: UUID) -> dict[str, Any]:
    """A finalised round and its agreed levels."""
    found = _one_round(request, code)
    row = data.round_values(found).first()
    if row is None:
        raise HttpError(404, "No finalised round with this code.")
    return {**_round(row), "agreed": [_agreed(a) for a in data.agreed_values(found)]}


class DimensionCountsOut(Schema):
    dimension_number: int
    dimension: str
    counts: dict[str, int] | None = Field(
        description="Submitted sheets at each level '1'–'5'; null when withheld."
    )
    not_sure: int | None


class RoundCountsOut(Schema):
    round: UUID
    community: UUID
    title: str
    submitted: int
    withheld: bool = Field(
        description=f"True when fewer than {MIN_GROUP_SIZE} sheets were submitted: "
        "the counts are then not given."
    )
    dimensions: list[DimensionCountsOut]


class CountsPage(PageBase):
    items: list[RoundCountsOut]


def _counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = data.level_counts(rows)
    return [
        {
            "round": r["code"],
            "community": r["community__code"],
            "title": r["title"],
            "submitted": r["submitted"],
            "withheld": r["submitted"] < MIN_GROUP_SIZE,
            "dimensions": [
                {
                    "dimension_number": d.number,
                    "dimension": d.name,
                    "counts": {str(k): v for k, v in d.counts.items()} if d.counts else None,
                    "not_sure": d.not_sure,
                }
                for d in counts[r["pk"]]
            ],
        }
        for r in rows
    ]


@api.get("/rounds/{code}/level-counts", response={200: RoundCountsOut, **ERRORS}, tags=["rounds"])
def round_level_counts(request: HttpRequest, code: UUID) -> dict[str, Any]:
    """How many submitted sheets chose each level, per dimension (counts only)."""
    rows = list(data.round_values(_one_round(request, code)))
    if not rows:
        raise HttpError(404, "No finalised round with this code.")
    return _counts(rows)[0]


# Across rounds --------------------------------------------------------------------------------


class AgreedRow(AgreedOut):
    round: UUID
    round_title: str
    community: UUID
    community_name: str


class AgreedPage(PageBase):
    items: list[AgreedRow]


@api.get("/agreed-levels", response={200: AgreedPage, **ERRORS}, tags=["across rounds"])
def agreed_levels(
    request: HttpRequest, paging: Query[Paging], filters: Query[RoundFilters]
) -> dict[str, Any]:
    """Every agreed level of the finalised rounds, by community, round and dimension."""
    found = data.agreed_values(filters.rounds(_user(request)))
    items = [
        {
            **_agreed(a),
            "round": a["assessment__code"],
            "round_title": a["assessment__title"],
            "community": a["assessment__community__code"],
            "community_name": a["assessment__community__name"],
        }
        for a in found[paging.offset : paging.offset + paging.limit]
    ]
    return _page(request, paging, found.count(), items)


@api.get("/level-counts", response={200: CountsPage, **ERRORS}, tags=["across rounds"])
def level_counts(
    request: HttpRequest, paging: Query[Paging], filters: Query[RoundFilters]
) -> dict[str, Any]:
    """Level counts of the finalised rounds, a round an item."""
    found = filters.rounds(_user(request))
    rows = list(data.round_values(found)[paging.offset : paging.offset + paging.limit])
    return _page(request, paging, found.count(), _counts(rows))
