"""CSV and XLSX exports for evaluators: agreed levels and anonymised level counts.

Never a name next to an individual score: agreed levels belong to the group, and level counts
are totals per round and dimension, withheld for rounds with fewer than three submissions.

At national scale an export is megabytes built from every finalised round, and it is downloaded
far more often than that data changes, so each file is kept in the default storage per user,
language and data version (see `stored`) and served from there until the next write.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from smm_site import page_cache

from ..aggregation import LEVELS, MIN_GROUP_SIZE
from ..models import Assessment, ConsensusScore, IndividualScore

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

Cell = str | int | None
# Spreadsheet programs run cells that start with these as formulas (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Cell) -> Cell:
    """Make text that a spreadsheet would read as a formula plain text again."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _rounds(user: User | AnonymousUser) -> list[tuple[int, str, str, date | None]]:
    """(id, community name, round title, date) of every finalised round the user may see."""
    rows = (
        Assessment.objects.visible_to(user)
        .finalised()
        .order_by("community__name", "finalised_at")
        .values_list("pk", "community__name", "title", "workshop_date", "finalised_at")
    )
    return [
        (pk, community, title, workshop_date or (finalised_at.date() if finalised_at else None))
        for pk, community, title, workshop_date, finalised_at in rows
    ]


def agreed_header() -> list[str]:
    return [
        _("community"),
        _("round"),
        _("kind"),
        _("date"),
        _("dimension number"),
        _("dimension"),
        _("agreed level"),
        _("priority"),
        _("why we scored it this way"),
    ]


def agreed_rows(user: User | AnonymousUser) -> list[list[Cell]]:
    """One row per agreed score of every finalised round the user may see. One query, of
    plain values: at national scale model instances cost most of the time."""
    scores = (
        ConsensusScore.objects.filter(
            assessment__in=Assessment.objects.visible_to(user).finalised()
        )
        .order_by("assessment__community__name", "assessment__finalised_at", "dimension__number")
        .values_list(
            "assessment__community__name",
            "assessment__title",
            "assessment__kind",
            "assessment__workshop_date",
            "assessment__finalised_at",
            "dimension__number",
            "dimension__name",
            "level",
            "is_priority",
            "reason",
        )
    )
    kinds = {value: str(label) for value, label in Assessment.Kind.choices}
    yes = _("yes")
    rows: list[list[Cell]] = []
    for (
        community,
        title,
        kind,
        workshop_date,
        finalised_at,
        number,
        name,
        level,
        priority,
        reason,
    ) in scores:
        # As round_date(): the workshop's date, else the day the round was finalised.
        day = workshop_date or (finalised_at.date() if finalised_at else None)
        rows.append(
            [
                community,
                title,
                kinds.get(kind, kind),
                day.isoformat() if day else "",
                number,
                name,
                level,
                yes if priority else "",
                reason,
            ]
        )
    return rows


def counts_header() -> list[str]:
    return [
        _("community"),
        _("round"),
        _("date"),
        _("dimension number"),
        _("dimension"),
        _("sheets submitted"),
        *[_("level %(level)s") % {"level": level} for level in LEVELS],
        _("not sure"),
        _("note"),
    ]


def counts_rows(user: User | AnonymousUser) -> list[list[Cell]]:
    """Per round and dimension, how many submitted sheets chose each level. Three queries."""
    rounds = _rounds(user)
    ids = [pk for pk, *_rest in rounds]
    submitted = dict(
        Assessment.objects.filter(pk__in=ids)
        .annotate(n=Count("participants", filter=Q(participants__submitted_at__isnull=False)))
        .values_list("pk", "n")
    )
    counts: dict[tuple[int, int], dict[int | str, int]] = defaultdict(lambda: defaultdict(int))
    dims: dict[int, dict[int, str]] = defaultdict(dict)
    scores = (
        IndividualScore.objects.filter(
            participant__assessment__in=ids,
            participant__submitted_at__isnull=False,
        )
        .values("participant__assessment_id", "dimension__number", "dimension__name")
        .annotate(
            **{f"l{level}": Count("pk", filter=Q(level=level)) for level in LEVELS},
            unsure=Count("pk", filter=Q(not_sure=True)),
        )
    )
    for values in scores:
        row: dict[str, Any] = dict(values)
        key = (row["participant__assessment_id"], row["dimension__number"])
        dims[row["participant__assessment_id"]][row["dimension__number"]] = row["dimension__name"]
        for level in LEVELS:
            counts[key][level] += row[f"l{level}"]
        counts[key]["unsure"] += row["unsure"]
    rows: list[list[Cell]] = []
    for pk, community, title, day in rounds:
        n = submitted.get(pk, 0)
        base: list[Cell] = [community, title, day.isoformat() if day else ""]
        if n < MIN_GROUP_SIZE:
            rows.append(
                [
                    *base,
                    "",
                    "",
                    n,
                    *[""] * len(LEVELS),
                    "",
                    _("withheld: fewer than %(n)s sheets submitted") % {"n": MIN_GROUP_SIZE},
                ]
            )
            continue
        for number, name in sorted(dims[pk].items()):
            c = counts[(pk, number)]
            rows.append([*base, number, name, n, *[c[level] for level in LEVELS], c["unsure"], ""])
    return rows


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    # A byte-order mark so that Excel opens UTF-8 (é, ’, –) correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    def clean(value: Cell) -> Cell:
        value = neutralise(value)
        # Control characters pasted into a reason would make openpyxl refuse the whole file.
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([clean(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([clean(v) for v in row])
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            letter = column[0].column_letter
            longest = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
            for c in column[1:]:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Stored files ---------------------------------------------------------------------------------

Build = Callable[[], tuple[bytes, int]]


@dataclass(frozen=True)
class Export:
    """An export's file: open from storage, or just built (and stored for next time)."""

    rows: int
    file: File | None = None
    content: bytes = b""
    encoding: str = ""  # "gzip" when `file` is the compressed copy


# Text exports are kept compressed too: a CSV of every agreed level is megabytes of repetitive
# text that gzip shrinks about eightfold, and every browser asks for gzip.
COMPRESSED = ("csv",)


def stored(
    user: User | AnonymousUser, kind: str, build: Build, *, accepts_gzip: bool = False
) -> Export:
    """The export `kind` (e.g. "agreed-levels.csv") for this user, built by `build()` (the
    file's bytes and its row count) unless the data has not changed since it was last built.
    With `accepts_gzip`, a stored text export comes as its gzip-compressed copy.

    Keyed like a page part (smm_site/page_cache.py) on the SITE version only: exports hold
    finalised rounds, whose agreed levels and submitted sheets change only through a signed-in
    user's write (reopening a round), never through a stakeholder's link. Per user, because
    what a facilitator may export depends on their memberships.
    """
    cache = caches["pages"]
    if isinstance(cache, DummyCache):  # versions are not shared: nothing can be reused
        content, rows = build()
        return Export(rows=rows, content=content)
    (version,) = page_cache.versions((page_cache.SITE,))
    stem, _dot, ext = kind.rpartition(".")
    # Dots separate the parts: neither a language code nor a (hex) version holds one.
    prefix = f"{stem}.{ext}.{get_language() or ''}."
    key = f"export:{user.pk}:{prefix}{version}"
    meta = cache.get(key)
    if meta is not None:
        compressed = accepts_gzip and meta.get("gzip")
        try:
            if compressed:
                file = default_storage.open(meta["gzip"], "rb")
                return Export(rows=meta["rows"], file=file, encoding="gzip")
            return Export(rows=meta["rows"], file=default_storage.open(meta["name"], "rb"))
        except FileNotFoundError:  # removed by a newer version's build: build it again
            pass
    content, rows = build()
    folder = f"exports/{user.pk}"
    name = default_storage.save(f"{folder}/{prefix}{version}.{ext}", ContentFile(content))
    keep = {name}
    meta = {"name": name, "rows": rows, "gzip": None}
    if ext in COMPRESSED:
        packed = gzip.compress(content, compresslevel=6, mtime=0)
        meta["gzip"] = default_storage.save(f"{name}.gz", ContentFile(packed))
        keep.add(meta["gzip"])
    cache.set(key, meta, timeout=page_cache.TIMEOUT)
    _remove_older(folder, prefix, keep=keep)
    return Export(rows=rows, content=content)


def _remove_older(folder: str, prefix: str, *, keep: set[str]) -> None:
    """Earlier versions of the same export: their data has changed since."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (OSError, NotImplementedError):  # pragma: no cover - best effort only
        return
    for file in files:
        name = f"{folder}/{file}"
        if file.startswith(prefix) and name not in keep:
            default_storage.delete(name)
