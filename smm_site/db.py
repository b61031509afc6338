"""Prepared statements, for the few writes so frequent that PostgreSQL's planning of them (and
Django's compiling) costs more than running them: autosave and the audit record of a kept
download."""

from __future__ import annotations

import weakref
from typing import Any

from django.db import connection

_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def prepare(cursor: Any, name: str, statement: str) -> None:
    """PREPARE ``name`` on this connection unless it already was (it outlives transactions,
    rolled back or not, and ends with the connection). ``statement``: what follows the name,
    "(types) AS query". Connections are kept (CONN_MAX_AGE), so this is once per connection."""
    raw = connection.connection
    done = _prepared.setdefault(raw, set())
    if name not in done:
        cursor.execute(f"PREPARE {name} {statement}")
        done.add(name)
