"""The core's own dashboard panels and navigation, registered through the plugin hooks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from coopledger import accounts as acc
from coopledger.i18n import money, weight
from coopledger.money import RICE, TAKA
from coopweb.charts import line_chart
from coopweb.hookspecs import hookimpl
from coopweb.language import current_reader, mark, say
from coopweb.panels import Panel

HERE = Path(__file__).parent


@hookimpl
def coopweb_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def coopweb_static_dirs() -> list[tuple[str, Path]]:
    return [("coopweb", HERE / "static")]


@hookimpl
def coopweb_nav_items(user: Any) -> list[tuple[str, str]]:
    items = [(mark("Groups"), "/groups")]
    if user is not None and user.role == "admin":
        items.append((mark("Accounts"), "/admin/accounts"))
    return items


def _saved(stock: list[tuple[Any, int]], sold: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    """Rice saved by all members, day by day: rice is only ever in the stock, sold
    (the conversion account) or owed to savers, so the savings equal stock plus sold.
    Two one-account series are much cheaper than adding up every member's account."""
    days = sorted({d for d, _ in stock} | {d for d, _ in sold})
    a, b = dict(stock), dict(sold)
    out, last_a, last_b = [], 0, 0
    for d in days:
        last_a, last_b = a.get(d, last_a), b.get(d, last_b)
        out.append((d, last_a + last_b))
    return out


@hookimpl
def coopweb_group_panels(
    ledger: Any, group: dict[str, Any], as_of: Any, render: Any
) -> list[Panel]:
    code = group["code"]
    books = ledger.reports.books
    position = books.position(code, as_of=as_of)
    rice = [(d, int(v)) for d, v in books.trend(code, acc.RICE_STOCK, RICE, as_of=as_of)]
    sold = [(d, int(v)) for d, v in books.trend(code, acc.RICE_CONVERSION, RICE, as_of=as_of)]
    saved = _saved(rice, sold)
    # The chart draws whole numbers: taka as paisa.
    cash = [(d, int(v * 100)) for d, v in books.trend(code, acc.CASH, TAKA, as_of=as_of)]
    meetings = ledger.reports.meetings.reconciliation(code, as_of=as_of, last=8).meetings[::-1]
    suffix = f"?as_of={as_of}" if as_of else ""
    who = current_reader()
    return [
        Panel(
            "position",
            mark("Position"),
            render("partials/position.html", p=position),
            order=10,
            refresh=f"/groups/{code}/panels/position{suffix}",
        ),
        Panel(
            "trend",
            mark("Savings and stock"),
            render(
                "partials/trend.html",
                rice=line_chart(
                    {say("rice saved by members"): saved, say("rice in stock"): rice},
                    label=say("rice over time"),
                    fmt=lambda v: weight(v, who),
                    reader=who,
                    empty=say("Nothing recorded yet."),
                ),
                cash=line_chart(
                    {say("cash in hand"): cash},
                    label=say("cash over time"),
                    fmt=lambda v: money(Decimal(v) / 100, who),  # paisa
                    reader=who,
                    empty=say("Nothing recorded yet."),
                ),
            ),
            order=20,
            refresh=f"/groups/{code}/panels/trend{suffix}",
        ),
        Panel(
            "meetings",
            mark("Recent meetings"),
            render("partials/meetings.html", meetings=meetings, code=code),
            order=30,
            refresh=f"/groups/{code}/panels/meetings{suffix}",
        ),
        *_loans_panel(ledger, code, as_of, render, suffix),
    ]


def _loans_panel(ledger: Any, code: str, as_of: Any, render: Any, suffix: str) -> list[Panel]:
    loans = ledger.reports.loans.loans(code, as_of=as_of)
    if not loans:
        return []
    return [
        Panel(
            "loans",
            mark("Loans from the group fund"),
            render(
                "partials/loans.html",
                loans=[x for x in loans if x.outstanding > 0],
                portfolio=ledger.reports.loans.portfolio([code], as_of=as_of),
                code=code,
            ),
            order=25,
            refresh=f"/groups/{code}/panels/loans{suffix}",
        )
    ]
