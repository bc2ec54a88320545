"""The core's own dashboard panels and navigation, registered through the plugin hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coopledger import accounts as acc
from coopledger.money import RICE, TAKA, format_grams, format_taka
from coopweb.charts import line_chart, month_ends
from coopweb.hookspecs import hookimpl
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
    items = [("Groups", "/groups")]
    if user is not None and user.role == "admin":
        items.append(("Accounts", "/admin/accounts"))
    return items


def _saved(stock: list[tuple[Any, int]], sold: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    """Rice saved by all members, month by month (or day by day): rice is only ever in the
    stock, sold (the conversion account) or owed to savers, so the savings equal stock plus sold.
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
    # Month-end balances from the books' per-month totals: ten years are 120 points.
    rice = month_ends(books.monthly(code, acc.RICE_STOCK, RICE, as_of=as_of))
    sold = month_ends(books.monthly(code, acc.RICE_CONVERSION, RICE, as_of=as_of))
    saved = _saved(rice, sold)
    # The chart draws whole numbers: taka as paisa.
    cash = month_ends(books.monthly(code, acc.CASH, TAKA, as_of=as_of), scale=100)
    meetings = ledger.reports.meetings.reconciliation(code, as_of=as_of, last=8).meetings[::-1]
    suffix = f"?as_of={as_of}" if as_of else ""
    return [
        Panel(
            "position",
            "Position",
            render("partials/position.html", p=position),
            order=10,
            refresh=f"/groups/{code}/panels/position{suffix}",
        ),
        Panel(
            "trend",
            "Savings and stock",
            render(
                "partials/trend.html",
                rice=line_chart(
                    {"rice saved by members": saved, "rice in stock": rice},
                    label="rice over time",
                    fmt=format_grams,
                ),
                cash=line_chart(
                    {"cash in hand": cash},
                    label="cash over time",
                    fmt=lambda v: format_taka(v) + " Tk",  # paisa
                ),
            ),
            order=20,
            refresh=f"/groups/{code}/panels/trend{suffix}",
        ),
        Panel(
            "meetings",
            "Recent meetings",
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
            "Loans from the group fund",
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
