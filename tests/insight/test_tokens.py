"""The API tokens page: made by their owner, shown once, kept hashed, revoked by their owner."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from insight.models import ApiToken, hash_token
from insight.tokens import MAX_ACTIVE_TOKENS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("insight:tokens")


def make(client, name: str = "notebook"):  # type: ignore[no-untyped-def]
    return client.post(URL, {"name": name})


def test_a_new_token_is_shown_once_and_kept_only_as_its_hash(evaluator, evaluator_user):
    response = make(evaluator)
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    (token,) = re.findall(r'<code class="token-secret fs-6" id="new-token">([^<]+)</code>', html)
    assert token.startswith("smm_") and len(token) >= 40
    row = ApiToken.objects.get(user=evaluator_user)
    assert row.token_hash == hash_token(token)
    assert token not in str(list(ApiToken.objects.values()))
    again = evaluator.get(URL).content.decode()
    assert token not in again
    assert row.start in again  # only its first characters, to tell tokens apart


def test_the_token_reads_the_api(evaluator):
    html = make(evaluator).content.decode()
    token = re.search(r'id="new-token">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    response = Client().get(
        reverse("api-v1:communities"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_a_name_is_required(evaluator):
    response = make(evaluator, "")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_active_tokens_are_limited(evaluator, evaluator_user):
    for n in range(MAX_ACTIVE_TOKENS):
        ApiToken.issue(user=evaluator_user, name=f"t{n}")
    response = make(evaluator)
    assert response.status_code == 400
    assert "revoke one you no longer use" in response.content.decode()


def test_the_owner_revokes_and_the_page_says_so(evaluator, evaluator_user):
    row, _token = ApiToken.issue(user=evaluator_user, name="old script")
    response = evaluator.post(
        reverse("insight:token_revoke", kwargs={"code": row.code}), follow=True
    )
    assert "Token “old script” revoked." in response.content.decode()
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_nobody_else_can_revoke_it(evaluator, admin):  # type: ignore[no-untyped-def]
    owner = UserFactory(username="eval2", role="evaluator")
    row, _token = ApiToken.issue(user=owner, name="theirs")
    url = reverse("insight:token_revoke", kwargs={"code": row.code})
    assert evaluator.post(url).status_code == 404
    assert admin.post(url).status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


def test_the_list_shows_uses_of_each_token(evaluator, evaluator_user):
    _row, token = ApiToken.issue(user=evaluator_user, name="counted")
    for _ in range(3):
        Client().get(reverse("api-v1:communities"), headers={"Authorization": f"Bearer {token}"})
    (listed,) = evaluator.get(URL).context["tokens"]
    assert listed.use_count == 3
    assert listed.last_used_at is not None


def test_old_request_records_can_be_pruned(evaluator_user):
    import datetime
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from insight.models import ApiTokenUse

    row, _token = ApiToken.issue(user=evaluator_user, name="old")
    old = timezone.now() - datetime.timedelta(days=400)
    ApiTokenUse.objects.create(token=row, at=old, method="GET", path="/api/v1/rounds")
    ApiTokenUse.objects.create(token=row, method="GET", path="/api/v1/communities")
    out = io.StringIO()
    call_command("prune_api_uses", "--days", "365", stdout=out)
    assert "Deleted 1 " in out.getvalue()
    assert list(ApiTokenUse.objects.values_list("path", flat=True)) == ["/api/v1/communities"]


def test_an_admin_revokes_a_token_in_django_admin(admin, evaluator_user):
    row, _token = ApiToken.issue(user=evaluator_user, name="leaked")
    changelist = reverse("admin:insight_apitoken_changelist")
    assert "leaked" in admin.get(changelist).content.decode()
    response = admin.post(changelist, {"action": "revoke", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert admin.get(reverse("admin:insight_apitoken_add")).status_code == 403
