"""The performance harness: one command, `make bench` (= .venv/bin/python bench/run.py).

There is no page cache: every page renders from the database on every request, so a page has
one SQL query count and one cost.

1. PostgreSQL database `smm_bench`: migrate, then generate 300 communities x 6 rounds x 40
   participants x 9 dimensions = 648,000 individual scores with COPY (bench/datagen.py), or reuse
   it when its row counts already match (--regenerate forces a fresh one).
2. `smm_bench_demo`: the demo data (load_demo + bench/demo_shapes.py), to compare SQL query
   counts with.
3. SQL queries per request for every page on both (Django test client + CaptureQueriesContext),
   and EXPLAIN (ANALYZE) of each query on the big data set (bench/queries.py). The counts should
   be the same on both ("flat").
4. gunicorn with production settings (bench/bench_settings.py adds the floors of
   bench/bench_urls.py and, first in MIDDLEWARE, bench/server_timing.py: a `Server-Timing:
   app;dur=<ms>` header on every response), 2 workers, on 127.0.0.1; each page at 1 and 20
   concurrent clients, bounded in requests and seconds. The client reads the header: the table
   prints the server's median time at one client beside the client's p50/p95.
   Floors: each page's p95 at 20 clients is divided by its floor's p95, the floor measured at 20
   clients right before the page (paired, so background load on a shared machine moves both):
   every signed-in page by the signed-in layout page (/bench/minimal-page-signed-in, as the
   same user), the stakeholder sheet and autosave by the anonymous layout page
   (/bench/minimal-page), the two layout pages by the minimal view (/bench/minimal).
5. 200 fresh participants submit complete sheets concurrently (9 autosaves + submit each).
6. The evaluator pack PDF as a background job: started over HTTP, rendered by a db_worker
   process, its page polled until ready, the minimal view timed meanwhile (--only-pack runs
   just this part); then bench/pdf_bench.py (the round report PDF), if it exists.

Flags: --only TEXT measures only the pages whose label contains TEXT (and the floors);
--skip-load, --skip-submit, --skip-pdf leave out steps 4, 5 and 6; --only-pack runs only the
pack; --regenerate drops and regenerates smm_bench.

7. The workshop scenario (bench/workshop.py, a database of its own): 60 phones following and
   voting while the facilitator saves agreed levels, its p95 against the signed-in layout
   page's; --skip-workshop leaves it out, --only-workshop runs only it.

Prints one table with the targets of issue 15 and writes bench/results/latest.json and
latest.md. Only 127.0.0.1 is targeted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.datagen import (  # noqa: E402
    BENCH_PASSWORD,
    FULL,
    SUBMIT_ROUND_TITLE,
    Scale,
)

PY = sys.executable
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
BIG_DB = os.environ.get("BENCH_DB", "smm_bench")
DEMO_DB = os.environ.get("BENCH_DEMO_DB", "smm_bench_demo")
PORTS = range(8201, 8300)

# Bounds for every measured load run: (max requests, max seconds).
BOUNDS = {1: (200, 4.0), 20: (2000, 7.0)}
# A page's floor (bench/targets.py) is measured again right before it at 20 clients, so a
# change in background load on a shared machine moves both sides of the ratio.
FLOOR_CLIENTS = 20
FLOOR_BOUNDS = (600, 2.5)
WORKERS = 2
SUBMISSIONS = 200
SUBMIT_SECONDS = 240.0
PDF_SECONDS = 120.0  # the evaluator pack job: start, render in db_worker, download


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def base_env(db_url: str, *, hosts: str = "127.0.0.1") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": db_url,
            "ALLOWED_HOSTS": hosts,
            "SECURE_SSL_REDIRECT": "false",
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "WARNING",
            # One client address sends everything here, so the per-address link rate limit
            # (a defence against guessing) would otherwise answer 429 within a second.
            "SMM_TOKEN_LOOKUPS_PER_MINUTE": "100000000",
            # The benchmark's users sign in with a password only: with the second step required
            # of evaluators, their pages would measure the redirect to two-factor set-up.
            "SMM_REQUIRE_2FA": "false",
            "MEDIA_ROOT": str(RESULTS / "media"),
            "PYTHONPATH": str(ROOT),
            # Production may be deployed with Redis (REDIS_URL, docs/deploy.md): it holds only
            # the link rate limit's counts, shared by the workers (sessions are in the
            # database, and no page is cached). A Redis database of its own, emptied at the
            # start of every run.
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
        }
    )
    return env


SECRET_KEY = secrets.token_urlsafe(64)


# --- databases -----------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG_URL}/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _db_exists(name: str) -> bool:
    import psycopg2

    conn = psycopg2.connect(f"{PG_URL}/postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cur.fetchone() is not None
    finally:
        conn.close()


def _recreate(name: str) -> None:
    assert name.startswith("smm_bench"), name  # never anybody else's database
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')


def prepare_big_db(scale: Scale, regenerate: bool) -> dict[str, Any]:
    """Django is set up in this process against the big database."""
    from django.core.management import call_command
    from django.db import connection

    from bench import datagen

    if regenerate or not _db_exists(BIG_DB):
        _recreate(BIG_DB)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    cleanup_submission_rounds()
    counts = datagen.actual_counts()
    expected = datagen.expected_counts(scale)
    info: dict[str, Any] = {"reused": counts == expected, "migrate_s": time.perf_counter() - t0}
    if counts != expected:
        if any(counts.values()):
            log(f"row counts {counts} differ from {expected}: regenerating")
            connection.close()
            _recreate(BIG_DB)
            call_command("migrate", verbosity=0, interactive=False)
        log(
            f"generating {scale.communities} communities x {scale.rounds} rounds x "
            f"{scale.participants} participants ({scale.individual_scores:,} scores) with COPY"
        )
        t1 = time.perf_counter()
        rows = datagen.generate(scale, log=log)
        info["generate_s"] = time.perf_counter() - t1
        info["rows"] = rows
        t2 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        info["analyze_s"] = time.perf_counter() - t2
        log(f"generated in {info['generate_s']:.1f} s (+ ANALYZE {info['analyze_s']:.1f} s)")
        counts = datagen.actual_counts()
        assert counts == expected, (counts, expected)
    else:
        log(f"reusing {BIG_DB}: row counts match {expected}")
    info["counts"] = counts
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        info["db_size"] = cur.fetchone()[0]
    return info


def _demo_stamp() -> str:
    import hashlib

    h = hashlib.sha256()
    for path in [
        *sorted(ROOT.glob("*/management/commands/load_demo.py")),
        *sorted(ROOT.glob("*/migrations/0*.py")),
        ROOT / "bench" / "demo_shapes.py",
    ]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def prepare_demo_db() -> bool:
    """migrate + load_demo + bench/demo_shapes.py, skipped when none changed since the last
    time."""
    stamp_file = RESULTS / "demo-db.stamp"
    stamp = _demo_stamp()
    if _db_exists(DEMO_DB) and stamp_file.exists() and stamp_file.read_text() == stamp:
        return False
    if not _db_exists(DEMO_DB):
        _pg_admin(f'CREATE DATABASE "{DEMO_DB}"')
    env = base_env(f"{PG_URL}/{DEMO_DB}")
    for cmd in (
        ["manage.py", "migrate", "--noinput", "-v0"],
        ["manage.py", "load_demo"],
        ["bench/demo_shapes.py"],
    ):
        subprocess.run(
            [PY, *cmd],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
    stamp_file.write_text(stamp)
    return True


def cleanup_submission_rounds() -> None:
    from assessments.models import Assessment
    from communities.models import Stakeholder

    rounds = Assessment.objects.filter(title=SUBMIT_ROUND_TITLE)
    if rounds.exists():
        rounds.delete()
    Stakeholder.objects.filter(email__endswith="@submit.bench.invalid").delete()


# --- query counts ----------------------------------------------------------------------------


def count_queries(db: str, *, demo: bool, explain: bool) -> dict[str, Any]:
    out = RESULTS / f"queries-{'demo' if demo else 'big'}.json"
    cmd = [PY, str(ROOT / "bench" / "queries.py"), "--out", str(out)]
    if demo:
        cmd.append("--demo")
    if explain:
        cmd.append("--explain")
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=base_env(f"{PG_URL}/{db}", hosts="testserver,127.0.0.1"),
        timeout=300,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        log(f"query count on {db} failed:\n{proc.stderr[-3000:]}")
        return {}
    return json.loads(out.read_text())


# --- gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8201-8299")


def collectstatic() -> bool:
    """Production static storage needs the manifest; skipped when it is newer than static/."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if manifest.exists():
        newest = max(
            (p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file()), default=0
        )
        if manifest.stat().st_mtime > newest:
            return False
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=base_env(f"{PG_URL}/{BIG_DB}"),
        check=True,
        timeout=300,
    )
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started in a session of its own, and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # our own process group only
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(port: int, db: str = ""):  # type: ignore[no-untyped-def]
    env = base_env(f"{PG_URL}/{db or BIG_DB}")
    env.update(
        {
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "1",
            # No recycling mid-measurement (production recycles every ~2000 requests).
            "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_LOG_LEVEL": "warning",
        }
    )
    logfile = (RESULTS / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {RESULTS / 'gunicorn.log'}")
            try:
                c = load.Client(port, timeout=5)
                status, _ = c.request("GET", "/bench/minimal")
                c.close()
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield proc
    finally:
        _stop(proc)
        logfile.close()


# --- measuring pages ---------------------------------------------------------------------


def login_all(port: int, who: Any) -> dict[str, dict[str, str]]:
    sessions: dict[str, dict[str, str]] = {}
    for role, username in (("facilitator", who.facilitator), ("evaluator", who.evaluator)):
        c = load.Client(port)
        if not c.login(username, BENCH_PASSWORD):
            raise SystemExit(f"could not log in as {username} over HTTP")
        sessions[role] = dict(c.cookies)
        c.close()
    return sessions


def _load(
    port: int,
    page: Any,
    cookies: dict[str, str] | None,
    clients: int,
    max_requests: int,
    max_seconds: float,
    warmup: int = 0,
) -> load.Result:
    """`clients` clients on one page, each with the given session cookies (or none)."""

    def setup(c: load.Client, i: int) -> None:
        if cookies:
            c.cookies.update(cookies)
        if page.prime:
            c.request("GET", page.prime[i % len(page.prime)])

    def step(c: load.Client, i: int, n: int) -> tuple[int, bytes]:
        path = page.paths[i % len(page.paths)]
        headers = {"HX-Request": "true"} if page.htmx else {}
        if page.method == "POST":
            return c.request("POST", path, form=page.forms[n % len(page.forms)], headers=headers)
        return c.request("GET", path, headers=headers)

    return load.run(
        port=port,
        clients=clients,
        step=step,
        ok=page.ok,
        max_requests=max_requests,
        max_seconds=max_seconds,
        setup=setup,
        warmup=warmup,
    )


def _level(res: load.Result) -> dict[str, Any]:
    server = res.server_p50_ms
    return {
        "n": res.count,
        "p50_ms": round(res.p50 * 1000, 2),
        "p95_ms": round(res.p95 * 1000, 2),
        "server_p50_ms": round(server, 2) if server is not None else None,
        "server_n": len(res.server_ms),
        "rps": round(res.rps, 1),
        "errors": res.errors,
        "error_samples": res.error_samples,
    }


def measure_pages(
    port: int, pages: list[Any], sessions: dict[str, dict[str, str]], clients_levels: list[int]
) -> list[dict]:
    """One row per page: its figures at each client count (row["c1"], row["c20"]) and, at 20
    clients, its floor's p95 measured right before it with the same user's session."""
    by_label = {page.label: page for page in pages}
    rows = []
    for page in pages:
        if not page.built:
            log(f"{page.label}: {page.missing}")
            rows.append({"label": page.label, "built": False, "missing": page.missing})
            continue
        row: dict[str, Any] = {
            "label": page.label,
            "built": True,
            "path": page.paths[0],
            "floor": page.floor,
            "is_floor": page.is_floor,
            "server_target_ms": page.server_target_ms,
            "ratio_target": page.ratio_target,
        }
        cookies = sessions.get(page.who)
        single_p50 = None
        for clients in clients_levels:
            max_requests, max_seconds = BOUNDS[clients]
            if clients > 1 and single_p50:
                # A slow page: enough requests for about max_seconds of server time, but at
                # least one per client (queued requests still finish; none is cut off).
                affordable = int(max_seconds * WORKERS / single_p50)
                max_requests = max(clients, min(max_requests, affordable))
            floor = by_label.get(page.floor) if page.floor else None
            floor_res = None
            if clients == FLOOR_CLIENTS and floor is not None and floor.built:
                # The signed-in layout as this page's own user (the menu differs by role); the
                # anonymous floors with no session.
                floor_cookies = cookies if floor.who != "anonymous" else None
                floor_res = _load(port, floor, floor_cookies, clients, *FLOOR_BOUNDS)
            res = _load(
                port,
                page,
                cookies,
                clients,
                max_requests,
                max_seconds,
                warmup=2 if clients == 1 else 0,
            )
            if clients == 1 and res.latencies:
                single_p50 = res.p50
            level = _level(res)
            if floor_res is not None:
                level["floor_p95_ms"] = round(floor_res.p95 * 1000, 2)
                level["floor_p50_ms"] = round(floor_res.p50 * 1000, 2)
                level["floor_n"] = floor_res.count
                level["floor_errors"] = floor_res.errors
                level["ratio"] = round(res.p95 / floor_res.p95, 2) if floor_res.latencies else None
            row[f"c{clients}"] = level
            server = level["server_p50_ms"]
            log(
                f"{page.label:40} c={clients:<3} n={level['n']:<5} p50={level['p50_ms']:7.1f} ms "
                f"p95={level['p95_ms']:7.1f} ms server p50="
                f"{'–' if server is None else f'{server:.1f}'} ms {level['rps']:7.1f} req/s "
                f"errors={res.errors}"
                + (
                    f" | floor p95={level['floor_p95_ms']:.1f} ms ratio={level['ratio']}×"
                    if "floor_p95_ms" in level
                    else ""
                )
            )
            if res.error_samples:
                log(f"   errors: {res.error_samples[:2]}")
        rows.append(row)
    return rows


# --- 200 concurrent sheet submissions ----------------------------------------------------------


def make_submitters(n: int) -> tuple[list[str], list[int], int]:
    """A new collecting round with n fresh participants; returns their tokens, ids, round id."""
    from django.db import transaction
    from django.utils import timezone

    from assessments.models import Assessment, Participant, Rubric, hash_token, new_token
    from communities.models import Community, Stakeholder

    with transaction.atomic():
        community = Community.objects.filter(slug__startswith="bench-").order_by("slug").first()
        assert community is not None
        focal = community.focal_issues.get(status="current")
        rnd = Assessment.objects.create(
            community=community,
            focal_issue=focal,
            rubric=Rubric.current(),
            title=SUBMIT_ROUND_TITLE,
            kind="review",
            status="collecting",
            collection_opened_at=timezone.now(),
        )
        people = Stakeholder.objects.bulk_create(
            Stakeholder(
                community=community,
                name=f"Submitter {i}",
                email=f"submitter{i}@submit.bench.invalid",
                sector="vcs",
            )
            for i in range(n)
        )
        tokens = [new_token() for _ in range(n)]
        parts = Participant.objects.bulk_create(
            Participant(
                assessment=rnd,
                stakeholder=s,
                sector=s.sector,
                token_hash=hash_token(t),
                invited_at=timezone.now(),
            )
            for s, t in zip(people, tokens, strict=True)
        )
    return tokens, [p.pk for p in parts], rnd.pk


def submit_sheets(port: int, n: int) -> dict[str, Any]:
    from django.urls import reverse

    from assessments.models import Dimension, IndividualScore, Participant

    tokens, ids, round_id = make_submitters(n)
    dims = list(Dimension.objects.filter(rubric__is_current=True).order_by("number"))
    errors: list[str] = []
    requests = 0
    sheet_times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n, timeout=60)
    deadline = time.monotonic() + SUBMIT_SECONDS

    def one(i: int) -> None:
        nonlocal requests
        token = tokens[i]
        c = load.Client(port, timeout=120)
        made = 0
        try:
            barrier.wait()
            t0 = time.perf_counter()
            steps: list[tuple[str, str, dict[str, str] | None, tuple[int, ...]]] = [
                ("GET", reverse("assessments:sheet", kwargs={"token": token}), None, (200,))
            ]
            for k, d in enumerate(dims):
                form = {
                    "dimension": str(d.pk),
                    "level": "not-sure" if (i + k) % 17 == 0 else str(1 + (i + k) % 5),
                    "reason": f"Submitter {i} on {d.name}: for example, the shared referral pilot.",
                }
                steps.append(
                    (
                        "POST",
                        reverse("assessments:sheet_save", kwargs={"token": token}),
                        form,
                        (200,),
                    )
                )
            steps.append(
                ("POST", reverse("assessments:sheet_submit", kwargs={"token": token}), {}, (303,))
            )
            for method, path, form, ok in steps:
                if time.monotonic() > deadline:
                    raise TimeoutError("submission run deadline passed")
                headers = {"HX-Request": "true"} if method == "POST" and form else {}
                status, _body = c.request(method, path, form=form, headers=headers)
                made += 1
                if status not in ok:
                    raise RuntimeError(f"{method} {path.split('/')[-2] or 'sheet'} -> {status}")
            with lock:
                sheet_times.append(time.perf_counter() - t0)
        except Exception as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            with lock:
                requests += made
            c.close()

    log(f"{n} participants each load their sheet, autosave 9 dimensions and submit, all at once")
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SUBMIT_SECONDS + 60)
    elapsed = time.perf_counter() - t0
    scores = IndividualScore.objects.filter(participant_id__in=ids)
    answered = scores.exclude(level__isnull=True, not_sure=False).count()
    result = {
        "sheets": n,
        "requests": requests,
        "errors": len(errors),
        "error_samples": errors[:5],
        "elapsed_s": elapsed,
        "scores_in_db": scores.count(),
        "answered_in_db": answered,
        "submitted_in_db": Participant.objects.filter(
            pk__in=ids, submitted_at__isnull=False
        ).count(),
        "expected_scores": n * len(dims),
        "sheet_p50_s": sorted(sheet_times)[len(sheet_times) // 2] if sheet_times else None,
        "sheet_max_s": max(sheet_times) if sheet_times else None,
        "round_id": round_id,
    }
    cleanup_submission_rounds()
    return result


# --- the PDF evaluator pack ----------------------------------------------------------------


def pdf_pack() -> dict[str, Any]:
    script = ROOT / "bench" / "pdf_bench.py"
    if not script.exists():
        return {"built": False, "note": "bench/pdf_bench.py not yet built (reports work)"}
    out = RESULTS / "pdf_bench.json"
    env = base_env(f"{PG_URL}/{BIG_DB}", hosts="testserver,127.0.0.1")
    env["BENCH_RESULT_JSON"] = str(out)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [PY, str(script)], cwd=ROOT, env=env, timeout=240, capture_output=True, text=True
        )
    except subprocess.TimeoutExpired:
        return {"built": True, "ok": False, "note": "timed out after 240 s"}
    took = time.perf_counter() - t0
    result: dict[str, Any] = {
        "built": True,
        "ok": proc.returncode == 0,
        "wall_s": took,
        "stdout": proc.stdout[-2000:],
        "stderr": proc.stderr[-2000:] if proc.returncode else "",
    }
    if out.exists():
        with contextlib.suppress(ValueError):
            result["report"] = json.loads(out.read_text())
    return result


@contextlib.contextmanager
def db_worker():  # type: ignore[no-untyped-def]
    """`manage.py db_worker` with the same settings and database as gunicorn, as production
    runs it (docs/deploy.md): the pack job is rendered here, not in a web worker."""
    env = base_env(f"{PG_URL}/{BIG_DB}")
    logfile = (RESULTS / "db_worker.log").open("w")
    proc = subprocess.Popen(
        [PY, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        _stop(proc)
        logfile.close()


def pack_over_http(port: int, evaluator: dict[str, str]) -> dict[str, Any]:
    """The evaluator pack as an evaluator gets it: POST to start the job (all 300 communities),
    a db_worker process renders it, the job page is polled (its htmx partial, every second)
    until it is ready, and the PDF is downloaded. Meanwhile one client times the minimal view,
    to show that the web workers stay free while the pack renders."""
    import re

    from django.urls import reverse

    from assessments.models import ReportJob
    from communities.models import User

    user = User.objects.get(username="bench-evaluator")
    # A job left queued or running by an interrupted earlier run would be reused: end it.
    ReportJob.objects.filter(requested_by=user).active().update(
        status=ReportJob.Status.FAILED, error="left by an earlier benchmark run"
    )
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def follow() -> None:
        c = load.Client(port, timeout=30)
        c.cookies.update(evaluator)
        t0 = time.perf_counter()
        try:
            status, _body = c.request("POST", reverse("assessments:pack_start"), form={})
            job = ReportJob.objects.filter(requested_by=user).order_by("-pk").first()
            if status != 302 or job is None:
                raise RuntimeError(f"starting the pack answered {status}")
            outcome["start_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            page = reverse("assessments:pack_job", kwargs={"code": job.code})
            polls, percents = 0, []
            while time.perf_counter() - t0 < PDF_SECONDS:
                time.sleep(1.0)
                status, body = c.request("GET", page, headers={"HX-Request": "true"})
                polls += 1
                if status != 200:
                    raise RuntimeError(f"job page answered {status}")
                text = body.decode()
                if m := re.search(r'value="(\d+)"', text):
                    percents.append(int(m.group(1)))
                if "could not be made" in text or "The pack is ready" in text:
                    break
            outcome["seconds"] = time.perf_counter() - t0
            outcome.update(polls=polls, progress_seen=sorted(set(percents)))
            status, pdf_bytes = c.request(
                "GET", reverse("assessments:pack_download", kwargs={"code": job.code})
            )
            job.refresh_from_db()
            outcome.update(
                status=job.status,
                pages=job.pages,
                bytes=len(pdf_bytes),
                pdf=status == 200 and pdf_bytes[:5] == b"%PDF-",
                render_s=round((job.finished_at - job.started_at).total_seconds(), 1)
                if job.finished_at and job.started_at
                else None,
                queued_s=round((job.started_at - job.created_at).total_seconds(), 1)
                if job.started_at
                else None,
                error=job.error,
            )
        except Exception as exc:
            outcome.update(status=None, error=f"{type(exc).__name__}: {exc}")
            outcome.setdefault("seconds", time.perf_counter() - t0)
        finally:
            c.close()
            done.set()

    log(
        f"evaluator pack: POST to start, db_worker renders, polled (bounded to {PDF_SECONDS:.0f} s)"
    )
    samples: list[float] = []
    cpu_s: float | None = None
    with db_worker() as worker:
        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        time.sleep(0.2)
        # One client, ten requests a second: enough samples for a p95, without itself taking a
        # core from the render the way a tight loop would on a two-core machine.
        side = load.Client(port, timeout=30)
        deadline = time.monotonic() + PDF_SECONDS + 30
        while not done.is_set() and time.monotonic() < deadline:
            t0 = time.perf_counter()
            with contextlib.suppress(OSError):
                status, _body = side.request("GET", "/bench/minimal")
                if status == 200:
                    samples.append(time.perf_counter() - t0)
            time.sleep(max(0.0, 0.1 - (time.perf_counter() - t0)))
        side.close()
        thread.join(timeout=10)
        cpu_s = _cpu_seconds(worker.pid)
    samples.sort()
    ok = outcome.get("status") == ReportJob.Status.DONE and outcome.get("pdf", False)
    return {
        "built": True,
        "ok": ok,
        "via": "POST over HTTP, rendered by a db_worker process, job page polled",
        "wall_s": outcome.get("seconds", PDF_SECONDS),
        "report": {
            **{k: v for k, v in outcome.items() if k != "seconds"},
            "minimal_view_while_rendering_p95_ms": round(
                samples[max(0, int(len(samples) * 0.95) - 1)] * 1000, 1
            )
            if samples
            else None,
            "minimal_view_requests_while_rendering": len(samples),
            # CPU time of the worker and its layout processes: what the render costs whatever
            # else the machine is doing (wall time on a shared machine depends on that).
            "worker_cpu_s": cpu_s,
        },
    }


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and its finished children (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return round(ticks / os.sysconf("SC_CLK_TCK"), 1)


# --- output ----------------------------------------------------------------------------------

FLOOR_NAMES = {
    "minimal Django view": "minimal view",
    "layout only (base.html, no SQL)": "layout",
    "layout only, signed in (session + user)": "layout signed in",
}


def _counts(entry: dict) -> str:
    """Queries of one request (two consecutive requests are counted; both shown if they
    differ)."""
    if not entry.get("built") or "queries" not in entry:
        return "–"
    q, again = entry["queries"], entry.get("queries_again", entry["queries"])
    return f"{q}" if q == again else f"{q}/{again}"


def _flat(label: str, big_q: dict, demo_q: dict) -> bool | None:
    big, demo = big_q.get(label, {}), demo_q.get(label, {})
    if "queries" not in big or "queries" not in demo:
        return None
    return _counts(big) == _counts(demo)


def _fmt(value: float | None, width: int, digits: int = 1) -> str:
    return f"{'–':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def misses(row: dict, big_q: dict, demo_q: dict) -> list[str]:
    """What this page misses of issue 15's targets ([] = every target met)."""
    out = []
    server = row.get("c1", {}).get("server_p50_ms")
    if row.get("server_target_ms") is not None:
        if server is None:
            out.append("no server time")
        elif server > row["server_target_ms"]:
            out.append(f"server {server:.1f} > {row['server_target_ms']:.0f} ms")
    ratio = row.get(f"c{FLOOR_CLIENTS}", {}).get("ratio")
    if row.get("ratio_target") is not None:
        if ratio is None:
            out.append("no ratio")
        elif ratio > row["ratio_target"]:
            out.append(f"{ratio:.1f}× > {row['ratio_target']:.0f}×")
    if _flat(row["label"], big_q, demo_q) is False:
        out.append("SQL not flat")
    return out


def table(rows: list[dict], big_q: dict, demo_q: dict) -> str:
    head = (
        f"| {'page':40} | {'floor':16} | server p50 @1 | p50 @1 | p95 @1 | p50 @20 | p95 @20 "
        f"| req/s @20 | errors | floor p95 @20 | p95 ÷ floor | SQL 300 comm. | SQL demo "
        f"| issue 15 targets |"
    )
    widths = [len(c) - 2 for c in head.split("|")[1:-1]]
    lines = [head, "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        label = r["label"]
        bqs, dqs = _counts(big_q.get(label, {})), _counts(demo_q.get(label, {}))
        if not r.get("built"):
            cells = [label, "", "", "", "", "", "", "", "", "", "", bqs, dqs, r["missing"]]
        else:
            one, many = r.get("c1", {}), r.get(f"c{FLOOR_CLIENTS}", {})
            ratio = many.get("ratio")
            errors = one.get("errors", 0) + many.get("errors", 0)
            if r.get("is_floor"):
                verdict = "(floor)"
            else:
                verdict = "; ".join(misses(r, big_q, demo_q)) or "met"
            cells = [
                label,
                FLOOR_NAMES.get(r.get("floor", ""), "–"),
                _fmt(one.get("server_p50_ms"), 0, 2),
                _fmt(one.get("p50_ms"), 0),
                _fmt(one.get("p95_ms"), 0),
                _fmt(many.get("p50_ms"), 0),
                _fmt(many.get("p95_ms"), 0),
                _fmt(many.get("rps"), 0),
                str(errors),
                _fmt(many.get("floor_p95_ms"), 0),
                "–" if ratio is None else f"{ratio:.2f}×",
                bqs,
                dqs,
                verdict,
            ]
        lines.append(
            "| "
            + " | ".join(
                f"{c:{w}}" if i in (0, 1, 13) else f"{c.strip():>{w}}"
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )
    return "\n".join(lines)


def submit_ok(submit: dict) -> bool:
    return (
        submit["errors"] == 0
        and submit["scores_in_db"] == submit["expected_scores"]
        and submit["submitted_in_db"] == submit["sheets"]
    )


def targets_report(rows: list[dict], big_q: dict, demo_q: dict, submit: dict) -> str:
    """Issue 15's targets, each met or not, with the pages that miss it."""
    pages = [r for r in rows if r.get("built") and not r.get("is_floor")]
    lines = []

    def line(target: str, misses_: list[str], measured: bool = True) -> None:
        if not measured:
            verdict = "not measured in this run"
        else:
            verdict = "**met**" if not misses_ else "**not met**: " + "; ".join(misses_)
        lines.append(f"- {target}: {verdict}")

    measured = bool(pages)
    server_miss = []
    for r in pages:
        server = r.get("c1", {}).get("server_p50_ms")
        if server is None or server > r["server_target_ms"]:
            server_miss.append(f"{r['label']} {_fmt(server, 0)} ms")
    line(
        "every page ≤ 10 ms median server time at one client (overview and CSV export ≤ 25 ms)",
        server_miss,
        measured,
    )
    ratio_miss = []
    autosave_miss = []
    for r in pages:
        ratio = r.get(f"c{FLOOR_CLIENTS}", {}).get("ratio")
        text = f"{r['label']} {'–' if ratio is None else f'{ratio:.2f}'}×"
        if ratio is None or ratio > r["ratio_target"]:
            (autosave_miss if r["ratio_target"] < 3 else ratio_miss).append(text)
    line(
        "every page's p95 at 20 clients ≤ 3× its floor's p95 (signed-in pages: the signed-in "
        "layout page; the stakeholder sheet: the anonymous layout page)",
        ratio_miss,
        measured,
    )
    line("autosave's p95 at 20 clients ≤ 2× the anonymous layout page's", autosave_miss, measured)
    if submit:
        line(
            "200 concurrent complete sheets, 0 errors, nothing lost",
            []
            if submit_ok(submit)
            else [
                f"{submit['errors']} errors, {submit['scores_in_db']} of "
                f"{submit['expected_scores']} scores, {submit['submitted_in_db']} of "
                f"{submit['sheets']} submitted"
            ],
        )
    else:
        line("200 concurrent complete sheets, 0 errors, nothing lost", [], False)
    labels = [label for label, e in big_q.items() if e.get("built")]
    flat_miss = [
        f"{label} {_counts(big_q[label])} vs {_counts(demo_q.get(label, {}))}"
        for label in labels
        if _flat(label, big_q, demo_q) is not True
    ]
    line("query counts flat (the same on both data sets)", flat_miss, bool(labels))
    return "\n".join(lines)


def seq_scan_report(big_q: dict) -> str:
    lines = []
    for label, entry in big_q.items():
        for plan in entry.get("explain", []):
            for scan in plan.get("seq_scans", []):
                read, kept = scan["rows_scanned"], scan["rows_kept"]
                verdict = (
                    "reads (nearly) every row: an index would not help"
                    if read and kept / read > 0.3
                    else "SELECTIVE: needs an index"
                )
                lines.append(
                    f"- {label}: Seq Scan on {scan['table']} ({read:,} rows read, {kept:,} kept, "
                    f"{scan['ms']} ms; whole query {plan['ms']} ms) → {verdict}; "
                    f"filter: {(scan['filter'] or '(none)')[:90]}"
                )
    return "\n".join(lines) or "- none"


def cost_table(big_q: dict, demo_q: dict) -> str:
    """One request in process (test client): where the time goes."""
    head = f"| {'page':40} | in-process ms | SQL ms | SQL queries 300 comm. · demo | response KB |"
    lines = [head, "|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|"]
    for label, e in big_q.items():
        if not e.get("built") or "queries" not in e:
            continue
        d = demo_q.get(label, {})
        same = "same" if _flat(label, big_q, demo_q) else "DIFFERS"
        counts = f"{_counts(e)} · {_counts(d)} ({same})"
        lines.append(
            f"| {label:40} | {e['ms_in_process']:13.1f} | {e.get('sql_ms', 0):6.1f} "
            f"| {counts:28} | {e['bytes'] / 1024:11.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--regenerate", action="store_true", help="drop and regenerate smm_bench")
    parser.add_argument("--communities", type=int, default=FULL.communities, help=argparse.SUPPRESS)
    parser.add_argument("--skip-submit", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument(
        "--skip-workshop", action="store_true", help="leave out the workshop scenario (step 7)"
    )
    parser.add_argument(
        "--only-workshop",
        action="store_true",
        help="only the workshop scenario (= python -m bench.workshop)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="measure only pages whose label contains this (and the floors they are paired with)",
    )
    parser.add_argument(
        "--only-pack",
        action="store_true",
        help="only the evaluator pack job (no query counts, page load, submissions, pdf_bench)",
    )
    args = parser.parse_args()
    if args.only_workshop:
        from bench import workshop

        workshop.main()
    if args.only_pack:
        args.skip_load = args.skip_submit = True
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    scale = Scale(communities=args.communities)

    os.environ.update(base_env(f"{PG_URL}/{BIG_DB}", hosts="testserver,127.0.0.1"))
    import django

    django.setup()
    from django.core.cache import caches
    from django.db import connection

    from bench import targets

    # Redis (or this process's memory) holds only the link rate limit's counts: an earlier
    # run's must not count against this one.
    caches["default"].clear()
    load_at_start = os.getloadavg()[0]

    info = prepare_big_db(scale, args.regenerate)
    if not args.only_pack and prepare_demo_db():
        log("demo database for comparison: migrated and loaded (load_demo)")
    if collectstatic():
        log("collected static files (the production storage needs their manifest)")
    big_q: dict[str, Any] = {}
    demo_q: dict[str, Any] = {}
    if not args.only_pack:
        log("SQL queries per request: large data set (with EXPLAIN ANALYZE), then demo data")
        big_q = count_queries(BIG_DB, demo=False, explain=True)
        demo_q = count_queries(DEMO_DB, demo=True, explain=False)

    who, pages = targets.build(demo=False)
    if args.only:
        pages = [p for p in pages if p.is_floor or args.only in p.label]
    connection.close()
    rows: list[dict] = []
    submit: dict[str, Any] = {}
    pack: dict[str, Any] = {}
    port = free_port()
    log(f"gunicorn (production settings, 2 sync workers) on 127.0.0.1:{port}")
    with gunicorn(port):
        sessions = login_all(port, who)
        if not args.skip_load:
            rows = measure_pages(port, pages, sessions, [1, 20])
        if not args.skip_submit:
            submit = submit_sheets(port, SUBMISSIONS)
        if not args.skip_pdf:
            pack = pack_over_http(port, sessions["evaluator"])
    pdf: dict[str, Any] = {}
    if not args.skip_pdf and not args.only_pack:
        log("bench/pdf_bench.py (the reports work's own PDF benchmark)")
        pdf = pdf_pack()

    total = time.perf_counter() - started
    text = [
        f"smm benchmark, {dt.datetime.now().isoformat(timespec='minutes')}, "
        f"{os.cpu_count()} cores (load average {load_at_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end), "
        f"Python {platform.python_version()}, "
        f"database {info['db_size']} ({'reused' if info['reused'] else 'generated'})",
        f"data: {json.dumps(info['counts'])}",
        "",
        "Times in ms. server p50 @1: the median of the server's own time (Server-Timing) at one "
        "client; p50/p95: what the clients waited, at 1 and 20 clients; floor p95 @20: the "
        "page's floor measured at 20 clients right before it (paired); SQL: queries of one "
        "request on each data set.",
        "",
        table(rows, big_q, demo_q),
        "",
        "Against issue 15's targets:",
        targets_report(rows, big_q, demo_q, submit),
        "",
    ]
    if submit:
        ok = submit_ok(submit)
        text.append(
            f"{submit['sheets']} concurrent complete sheets ({submit['requests']} requests) in "
            f"{submit['elapsed_s']:.1f} s: {submit['errors']} errors, "
            f"{submit['scores_in_db']} of {submit['expected_scores']} scores in the database "
            f"({submit['answered_in_db']} answered), {submit['submitted_in_db']} submitted; "
            f"per sheet p50 {submit['sheet_p50_s'] or 0:.1f} s, max {submit['sheet_max_s'] or 0:.1f} s "
            f"→ {'PASS' if ok else 'FAIL'}"
        )
        if submit["error_samples"]:
            text.append(f"  error samples: {submit['error_samples']}")
    if pack.get("built"):
        text.append(
            f"evaluator pack PDF, all {info['counts']['communities']} communities, "
            f"{pack['via']}: {'ok' if pack.get('ok') else 'FAILED'} after {pack['wall_s']:.1f} s "
            f"(target < 30 s); {json.dumps(pack['report'])}"
        )
    elif pack:
        text.append(f"evaluator pack PDF: {pack.get('note')}")
    if pdf.get("built"):
        text.append(
            f"bench/pdf_bench.py: {'ok' if pdf.get('ok') else 'FAILED'} in {pdf.get('wall_s', 0):.1f} s"
        )
        if pdf.get("report"):
            text.append(f"  {json.dumps(pdf['report'])[:600]}")
        elif pdf.get("stdout"):
            text.append("  " + pdf["stdout"].strip().replace("\n", "\n  ")[-800:])
        if pdf.get("stderr"):
            text.append("  stderr: " + pdf["stderr"][-600:])
    elif pdf:
        text.append(f"bench/pdf_bench.py: {pdf.get('note')}")
    text += [
        "",
        "One request in process (Django test client, same database):",
        cost_table(big_q, demo_q),
        "",
        "Sequential scans on big tables (EXPLAIN ANALYZE, 300 communities):",
        seq_scan_report(big_q),
    ]
    text.append(f"\nwhole run: {total:.0f} s")
    report = "\n".join(text)
    print("\n" + report, flush=True)
    (RESULTS / "latest.md").write_text(report + "\n")
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {
                "info": info,
                "rows": rows,
                "queries_big": big_q,
                "queries_demo": demo_q,
                "submit": submit,
                "pdf": pdf,
                "pack": pack,
                "total_s": total,
            },
            indent=1,
            default=str,
        )
    )
    if not (args.skip_workshop or args.only_pack or args.only):
        # Last: it has a database of its own (bench/workshop.py) and points Django at it.
        from bench import workshop

        log("the workshop scenario (bench/workshop.py)")
        figures = workshop.run_workshop()
        (RESULTS / "workshop.json").write_text(json.dumps(figures, indent=1, default=str))
        with (RESULTS / "latest.md").open("a") as out:
            out.write(workshop.report(figures) + "\n")


if __name__ == "__main__":
    main()
