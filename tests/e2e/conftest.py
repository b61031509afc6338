"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Every page checked with `check_page` must pass axe-core with no violations, log no console
errors, make no request that leaves loopback, and not scroll sideways at 375 px.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told that this is deliberate (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def _one_request_at_a_time_on_sqlite() -> Iterator[None]:
    """On SQLite the test database is in memory, and Django gives the live server's request
    threads the test's one connection: two requests at once (the sheet's autosaves while
    someone tabs through it) then share it, and SQLite refuses the second BEGIN ("cannot start
    a transaction within a transaction", a 500 seen in CI). There the server takes one request
    at a time; on PostgreSQL each thread has its own connection and it stays threaded."""
    from django.conf import settings
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        yield
        return

    class OneAtATime(WSGIServer):
        # Requests run in the server's own thread, which LiveServerThread has given the
        # test's connection already; Django closes each HTTP connection after its response.
        def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneAtATime
    yield
    LiveServerThread.server_class = threaded


ROOT = Path(__file__).resolve().parents[2]
AXE = (ROOT / "static" / "vendor" / "axe" / "axe.min.js").read_text(encoding="utf-8")
# The journey's screenshots illustrate the guides; a test run refreshes them only when asked
# (SMM_UPDATE_SCREENSHOTS=1), so that running the tests leaves the working tree as it was.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("SMM_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "smm-screenshots"
)
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs it with apt")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default; with two test workers on two cores, a live server that
    # also renders PDFs can take longer to answer (a page once came at 5.2 s in a full run).
    # What is waited for is the same; only the patience grows.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """Collects console errors and off-host requests for one page."""

    def __init__(self, page, base_url: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        host = urlparse(base_url).hostname
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))

        def on_request(request) -> None:  # type: ignore[no-untyped-def]
            url = urlparse(request.url)
            if url.scheme in {"http", "https", "ws", "wss"} and url.hostname not in {
                host,
                "127.0.0.1",
                "localhost",
            }:
                self.foreign_requests.append(request.url)

        page.on("request", on_request)


def new_page(browser, live_server, viewport=DESKTOP):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    page = context.new_page()
    page.watch = PageWatch(page, live_server.url)
    return page


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    # Evaluated through the DevTools protocol, so our strict CSP does not block axe itself.
    page.evaluate(AXE)
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
    ]


def check_page(page, name: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """The checks every journey page must pass; saves a screenshot when named."""
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    assert violations == [], f"axe violations on {page.url}: {violations}"
    assert page.watch.console_errors == [], (
        f"console errors on {page.url}: {page.watch.console_errors}"
    )
    assert page.watch.foreign_requests == [], (
        f"requests off loopback: {page.watch.foreign_requests}"
    )
    width = page.viewport_size["width"]
    if width <= 400:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px wide)"
    if name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login(page, username: str, password: str = "pw-for-tests-only") -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
