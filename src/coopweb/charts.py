"""Small inline SVG charts (no script, no external service): trends and monthly bars.

Coordinates are whole pixels computed with integer arithmetic; values are the books' own
integers (grams, paisa).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from coopledger.i18n import ENGLISH, Reader, day

COLOURS = ("#1b7f5b", "#b3541e", "#2f5fa7", "#8a3ea8")
#: Each line also has its own dash, so that the lines are told apart without colour.
DASHES = ("", "8 4", "2 3", "10 3 2 3")


def month_ends(
    months: Iterable[tuple[str, Decimal | int]], scale: int = 1
) -> list[tuple[date, int]]:
    """Month-end balances (``YYYY-MM``, value) as points of a line chart: the month's last
    day and the value times ``scale`` as a whole number (taka: ``scale=100``, paisa).
    Dashboards draw these (one point a month, read from the books' monthly totals), so a
    chart costs the same at ten years as at one."""
    out = []
    for month, value in months:
        year, mon = int(month[:4]), int(month[5:7])
        day = date(year, mon, calendar.monthrange(year, mon)[1])
        out.append((day, int(value * scale)))
    return out


def line_chart(
    series: dict[str, Sequence[tuple[date, int]]],
    *,
    width: int = 560,
    height: int = 180,
    label: str = "",
    fmt: object = str,
    reader: Reader = ENGLISH,
    empty: str = "Nothing recorded yet.",
) -> Markup:
    """Lines sharing one time axis; ``fmt`` formats the top value of the axis; dates are
    written for ``reader``; ``empty`` is shown when there is nothing to draw."""
    points = [p for s in series.values() for p in s]
    if not points:
        return Markup('<p class="muted">{}</p>').format(empty)
    first = min(d for d, _ in points).toordinal()
    last = max(d for d, _ in points).toordinal()
    top = max(1, *(v for _, v in points))
    pad_l, pad_b, pad_t = 8, 4, 4
    inner_w, inner_h = width - pad_l * 2, height - pad_b - pad_t
    span = max(1, last - first)

    def x(d: date) -> int:
        return pad_l + (d.toordinal() - first) * inner_w // span

    def y(v: int) -> int:
        return pad_t + inner_h - max(0, v) * inner_h // top

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">',
        f'<line x1="{pad_l}" y1="{pad_t + inner_h}" x2="{width - pad_l}" '
        f'y2="{pad_t + inner_h}" stroke="#999"/>',
    ]
    legend = []
    for i, (name, s) in enumerate(series.items()):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        coords = " ".join(f"{x(d)},{y(v)}" for d, v in s)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}" points="{coords}"/>'
        )
        legend.append(f"<span>{_key(colour, dash)} {escape(name)}</span>")
    parts.append("</svg>")
    first_day = day(date.fromordinal(first), reader, form="medium")
    last_day = day(date.fromordinal(last), reader, form="medium")
    return _framed(
        f"{_scale(escape(fmt(top)))} {' '.join(legend)}",  # type: ignore[operator]
        "".join(parts),
        f"<span>{first_day}</span><span>{last_day}</span>",
    )


def _key(colour: str, dash: str) -> str:
    """A legend's sample of a line: its colour and its dash (readable without colour)."""
    return (
        f'<svg class="key" viewBox="0 0 24 10" aria-hidden="true"><line x1="0" y1="5" '
        f'x2="24" y2="5" stroke="{colour}" stroke-width="3" stroke-dasharray="{dash}"/></svg>'
    )


def _scale(top: str) -> str:
    """The top of the drawing's scale, marked as such (not a figure of the books)."""
    return f'<span class="chart-scale" title="{top}">&#9650; {top}</span>'


def _framed(top: str, svg: str, axis: str) -> Markup:
    """The chart's words in HTML around the drawing, so that they stay readable (at the
    page's own font size) however small the drawing is scaled on a phone."""
    return Markup(
        f'<div class="chart"><div class="chart-top">{top}</div>{svg}'
        f'<div class="chart-axis">{axis}</div></div>'
    )


def bar_chart(
    bars: Sequence[tuple[str, int]],
    *,
    width: int = 560,
    height: int = 160,
    label: str = "",
    fmt: object = str,
    empty: str = "Nothing recorded yet.",
) -> Markup:
    """One bar per (label, value); ``empty`` is shown when there is nothing to draw."""
    if not bars:
        return Markup('<p class="muted">{}</p>').format(empty)
    top = max(1, *(v for _, v in bars))
    pad_b, pad_t = 4, 4
    inner_h = height - pad_b - pad_t
    step = max(1, width // len(bars))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for i, (name, v) in enumerate(bars):
        h = max(0, v) * inner_h // top
        parts.append(
            f'<rect x="{i * step + 2}" y="{pad_t + inner_h - h}" '
            f'width="{max(1, step - 4)}" height="{h}" fill="{COLOURS[0]}">'
            f"<title>{escape(name)}: {escape(fmt(v))}</title></rect>"  # type: ignore[operator]
        )
    parts.append("</svg>")
    return _framed(
        _scale(escape(fmt(top))),  # type: ignore[operator]
        "".join(parts),
        f"<span>{escape(bars[0][0])}</span><span>{escape(bars[-1][0])}</span>",
    )
