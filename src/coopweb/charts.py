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

COLOURS = ("#1b7f5b", "#b3541e", "#2f5fa7", "#8a3ea8")


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
) -> Markup:
    """Lines sharing one time axis; ``fmt`` formats the top value of the axis."""
    points = [p for s in series.values() for p in s]
    if not points:
        return Markup('<p class="muted">Nothing recorded yet.</p>')
    first = min(d for d, _ in points).toordinal()
    last = max(d for d, _ in points).toordinal()
    top = max(1, *(v for _, v in points))
    pad_l, pad_b, pad_t = 8, 22, 14
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
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{x(d)},{y(v)}" for d, v in s)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
        )
        legend.append(f'<tspan fill="{colour}">&#9632; {escape(name)}</tspan>')
    first_day, last_day = date.fromordinal(first), date.fromordinal(last)
    parts.append(f'<text x="{pad_l}" y="{height - 6}" font-size="11">{first_day}</text>')
    parts.append(
        f'<text x="{width - pad_l}" y="{height - 6}" font-size="11" '
        f'text-anchor="end">{last_day}</text>'
    )
    parts.append(
        f'<text x="{pad_l}" y="11" font-size="11">{escape(fmt(top))} '  # type: ignore[operator]
        f"{' '.join(legend)}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    bars: Sequence[tuple[str, int]],
    *,
    width: int = 560,
    height: int = 160,
    label: str = "",
    fmt: object = str,
) -> Markup:
    """One bar per (label, value)."""
    if not bars:
        return Markup('<p class="muted">Nothing recorded yet.</p>')
    top = max(1, *(v for _, v in bars))
    pad_b, pad_t = 20, 14
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
        if len(bars) <= 14 or i % 3 == 0:
            parts.append(
                f'<text x="{i * step + step // 2}" y="{height - 6}" font-size="10" '
                f'text-anchor="middle">{escape(name)}</text>'
            )
    parts.append(f'<text x="2" y="11" font-size="11">{escape(fmt(top))}</text></svg>')  # type: ignore[operator]
    return Markup("".join(parts))
