"""Report data builders, and the round-building helpers the other report tests import."""

from __future__ import annotations

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Assessment, Dimension
from assessments.reports.data import change_over_time, overview, round_report
from communities.models import Sector
from tests.factories import (
    AssessmentFactory,
    CommunityFactory,
    ConsensusScoreFactory,
    FocalIssueFactory,
    ParticipantFactory,
    PriorityActionFactory,
    StakeholderFactory,
    submit_sheet,
)

BASELINE_LEVELS = [2, 3, 1, 2, 3, 1, 2, 2, 3]
REVIEW_LEVELS = [3, 3, 2, 3, 3, 2, 2, 3, 3]


def reason_for(name: str, title: str = "2022 baseline") -> str:
    return f"Agreed on {name} in {title}: partners gave examples"


def make_round(
    community,
    *,
    title: str = "2022 baseline",
    kind: str = Assessment.Kind.BASELINE,
    levels: list[int] | None = None,
    participants: int = 3,
    sectors: list[str] | None = None,
    priorities: tuple[int, ...] = (4, 6),
    previous: Assessment | None = None,
    finalise: bool = True,
) -> Assessment:
    """A round with submitted private sheets, nine agreed scores, priorities with an action,
    finalised unless told otherwise."""
    levels = levels or BASELINE_LEVELS
    assessment = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue or FocalIssueFactory(community=community),
        title=title,
        kind=kind,
        status=Assessment.Status.WORKSHOP,
        workshop_date=datetime.date(2022, 3, 10),
        previous=previous,
    )
    sectors = sectors or [Sector.HOUSING, Sector.HEALTH, Sector.SMALL_CHARITY]
    for i in range(participants):
        stakeholder = StakeholderFactory(
            community=community, sector=sectors[i % len(sectors)], organisation=None
        )
        participant = ParticipantFactory(
            assessment=assessment, stakeholder=stakeholder, sector=stakeholder.sector
        )
        private = [max(1, min(5, level + (i % 3) - 1)) for level in levels]
        submit_sheet(participant, private, [f"private reason {i}"] * 9)
    for dim in Dimension.objects.filter(rubric=assessment.rubric):
        score = ConsensusScoreFactory(
            assessment=assessment,
            dimension=dim,
            level=levels[dim.number - 1],
            reason=reason_for(dim.name, title),
            dissent="One partner felt it was lower." if dim.number == 2 else "",
            is_priority=dim.number in priorities,
        )
        if dim.number in priorities:
            PriorityActionFactory(consensus=score, action=f"Next step for {dim.name}")
    if finalise:
        assessment.finalise()
    return assessment


def query_count(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def test_round_report_has_nine_rows_with_levels_reasons_and_level_text(baseline):
    report = round_report(baseline)
    assert [row.level for row in report.rows] == BASELINE_LEVELS
    vision = report.rows[0]
    assert vision.name == "Vision"
    assert vision.reason == reason_for("Vision")
    assert vision.level_text.startswith("There is a shared vision, but it is loosely formed")
    assert report.rows[1].dissent
    assert [row.number for row in report.priorities] == [4, 6]
    assert report.priorities[0].actions[0].action == "Next step for Involvement"


def test_round_report_spread_and_shift_from_private_median(baseline):
    row = round_report(baseline).rows[0]  # private 1, 2, 3 around agreed 2
    assert (row.spread.low, row.spread.high, row.spread.median) == (1, 3, 2.0)
    assert row.shift == 0


def test_round_report_compares_with_previous_round(review):
    report = round_report(review)
    assert report.previous.title == "2022 baseline"
    assert [row.change for row in report.rows] == [
        r - b for r, b in zip(REVIEW_LEVELS, BASELINE_LEVELS, strict=True)
    ]


def test_previous_round_found_without_link(community, baseline):
    later = make_round(community, title="2024 review", kind="review")
    assert round_report(later).previous == baseline


def test_small_round_withholds_spread_unless_facilitator(community):
    small = make_round(community, participants=2)
    assert round_report(small).spread_withheld
    assert round_report(small).rows[0].spread is None
    assert round_report(small, show_small_spread=True).rows[0].spread is not None


def test_participation_suppresses_sector_groups_under_three(community):
    mixed = make_round(
        community,
        participants=4,
        sectors=[Sector.HOUSING, Sector.HEALTH, Sector.POLICE_JUSTICE, Sector.SMALL_CHARITY],
    )
    people = round_report(mixed).participation
    assert (people.invited, people.submitted) == (4, 4)
    assert people.by_group is None  # one voluntary-sector person would be identifiable
    assert "Housing" in people.sectors_represented
    assert "Lived-experience group" in people.missing_sectors


def test_participation_shows_groups_of_three_or_more(community):
    big = make_round(
        community,
        participants=6,
        sectors=[Sector.HOUSING, Sector.VCS],
    )
    by_group = round_report(big).participation.by_group
    assert by_group == {
        "Statutory and public services": 3,
        "Voluntary, community, faith and private": 3,
    }


def test_round_report_query_count_constant_3_vs_60_participants(community):
    small = make_round(community, participants=3)
    other = CommunityFactory()
    FocalIssueFactory(community=other)
    big = make_round(other, participants=60)
    a = Assessment.objects.get(pk=small.pk)
    b = Assessment.objects.get(pk=big.pk)
    round_report(a)  # the rubric's text is read once per process
    # agreed scores, actions, participants with their levels, the round to compare with, and
    # the shown room votes (convergence)
    assert query_count(lambda: round_report(a)) == query_count(lambda: round_report(b)) == 5


def test_overview_latest_round_and_change_since_baseline(community, review, evaluator_user):
    data = overview(evaluator_user)
    (line,) = data.lines
    assert line.latest == review
    assert line.baseline.title == "2022 baseline"
    assert line.levels == REVIEW_LEVELS
    assert line.changes[0] == REVIEW_LEVELS[0] - BASELINE_LEVELS[0]


def test_overview_filters(community, other_community, baseline, evaluator_user):
    other_community.nation = "wales"
    other_community.save()
    make_round(other_community, title="2022 baseline")
    assert len(overview(evaluator_user).lines) == 2
    assert [ln.community for ln in overview(evaluator_user, nation="wales").lines] == [
        other_community
    ]
    assert [ln.community for ln in overview(evaluator_user, area="domestic abuse").lines] == [
        other_community
    ]
    assert list(overview(evaluator_user, kind="review").lines) == []


def test_overview_ignores_unfinalised_rounds(community, evaluator_user):
    make_round(community, finalise=False)
    assert list(overview(evaluator_user).lines) == []


def test_overview_query_count_constant_1_vs_50_communities(evaluator_user):
    def build(n: int) -> None:
        for _ in range(n):
            c = CommunityFactory()
            FocalIssueFactory(community=c)
            make_round(c, participants=0)

    build(1)
    overview(evaluator_user)  # the rubric's text is read once per process
    one = query_count(lambda: overview(evaluator_user))
    build(49)
    assert len(overview(evaluator_user).lines) == 50
    assert query_count(lambda: overview(evaluator_user)) == one


def test_change_over_time_says_whether_priorities_moved_more(community, review):
    data = change_over_time(community)
    assert [r.title for r in data.rounds] == ["2022 baseline", "2024 review"]
    assert data.changes == [r - b for r, b in zip(REVIEW_LEVELS, BASELINE_LEVELS, strict=True)]
    # Priorities 4 and 6 each moved +1; the others moved 3/7 on average.
    assert data.priority_mean_change == 1
    assert data.priorities_moved_more is True


def test_change_over_time_without_rounds(community):
    data = change_over_time(community)
    assert data.rounds == [] and data.priorities_moved_more is None


def test_a_page_of_the_overview_reads_only_its_own_rounds_levels(evaluator_user):
    for n in range(6):
        community = CommunityFactory(name=f"Place {n}")
        FocalIssueFactory(community=community)
        baseline = make_round(community, participants=0)
        make_round(community, title="2024 review", kind=Assessment.Kind.REVIEW, previous=baseline)
    data = overview(evaluator_user)
    assert len(data.lines) == 6
    with CaptureQueriesContext(connection) as queries:
        page = data.lines[0:2]
    # Those two communities' rounds, then their agreed levels, nothing more.
    assert len(queries) == 2
    wanted = {a.pk for line in page for a in (line.latest, line.baseline)}
    asked = Assessment.objects.filter(consensus_scores__isnull=False).distinct().count()
    assert len(wanted) == 4 and asked == 12
    for query in queries:
        in_list = re.search(r"IN \(([^)]*)\)", query["sql"]).group(1)  # type: ignore[union-attr]
        assert {int(pk) for pk in in_list.split(",")} == wanted  # four rounds, not twelve
    assert [line.community.name for line in page] == ["Place 0", "Place 1"]
    assert all(line.changes for line in page)
    assert [line.previous for line in page] == [line.baseline for line in page]
    assert [line.other_rounds for line in page] == [1, 1]
