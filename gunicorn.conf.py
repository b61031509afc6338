"""gunicorn settings, all overridable from the environment (gunicorn reads this file itself).

    gunicorn -c gunicorn.conf.py            # serves smm_site.wsgi:application

GUNICORN_BIND     where to listen (default 127.0.0.1:8000; a proxy sits in front)
WEB_CONCURRENCY   worker processes (default 2 x cores + 1, at most GUNICORN_MAX_WORKERS=8)
GUNICORN_THREADS  threads per worker (default 1: Django's DB connections are per thread)
GUNICORN_TIMEOUT  seconds before a silent worker is restarted (default 60: PDF rendering)
FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
GUNICORN_CONTROL_SOCKET  path for gunicornc's control socket (default: none)
"""

import os

wsgi_app = "smm_site.wsgi:application"
raw_env = [
    "DJANGO_SETTINGS_MODULE="
    + os.environ.get("DJANGO_SETTINGS_MODULE", "smm_site.settings.production")
]


def _default_workers() -> int:
    # os.sched_getaffinity respects container CPU limits where os.cpu_count() does not.
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(2 * cores + 1, int(os.environ.get("GUNICORN_MAX_WORKERS", "8")))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY") or _default_workers())
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak (e.g. in a PDF library) can never grow unbounded.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Containers often mount /tmp on an overlay filesystem; the heartbeat file is better in memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "smm"
# gunicorn 25+ opens a control socket in $HOME by default; several instances on one machine (or a
# service user without a home) would collide, so it is off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Access and error logs to stdout/stderr for systemd-journald or the container runtime.
# The access line ends with the request id that smm_site.middleware sets on every response.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
)
