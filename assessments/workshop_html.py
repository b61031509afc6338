"""The workshop pages' repeated markup, written in Python: the analysis page's agenda rows and
one card per dimension, the spread chart with its table, and the presenter's jump list and
level cards.

Rendering these through the template engine (includes, a dozen {% translate %} and
{% blocktranslate %} per dimension, floatformat) was most of the analysis page's time. Here
each fixed label is translated once per page and everything from the database is escaped with
`escape` (what autoescaping does); the words are the templates' own messages, so their
translations apply unchanged. The markup is the same as the templates it replaces
(_stats.html and _convergence.html stay for the follow-along page and the reports).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .convergence import Convergence

if TYPE_CHECKING:
    from .workshop import DimensionRow


def _number(value: float) -> str:
    """A median as {{ value|floatformat:"-1" }} writes it: "3", "2.5" (localised)."""
    return str(floatformat(value, -1))


def spread_html(row: DimensionRow, name: str) -> SafeString:
    """The spread of one dimension: a bar chart and the same numbers as a table
    (`name`: the dimension's name in the page's language, not yet escaped)."""
    number = row.dimension.number
    spread = row.spread
    label = escape(name)
    bars = "".join(
        f'<tr><th scope="row" class="fw-normal">{escape(bar.label)}</th>'
        f'<td class="text-end">{bar.count}</td></tr>'
        for bar in row.bars
    )
    title = _("Number of ratings at each level for %(name)s (%(rated)s ratings)") % {
        "name": label,
        "rated": spread.rated,
    }
    return mark_safe(  # noqa: S308 - names and labels escaped above, the rest numbers
        f'<figure class="spread mb-2">\n'
        f'<svg class="spread-chart" viewBox="0 0 130 52" role="img" '
        f'aria-labelledby="chart-{number}-title" focusable="false">\n'
        f'<title id="chart-{number}-title">{title}</title>\n'
        f"{row.bars_svg}\n"
        f"</svg>\n"
        f'<figcaption class="visually-hidden">'
        f"{_('The table below gives the same numbers.')}</figcaption>\n"
        f"</figure>\n"
        f'<div class="table-responsive">\n'
        f'<table class="table table-sm spread-table mb-2">\n'
        f'<caption class="small">{_("Ratings for %(name)s") % {"name": label}}</caption>\n'
        f'<thead><tr><th scope="col">{_("Level")}</th>'
        f'<th scope="col" class="text-end">{_("Ratings")}</th></tr></thead>\n'
        f"<tbody>\n{bars}"
        f'<tr><th scope="row" class="fw-normal">{_("Not sure")}</th>'
        f'<td class="text-end">{spread.not_sure}</td></tr>\n'
        f"</tbody>\n</table>\n</div>\n"
    )


class AnalysisLabels:
    """The analysis page's fixed words, translated once per page rather than once a card."""

    def __init__(self, *, min_group: int) -> None:
        self.median = _("Median")
        self.range = _("Range")
        self.not_sure = _("Not sure")
        self.agreed_level = _("Agreed level:")
        self.by_sector = _("By sector group")
        self.groups_caption = _("Ratings at each level by sector group")
        self.group = _("Group")
        self.people = _("People")
        self.suppressed = _(
            "Not shown: at least one sector group has fewer than %(min)s ratings (or only one "
            "group answered), so a breakdown could reveal individual answers."
        ) % {"min": min_group}
        self.no_reasons = _("No reasons written yet.")
        self.converge_heading = _("From private scores to the agreed level")
        self.split = _("Split")
        self.split_lead = _("Split:")
        self.not_split = _("Not split by the rule.")
        self.private_span = _("the private scores span 3 or more levels.")
        self.no_half = _("no level had half of the last room vote.")
        self.agreed_far = _("the agreed level is 2 or more levels from the private median.")
        self.no_rated = _("Private scores: none rated")
        self.not_used = _("Private scores: not used (fewer than 3 sheets)")
        self.no_vote = _("Room vote: none shown")
        self.not_agreed = _("Agreed level: not yet")
        self.first_vote = _("Vote 1 (before discussion)")


def _stats(row: DimensionRow, words: AnalysisLabels) -> str:
    """The same markup as _stats.html."""
    spread = row.spread
    median = "–" if spread.median is None else _number(spread.median)
    if spread.low is None:
        span = "–"
    elif spread.low == spread.high:
        span = str(spread.low)
    else:
        span = f"{spread.low}–{spread.high}"
    far = ngettext(
        "%(far)s of %(rated)s rating is more than one level from the median",
        "%(far)s of %(rated)s ratings are more than one level from the median",
        spread.rated,
    ) % {"far": spread.far_from_median, "rated": spread.rated}
    high = " disagreement-high" if spread.disagreement >= 0.25 else ""
    return (
        f'<dl class="row spread-stats mb-2">\n'
        f'<dt class="col-6">{words.median}</dt><dd class="col-6">{median}</dd>\n'
        f'<dt class="col-6">{words.range}</dt><dd class="col-6">{span}</dd>\n'
        f'<dt class="col-6">{words.not_sure}</dt><dd class="col-6">{spread.not_sure}</dd>\n'
        f"</dl>\n"
        f'<p class="disagreement{high}">{far}</p>\n'
    )


def _vote_line(vote_number: int, top: int | None, top_count: int, total: int, first: str) -> str:
    name = (
        first
        if vote_number == 1
        else _("Vote %(number)s (after discussion)") % {"number": vote_number}
    )
    if top:
        return _("%(vote)s: most votes for level %(level)s (%(top)s of %(total)s)") % {
            "vote": name,
            "level": top,
            "top": top_count,
            "total": total,
        }
    return _("%(vote)s: all %(total)s not sure") % {"vote": name, "total": total}


def convergence_html(c: Convergence, words: AnalysisLabels) -> str:
    """The same markup as _convergence.html."""
    private = c.private
    if private is not None and private.rated:
        first = _(
            "Private scores: median %(median)s, range %(low)s–%(high)s (%(rated)s ratings)"
        ) % {
            "median": _number(private.median) if private.median is not None else "",
            "low": private.low,
            "high": private.high,
            "rated": private.rated,
        }
    elif private is not None:
        first = words.no_rated
    else:
        first = words.not_used
    steps = [first]
    steps += [
        _vote_line(v.number, v.top_level, v.top_count, v.total, words.first_vote) for v in c.votes
    ] or [words.no_vote]
    steps.append(
        _("Agreed level %(level)s") % {"level": c.agreed} if c.agreed else words.not_agreed
    )
    items = "".join(f"<li>{step}</li>" for step in steps)
    badge = (
        f' <span class="badge text-bg-danger convergence-split-badge">{words.split}</span>'
        if c.split
        else ""
    )
    if c.split:
        why = [
            text
            for flag, text in (
                (c.private_span, words.private_span),
                (c.no_half, words.no_half),
                (c.agreed_far, words.agreed_far),
            )
            if flag
        ]
        verdict = (
            f'<p class="convergence-split fw-bold mb-0">{words.split_lead} {" ".join(why)}</p>'
        )
    else:
        verdict = f'<p class="mb-0">{words.not_split}</p>'
    return (
        f'<div class="convergence">\n'
        f'<h3 class="h6">{words.converge_heading}{badge}</h3>\n'
        f'<ol class="convergence-steps">{items}</ol>\n'
        f"{verdict}\n</div>\n"
    )


def _groups(row: DimensionRow, words: AnalysisLabels, level_heads: str) -> str:
    if not row.groups:
        return f'<p class="small suppressed-note">{words.suppressed}</p>\n'
    body = "".join(
        f'<tr><th scope="row" class="fw-normal">{escape(group.label)}</th>'
        f'<td class="text-end">{group.respondents}</td>'
        f'<td class="text-end">{_number(group.median) if group.median is not None else ""}</td>'
        + "".join(f'<td class="text-end">{count}</td>' for count in group.counts)
        + "</tr>"
        for group in row.groups
    )
    return (
        f'<div class="table-responsive">\n<table class="table table-sm">\n'
        f'<caption class="small">{words.groups_caption}</caption>\n'
        f'<thead><tr><th scope="col">{words.group}</th>'
        f'<th scope="col" class="text-end">{words.people}</th>'
        f'<th scope="col" class="text-end">{words.median}</th>{level_heads}</tr></thead>\n'
        f"<tbody>{body}</tbody>\n</table>\n</div>\n"
    )


def analysis_cards(
    rows: Iterable[DimensionRow],
    convergence: Mapping[int, Convergence],
    names: Mapping[int, str],
    *,
    min_group: int,
) -> SafeString:
    """One card per dimension: its spread, figures, convergence, sector breakdown and reasons.
    `names`: each dimension's name in the page's language, by number."""
    words = AnalysisLabels(min_group=min_group)
    level_heads = "".join(f'<th scope="col" class="text-end">{level}</th>' for level in range(1, 6))
    cards = []
    for row in rows:
        number = row.dimension.number
        name = names[number]
        agreed = ""
        if row.consensus:
            shift = row.shift_display
            moved = (
                ' <span class="text-body-secondary">('
                + _("shift %(shift)s from the private median") % {"shift": shift}
                + ")</span>"
                if shift
                else ""
            )
            agreed = (
                f'<p class="mb-2"><strong>{words.agreed_level}</strong> '
                f"{row.consensus.level}{moved}</p>\n"
            )
        c = convergence.get(number)
        count = len(row.reasons)
        summary = ngettext(
            "%(counter)s reason, without names", "%(counter)s reasons, without names", count
        ) % {"counter": count}
        if row.reasons:
            reasons = f'<ul class="reasons mt-2">{row.reasons_html}</ul>'
        else:
            reasons = f'<p class="mt-2 text-body-secondary">{words.no_reasons}</p>'
        cards.append(
            f'<section class="card mb-4 dimension-card" id="dimension-{number}" '
            f'aria-labelledby="dimension-{number}-heading">\n<div class="card-body">\n'
            f'<h2 class="h4 card-title" id="dimension-{number}-heading">'
            f"{number}. {escape(name)}</h2>\n"
            f'<div class="row g-4">\n<div class="col-md-5">\n{spread_html(row, name)}</div>\n'
            f'<div class="col-md-7">\n{_stats(row, words)}{agreed}'
            f"{convergence_html(c, words) if c else ''}"
            f'<h3 class="h6 mt-3">{words.by_sector}</h3>\n'
            f"{_groups(row, words, level_heads)}</div>\n</div>\n"
            f'<details class="mt-2">\n<summary>{summary}</summary>\n{reasons}\n</details>\n'
            f"</div>\n</section>\n"
        )
    return mark_safe("".join(cards))  # noqa: S308 - every text from the database escaped


def agenda_rows(rows: Iterable[DimensionRow], names: Mapping[int, str]) -> SafeString:
    """The "agenda at a glance" table's rows."""
    lines = []
    for row in rows:
        number = row.dimension.number
        spread = row.spread
        median = _number(spread.median) if spread.median is not None else "–"
        span = f"{spread.low}–{spread.high}" if spread.low is not None else "–"
        agreed = row.consensus.level if row.consensus and row.consensus.level else "–"
        lines.append(
            f'<tr><th scope="row" class="fw-normal"><a href="#dimension-{number}">'
            f"{number}. {escape(names[number])}</a></th>"
            f'<td class="text-end">{median}</td><td class="text-end">{span}</td>'
            f'<td class="text-end">{spread.far_from_median} / {spread.rated}</td>'
            f'<td class="text-end">{spread.not_sure}</td><td class="text-end">{agreed}</td>'
            f'<td class="text-end">{row.shift_display or "–"}</td></tr>\n'
        )
    return mark_safe("".join(lines))  # noqa: S308 - names escaped, the rest numbers


def jump_buttons(
    choices: Sequence[tuple[int, str, bool]], number: int, *, editable: bool, presenter_url: str
) -> SafeString:
    """The presenter's jump list between its previous and next buttons: a submit button per
    dimension (moving the room) in the workshop stage, a link otherwise. `presenter_url`: the
    presenter's URL with 0 for the number."""
    agreed_word = _("agreed")
    go_to = _("Go to")
    parts = []
    for n, name, agreed in choices:
        label = escape(name)
        style = "btn-warning" if n == number else "btn-outline-light"
        tick = " is-agreed" if agreed else ""
        suffix = f" ({agreed_word})" if agreed else ""
        current = ' aria-current="step"' if n == number else ""
        mark = '<span class="agreed-mark" aria-hidden="true">✓</span>' if agreed else ""
        hidden = f'<span class="visually-hidden">. {label}{suffix}</span>'
        if editable:
            parts.append(
                f'<button type="submit" class="btn {style}{tick}" name="number" value="{n}" '
                f'title="{label}{suffix}"{current}><span class="visually-hidden">{go_to} </span>'
                f"{n}{mark}{hidden}</button>\n"
            )
        else:
            href = presenter_url.replace("/0/", f"/{n}/")
            parts.append(
                f'<a class="btn {style}{tick}" href="{href}" title="{label}{suffix}"{current}>'
                f"{n}{mark}{hidden}</a>"
            )
    return mark_safe("".join(parts))  # noqa: S308 - names escaped, the rest numbers
