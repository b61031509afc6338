"""The round report page, the evaluator overview and the change-over-time partial: who sees
what, what they see, and constant query counts."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, AuditEvent
from tests.assessments.test_reports_data import (
    BASELINE_LEVELS,
    REVIEW_LEVELS,
    make_round,
    reason_for,
)
from tests.factories import (
    CommunityFactory,
    FocalIssueFactory,
    MembershipFactory,
    submit_sheet,
)


def report_url(assessment: Assessment) -> str:
    return reverse("assessments:report", kwargs={"code": assessment.code})


def json_in(html: str, element_id: str) -> dict:
    return json.loads(
        html.split(f'id="{element_id}" type="application/json">')[1].split("</script>")[0]
    )


def main_of(response) -> str:
    """The page's content (the rest holds a per-request CSRF token)."""
    return response.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]


def overview_part(response) -> str:
    """The overview's filters and results (its actions hold a per-request CSRF token)."""
    return response.content.decode().split('<form method="get"', 1)[1].split("</main>", 1)[0]


def count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx.captured_queries), response


# Round report page ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin"])
def test_report_page_shows_chart_and_table_of_the_same_numbers(request, persona, baseline):
    response = request.getfixturevalue(persona).get(report_url(baseline))
    assert response.status_code == 200
    html = response.content.decode()
    assert reason_for("Vision") in html
    assert "There is a shared vision, but it is loosely formed" in html
    figure = json_in(html, "radar-figure")
    agreed = next(t for t in figure["data"] if t["name"] == "Agreed level")
    assert agreed["r"][:9] == BASELINE_LEVELS
    assert agreed["r"][9] == BASELINE_LEVELS[0]  # closed polygon
    assert 'id="radar-figure" type="application/json"' in html
    # On a phone (static/js/charts.js) the dimensions are numbered, as in the table's key.
    narrow = figure["layout"]["meta"]["narrow"]
    assert narrow["polar.angularaxis.ticktext"] == [str(n) for n in range(1, 10)]
    assert figure["layout"]["polar"]["angularaxis"]["tickvals"] == agreed["theta"][:9]
    # Each agreed level appears in the table.
    table = html.split("report-table", 1)[1].split("</table>", 1)[0]
    for level in BASELINE_LEVELS:
        assert f'level-{level}">{level}</span>' in table
    assert "Next step for Involvement" in html


def test_report_page_has_range_band_and_previous_round_trace(review):
    from assessments.reports.charts import radar_figure
    from assessments.reports.data import round_report

    figure = radar_figure(round_report(review))
    names = [t["name"] for t in figure["data"]]
    assert names == ["Range of private scores", "Previous round: 2022 baseline", "Agreed level"]
    assert figure["data"][1]["r"][:9] == BASELINE_LEVELS


def test_report_page_never_names_participants(evaluator, baseline):
    html = evaluator.get(report_url(baseline)).content.decode()
    for participant in baseline.participants.select_related("stakeholder"):
        assert participant.stakeholder.name not in html
    assert "private reason" not in html


def test_report_page_other_facilitator_gets_404(other_facilitator, baseline):
    assert other_facilitator.get(report_url(baseline)).status_code == 404


def test_report_page_anonymous_and_stakeholder_link_go_to_login(anonymous, baseline):
    participant = baseline.participants.first()
    response = anonymous.get(report_url(baseline))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert participant is not None


def test_report_page_unfinalised_round_hidden_from_evaluator(evaluator, facilitator, community):
    draft = make_round(community, finalise=False)
    assert evaluator.get(report_url(draft)).status_code == 404
    response = facilitator.get(report_url(draft))
    assert response.status_code == 200
    assert "not finalised yet" in response.content.decode()


def test_report_page_small_round_range_for_facilitator_only(evaluator, facilitator, community):
    small = make_round(community, participants=2)
    # The facilitator's page is cached first; the evaluator must not be given it.
    fac = facilitator.get(report_url(small)).content.decode()
    assert "Only 2 private sheets were submitted" in fac
    assert "Private scores: 2 ratings from" in fac
    assert "Range of private scores" in fac  # the band in the radar
    ev = evaluator.get(report_url(small)).content.decode()
    assert "Too few private sheets" in ev
    assert "ratings from" not in ev and "Range of private scores" not in ev
    assert "Only 2 private sheets" not in ev


def test_report_page_post_not_allowed(facilitator, baseline):
    assert facilitator.post(report_url(baseline)).status_code == 405


def test_report_page_query_count_3_vs_60_participants(facilitator, community, facilitator_user):
    small = make_round(community, participants=3)
    other = CommunityFactory()
    FocalIssueFactory(community=other)
    MembershipFactory(user=facilitator_user, community=other)
    big = make_round(other, participants=60)
    facilitator.get(report_url(small))  # the rubric's text is read once per process
    small_count, small_response = count_queries(facilitator, report_url(small))
    big_count, big_response = count_queries(facilitator, report_url(big))
    assert small_response.status_code == big_response.status_code == 200
    # session, user, round, agreed scores, actions, participants with their levels, the round
    # to compare with (none is linked) and the shown room votes (convergence)
    assert small_count == big_count == 8


def test_report_page_shows_a_reopened_round_after_the_write(facilitator, evaluator, baseline):
    assert "not finalised yet" not in facilitator.get(report_url(baseline)).content.decode()
    assert evaluator.get(report_url(baseline)).status_code == 200
    response = facilitator.post(
        reverse("assessments:reopen", kwargs={"code": baseline.code}), {"reason": "A typo"}
    )
    assert response.status_code == 302
    assert "not finalised yet" in facilitator.get(report_url(baseline)).content.decode()
    assert evaluator.get(report_url(baseline)).status_code == 404


def test_report_page_of_a_collecting_round_counts_a_new_submission(
    facilitator, anonymous, participant
):
    url = report_url(participant.assessment)
    assert "0 of 1 invited partners submitted" in facilitator.get(url).content.decode()
    submit_sheet(participant, [3] * 9, submitted=False)
    submit = reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    assert anonymous.post(submit).status_code == 303
    assert "1 of 1 invited partners submitted" in facilitator.get(url).content.decode()


def test_report_page_seen_by_one_facilitator_is_not_shown_to_another(
    facilitator, other_facilitator, baseline
):
    assert facilitator.get(report_url(baseline)).status_code == 200
    assert other_facilitator.get(report_url(baseline)).status_code == 404


def test_report_page_loads_plotly_from_static_with_css_guard(evaluator, baseline):
    html = evaluator.get(report_url(baseline)).content.decode()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in html
    assert "/static/vendor/plotly/plotly-smm.min.js" in html  # the traces we draw, no more
    assert "/static/js/charts.js" in html
    assert "<script>" not in html  # no inline scripts


# Evaluator overview -----------------------------------------------------------------------------

OVERVIEW = "/overview/"


def test_overview_url():
    assert reverse("assessments:overview") == OVERVIEW


@pytest.mark.parametrize("persona", ["evaluator", "admin"])
def test_overview_heatmap_table_and_links(request, persona, review, other_community):
    make_round(other_community, levels=[4] * 9)
    response = request.getfixturevalue(persona).get(OVERVIEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Halton" in html and "Bolsover" in html
    assert report_url(review) in html
    heatmap = json_in(html, "heatmap-figure")
    assert heatmap["layout"]["meta"]["narrow"]["xaxis.ticktext"] == [str(n) for n in range(1, 10)]
    tiles = heatmap["data"][0]
    # Bolsover first (alphabetical), then Halton; one tile per agreed level.
    assert tiles["marker"]["color"] == [4] * 9 + REVIEW_LEVELS
    assert tiles["y"] == ["Bolsover"] * 9 + ["Halton"] * 9
    # The change since the baseline links to the baseline's report, and the earlier rounds
    # are on the community's page.
    assert f'change since <a href="{report_url(review.previous)}">2022 baseline</a>' in html
    assert (
        f'href="{review.community.get_absolute_url()}#change-over-time-title">1 earlier round'
        in html
    )
    assert "Communities 1–2 of 2" in html
    assert 'aria-label="Pages of communities"' not in html  # one page only


def test_overview_facilitator_403(facilitator, baseline):
    assert facilitator.get(OVERVIEW).status_code == 403


def test_overview_anonymous_login(anonymous):
    assert anonymous.get(OVERVIEW).status_code == 302


def test_overview_filters_by_nation_area_and_kind(evaluator, baseline, other_community):
    other_community.nation = "wales"
    other_community.save()
    make_round(other_community)
    html = evaluator.get(OVERVIEW + "?nation=wales").content.decode()
    assert "Bolsover" in html and ">Halton<" not in html
    html = evaluator.get(OVERVIEW + "?area=homelessness").content.decode()
    assert ">Halton<" in html and "Bolsover" not in html
    html = evaluator.get(OVERVIEW + "?kind=review").content.decode()
    assert "No finalised rounds match" in html


def test_overview_bad_filter_400_with_message(evaluator, baseline):
    response = evaluator.get(OVERVIEW + "?kind=weekly")
    assert response.status_code == 400
    assert "One of the filters has a value we do not know" in response.content.decode()


def build_communities(n: int) -> None:
    for _ in range(n):
        c = CommunityFactory()
        FocalIssueFactory(community=c)
        make_round(c, participants=0)


def test_overview_query_count_1_vs_50_communities(evaluator):
    build_communities(1)
    evaluator.get(OVERVIEW)  # the rubric's text is read once per process
    one, response = count_queries(evaluator, OVERVIEW)
    assert response.status_code == 200
    build_communities(49)
    fifty, response = count_queries(evaluator, OVERVIEW)
    assert "Communities 1–25 of 50" in response.content.decode()
    assert one == fifty


def test_overview_pages_of_communities_keep_the_filters(evaluator, other_community):
    build_communities(30)  # factory communities, all in England
    other_community.nation = "wales"
    other_community.save()
    make_round(other_community)
    first = evaluator.get(OVERVIEW + "?nation=england").content.decode()
    assert "Communities 1–25 of 30" in first
    assert len(json_in(first, "heatmap-figure")["data"][0]["y"]) == 25 * 9
    assert first.count('class="change-row') == 0  # one round each: no change to show
    assert '<nav aria-label="Pages of communities">' in first
    assert 'href="?nation=england&amp;page=2">2</a>' in first
    assert 'aria-current="page">1</a>' in first
    second = evaluator.get(OVERVIEW + "?nation=england&page=2").content.decode()
    assert "Communities 26–30 of 30" in second
    assert len(json_in(second, "heatmap-figure")["data"][0]["y"]) == 5 * 9
    assert "Bolsover" not in first + second
    # A page number out of range or not a number shows a page, not an error.
    assert (
        "Communities 26–30 of 30"
        in evaluator.get(OVERVIEW + "?nation=england&page=99").content.decode()
    )
    assert evaluator.get(OVERVIEW + "?page=abc").status_code == 200


def test_overview_shows_a_new_finalised_round_after_the_write(evaluator, facilitator, review):
    assert (
        f'change since <a href="{report_url(review.previous)}">'
        in evaluator.get(OVERVIEW).content.decode()
    )
    response = facilitator.post(
        reverse("assessments:reopen", kwargs={"code": review.code}), {"reason": "A typo"}
    )
    assert response.status_code == 302
    html = evaluator.get(OVERVIEW).content.decode()
    assert report_url(review) not in html
    assert report_url(review.previous) in html and "change since <a" not in html


def test_overview_cached_for_an_evaluator_is_not_given_to_a_facilitator(
    evaluator, facilitator, anonymous, review
):
    assert evaluator.get(OVERVIEW).status_code == 200
    assert facilitator.get(OVERVIEW).status_code == 403
    assert anonymous.get(OVERVIEW).status_code == 302


# Change over time -------------------------------------------------------------------------------


def render_change(community) -> str:
    return Template("{% load smm_reports %}{% change_over_time community %}").render(
        Context({"community": community})
    )


def test_change_over_time_tag_chart_table_and_priorities(community, review):
    html = render_change(community)
    assert "2022 baseline" in html and "2024 review" in html
    assert f'id="change-figure-{community.pk}"' in html
    figure = json_in(html, f"change-figure-{community.pk}")
    assert figure["layout"]["meta"]["narrow"]["xaxis.ticktext"] == [str(n) for n in range(1, 10)]
    assert figure["layout"]["xaxis"]["tickvals"] == figure["data"][0]["x"]
    assert "The priorities moved more than the other dimensions." in html
    assert "baseline priority" in html
    assert report_url(review) in html


def test_change_over_time_tag_single_round_says_baseline(community, baseline):
    html = render_change(community)
    assert "2022 baseline is the baseline" in html


def test_change_over_time_tag_no_rounds(community):
    assert "No finalised rounds yet" in render_change(community)


# Stored PDF -------------------------------------------------------------------------------------


def test_stored_report_pdf_costs_the_round_and_its_audit_record_only(
    evaluator, facilitator, baseline
):
    url = reverse("assessments:report_pdf", kwargs={"code": baseline.code})
    assert evaluator.get(url).status_code == 200  # rendered and stored
    count, response = count_queries(facilitator, url)
    assert response.content.startswith(b"%PDF")
    assert count == 4  # session, user, the round with its community, the audit record
    count, again = count_queries(facilitator, url)
    assert count == 4
    assert again.content == response.content
    assert again["Content-Disposition"] == response["Content-Disposition"]
    downloads = AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED, assessment=baseline)
    events = list(downloads.order_by("pk"))
    assert [event.detail["rendered"] for event in events] == [True, False, False]
    actors = [event.actor.username for event in events]  # type: ignore[union-attr]
    assert actors == ["eval", "fac", "fac"]
    assert events[-1].summary == events[1].summary
    assert events[-1].created_at > events[1].created_at
    assert {event.community_id for event in events} == {baseline.community_id}


def test_overview_lists_communities_without_a_finalised_round_with_a_note(
    evaluator, community, baseline, other_community
):
    make_round(other_community, finalise=False)
    quiet = CommunityFactory(name="Quietshire")
    html = evaluator.get(OVERVIEW).content.decode()
    waiting = html.split('id="waiting-title"')[1]
    assert "Halton" not in waiting  # it has a finalised round: it is in the comparison
    assert f'<a href="{other_community.get_absolute_url()}">Bolsover</a>' in waiting
    assert "latest round: Consensus workshop" in waiting
    assert f'<a href="{quiet.get_absolute_url()}">Quietshire</a>' in waiting
    assert "no round yet" in waiting
    # Another nation's community is not listed when the overview shows one nation.
    quiet.nation = "wales"
    quiet.save()
    assert "Quietshire" not in evaluator.get(OVERVIEW + "?nation=england").content.decode()
