"""Bench-only middleware: `Server-Timing: app;dur=<ms>` on every response.

Enabled by bench/bench_settings.py, first in MIDDLEWARE, so the time covers every other
middleware (sessions, authentication, CSRF, CSP, ...), the view and its template: the whole of
Django's handling of the request. Outside it: gunicorn reading the request, Django building the
WSGIRequest and sending request_started/request_finished, and writing the response to the
socket (a streamed body's chunks are produced after this returns; the benchmarked pages all
answer with a body already built). The load client (bench/load.py) reads the header, so the
table can show what the server spent, apart from what the client waited for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

HEADER = "Server-Timing"


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        start = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = f"app;dur={(time.perf_counter() - start) * 1000:.3f}"
        return response
