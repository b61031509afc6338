"""Report data: one builder per report, each with a fixed number of queries however many
participants, rounds or communities there are. Everything returned is anonymous: levels
agreed by a group, or counts and ranges of private scores, never a named individual score."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from statistics import mean
from typing import TYPE_CHECKING, NamedTuple, overload

from django.db.models import F, OuterRef, Subquery
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from communities.models import (
    EXPECTED_SECTORS,
    SECTOR_GROUP,
    Community,
    Language,
    Sector,
    SectorGroup,
)
from smm_site.rows import row_url

from ..aggregation import MIN_GROUP_SIZE, Spread, shift, spread, suppress_small_groups
from ..convergence import Convergence, VoteTally, convergence
from ..followthrough import SinceLastTime, since_last_time, valid_target
from ..models import (
    Assessment,
    ConsensusScore,
    Dimension,
    LevelDescriptor,
    Participant,
    PriorityAction,
    RoomVote,
    Rubric,
)
from ..rubric_texts import rubric_texts, text_language, translation_state
from ..sheet import local_cache
from ..sheet import rubric_dimensions as sheet_dimensions

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User


@dataclass(frozen=True)
class DimensionInfo:
    number: int
    name: str
    sheet_label: str
    levels: dict[int, str]  # level → description
    # A translation's (language, draft): the English wording then in `english_levels`.
    translation: tuple[str, bool] | None = None
    english_name: str = ""
    english_levels: dict[int, str] | None = None
    easy_levels: dict[int, str] | None = None  # the easy-read texts, when asked for


def rubric_dimensions(rubric: Rubric | int) -> list[DimensionInfo]:
    """The nine dimensions with their five descriptions, in the active language when the rubric
    has a translation into it (rubric_texts.py). One query (three more for a translation), kept
    per process like the sheet's rubric part (assessments/sheet.py says why that is safe)."""
    rubric_id = rubric if isinstance(rubric, int) else rubric.pk
    language = text_language(get_language())
    # Keyed by the translation's approval read now (no query for English), so the draft label
    # goes on the next request wherever the approval was made.
    state = translation_state(rubric_id, language=language)
    key = f"report-dimensions:{rubric_id}:{language}:{state}"
    if (kept := local_cache.get(key)) is not None:
        return kept
    by_number: dict[int, DimensionInfo] = {}
    descriptors = (
        LevelDescriptor.objects.filter(dimension__rubric_id=rubric_id)
        .order_by("dimension__number", "level")
        .values_list(
            "dimension__number", "dimension__name", "dimension__sheet_label", "level", "text"
        )
    )
    for number, name, sheet_label, level, text in descriptors:
        info = by_number.setdefault(number, DimensionInfo(number, name, sheet_label, {}))
        info.levels[level] = text
    if not by_number:  # a rubric without descriptors still has its dimensions
        for dim in Dimension.objects.filter(rubric_id=rubric_id).order_by("number"):
            by_number[dim.number] = DimensionInfo(dim.number, dim.name, dim.sheet_label, {})
    dimensions = [by_number[n] for n in sorted(by_number)]
    if language != Language.ENGLISH:
        dimensions = _translated(rubric_id, dimensions, language)
    local_cache.set(key, dimensions)
    return dimensions


def _translated(
    rubric_id: int, dimensions: list[DimensionInfo], language: str
) -> list[DimensionInfo]:
    texts = rubric_texts(rubric_id, language=language)
    if not texts.translated:
        return dimensions
    by_number = {d.number: d for d in Dimension.objects.filter(rubric_id=rubric_id)}
    descriptors = LevelDescriptor.objects.filter(dimension__rubric_id=rubric_id).only(
        "pk", "level", "text", "dimension_id"
    )
    levels: dict[int, dict[int, str]] = {}
    for descriptor in descriptors:
        levels.setdefault(descriptor.dimension_id, {})[descriptor.level] = texts.level(descriptor)
    return [
        replace(
            info,
            name=texts.name(by_number[info.number]),
            sheet_label=texts.sheet_label(by_number[info.number]),
            levels=levels.get(by_number[info.number].pk, info.levels),
            translation=(language, texts.draft),
            english_name=info.name,
            english_levels=info.levels,
        )
        for info in dimensions
    ]


# Round report ---------------------------------------------------------------------------------


def _one_decimal(value: float | None) -> str:
    """As the template filter floatformat:"-1" writes it: 3, 3.5, -0.5."""
    return "" if value is None else f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True)
class DimensionRow:
    number: int
    name: str
    sheet_label: str
    level: int | None
    level_text: str
    reason: str
    dissent: str
    is_priority: bool
    spread: Spread | None  # None when withheld (fewer than MIN_GROUP_SIZE submissions)
    shift: float | None  # agreed level minus private median
    previous_level: int | None
    actions: list[PriorityAction] = field(default_factory=list)
    # Private spread → shown room votes → agreed level, with the split flag (convergence.py).
    convergence: Convergence | None = None
    target_level: int | None = None  # a priority's target for the next round

    @property
    def change(self) -> int | None:
        if self.level is None or self.previous_level is None:
            return None
        return self.level - self.previous_level

    @property
    def range(self) -> str:
        """The lowest and highest private score, as the page writes them ("" when none)."""
        spread = self.spread
        return f"{spread.low}–{spread.high}" if spread and spread.rated else ""

    @property
    def median(self) -> str:
        """The private scores' median as the page writes it ("" when there is none)."""
        return _one_decimal(self.spread.median) if self.spread else ""

    @property
    def private_scores(self) -> str:
        """What the private scores say, in a sentence or three ("" when there are none to
        show). Written here rather than with a {% blocktranslate %} each in the template:
        those were a fifth of the report page's rendering."""
        if self.spread is None or not self.spread.rated:
            return ""
        said = [
            _("Private scores: %(rated)s ratings from %(low)s to %(high)s, median %(median)s.")
            % {
                "rated": self.spread.rated,
                "low": self.spread.low,
                "high": self.spread.high,
                "median": self.median,
            }
        ]
        if self.shift is not None:
            said.append(
                _("Shift from the median: %(shift)s.") % {"shift": _one_decimal(self.shift)}
            )
        if self.spread.not_sure:
            said.append(_("“Not sure”: %(n)s.") % {"n": self.spread.not_sure})
        return " ".join(said)

    @classmethod
    def of(
        cls,
        dim: DimensionInfo,
        agreed: ConsensusScore | None,
        *,
        spread: Spread | None = None,
        previous_level: int | None = None,
        actions: list[PriorityAction] | None = None,
        convergence: Convergence | None = None,
    ) -> DimensionRow:
        """A dimension's row from its agreed score (None: not agreed yet)."""
        level = agreed.level if agreed else None
        return cls(
            number=dim.number,
            name=dim.name,
            sheet_label=dim.sheet_label,
            level=level,
            level_text=dim.levels.get(level, "") if level else "",
            reason=agreed.reason if agreed else "",
            dissent=agreed.dissent if agreed else "",
            is_priority=bool(agreed and agreed.is_priority),
            spread=spread,
            shift=shift(level, spread.median) if spread else None,
            previous_level=previous_level,
            actions=actions or [],
            convergence=convergence,
            target_level=valid_target(agreed) if agreed and agreed.is_priority else None,
        )


@dataclass(frozen=True)
class Participation:
    invited: int
    submitted: int
    sectors_represented: list[str]
    # Submitted sheets per sector group, or None when a group is too small to show.
    by_group: dict[str, int] | None
    missing_sectors: list[str]


@dataclass(frozen=True)
class RoundReport:
    assessment: Assessment
    previous: Assessment | None
    rows: list[DimensionRow]
    participation: Participation
    spread_withheld: bool  # True when the private scores are too few to show
    small_round: bool  # fewer than MIN_GROUP_SIZE submissions
    # The previous round's priorities and how far they got (assessments/followthrough.py).
    since: SinceLastTime | None = None

    @property
    def priorities(self) -> list[DimensionRow]:
        return [row for row in self.rows if row.is_priority]

    @property
    def agreed(self) -> list[int | None]:
        return [row.level for row in self.rows]

    @property
    def complete(self) -> bool:
        return all(row.level is not None for row in self.rows)

    @property
    def dimension_names(self) -> list[str]:
        return [row.name for row in self.rows]


def previous_round(assessment: Assessment) -> Assessment | None:
    """The round to compare with: the linked previous round, else the community's latest round
    finalised before this one. At most one query."""
    if assessment.previous_id:
        return assessment.previous
    earlier = Assessment.objects.finalised().filter(community_id=assessment.community_id)
    earlier = earlier.exclude(pk=assessment.pk)
    if assessment.finalised_at:
        earlier = earlier.filter(finalised_at__lt=assessment.finalised_at)
    return earlier.order_by("-finalised_at").first()


def _people_and_spreads(
    assessment: Assessment, dimensions: list[DimensionInfo]
) -> tuple[Participation, dict[int, Spread]]:
    """Invited and submitted counts, who was at the table (small groups withheld), and per
    dimension number the spread of the submitted private scores as selectors.round_spreads
    gives it, from their levels alone. One query: each participant with their scores' levels,
    not their reasons; a draft's are skipped."""
    rows = (
        Participant.objects.filter(assessment=assessment)
        .order_by()
        .values_list(
            "pk",
            "sector",
            "submitted_at",
            "scores__dimension_id",
            "scores__level",
            "scores__not_sure",
        )
    )
    numbers = sheet_dimensions(assessment.rubric_id)
    seen: set[int] = set()
    submitted_sectors: list[str] = []
    levels: dict[int, list[int]] = defaultdict(list)
    not_sure: dict[int, int] = defaultdict(int)
    for pk, sector, submitted_at, dimension_id, level, is_not_sure in rows:
        if pk not in seen:
            seen.add(pk)
            if submitted_at is not None:
                submitted_sectors.append(sector)
        if dimension_id is None or submitted_at is None:
            continue
        if level is not None:
            levels[numbers[dimension_id]].append(level)
        elif is_not_sure:
            not_sure[numbers[dimension_id]] += 1
    groups: dict[str, list[str]] = defaultdict(list)
    for sector in submitted_sectors:
        groups[SECTOR_GROUP.get(sector, "other")].append(sector)
    shown = suppress_small_groups(groups)
    group_labels = dict(SectorGroup.choices)
    by_group = (
        {str(group_labels.get(key, key)): len(members) for key, members in shown.items()}
        if shown is not None
        else None
    )
    present = set(submitted_sectors)  # each label translated once, not once a sheet
    sector_labels = dict(Sector.choices)
    people = Participation(
        invited=len(seen),
        submitted=len(submitted_sectors),
        sectors_represented=sorted(str(sector_labels.get(s, s)) for s in present),
        by_group=by_group,
        missing_sectors=[str(sector_labels[s]) for s in EXPECTED_SECTORS if s not in present],
    )
    spreads = {d.number: spread(levels[d.number], not_sure[d.number]) for d in dimensions}
    return people, spreads


def shown_votes_by_number(assessment: Assessment) -> dict[int, list[VoteTally]]:
    """The round's shown room votes by dimension number, first to last; one query."""
    from ..votes import shown_tallies  # votes → workshop → tasks → reports: import when used

    votes = RoomVote.objects.filter(assessment=assessment, revealed=True)
    by_number: dict[int, list[RoomVote]] = defaultdict(list)
    for vote in votes.annotate(dimension_number=F("dimension__number")).order_by("number"):
        by_number[vote.dimension_number].append(vote)  # type: ignore[attr-defined]
    return {number: shown_tallies(found) for number, found in by_number.items()}


def round_report(assessment: Assessment, *, show_small_spread: bool = False) -> RoundReport:
    """Everything the report page and the PDF show. A constant 4 queries once the rubric is kept
    (plus one to find the previous round when it is not linked). `show_small_spread` lets a
    facilitator see the range of a round with fewer than three submissions (with a warning);
    evaluators never do."""
    dimensions = rubric_dimensions(assessment.rubric_id)
    previous = previous_round(assessment)
    # This round's agreed scores and the previous round's in one query, then this round's
    # actions (a prefetch did the same in three times the time).
    agreed: dict[int, dict[int, ConsensusScore]] = defaultdict(dict)
    scores = ConsensusScore.objects.filter(assessment__in=[assessment, *filter(None, [previous])])
    for score in scores.annotate(number=F("dimension__number")).order_by():
        agreed[score.assessment_id][score.number] = score  # type: ignore[attr-defined]
    previous_levels = {n: s.level for n, s in agreed[previous.pk].items()} if previous else {}
    actions: dict[int, list[PriorityAction]] = defaultdict(list)
    for action in PriorityAction.objects.filter(consensus__assessment=assessment).order_by("pk"):
        actions[action.consensus_id].append(action)
    people, spreads = _people_and_spreads(assessment, dimensions)
    small = people.submitted < MIN_GROUP_SIZE
    withheld = small and not show_small_spread
    # The room votes the room saw, one query; the private spread counts in the split flag only
    # from MIN_GROUP_SIZE sheets, whoever reads the report.
    shown = shown_votes_by_number(assessment)
    rows = []
    for dim in dimensions:
        this = agreed[assessment.pk].get(dim.number)
        dim_convergence = convergence(
            private=None if small else spreads.get(dim.number),
            votes=shown.get(dim.number, []),
            agreed=this.level if this else None,
        )
        rows.append(
            DimensionRow.of(
                dim,
                this,
                spread=None if withheld else spreads.get(dim.number),
                previous_level=previous_levels.get(dim.number),
                actions=actions[this.pk] if this else [],
                convergence=dim_convergence,
            )
        )
    return RoundReport(
        assessment=assessment,
        previous=previous,
        rows=rows,
        participation=people,
        spread_withheld=withheld,
        small_round=small,
        # Two more queries when there is a previous round: its priorities, their actions.
        since=since_last_time(
            assessment,
            previous=previous,
            levels_now={n: s.level for n, s in agreed[assessment.pk].items()},
        ),
    )


# Overview and change over time ----------------------------------------------------------------


@dataclass(frozen=True)
class CommunityLine:
    community: Community
    latest: Assessment
    baseline: Assessment | None  # None when the latest round is the baseline itself
    previous: Assessment | None  # the round the latest is compared with (the pack shows it)
    other_rounds: int  # the community's other finalised rounds (on its own page)
    levels: list[int | None]
    changes: list[int | None]

    # The overview table's cells, nine a row and two rows a community: written by the template
    # each one cost more than the rest of its row (a page has 450). Only numbers go in.
    @property
    def levels_html(self) -> SafeString:
        return mark_safe("".join(map(_level_cell, self.levels)))  # noqa: S308 - integers only

    @property
    def changes_html(self) -> SafeString:
        return mark_safe("".join(map(_change_cell, self.changes)))  # noqa: S308 - integers only


def _level_cell(level: int | None) -> str:
    return f'<td><span class="level level-{level}">{level}</span></td>' if level else "<td>–</td>"


def _change_cell(change: int | None) -> str:
    if change is None:
        return "<td>–</td>"
    if change > 0:
        return f'<td><span class="text-success">+{change}</span></td>'
    if change < 0:
        return f'<td><span class="text-danger">{change}</span></td>'
    return "<td>0</td>"


@dataclass(frozen=True)
class Overview:
    dimensions: list[DimensionInfo]
    lines: Sequence[CommunityLine]
    areas: list[str]


class Waiting(NamedTuple):
    name: str
    url: str
    status: str  # its latest round's status, or "" when it has no round


def _levels_by_round(assessment_ids: Collection[int]) -> dict[int, dict[int, int]]:
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    rows = ConsensusScore.objects.filter(assessment_id__in=assessment_ids).values_list(
        "assessment_id", "dimension__number", "level"
    )
    for assessment_id, number, level in rows.order_by():
        levels[assessment_id][number] = level
    return levels


def _baseline_of[R: (Assessment, _Round)](rounds: list[R]) -> R:
    """The first finalised baseline, else the first finalised round (rounds oldest first)."""
    for candidate in rounds:
        if candidate.kind == Assessment.Kind.BASELINE:
            return candidate
    return rounds[0]


class _Round(NamedTuple):
    """A finalised round as the overview chooses among them: plain values, not a model
    instance (at national scale there are thousands, and only a page of them is shown)."""

    pk: int
    kind: str
    area: str
    rubric_id: int
    previous_id: int | None


@dataclass(frozen=True)
class _Chosen:
    latest: _Round
    baseline: _Round
    previous: _Round | None
    other_rounds: int


def _choose(rounds: list[_Round], latest: _Round) -> _Chosen:
    """As `previous_round`, among the community's finalised rounds (in the order they were
    finalised): the linked round, else the one finalised just before."""
    linked = [r for r in rounds if r.pk == latest.previous_id]
    before = rounds[: rounds.index(latest)]
    previous = linked[0] if linked else (before[-1] if before else None)
    return _Chosen(latest, _baseline_of(rounds), previous, len(rounds) - 1)


def overview(
    user: User | AnonymousUser,
    *,
    nation: str = "",
    area: str = "",
    kind: str = "",
) -> Overview:
    """Each visible community's latest finalised round (matching the filters), its levels and
    the change since its baseline. Two queries, whatever the number of communities, and two
    more for the lines read (a page of them, or all for the pack)."""
    rounds = Assessment.objects.visible_to(user).finalised()
    if nation:
        rounds = rounds.filter(community__nation=nation)
    per_community: dict[int, list[_Round]] = defaultdict(list)
    values = rounds.order_by("community__name", "community_id", "finalised_at").values_list(
        "community_id",
        "pk",
        "kind",
        "focal_issue__area",
        "rubric_id",
        "previous_id",
    )
    for community_id, *fields in values:
        per_community[community_id].append(_Round._make(fields))
    areas = sorted({r.area for rs in per_community.values() for r in rs})
    # Each community's latest matching round; the rest of the choice (its baseline and the
    # round it is compared with) is made only for the lines read (_Lines).
    chosen: list[tuple[list[_Round], _Round]] = []
    for community_rounds in per_community.values():
        for r in reversed(community_rounds):
            if (not kind or r.kind == kind) and (not area or r.area == area):
                chosen.append((community_rounds, r))
                break
    rubric_id = (
        chosen[0][1].rubric_id
        if chosen
        else Rubric.objects.filter(is_current=True).values_list("pk", flat=True).first()
    )
    dimensions = rubric_dimensions(rubric_id) if rubric_id else []
    return Overview(dimensions=dimensions, lines=_Lines(chosen, dimensions), areas=areas)


def waiting(user: User | AnonymousUser, *, nation: str = "", **_filters: str) -> list[Waiting]:
    """Visible, active communities (of the nation) with no finalised round yet: the overview
    lists them under the comparison with a note, so an evaluator sees who is missing and why.
    One query."""
    finalised = Assessment.objects.finalised()
    latest = Assessment.objects.filter(community=OuterRef("pk")).order_by("-created_at")
    communities = Community.objects.visible_to(user).active()
    if nation:
        communities = communities.filter(nation=nation)
    rows = (
        communities.exclude(pk__in=finalised.values("community_id"))
        .annotate(latest_status=Subquery(latest.values("status")[:1]))
        .order_by("name")
        .values_list("name", "slug", "latest_status")
    )
    statuses = dict(Assessment.Status.choices)
    # One reverse() for the list: the placeholder code stands where each slug goes.
    url, placeholder = row_url("communities:detail", row_kwarg="slug"), str(uuid.UUID(int=0))
    return [
        Waiting(name, url.replace(placeholder, slug), str(statuses.get(status, "")))
        for name, slug, status in rows
    ]


class _Lines(Sequence[CommunityLine]):
    """The overview's lines, built when read. A page of 25 communities needs its own rounds
    and their agreed levels only, not every finalised round in the country: that is the
    difference between reading 75 rounds and 450 levels, and 1,500 rounds and 13,500 levels.
    Reading them all (the pack) builds them once, in two queries."""

    def __init__(
        self, chosen: list[tuple[list[_Round], _Round]], dimensions: list[DimensionInfo]
    ) -> None:
        self._chosen = chosen
        self._dimensions = dimensions
        self._all: list[CommunityLine] | None = None

    def __len__(self) -> int:
        return len(self._chosen)

    @overload
    def __getitem__(self, index: int) -> CommunityLine: ...
    @overload
    def __getitem__(self, index: slice) -> list[CommunityLine]: ...
    def __getitem__(self, index: int | slice) -> CommunityLine | list[CommunityLine]:
        if self._all is not None:
            return self._all[index]
        if isinstance(index, slice):
            return self._build(self._chosen[index])
        return self._build([self._chosen[index]])[0]

    def __iter__(self) -> Iterator[CommunityLine]:
        if self._all is None:
            self._all = self._build(self._chosen)
        return iter(self._all)

    def _build(self, matched: list[tuple[list[_Round], _Round]]) -> list[CommunityLine]:
        chosen = [_choose(rounds, latest) for rounds, latest in matched]
        compared = {c.latest.pk for c in chosen} | {c.baseline.pk for c in chosen}
        wanted = compared | {c.previous.pk for c in chosen if c.previous}
        found = Assessment.objects.select_related("community", "focal_issue").in_bulk(wanted)
        levels = _levels_by_round(compared)
        numbers = [d.number for d in self._dimensions]
        lines = []
        for c in chosen:
            latest_levels = [levels[c.latest.pk].get(n) for n in numbers]
            base = found[c.baseline.pk] if c.baseline.pk != c.latest.pk else None
            base_levels = [levels[base.pk].get(n) for n in numbers] if base else None
            changes: list[int | None] = [
                (now - then) if base_levels and now is not None and then is not None else None
                for now, then in zip(latest_levels, base_levels or latest_levels, strict=True)
            ]
            latest = found[c.latest.pk]
            lines.append(
                CommunityLine(
                    community=latest.community,
                    latest=latest,
                    baseline=base,
                    previous=found[c.previous.pk] if c.previous else None,
                    other_rounds=c.other_rounds,
                    levels=latest_levels,
                    changes=changes,
                )
            )
        return lines


@dataclass(frozen=True)
class ChangeOverTime:
    dimensions: list[DimensionInfo]
    rounds: list[Assessment]
    levels: list[list[int | None]]  # per round, per dimension
    changes: list[int | None]  # latest minus baseline, per dimension
    priority_numbers: set[int]  # dimensions the baseline chose as priorities
    priority_mean_change: float | None
    other_mean_change: float | None

    @property
    def baseline(self) -> Assessment | None:
        return self.rounds[0] if self.rounds else None

    @property
    def table(self) -> list[tuple[DimensionInfo, list[int | None], int | None, bool]]:
        return [
            (
                dim,
                [levels[i] for levels in self.levels],
                self.changes[i],
                dim.number in self.priority_numbers,
            )
            for i, dim in enumerate(self.dimensions)
        ]

    @property
    def priorities_moved_more(self) -> bool | None:
        if self.priority_mean_change is None or self.other_mean_change is None:
            return None
        return self.priority_mean_change > self.other_mean_change


def change_over_time(community: Community) -> ChangeOverTime:
    """Every finalised round of a community, oldest first. Two queries (the rubric's are kept
    per process): the rounds, then their agreed levels with the baseline's priorities."""
    rounds = list(
        Assessment.objects.finalised()
        .filter(community=community)
        .only("code", "title", "kind", "rubric_id", "finalised_at")
        .order_by("finalised_at")
    )
    if not rounds:
        return ChangeOverTime([], [], [], [], set(), None, None)
    dimensions = rubric_dimensions(rounds[-1].rubric_id)
    baseline = _baseline_of(rounds)
    rounds = rounds[rounds.index(baseline) :]
    levels_by_round: dict[int, dict[int, int]] = defaultdict(dict)
    priority_numbers: set[int] = set()
    scores = ConsensusScore.objects.filter(assessment_id__in=[r.pk for r in rounds]).values_list(
        "assessment_id", "dimension__number", "level", "is_priority"
    )
    for assessment_id, number, level, is_priority in scores.order_by():
        levels_by_round[assessment_id][number] = level
        if is_priority and assessment_id == baseline.pk:
            priority_numbers.add(number)
    levels = [[levels_by_round[r.pk].get(d.number) for d in dimensions] for r in rounds]
    changes: list[int | None] = []
    for i in range(len(dimensions)):
        first, last = levels[0][i], levels[-1][i]
        changes.append(
            last - first if len(rounds) > 1 and first is not None and last is not None else None
        )
    prio = [
        c
        for d, c in zip(dimensions, changes, strict=True)
        if c is not None and d.number in priority_numbers
    ]
    other = [
        c
        for d, c in zip(dimensions, changes, strict=True)
        if c is not None and d.number not in priority_numbers
    ]
    return ChangeOverTime(
        dimensions=dimensions,
        rounds=rounds,
        levels=levels,
        changes=changes,
        priority_numbers=priority_numbers,
        priority_mean_change=mean(prio) if prio else None,
        other_mean_change=mean(other) if other else None,
    )


def round_date(assessment: Assessment) -> date | None:
    """The date a round's scores describe: its workshop, else when it was finalised."""
    if assessment.workshop_date:
        return assessment.workshop_date
    return assessment.finalised_at.date() if assessment.finalised_at else None
