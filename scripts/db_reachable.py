"""Exit 0 if the PostgreSQL server in the given URL accepts connections, else 1."""

import sys

import dj_database_url
import psycopg2

cfg = dj_database_url.parse(sys.argv[1])
try:
    psycopg2.connect(
        dbname="postgres",
        user=cfg.get("USER") or "postgres",
        password=cfg.get("PASSWORD") or None,
        host=cfg.get("HOST") or "127.0.0.1",
        port=cfg.get("PORT") or 5432,
        connect_timeout=3,
    ).close()
except psycopg2.OperationalError:
    sys.exit(1)
