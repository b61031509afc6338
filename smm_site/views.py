"""Site-wide views: health check and error pages that leak nothing."""

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not healthy"; the detail stays in the logs
        return "unavailable"
    return "ok"


def _cache_state() -> str:
    """ok, unavailable, or local: no REDIS_URL, each process counts its own link rate limits."""
    cache = caches["default"]
    if isinstance(cache, LocMemCache):
        return "local"
    try:
        cache.get("healthz")
    except Exception:  # the link rate limit logs why when it falls back
        return "unavailable"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; an unreachable cache (Redis) only degrades the site."""
    database, cache = _database_state(), _cache_state()
    healthy = database == "ok" and cache != "unavailable"
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "cache": cache},
        status=200 if database == "ok" else 503,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in one of them.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
