"""Production settings plus the benchmark's floors (bench/bench_urls.py) and one bench-only
middleware, first of all: `Server-Timing: app;dur=<ms>` on every response
(bench/server_timing.py), which the load client reads.

Used only by the harness (gunicorn and its own helper processes). The environment must supply
what production requires: SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS (run.py sets them).
"""

from smm_site.settings.production import *  # noqa: F403
from smm_site.settings.production import MIDDLEWARE

ROOT_URLCONF = "bench.bench_urls"
MIDDLEWARE = ["bench.server_timing.ServerTimingMiddleware", *MIDDLEWARE]
