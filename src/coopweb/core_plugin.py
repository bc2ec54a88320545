"""The core's own dashboard panels, navigation, template filters and variables, and the
permissions of the roles, registered through the same hooks as any plugin's."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from coopledger import accounts as acc
from coopledger.i18n import money, weight
from coopledger.money import RICE, TAKA, format_grams, format_taka
from coopweb.accounts import User
from coopweb.application import Resource
from coopweb.charts import line_chart, month_ends
from coopweb.hookspecs import hookimpl
from coopweb.language import current_reader, mark, say
from coopweb.panels import Panel

HERE = Path(__file__).parent
HTMX = "/static/coopweb/htmx-2.0.11.min.js"


@hookimpl(trylast=True)
def coopweb_permission(user: User, action: str, resource: Resource) -> bool | None:
    """The roles' table (``coopweb.accounts``), asked last: a plugin's answer comes first.
    Groups and clusters only; anything else is left unanswered (refused)."""
    record = dict(resource.record)
    if resource.type == "group" and action in ("read", "write"):
        return user.can_read(record) if action == "read" else user.can_write(record)
    if resource.type == "group" and action == "approve":  # a second signature: a manager's
        return user.role == "manager" and user.can_write(record)
    if resource.type == "cluster" and action in ("read", "write"):
        if action == "read":
            return user.can_read_cluster(record)
        return user.can_write_cluster(record)
    return None


@hookimpl
def coopweb_jinja_filters() -> dict[str, Callable[..., Any]]:
    return {"taka": format_taka, "kg": format_grams}


@hookimpl
def coopweb_template_vars() -> dict[str, Any]:
    return {"htmx": HTMX}


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
    if user is not None and user.role in ("manager", "auditor", "admin"):
        items.append((mark("Held field entries"), "/field/held"))
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
    who = current_reader()
    return [
        Panel(
            "position",
            mark("Position"),
            render(
                "partials/position.html",
                p=position,
                owed_to_bank=ledger.reports.clusters.owed_to_bank(code, as_of=as_of),
            ),
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
