"""Links for the rows of a long table, reversed once per table rather than once per row: a
network or a round has hundreds of rows, and reverse() per link was a visible share of a page."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.urls import reverse

_CODE = uuid.UUID(int=0)


def row_url(name: str, *, row_kwarg: str = "code", **kwargs: Any) -> str:
    """The URL of ``name`` for a row whose code is the placeholder (see ``with_links``)."""
    return reverse(name, kwargs={**kwargs, row_kwarg: _CODE})


def with_links(rows: Iterable[Any], **urls: str) -> list[Any]:
    """The rows, each with ``<key>_url`` for every ``row_url`` given: the placeholder replaced
    by the row's own ``code``."""
    listed = list(rows)
    placeholder = str(_CODE)
    for row in listed:
        for key, url in urls.items():
            setattr(row, f"{key}_url", url.replace(placeholder, str(row.code)))
    return listed
