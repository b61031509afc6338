"""Which URL each benchmarked page is, on a given database (the big bench one or the demo one).

Runs inside Django. A page whose URL name does not resolve yet is returned with `path=None`
("not yet built"), so the harness keeps working while the app grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse

CLIENTS_MAX = 20

# The floors: what a page costs before it does anything of its own (bench/bench_urls.py).
MINIMAL = "minimal Django view"
LAYOUT = "layout only (base.html, no SQL)"
LAYOUT_SIGNED_IN = "layout only, signed in (session + user)"
FLOORS = (MINIMAL, LAYOUT, LAYOUT_SIGNED_IN)


@dataclass
class Page:
    label: str
    who: str  # "facilitator" | "evaluator" | "stakeholder" | "anonymous"
    method: str = "GET"
    # One path per simulated client (clients cycle through them); [] when not built.
    paths: list[str] = field(default_factory=list)
    # For POSTs: a GET made first by each client (CSRF cookie), and the form data per request.
    prime: list[str] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    htmx: bool = False
    ok: tuple[int, ...] = (200,)
    note: str = ""
    missing: str = ""  # why it is not measured
    # The floor this page's p95 at 20 clients is divided by (measured right before it, same
    # clients, same signed-in user): the signed-in layout for signed-in pages, the anonymous
    # layout for the pages reached by a personal link, the minimal view for the layouts
    # themselves; "" for the minimal view.
    floor: str = ""
    # Its median server time at one client may be this many ms (issue 15); None for the floors.
    server_target_ms: float | None = 10.0
    # Its p95 at 20 clients may be this many times its floor's (issue 15).
    ratio_target: float | None = 3.0

    @property
    def is_floor(self) -> bool:
        return self.label in FLOORS

    @property
    def built(self) -> bool:
        return bool(self.paths)


def _url(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _first_url(names: list[str], **kwargs: Any) -> str | None:
    for name in names:
        url = _url(name, **kwargs)
        if url:
            return url
    return None


@dataclass
class Actors:
    facilitator: str
    evaluator: str


def actors(*, demo: bool) -> Actors:
    if demo:
        return Actors(facilitator="facilitator", evaluator="evaluator")
    return Actors(facilitator="bench-facilitator", evaluator="bench-evaluator")


def stakeholder_tokens(*, demo: bool, count: int) -> list[tuple[str, int]]:
    """(token, participant id) of not-yet-submitted participants of collecting rounds, spread
    over several rounds. On the demo database new links are issued (it is our own copy)."""
    from assessments.models import Participant

    from .datagen import SLUG_PREFIX, SUBMIT_ROUND_TITLE, bench_token

    qs = Participant.objects.filter(
        assessment__status="collecting", submitted_at__isnull=True
    ).exclude(assessment__title=SUBMIT_ROUND_TITLE)
    if demo:
        qs = qs.exclude(assessment__community__slug__startswith=SLUG_PREFIX)
    else:
        qs = qs.filter(assessment__community__slug__startswith=SLUG_PREFIX)
    chosen = list(qs.order_by("assessment_id", "id")[:count])
    if demo:
        return [(p.issue_token(), p.pk) for p in chosen]
    return [(bench_token(p.pk), p.pk) for p in chosen]


def build(*, demo: bool) -> tuple[Actors, list[Page]]:
    from assessments.models import Assessment, Dimension
    from communities.models import Community, User

    from .datagen import SLUG_PREFIX

    who = actors(demo=demo)
    facilitator = User.objects.get(username=who.facilitator)
    mine = Community.objects.filter(memberships__user=facilitator)
    if not demo:
        mine = mine.filter(slug__startswith=SLUG_PREFIX)
    community = mine.order_by("name").first()
    rounds = Assessment.objects.filter(community__in=mine)
    # Without a round in workshop (load_demo has none; bench/demo_shapes.py adds one to the
    # benchmark's copy), a collecting round shows the same pages.
    workshop_round = (
        rounds.filter(status="workshop").order_by("-created_at").first()
        or rounds.filter(status="collecting").order_by("-created_at").first()
    )
    collecting_round = rounds.filter(status="collecting").order_by("-created_at").first()
    finalised = (
        rounds.filter(status="finalised", previous__isnull=False).order_by("-finalised_at").first()
        or rounds.filter(status="finalised").order_by("-finalised_at").first()
    )
    tokens = stakeholder_tokens(demo=demo, count=CLIENTS_MAX)
    dimensions = list(Dimension.objects.filter(rubric__is_current=True).order_by("number"))

    pages: list[Page] = []

    def add(page: Page, *urls: str | None, missing: str = "not yet built") -> None:
        page.paths = [u for u in urls if u]
        if not page.paths:
            page.missing = missing
        pages.append(page)

    def floor(label: str, role: str, path: str, under: str) -> None:
        add(Page(label, role, floor=under, server_target_ms=None, ratio_target=None), path)

    floor(MINIMAL, "anonymous", "/bench/minimal", "")
    floor(LAYOUT, "anonymous", "/bench/minimal-page", MINIMAL)
    # The floor under every signed-in page: session and user read as login_required reads them,
    # and the layout with its menu for that user.
    floor(LAYOUT_SIGNED_IN, "facilitator", "/bench/minimal-page-signed-in", MINIMAL)

    def signed_in(label: str, who: str, **kw: Any) -> Page:
        return Page(label, who, floor=LAYOUT_SIGNED_IN, **kw)

    add(signed_in("dashboard (facilitator)", "facilitator"), _url("communities:dashboard"))
    add(
        signed_in("dashboard (evaluator, all communities)", "evaluator"),
        _url("communities:dashboard"),
    )
    add(
        signed_in("community page", "facilitator"),
        _url("communities:detail", slug=community.slug) if community else None,
    )
    add(
        signed_in("round page (collecting)", "facilitator"),
        _url("assessments:round", code=collecting_round.code) if collecting_round else None,
    )

    sheet_urls = [_url("assessments:sheet", token=t) for t, _pk in tokens]
    add(Page("stakeholder page", "stakeholder", floor=LAYOUT), *sheet_urls)

    save_urls = [_url("assessments:sheet_save", token=t) for t, _pk in tokens]
    autosave = Page(
        "autosave (POST, htmx)",
        "stakeholder",
        method="POST",
        htmx=True,
        prime=[u for u in sheet_urls if u],
        forms=[
            {
                "dimension": str(d.pk),
                "level": str(1 + (i % 5)),
                "reason": f"Benchmark reason {i}: for example, the hub pilot joined up outreach.",
            }
            for i, d in enumerate(dimensions)
        ],
        floor=LAYOUT,
        ratio_target=2.0,
    )
    add(autosave, *save_urls)

    code = {"code": workshop_round.code} if workshop_round else None
    add(
        signed_in("analysis (workshop round)", "facilitator"),
        _url("assessments:analysis", **code) if code else None,
    )
    add(
        signed_in("presenter (workshop round)", "facilitator"),
        _url("assessments:presenter", number=1, **code) if code else None,
    )
    fcode = {"code": finalised.code} if finalised else None
    add(
        signed_in("round report (finalised)", "facilitator"),
        _first_url(["assessments:report", "assessments:round_report"], **fcode) if fcode else None,
    )
    add(
        signed_in("evaluator overview", "evaluator", server_target_ms=25.0),
        _first_url(
            [
                "assessments:overview",
                "assessments:evaluator_overview",
                "assessments:compare",
                "assessments:reports",
            ]
        ),
    )
    add(
        signed_in("CSV export (all rounds)", "evaluator", server_target_ms=25.0),
        _first_url(
            [
                "assessments:export_csv",
                "assessments:export",
                "assessments:overview_csv",
                "assessments:data_export_csv",
            ]
        ),
    )
    add(
        signed_in(
            "report PDF download (stored)",
            "facilitator",
            note="rendered once when the round is finalised, then read from storage",
        ),
        _first_url(["assessments:report_pdf", "assessments:round_report_pdf"], **fcode)
        if fcode
        else None,
    )
    return who, pages
