"""SQL queries per request for every benchmarked page, with Django's test client and
CaptureQueriesContext against a real database; optionally EXPLAIN (ANALYZE) of each query.

    DATABASE_URL=... DJANGO_SETTINGS_MODULE=bench.bench_settings \\
        python bench/queries.py --out result.json [--demo] [--explain]

Run by bench/run.py in a subprocess, once for the big data set and once for the demo data.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Tables big enough at national scale that a sequential scan on them is a finding.
BIG_TABLE_ROWS = 5_000


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("Plans", []):
        out.extend(_walk(child))
    return out


def explain(cursor: Any, sql: str, sizes: dict[str, int]) -> dict[str, Any]:
    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
    plan = cursor.fetchone()[0][0]
    scans = []
    for node in _walk(plan["Plan"]):
        if node.get("Node Type") == "Seq Scan":
            table = node.get("Relation Name", "")
            if sizes.get(table, 0) >= BIG_TABLE_ROWS:
                scanned = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * (
                    node.get("Actual Loops", 1)
                )
                scans.append(
                    {
                        "table": table,
                        "filter": node.get("Filter", ""),
                        "rows_scanned": scanned,
                        "rows_kept": node.get("Actual Rows", 0) * node.get("Actual Loops", 1),
                        "ms": round(node.get("Actual Total Time", 0.0), 2),
                    }
                )
    nodes = [
        " ".join(
            str(x)
            for x in (
                node.get("Node Type"),
                node.get("Relation Name", ""),
                node.get("Index Name", ""),
                f"rows={node.get('Actual Rows', 0) * node.get('Actual Loops', 1)}",
            )
            if x
        )
        for node in _walk(plan["Plan"])
        if "Scan" in node.get("Node Type", "") or node.get("Node Type") == "Sort"
    ]
    return {"ms": round(plan.get("Execution Time", 0.0), 2), "seq_scans": scans, "plan": nodes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from bench import targets
    from communities.models import User
    from smm_site import page_cache

    setup_test_environment()
    who, pages = targets.build(demo=args.demo)
    users = {
        "facilitator": User.objects.get(username=who.facilitator),
        "evaluator": User.objects.get(username=who.evaluator),
    }
    sizes: dict[str, int] = {}
    if args.explain:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT relname, reltuples::bigint FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
            sizes = dict(cur.fetchall())

    results: dict[str, Any] = {}
    for page in pages:
        if not page.built:
            results[page.label] = {"built": False, "missing": page.missing}
            continue
        client = Client()
        if page.who in users:
            client.force_login(users[page.who])
        path = page.paths[0]
        # As the load clients (bench/load.py) and browsers send it: an export then comes as its
        # gzip copy, which is small enough to be kept whole (a bigger plain one streams).
        extra = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
        if page.htmx:
            extra["HTTP_HX_REQUEST"] = "true"

        def hit(
            n: int, client: Client = client, path: str = path, extra: Any = extra, page: Any = page
        ) -> Any:
            if page.method == "POST":
                return client.post(path, page.forms[n % len(page.forms)], **extra)
            return client.get(path, **extra)

        if page.prime:
            client.get(page.prime[0])
        hit(0)  # warm caches (rubric, content types, a cached PDF) before counting
        # Cold: as after any write, every cached part (smm_site/page_cache.py) is rendered again.
        page_cache.bump()
        with CaptureQueriesContext(connection) as cold:
            hit(1)
        # Read now: the next request, outside a capture, empties the connection's query log.
        cold_sql = [q["sql"] for q in cold.captured_queries]
        # Twice more before counting: what the first requests after a write do once is not
        # what every request costs (an export's compressed copy is written by the first and
        # kept whole by the next; a kept download prepares its INSERT once per connection,
        # smm_site/db.py).
        hit(2)
        hit(3)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = hit(4)
            took = time.perf_counter() - t0
        entry: dict[str, Any] = {
            "built": True,
            "path": path,
            "status": response.status_code,
            "queries_cold": len(cold_sql),
            "queries": len(ctx.captured_queries),
            "sql_ms": round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 1),
            "ms_in_process": round(took * 1000, 1),
            "bytes": len(getattr(response, "content", b"") or b"")
            if not getattr(response, "streaming", False)
            else sum(len(c) for c in response.streaming_content),
            "sql": [q["sql"] for q in ctx.captured_queries],
            "sql_cold": cold_sql,
        }
        if args.explain:
            plans = []
            with connection.cursor() as cur:
                # Both paths: what a page asks after a write and what it asks when cached.
                for sql in dict.fromkeys([*entry["sql_cold"], *entry["sql"]]):
                    # A prepared write (autosave, a kept download's audit record) is explained
                    # as run, inside a savepoint rolled back (EXPLAIN ANALYZE executes it).
                    prepared = sql.partition("; ")[2] if "EXECUTE smm_" in sql else ""
                    if prepared.startswith("EXECUTE "):
                        try:
                            with transaction.atomic():
                                plans.append({"sql": sql, **explain(cur, prepared, sizes)})
                                transaction.set_rollback(True)
                        except Exception as exc:  # report, keep going
                            plans.append({"sql": sql, "error": str(exc)})
                    elif sql.lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in sql:
                        try:
                            plans.append({"sql": sql, **explain(cur, sql, sizes)})
                        except Exception as exc:  # report, keep going
                            plans.append({"sql": sql, "error": str(exc)})
            entry["explain"] = plans
        results[page.label] = entry
    Path(args.out).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
