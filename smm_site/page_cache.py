"""Cached parts of pages, invalidated by data versions.

Most pages are read far more often than their data changes, and at national scale rendering
them (not SQL) is what costs. A view may keep the expensive part of a page, rendered to HTML,
in the ``pages`` cache under a key that holds everything the HTML depends on (and next to
it the data versions it was rendered at):

    body = page_cache.part(request, "community", community.pk, scopes=(SITE, SHEETS),
                           render=lambda: render_to_string(...))

Invalidation is by version, not by deleting keys. Two versions exist:

* ``SITE`` changes after every POST/PUT/PATCH/DELETE made by a signed-in user or the
  admin (facilitator and evaluator edits, workshop steps, finalising), and after management
  commands that write (they call ``bump``).
* ``SHEETS`` changes after every write through a stakeholder's personal link
  (autosave, submit), which only pages showing collection progress depend on.

A stale part therefore can never be served after a write has been answered. Parts never hold
per-request values: no CSRF token and no CSP nonce (those stay in the uncached page around
them; forms inside a part hold a placeholder that ``with_csrf`` fills in), and a part's key
always contains the user's id and the language, so a part is only ever served to the user it
was rendered for. Named individual answers are never put in a part; the one page that holds
them, a stakeholder's own sheet, is kept whole under the hash of their link (``cached_page``,
``sheet_scope``) and served to that link's holder only (docs/data-protection.md).

Signed-in pages whose content is all in parts (dashboards, community, round, workshop and
report pages) are also kept *whole* (``keep_whole``): the finished page, under the hash of the
session cookie, the language and the address, served again before the view runs. Rendering
the layout, reading the user and checking access are most of what such a page costs once its
part is cached. A kept page is served only while (a) the session still signs in the same user
(the session is read as it would be anyway: logging out, expiry and a new login all end it),
(b) no version it depends on has changed (SITE, which every signed-in write and every change
to a user starts anew, and the versions of its parts) and (c) for at most ``TIMEOUT``. So it
is served to nobody the view would not have served it to, in no state the view would not have
rendered. A kept download (the round report's PDF) writes its audit record at every serving,
as the view does (``audit_every_serving``).

The versions live in the same cache as the parts, so every process must share that cache:
production enables page caching only with Redis (``REDIS_URL``); without it the ``pages``
cache is Django's DummyCache and every part is rendered afresh.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

SITE = "site"
SHEETS = "sheets"
# Bounds staleness from writes no request or command announced (a database restored by hand)
# and keeps relative dates ("closes in 3 days") honest.
TIMEOUT = 10 * 60
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _cache() -> Any:
    return caches["pages"]


def versions(scopes: Iterable[str], found: dict[str, Any] | None = None) -> list[str]:
    """The current versions of ``scopes`` (``found``: what a caller already read of them)."""
    keys = [f"v:{scope}" for scope in scopes]
    if found is None:
        found = _cache().get_many(keys)
    result = []
    for key in keys:
        value = found.get(key)
        if value is None:
            # Unknown (first use or evicted): start a new version rather than reuse "0",
            # which an evicted-then-recreated counter could otherwise repeat.
            value = f"{time.time_ns():x}"
            _cache().add(key, value, timeout=VERSION_TIMEOUT)
            value = _cache().get(key, value)
        result.append(str(value))
    return result


# Nothing is kept longer than TIMEOUT, so a version unchanged for longer protects nothing any
# more: it lapses (and a new one starts, which is always safe) instead of piling up, one per
# stakeholder's sheet. One timeout for all makes a bump one write to the cache.
VERSION_TIMEOUT = 2 * TIMEOUT


def bump(*scopes: str) -> None:
    """Start new versions of the given scopes (all of them when none is given)."""
    stamp = f"{time.time_ns():x}"
    keys = [f"v:{scope}" for scope in scopes or (SITE, SHEETS)]
    _cache().set_many(dict.fromkeys(keys, stamp), timeout=VERSION_TIMEOUT)


def part(
    request: HttpRequest,
    name: str,
    *key: object,
    scopes: Iterable[str] = (SITE,),
    render: Callable[[], str],
) -> SafeString:
    """The HTML ``render()`` returns, from the cache when the data has not changed since.

    ``key`` may hold what a user typed (a search): it is hashed, with the user and the language,
    into the cache key, so any text is a valid key and no two keys run together."""
    kept_scopes = getattr(request, "_kept_scopes", None)
    if kept_scopes is not None:  # the whole page depends on what its parts depend on
        kept_scopes.update(scopes)
    user_id = getattr(getattr(request, "user", None), "pk", None)
    parts = repr((user_id, get_language() or "", *map(str, key)))
    cache_key = f"part:{name}:{hashlib.sha256(parts.encode()).hexdigest()}"
    current, html = cached_page(cache_key, scopes)
    if html is None:
        html = str(render())
        store_page(cache_key, current, html)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there


@functools.cache
def csrf_placeholder() -> str:
    """What a part with forms is rendered with as its ``csrf_token`` (see ``with_csrf``).

    Derived from SECRET_KEY: the same in every worker that shares the parts, and not something
    a user could type into a field to have it replaced.
    """
    mac = salted_hmac("smm_site.page_cache.csrf", "placeholder", algorithm="sha256")
    return "csrf-" + mac.hexdigest()


def with_csrf(request: HttpRequest, html: str) -> SafeString:
    """A part with this request's CSRF token in place of the placeholder: the cached HTML
    stays free of per-request values and the page still gets a valid token. (In a page kept
    whole the placeholder stays: ``keep_whole`` fills the finished page.)"""
    if getattr(request, "_kept_scopes", None) is not None:
        return mark_safe(html)  # noqa: S308
    return mark_safe(html.replace(csrf_placeholder(), get_token(request)))  # noqa: S308


@functools.cache
def nonce_placeholder() -> str:
    """What a cached page is rendered with as its CSP nonce (see ``fill``)."""
    mac = salted_hmac("smm_site.page_cache.nonce", "placeholder", algorithm="sha256")
    return "nonce-" + mac.hexdigest()[:32]


def fill(request: HttpRequest, html: str) -> str:
    """A cached page with this request's CSRF token and CSP nonce in place of the placeholders:
    a nonce must be new in every response, and a token must match this browser's cookie."""
    html = html.replace(csrf_placeholder(), get_token(request))
    nonce = get_nonce(request)  # evaluating it puts it in this response's CSP header too
    return html.replace(nonce_placeholder(), str(nonce)) if nonce is not None else html


def cached_page(key: str, scopes: Iterable[str]) -> tuple[list[str], str | None]:
    """The current versions of ``scopes``, and the page stored under ``key`` if it was rendered
    at those versions: stored beside the versions it was rendered at, one read (one round trip
    to Redis) fetches both."""
    scopes = tuple(scopes)
    found = _cache().get_many([*(f"v:{scope}" for scope in scopes), key])
    current = versions(scopes, found)
    stored = found.get(key)
    if isinstance(stored, tuple) and stored[0] == current:
        return current, str(stored[1])
    return current, None


def store_page(key: str, current: list[str], html: str) -> None:
    _cache().set(key, (current, html), timeout=TIMEOUT)


def placeholders(request: HttpRequest) -> dict[str, str]:
    """Context processor: a page being kept whole is rendered with placeholders for its
    per-response values, which ``fill`` replaces in every response made from it."""
    if getattr(request, "_kept_scopes", None) is None:
        return {}
    return {"csrf_token": csrf_placeholder(), "csp_nonce": nonce_placeholder()}


def _whole_key(request: HttpRequest) -> str | None:
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None  # not signed in: nothing kept (the view redirects to the login)
    # What a response may vary on besides the session and the address (htmx requests get
    # fragments; a response may be compressed for browsers that accept it).
    htmx = [(k, v) for k, v in request.headers.items() if k.lower().startswith("hx-")]
    varies = [*sorted(htmx), ("Accept-Encoding", request.headers.get("Accept-Encoding", ""))]
    parts = repr((session_key, get_language() or "", request.get_full_path(), varies))
    return f"whole:{hashlib.sha256(parts.encode()).hexdigest()}"


def _kept_response(request: HttpRequest, key: str) -> tuple[HttpResponse | None, dict[str, str]]:
    """The page kept under ``key`` if this session still signs in its user and no version it
    was rendered at has changed since; and the current versions (a page rendered now is kept
    at these: read before it is rendered, so a write meanwhile makes it stale, not lost)."""
    found = _cache().get_many([f"v:{SITE}", f"v:{SHEETS}", key])
    current = dict(zip((SITE, SHEETS), versions((SITE, SHEETS), found), strict=True))
    stored = found.get(key)
    if not isinstance(stored, dict) or request.COOKIES.get("messages"):
        return None, current  # (a message waiting to be shown: the view renders it)
    if any(current.get(scope) != version for scope, version in stored["versions"].items()):
        return None, current
    # Reading the session is what the view's login check would do first anyway; it fails
    # once the person logged out, the session expired or another user signed in with it.
    if request.session.get(SESSION_KEY) != stored["user"]:
        return None, current
    if stored["audit"] is not None:  # a download recorded each time (audit_every_serving)
        from assessments.models import audit_again

        audit_again(stored["audit"])
    body = stored["body"]
    if isinstance(body, str):
        body = fill(request, body)
    return HttpResponse(body, headers=stored["headers"]), current


def audit_every_serving(request: HttpRequest, **fields: Any) -> None:
    """Have every serving of this kept response (a download) write an AuditEvent with these
    fields, as the view did when it made the response."""
    request._kept_audit = fields  # type: ignore[attr-defined]


def keep_whole(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Keep the view's page whole for a signed-in GET (see the module's docstring).

    Only for views whose every part that changes with stakeholders' writes is a ``part``
    (the page then depends on those parts' versions); all the rest of a signed-in page changes
    only with signed-in writes (SITE). Put it above ``login_required``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = _whole_key(request) if request.method == "GET" else None
        if key is None:
            return view(request, *args, **kwargs)
        kept, current = _kept_response(request, key)
        if kept is not None:
            return kept
        scopes = request._kept_scopes = {SITE}  # type: ignore[attr-defined]
        try:
            response = view(request, *args, **kwargs)
        finally:
            # An error page rendered after an exception must get real values, not placeholders.
            del request._kept_scopes  # type: ignore[attr-defined]
        keepable = _keepable(request, response) and scopes <= current.keys()
        if isinstance(response, StreamingHttpResponse):
            # A file (an export) is kept if it is small enough, and then answered from memory
            # now too; a bigger one goes on streaming from storage, kept nowhere.
            size = int(response.get("Content-Length") or KEEP_MAX_BYTES + 1)
            if size > KEEP_MAX_BYTES or not keepable:
                return response
            content = b"".join(response.streaming_content)  # type: ignore[arg-type]
            # Only the file: the response's own close() would announce the end of the request
            # (request_finished closes the database connection, among others).
            if isinstance(response, FileResponse) and response.file_to_stream is not None:
                response.file_to_stream.close()
            response = HttpResponse(content, status=response.status_code, headers=response.headers)
        if not isinstance(response, HttpResponse):
            return response
        # A page gets its per-response values in every response; a file (a PDF) has none.
        page = response.get("Content-Type", "").startswith("text/html")
        body = response.content.decode(response.charset) if page else response.content
        if keepable and len(body) <= KEEP_MAX_BYTES:
            stored = {
                "versions": {scope: current[scope] for scope in scopes},
                "user": request.session.get(SESSION_KEY),
                "headers": dict(response.items()),
                "body": body,
                "audit": getattr(request, "_kept_audit", None),
            }
            _cache().set(key, stored, timeout=TIMEOUT)
        if isinstance(body, str):
            response.content = fill(request, body).encode(response.charset)
        return response

    return wrapper


# Kept in Redis for every session that asks: a bigger response is served, but not kept.
KEEP_MAX_BYTES = 1024 * 1024


def _keepable(request: HttpRequest, response: HttpResponseBase) -> bool:
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.cookies  # the view set something for this browser alone
        and user is not None
        and user.is_authenticated
        and not request.session.modified
        and not len(get_messages(request))  # shown once, so never kept
    )


def sheet_scope(token: str) -> str:
    """The version of one stakeholder's own sheet: their own writes start a new one."""
    from assessments.models import hash_token

    return f"sheet:{hash_token(token)}"


class WritesData:
    """For management commands that write (a mixin before BaseCommand): pages rendered before
    the command ran are not served after it, as after a write request."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)  # type: ignore[misc]
        finally:
            bump()


class PageVersionMiddleware:
    """Starts new data versions after every write request.

    A signed-in user's write starts a new SITE version whatever the answer (a write that
    failed half way is rare, but a stale page is worse than one needless re-render). A
    stakeholder's write through their link starts new SHEETS and sheet versions unless it was
    refused (4xx: a form error, a closed round, an unknown link, the rate limit), which writes
    nothing. Anonymous requests elsewhere (a failed login, a bot) write nothing either: they
    must not be a way to empty everyone's cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in _UNSAFE:
            return response
        if request.path_info.startswith("/s/"):
            if response.status_code < 400:
                token = request.path_info.split("/")[2]
                bump(SHEETS, *([sheet_scope(token)] if token else []))
        elif getattr(getattr(request, "user", None), "is_authenticated", False):
            bump(SITE)
        return response
