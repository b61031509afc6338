"""The read-only API: who may read it, with what, what it gives and what it never gives."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from insight.api import KindCode, NationCode
from insight.models import ApiToken, ApiTokenUse, hash_token
from tests.factories import AssessmentFactory, UserFactory
from tests.insight.conftest import MARKER, Places, more_communities

pytestmark = pytest.mark.django_db

LISTS = ["communities", "rounds", "agreed_levels", "level_counts"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(path: str, token: str = "", client: Client | None = None, **params: Any) -> Any:
    client = client or Client()
    return client.get(path, params, headers=bearer(token) if token else {})


def every_url(places: Places) -> list[str]:
    codes = {"code": places.review.code}
    return [
        reverse("api-v1:communities"),
        reverse("api-v1:community", kwargs={"code": places.halton.code}),
        reverse("api-v1:rounds"),
        reverse("api-v1:round_detail", kwargs=codes),
        reverse("api-v1:round_level_counts", kwargs=codes),
        reverse("api-v1:agreed_levels") + "?limit=100",
        reverse("api-v1:level_counts"),
    ]


# Who -------------------------------------------------------------------------------------------


def test_without_a_token_the_api_says_how_to_send_one(places):
    response = get(reverse("api-v1:rounds"))
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer smm_not-a-real-token", "Bearer ", "Basic abc", "smm_x", "Bearer " + "x" * 500],
)
def test_a_wrong_token_is_401(places, header):
    response = Client().get(reverse("api-v1:rounds"), headers={"Authorization": header})
    assert response.status_code == 401


def test_an_evaluator_token_reads_and_each_request_is_recorded(places, evaluator_token):
    response = get(reverse("api-v1:rounds"), evaluator_token, kind="review")
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["items"]] == ["2024 review"]
    get(reverse("api-v1:communities"), evaluator_token)
    uses = list(ApiTokenUse.objects.order_by("at", "pk"))
    assert [(u.method, u.path) for u in uses] == [
        ("GET", "/api/v1/rounds?kind=review"),
        ("GET", "/api/v1/communities"),
    ]
    assert uses[0].token.token_hash == hash_token(evaluator_token)
    assert uses[0].client_ip == "127.0.0.1"


def test_responses_are_never_cached(places, evaluator_token):
    assert get(reverse("api-v1:rounds"), evaluator_token)["Cache-Control"] == "private, no-store"
    assert get(reverse("api-v1:rounds"))["Cache-Control"] == "private, no-store"


def test_a_token_works_where_sessions_need_a_second_factor(
    places, evaluator, evaluator_token, settings
):
    # The token was made in a session that passed the second step; the session itself is
    # sent to set one up first, as on every page.
    settings.SMM_REQUIRE_2FA = True
    assert get(reverse("api-v1:rounds"), evaluator_token).status_code == 200
    assert evaluator.get(reverse("api-v1:rounds")).status_code == 302


def test_a_revoked_token_stops_working(places, evaluator_token):
    ApiToken.objects.get().revoke()
    assert get(reverse("api-v1:rounds"), evaluator_token).status_code == 401
    assert not ApiTokenUse.objects.exists()


def test_a_deactivated_users_token_stops_working(places, evaluator_user, evaluator_token):
    evaluator_user.is_active = False
    evaluator_user.save()
    assert get(reverse("api-v1:rounds"), evaluator_token).status_code == 401


def test_a_facilitators_token_is_refused_403(places, facilitator_user):
    # A token made while the user was an evaluator, who is a facilitator now.
    _row, token = ApiToken.issue(user=facilitator_user, name="old")
    response = get(reverse("api-v1:rounds"), token)
    assert response.status_code == 403
    assert "evaluators" in response.json()["detail"]


def test_an_admin_token_reads(places, admin_user_):
    _row, token = ApiToken.issue(user=admin_user_, name="admin script")
    assert get(reverse("api-v1:rounds"), token).json()["count"] == 3


def test_the_signed_in_session_reads_too(places, evaluator, facilitator):
    assert evaluator.get(reverse("api-v1:rounds")).status_code == 200
    assert facilitator.get(reverse("api-v1:rounds")).status_code == 403


# What ------------------------------------------------------------------------------------------


def test_a_round_gives_its_agreed_levels_reasons_and_dissent(places, evaluator_token):
    url = reverse("api-v1:round_detail", kwargs={"code": places.review.code})
    body = get(url, evaluator_token).json()
    assert body["title"] == "2024 review"
    assert body["previous"] == str(places.baseline.code)
    assert (body["invited"], body["submitted"]) == (7, 7)
    first, second, third = body["agreed"][:3]
    assert first == {
        "dimension_number": 1,
        "dimension": "Vision",
        "level": 3,
        "priority": False,
        "reason": "Housing partners pooled budgets agreed on 1",
        "dissent": "",
    }
    assert second["dissent"] == "Halton dissent 2"
    assert third["priority"] is True


def test_only_finalised_rounds_are_given(places, evaluator_token):
    collecting = AssessmentFactory(
        community=places.halton, focal_issue=places.halton.current_focal_issue
    )
    url = reverse("api-v1:round_detail", kwargs={"code": collecting.code})
    response = get(url, evaluator_token)
    assert response.status_code == 404
    assert response.json()["detail"] == "No finalised round with this code."
    codes = {r["code"] for r in get(reverse("api-v1:rounds"), evaluator_token).json()["items"]}
    assert str(collecting.code) not in codes


def test_level_counts_are_withheld_under_three_sheets(places, evaluator_token):
    url = reverse("api-v1:round_level_counts", kwargs={"code": places.merthyr_round.code})
    body = get(url, evaluator_token).json()
    assert body["submitted"] == 2
    assert body["withheld"] is True
    assert all(d["counts"] is None and d["not_sure"] is None for d in body["dimensions"])
    url = reverse("api-v1:round_level_counts", kwargs={"code": places.review.code})
    body = get(url, evaluator_token).json()
    assert body["withheld"] is False
    assert body["dimensions"][0]["counts"] == {"1": 0, "2": 0, "3": 7, "4": 0, "5": 0}


def test_pages_link_to_the_next(places, evaluator_token):
    first = get(reverse("api-v1:agreed_levels"), evaluator_token, limit=10).json()
    assert (first["count"], first["limit"], first["offset"], len(first["items"])) == (27, 10, 0, 10)
    assert first["next"] == "http://testserver/api/v1/agreed-levels?limit=10&offset=10"
    last = get(reverse("api-v1:agreed_levels"), evaluator_token, limit=10, offset=20).json()
    assert len(last["items"]) == 7
    assert last["next"] is None
    assert get(reverse("api-v1:agreed_levels"), evaluator_token, offset=500).json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 10**12},
        {"limit": "ten"},
        {"nation": "atlantis"},
        {"kind": "final"},
        {"community": "not-a-uuid"},
        {"area": "x" * 81},
    ],
)
def test_bad_input_is_a_400_that_says_what(places, evaluator_token, params):
    response = get(reverse("api-v1:rounds"), evaluator_token, **params)
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"][-1] in params


def test_filters_narrow_the_rounds(places, evaluator_token):
    def titles(**params: Any) -> list[str]:
        body = get(reverse("api-v1:rounds"), evaluator_token, **params).json()
        return [r["title"] for r in body["items"]]

    assert titles(nation="wales") == ["2023 baseline"]
    assert titles(area="homelessness") == ["2022 baseline", "2024 review"]
    assert titles(community=str(places.merthyr.code)) == ["2023 baseline"]


def test_the_schema_lists_the_models_choices():
    from typing import get_args

    from assessments.models import Assessment
    from communities.models import Nation

    assert set(get_args(NationCode)) == set(Nation.values)
    assert set(get_args(KindCode)) == set(Assessment.Kind.values)


# What never ------------------------------------------------------------------------------------


def test_no_name_email_or_private_reason_in_any_response(places, marked, evaluator_token):
    for url in every_url(places):
        response = get(url, evaluator_token)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert MARKER not in text and MARKER.lower() not in text, url
        assert "Private" not in text, url
        assert "@example.org" not in text, url


def test_the_marked_sheet_is_counted_but_not_shown(places, marked, evaluator_token):
    url = reverse("api-v1:round_level_counts", kwargs={"code": places.review.code})
    body = get(url, evaluator_token).json()
    assert body["submitted"] == 8
    assert body["dimensions"][0]["counts"]["1"] == 1


# How many queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_the_data(
    places, evaluator_token, django_assert_num_queries, name
):
    url = reverse(f"api-v1:{name}")
    # Token, its use, the count, the page (and for level counts its dimensions and tallies).
    expected = {"communities": 5, "rounds": 4, "agreed_levels": 4, "level_counts": 6}[name]
    with django_assert_num_queries(expected):
        assert get(url, evaluator_token).status_code == 200
    more_communities(4)
    with django_assert_num_queries(expected):
        assert get(url, evaluator_token).json()["count"] > 3


def test_other_users_tokens_are_unaffected_by_a_revoke(places, evaluator_token):
    other = UserFactory(username="eval2", role="evaluator")
    _row, token = ApiToken.issue(user=other, name="theirs")
    ApiToken.objects.get(user__username="eval").revoke()
    assert get(reverse("api-v1:rounds"), token).status_code == 200


def test_the_docs_page_lists_every_operation_from_the_schema(client):  # type: ignore[no-untyped-def]
    html = client.get(reverse("api-v1:openapi-view")).content.decode()
    for path in ("/api/v1/rounds", "/api/v1/rounds/{code}/level-counts", "/api/v1/level-counts"):
        assert f"<code>{path}</code>" in html
    assert "england, wales, scotland, northern-ireland" in html  # a parameter's choices
    assert "integer, 1–100" in html
    assert "401 Unauthorized" in html
    assert "swagger" not in html.lower() and "cdn" not in html.lower()
