"""Time the evaluator pack render directly (no HTTP, no worker) on the benchmark database.

    .venv/bin/python bench/pack_bench.py [--db smm_bench] [--limit N] [--out pack.pdf]
        [--chunk N]

Uses the production settings against PostgreSQL database `smm_bench` (made by bench/run.py:
300 communities), as its evaluator `bench-evaluator`. Prints the time of the data fetch (and
its SQL query count), of the whole render (wall and CPU, children included), the pages and the
size. --limit renders only the first N communities (by trimming the overview), to see how the
time grows; --chunk overrides the part size, to tune it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the pool's layout processes
    are joined before the render returns, so their time is counted)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "smm_bench"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", default="", help="write the PDF here")
    parser.add_argument("--json", default="", help="write the numbers here as JSON")
    parser.add_argument(
        "--chunk", type=int, default=0, help="communities per part (pdf.PACK_CHUNK)"
    )
    args = parser.parse_args()
    assert args.db.startswith("smm_bench"), "only the benchmark databases"
    pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "DATABASE_URL": f"{pg}/{args.db}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
            "MEDIA_ROOT": tempfile.mkdtemp(prefix="smm-pack-bench-"),
        }
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.reports import pack, pdf
    from communities.models import User

    user = User.objects.get(username="bench-evaluator")
    if args.chunk:
        pdf.PACK_CHUNK = args.chunk
    if args.limit:  # trim the overview the pack is built from
        original = pack.overview

        def limited(*a, **kw):  # type: ignore[no-untyped-def]
            data = original(*a, **kw)
            return type(data)(data.dimensions, data.lines[: args.limit], data.areas)

        pack.overview = limited  # type: ignore[assignment]

    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        data = pack.pack_data(user)
    fetch_s = time.perf_counter() - t0
    marks: list[tuple[float, int]] = []
    cpu0 = _cpu_s()
    t1 = time.perf_counter()
    rendered = pdf.evaluator_pack_pdf(
        user, progress=lambda done, total: marks.append((time.perf_counter() - t1, done))
    )
    total_s = time.perf_counter() - t1
    cpu_s = _cpu_s() - cpu0
    result = {
        "communities": rendered.communities,
        "pages": rendered.pages,
        "bytes": len(rendered.content),
        "data_fetch_s": round(fetch_s, 2),
        "data_fetch_queries": len(queries),
        "render_s": round(total_s, 2),
        "render_cpu_s": round(cpu_s, 2),
        "cpu_ms_per_page": round(1000 * cpu_s / max(1, rendered.pages)),
        "front_matter_s": round(marks[0][0], 2) if marks else None,
        "progress_marks": [(round(t, 1), n) for t, n in marks],
    }
    assert len(data.entries) == rendered.communities
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_bytes(rendered.content)
    if args.json:
        Path(args.json).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
