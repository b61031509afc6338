"""Production settings plus one tiny view for the benchmark's baseline (bench/bench_urls.py).

Used only by the harness (gunicorn and its own helper processes). The environment must supply
what production requires: SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS (run.py sets them).
"""

from smm_site.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
