"""Lay out several HTML documents to PDF at once, in child processes, and join the results.

WeasyPrint is pure Python and single-threaded: one process lays out about twelve of the pack's
A4 pages a second here, so a 300-page pack takes about 26 s in one process. The pack's pages
are independent, so its chunks go to a small pool of processes, one per core. The children run at a
lower CPU priority (nice) so that web requests on the same host still come first.

No Django in this module: the children are started fresh ("spawn") and import only this, and
they get finished HTML, so they never touch the database.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache

CHILD_NICENESS = 10


@dataclass(frozen=True)
class Part:
    html: str
    first_page: int = 1  # the number printed on its first page
    roman: bool = False  # front matter: i, ii, iii…


@dataclass(frozen=True)
class Rendered:
    content: bytes
    pages: int


@cache
def _stylesheet(path: str) -> object:
    from weasyprint import CSS

    return CSS(filename=path)


def render_part(part: Part, stylesheet: str, base_url: str) -> Rendered:
    from weasyprint import CSS, HTML

    sheets = [_stylesheet(stylesheet)]
    if part.first_page != 1:
        sheets.append(CSS(string=f"@page :first {{ counter-reset: page {part.first_page} }}"))
    if part.roman:
        sheets.append(CSS(string="@page { @bottom-right { content: counter(page, lower-roman) } }"))
    document = HTML(string=part.html, base_url=base_url).render(stylesheets=sheets)
    return Rendered(content=document.write_pdf(), pages=len(document.pages))


def _lower_priority() -> None:
    # Where lowering is not allowed the children simply run at normal priority.
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)


def _warm(stylesheet: str) -> None:
    """Import WeasyPrint and parse the stylesheets, so the first part does not wait for them."""
    _stylesheet(stylesheet)


@contextlib.contextmanager
def workers(processes: int, stylesheet: str) -> Iterator[Executor | None]:
    """A pool of `processes` children, started (and warmed up) now so that they get ready while
    the caller prepares the HTML; None when one process is asked for."""
    if processes <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_lower_priority,
    )
    try:
        for _ in range(processes):
            pool.submit(_warm, stylesheet)
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def render_parts(
    parts: Iterable[Part],
    *,
    stylesheet: str,
    base_url: str,
    pool: Executor | None = None,
    done: Callable[[int], None] | None = None,
) -> list[Rendered]:
    """Every part rendered, in order. `done(n)` is called as the n-th part finishes (any order).
    With a pool, each part is handed over as `parts` yields it, so the children can start on
    the first while the caller still makes the next. Without one, everything runs here."""
    results: list[Rendered] = []
    if pool is None:
        for part in parts:
            results.append(render_part(part, stylesheet, base_url))
            if done:
                done(len(results))
        return results
    futures = [pool.submit(render_part, part, stylesheet, base_url) for part in parts]
    for finished, future in enumerate(as_completed(futures), start=1):
        future.result()  # a failed part fails the whole now, not after the others
        if done:
            done(finished)
    return [future.result() for future in futures]


def join(documents: Sequence[bytes], *, title: str, lang: str, author: str = "smm") -> bytes:
    """One PDF with every page of `documents`, in order, and the first one's title and language."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for content in documents:
        writer.append(io.BytesIO(content))
    writer.add_metadata({"/Title": title, "/Author": author, "/Creator": "smm"})
    writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
