"""Page parts: cached between writes, never across users or languages, new after any write."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from smm_site import page_cache
from tests.factories import UserFactory


def _request(user=None):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return request


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"<p>render {self.calls}</p>"


@pytest.mark.django_db
def test_part_is_rendered_once_until_a_write():
    render = Counter()
    request = _request(UserFactory())
    first = page_cache.part(request, "thing", 1, render=render)
    assert page_cache.part(request, "thing", 1, render=render) == first
    assert render.calls == 1

    page_cache.bump(page_cache.SITE)
    assert page_cache.part(request, "thing", 1, render=render) == "<p>render 2</p>"


@pytest.mark.django_db
def test_part_keys_hold_user_language_and_key():
    render = Counter()
    alice, bob = UserFactory(), UserFactory()
    page_cache.part(_request(alice), "thing", 1, render=render)
    page_cache.part(_request(bob), "thing", 1, render=render)
    page_cache.part(_request(alice), "thing", 2, render=render)
    with translation.override("cy"):
        page_cache.part(_request(alice), "thing", 1, render=render)
    assert render.calls == 4


@pytest.mark.django_db
def test_sheet_writes_leave_site_only_parts_alone():
    site_only, with_sheets = Counter(), Counter()
    request = _request(UserFactory())
    scopes = (page_cache.SITE, page_cache.SHEETS)
    page_cache.part(request, "report", render=site_only)
    page_cache.part(request, "progress", scopes=scopes, render=with_sheets)

    page_cache.bump(page_cache.SHEETS)
    page_cache.part(request, "report", render=site_only)
    page_cache.part(request, "progress", scopes=scopes, render=with_sheets)
    assert (site_only.calls, with_sheets.calls) == (1, 2)


def _versions(*scopes: str) -> dict[str, str]:
    return dict(zip(scopes, page_cache.versions(scopes), strict=True))


@pytest.mark.django_db
def test_a_signed_in_write_starts_a_new_site_version(client):
    client.force_login(UserFactory())
    before = _versions(page_cache.SITE, page_cache.SHEETS)
    client.post("/no-such-page/", {})  # even one that fails: it might have written half
    after = _versions(page_cache.SITE, page_cache.SHEETS)
    assert after[page_cache.SITE] != before[page_cache.SITE]
    assert after[page_cache.SHEETS] == before[page_cache.SHEETS]


@pytest.mark.django_db
def test_a_stakeholders_write_starts_new_sheet_versions(participant):
    from django.test import Client
    from django.urls import reverse

    mine = page_cache.sheet_scope(participant.token)
    before = _versions(page_cache.SITE, page_cache.SHEETS, mine)
    dimension = participant.assessment.rubric.dimensions.first()
    url = reverse("assessments:sheet_save", kwargs={"token": participant.token})
    assert Client().post(url, {"dimension": dimension.pk, "level": "3"}).status_code < 400
    after = _versions(page_cache.SITE, page_cache.SHEETS, mine)
    assert after[page_cache.SHEETS] != before[page_cache.SHEETS]
    assert after[mine] != before[mine]
    assert after[page_cache.SITE] == before[page_cache.SITE]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/s/not-a-real-link/save/", "/nowhere/"])
def test_anonymous_or_refused_requests_start_nothing(client, path):
    # A failed login, a guessed link, a bot: none of them wrote, and none may empty the cache.
    before = _versions(page_cache.SITE, page_cache.SHEETS)
    client.post(path, {"username": "nobody", "password": "wrong"})
    assert _versions(page_cache.SITE, page_cache.SHEETS) == before


@pytest.mark.django_db
def test_reads_keep_the_version(client):
    before = page_cache.versions((page_cache.SITE, page_cache.SHEETS))
    client.get("/login/")
    assert page_cache.versions((page_cache.SITE, page_cache.SHEETS)) == before


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_redis_backend_reuses_one_client_and_works():
    from smm_site.cache import RedisCache

    backend = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": "smm-test"})
    try:
        client = backend._cache.get_client(write=True)
        assert backend._cache.get_client(write=True) is client
        backend.set("answer", {"level": 4}, timeout=30)
        assert backend.get("answer") == {"level": 4}
        backend.set("counter", 1, timeout=30)
        assert backend.incr("counter") == 2
        # set_many: one SET ... EX per key (smm_site/cache.py), with the timeout, and 0 deletes.
        backend.set_many({"a": [1], "b": "two"}, timeout=30)
        assert backend.get_many(["a", "b"]) == {"a": [1], "b": "two"}
        assert 0 < client.ttl(backend.make_and_validate_key("a")) <= 30
        backend.set_many({"a": 1, "b": 2}, timeout=0)
        assert backend.get_many(["a", "b"]) == {}
        backend.set_many({"a": 1}, timeout=None)
        assert client.ttl(backend.make_and_validate_key("a")) == -1  # no expiry
    finally:
        backend.delete_many(["answer", "counter", "a", "b"])


@pytest.mark.django_db
def test_commands_that_write_start_new_versions():
    from django.core.management.base import BaseCommand

    from assessments.management.commands import import_community, load_rubric
    from communities.management.commands import load_demo

    for module in (import_community, load_rubric, load_demo):
        assert issubclass(module.Command, page_cache.WritesData)

    class Command(page_cache.WritesData, BaseCommand):
        def handle(self, *args: object, **options: object) -> None:
            raise RuntimeError("half way")  # even a command that fails may have written

    before = _versions(page_cache.SITE, page_cache.SHEETS)
    with pytest.raises(RuntimeError):
        Command().execute(no_color=True, force_color=False, skip_checks=True)
    after = _versions(page_cache.SITE, page_cache.SHEETS)
    assert all(after[scope] != before[scope] for scope in before)
