"""The room vote: a quick anonymous show of hands on the dimension the room is looking at.

Only counts are stored (RoomVote.level_1 … level_5, not_sure). Nothing in the database says who
voted or what any phone chose: a phone keeps its own choice in a signed cookie, salted and named
per vote, so that a re-tap moves its one vote from the old level to the new. Every count change
is a single `UPDATE … SET level_n = level_n ± 1` guarded in its WHERE clause (the vote still
open, the old count above 0), so sixty phones tapping at once are each counted once and no count
goes negative, on SQLite and PostgreSQL alike.

A vote's counts are shown (presenter and phones) only once the facilitator reveals it and only
when at least VOTE_MIN_SHOWN people voted: the same small-number rule as the spread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .aggregation import LEVELS, MIN_GROUP_SIZE, Spread, bar_percentages
from .convergence import Convergence, VoteTally, convergence
from .models import LEVEL_LABELS, Assessment, AuditEvent, Dimension, RoomVote, audit
from .rubric_texts import dimension_name
from .workshop import DimensionRow, WorkshopError, ensure_workshop_open, level_label

if TYPE_CHECKING:
    from .workshop import Actor

# A vote's counts are shown only from this many votes on, like the spread's sheets.
VOTE_MIN_SHOWN = MIN_GROUP_SIZE
NOT_SURE = "not-sure"
CHOICES: tuple[str, ...] = (*(str(level) for level in LEVELS), NOT_SURE)
# A phone's choice outlives a workshop day, not much more.
COOKIE_MAX_AGE = 12 * 60 * 60


class VoteClosed(WorkshopError):
    """A tap on a vote that is no longer open (or never was)."""


def _field(choice: str) -> str:
    if choice not in CHOICES:
        raise ValueError(f"not a vote choice: {choice!r}")
    return "not_sure" if choice == NOT_SURE else f"level_{choice}"


def vote_label(number: int) -> str:
    """Vote 1 is the one before discussion; any later one comes after it."""
    if number == 1:
        return _("Vote 1 (before discussion)")
    return _("Vote %(number)s (after discussion)") % {"number": number}


def choice_label(choice: str) -> str:
    return _("Not sure") if choice == NOT_SURE else level_label(int(choice))


def mine_label(choice: str) -> str:
    """A phone's own choice in a sentence: "level 3", "level 1 (just getting started)"."""
    if choice == NOT_SURE:
        return _("not sure")
    hint = LEVEL_LABELS.get(int(choice))
    if hint:
        return _("level %(level)s (%(hint)s)") % {"level": choice, "hint": hint}
    return _("level %(level)s") % {"level": choice}


def tap_choices() -> list[tuple[str, str, str]]:
    """(choice, number shown big, words beside it) for the phone's buttons."""
    return [
        (choice, "", str(_("Not sure")))
        if choice == NOT_SURE
        else (choice, choice, str(LEVEL_LABELS.get(int(choice), "")))
        for choice in CHOICES
    ]


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteBar:
    choice: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class VoteView:
    """One vote as the pages show it: its counts only when `shown`."""

    vote: RoomVote

    @property
    def number(self) -> int:
        return self.vote.number

    @property
    def label(self) -> str:
        return vote_label(self.vote.number)

    @property
    def total(self) -> int:
        return self.vote.total

    @property
    def is_open(self) -> bool:
        return self.vote.is_open

    @property
    def revealed(self) -> bool:
        return self.vote.revealed

    @property
    def enough(self) -> bool:
        return self.vote.total >= VOTE_MIN_SHOWN

    @property
    def shown(self) -> bool:
        return is_shown(self.vote)

    @property
    def bars(self) -> list[VoteBar]:
        """The counts, levels then "not sure"; empty unless shown, so a template cannot print
        the counts of a vote that must not be seen."""
        if not self.shown:
            return []
        counts = [*self.vote.counts.values(), self.vote.not_sure]  # in CHOICES order
        percents = bar_percentages(dict(enumerate(counts)))
        return [
            VoteBar(choice=c, label=choice_label(c), count=counts[i], percent=percents[i])
            for i, c in enumerate(CHOICES)
        ]

    @property
    def bars_svg(self) -> SafeString:
        """The counts as bars, one row of 10 units per choice ("?" for not sure), like the
        spread's; only numbers and fixed labels go in, so nothing needs escaping."""
        rows = (
            f'<text class="spread-label" x="0" y="{y + 7}">'
            f"{'?' if bar.choice == NOT_SURE else bar.choice}</text>"
            f'<rect class="spread-bar" x="10" y="{y + 1}" height="8" width="{bar.percent}"></rect>'
            f'<text class="spread-count" x="{bar.percent + 12}" y="{y + 7}">{bar.count}</text>'
            for y, bar in zip(range(0, 10 * len(self.bars), 10), self.bars, strict=True)
        )
        return mark_safe("".join(rows))  # noqa: S308 - integers and fixed labels only


def is_shown(vote: RoomVote) -> bool:
    return vote.revealed and vote.total >= VOTE_MIN_SHOWN


def dimension_votes(assessment: Assessment, number: int) -> list[VoteView]:
    """The votes on one dimension, first to last; one query."""
    votes = RoomVote.objects.filter(assessment=assessment, dimension__number=number)
    return [VoteView(vote) for vote in votes.order_by("number")]


def votes_by_number(assessment: Assessment) -> dict[int, list[RoomVote]]:
    """Every vote of the round by dimension number, first to last; one query."""
    by_number: dict[int, list[RoomVote]] = {}
    votes = RoomVote.objects.filter(assessment=assessment).select_related("dimension")
    for vote in votes.order_by("dimension__number", "number"):
        by_number.setdefault(vote.dimension.number, []).append(vote)
    return by_number


def current_vote(assessment: Assessment) -> RoomVote | None:
    """The vote the phones show: the latest one on the room's current dimension, open or
    closed (a closed one still shows its result once revealed)."""
    if assessment.status != Assessment.Status.WORKSHOP:
        return None
    return (
        RoomVote.objects.filter(
            assessment=assessment, dimension__number=assessment.current_dimension
        )
        .order_by("-number")
        .first()
    )


# --- the phone's own choice: a signed cookie, never a database row -----------------------------


def cookie_name(vote: RoomVote) -> str:
    return f"smm-vote-{vote.pk}"


def _salt(vote: RoomVote) -> str:
    return f"assessments.votes:{vote.pk}"


def phone_choice(request: HttpRequest, vote: RoomVote) -> str | None:
    """What this phone chose in `vote`, from its signed cookie (None if none or tampered)."""
    value = request.get_signed_cookie(
        cookie_name(vote), default=None, salt=_salt(vote), max_age=COOKIE_MAX_AGE
    )
    return value if value in CHOICES else None


def remember_choice(
    response: HttpResponse, vote: RoomVote, choice: str, *, path: str, secure: bool
) -> None:
    """Keep the phone's choice on the phone: HttpOnly, SameSite=Lax, only sent to the page it
    was made on (`path`), and signed so that a phone cannot claim a vote it never cast."""
    response.set_signed_cookie(
        cookie_name(vote),
        choice,
        salt=_salt(vote),
        max_age=COOKIE_MAX_AGE,
        path=path,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


# --- writes ----------------------------------------------------------------------------------


def _counts_detail(vote: RoomVote) -> dict[str, object]:
    """What the audit keeps of a vote: its totals, never anything about a phone."""
    return {
        "dimension": vote.dimension.number,
        "number": vote.number,
        "counts": {str(level): count for level, count in vote.counts.items()},
        "not_sure": vote.not_sure,
        "total": vote.total,
    }


def _close(vote: RoomVote, *, by: Actor, assessment: Assessment) -> None:
    closed = RoomVote.objects.filter(pk=vote.pk, closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    if not closed:
        return
    vote.refresh_from_db()
    audit(
        verb=AuditEvent.Verb.VOTE_CLOSED,
        summary=_("%(vote)s on “%(dimension)s” closed: %(total)s votes")
        % {
            "vote": vote_label(vote.number),
            "dimension": dimension_name(vote.dimension),
            "total": vote.total,
        },
        actor=by,
        assessment=assessment,
        detail=_counts_detail(vote),
    )


def _locked(assessment: Assessment) -> Assessment:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    ensure_workshop_open(locked)
    return locked


@transaction.atomic
def vote_open(*, assessment: Assessment, dimension: Dimension, by: Actor) -> RoomVote:
    """Open the next vote on `dimension`; any vote still open in the round closes first."""
    _locked(assessment)
    still_open = RoomVote.objects.filter(assessment=assessment, closed_at__isnull=True)
    for vote in still_open.select_related("dimension"):
        _close(vote, by=by, assessment=assessment)
    last = RoomVote.objects.filter(assessment=assessment, dimension=dimension).aggregate(
        last=Max("number")
    )["last"]
    vote = RoomVote.objects.create(
        assessment=assessment, dimension=dimension, number=(last or 0) + 1
    )
    audit(
        verb=AuditEvent.Verb.VOTE_OPENED,
        summary=_("%(vote)s on “%(dimension)s” opened")
        % {"vote": vote_label(vote.number), "dimension": dimension_name(dimension)},
        actor=by,
        assessment=assessment,
        detail={"dimension": dimension.number, "number": vote.number},
    )
    return vote


@transaction.atomic
def vote_close(*, assessment: Assessment, vote: RoomVote, by: Actor) -> None:
    _locked(assessment)
    _close(vote, by=by, assessment=assessment)


@transaction.atomic
def vote_reveal(*, assessment: Assessment, vote: RoomVote, revealed: bool, by: Actor) -> None:
    """Show (or hide again) a vote's result. Showing closes it: once the room has seen the
    counts, more taps would only be the room following itself."""
    _locked(assessment)
    if revealed:
        _close(vote, by=by, assessment=assessment)
    RoomVote.objects.filter(pk=vote.pk).update(revealed=revealed)
    vote.refresh_from_db()
    summary = _("%(vote)s on “%(dimension)s” shown") if revealed else _("%(vote)s hidden again")
    audit(
        verb=AuditEvent.Verb.VOTE_REVEALED,
        summary=summary
        % {"vote": vote_label(vote.number), "dimension": dimension_name(vote.dimension)},
        actor=by,
        assessment=assessment,
        detail={**_counts_detail(vote), "revealed": revealed},
    )


def vote_cast(*, vote: RoomVote, choice: str, previous: str | None) -> None:
    """Count one phone's tap: +1 for `choice`, and −1 for its `previous` choice (from its
    cookie) in the same UPDATE, so the total never counts one phone twice. Raises VoteClosed
    when the vote is no longer open."""
    new = _field(choice)
    if previous == choice:
        if not RoomVote.objects.filter(pk=vote.pk, closed_at__isnull=True).exists():
            raise VoteClosed(_("This vote has closed."))
        return
    with transaction.atomic():
        still_open = RoomVote.objects.filter(pk=vote.pk, closed_at__isnull=True)
        moved = 0
        if previous is not None:
            old = _field(previous)
            # The old count must still be above 0: a cookie from before a count was reset
            # (never done today) must not drive it negative; then the tap is a fresh vote.
            moved = still_open.filter(**{f"{old}__gt": 0}).update(
                **{old: F(old) - 1, new: F(new) + 1}
            )
        if not moved and not still_open.update(**{new: F(new) + 1}):
            raise VoteClosed(_("This vote has closed."))


# --- convergence -----------------------------------------------------------------------------


def shown_tallies(votes: Iterable[RoomVote]) -> list[VoteTally]:
    """The votes the room has seen (revealed, enough votes), as convergence counts them."""
    return [
        VoteTally(number=vote.number, counts=vote.counts, not_sure=vote.not_sure)
        for vote in votes
        if is_shown(vote)
    ]


def dimension_convergence(
    *, spread: Spread, submitted: int, votes: Iterable[RoomVote], agreed: int | None
) -> Convergence:
    """One dimension's convergence; the private spread counts only from MIN_GROUP_SIZE sheets."""
    return convergence(
        private=spread if submitted >= MIN_GROUP_SIZE else None,
        votes=shown_tallies(votes),
        agreed=agreed,
    )


# --- page context ----------------------------------------------------------------------------


def presenter_vote_context(
    assessment: Assessment, row: DimensionRow, *, submitted: int
) -> dict[str, Any]:
    """The presenter's room-vote panel and convergence line for one dimension."""
    views = dimension_votes(assessment, row.dimension.number)
    return {
        "votes": views,
        # Polled only while a vote can still change: never on a finalised round.
        "vote_open": next((v for v in views if v.is_open), None)
        if assessment.status == Assessment.Status.WORKSHOP
        else None,
        "next_vote_label": vote_label(len(views) + 1),
        "shown_votes": [v for v in views if v.shown],
        "vote_min": VOTE_MIN_SHOWN,
        "convergence": dimension_convergence(
            spread=row.spread,
            submitted=submitted,
            votes=[v.vote for v in views],
            agreed=row.consensus.level if row.consensus else None,
        ),
    }


def phone_vote_context(
    request: HttpRequest, assessment: Assessment, *, vote_url: str
) -> dict[str, Any]:
    """What a phone shows of the room vote: the latest vote on the current dimension, this
    phone's own choice (from its cookie) and where to send a tap."""
    vote = current_vote(assessment)
    if vote is None:
        return {"room_vote": None}
    mine = phone_choice(request, vote)
    return {
        "room_vote": VoteView(vote),
        "my_choice": mine,
        "my_choice_label": mine_label(mine) if mine else "",
        "vote_url": vote_url,
        "vote_choices": tap_choices(),
        "vote_min": VOTE_MIN_SHOWN,
    }


def round_convergence(
    assessment: Assessment, rows: Iterable[DimensionRow], *, submitted: int
) -> dict[int, Convergence]:
    """Every dimension's convergence for the analysis page; one query (the votes)."""
    by_number = votes_by_number(assessment)
    return {
        row.dimension.number: dimension_convergence(
            spread=row.spread,
            submitted=submitted,
            votes=by_number.get(row.dimension.number, []),
            agreed=row.consensus.level if row.consensus else None,
        )
        for row in rows
    }
