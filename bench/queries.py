"""SQL queries per request for every benchmarked page, with Django's test client and
CaptureQueriesContext against a real database; optionally EXPLAIN (ANALYZE) of each query.

There is no page cache: every request renders from the database, so a page has one count (the
request after two warming ones; the next one is counted too, and should be the same).

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
        # As the load clients (bench/load.py) and browsers send it.
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
        # Twice to warm what a process reads once (the rubric, content types, a PDF rendered
        # and stored the first time it is asked for), then two requests counted: every request
        # renders from the database, so both should be the same (a difference is reported).
        hit(0)
        hit(1)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = hit(2)
            took = time.perf_counter() - t0
        # Read now: the next request, outside a capture, empties the connection's query log.
        sql = [q["sql"] for q in ctx.captured_queries]
        sql_ms = round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 1)
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        with CaptureQueriesContext(connection) as again:
            hit(3)
        entry: dict[str, Any] = {
            "built": True,
            "path": path,
            "status": response.status_code,
            "queries": len(sql),
            "queries_again": len(again.captured_queries),
            "sql_ms": sql_ms,
            "ms_in_process": round(took * 1000, 1),
            "bytes": len(body),
            "sql": sql,
        }
        if args.explain:
            plans = []
            with connection.cursor() as cur:
                for statement in dict.fromkeys(sql):
                    verb = statement.lstrip().split(None, 1)[0].upper() if statement else ""
                    if verb not in ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE"):
                        continue  # SAVEPOINT, RELEASE, SET ...: nothing to plan
                    # EXPLAIN ANALYZE runs the statement: inside a transaction rolled back, so
                    # a write (autosave, a download's audit record, the session) leaves nothing.
                    try:
                        with transaction.atomic():
                            plans.append({"sql": statement, **explain(cur, statement, sizes)})
                            transaction.set_rollback(True)
                    except Exception as exc:  # report, keep going
                        plans.append({"sql": statement, "error": str(exc)})
            entry["explain"] = plans
        results[page.label] = entry
    Path(args.out).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
