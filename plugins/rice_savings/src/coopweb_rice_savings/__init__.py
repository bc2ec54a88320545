"""coopweb plugin: the People's Cooperative view of a handful-of-rice savings group."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from coopledger import Ledger
from coopledger import accounts as acc
from coopledger.i18n import Catalog, messages, weight
from coopledger.money import RICE
from coopweb import (
    Coopweb,
    Panel,
    bar_chart,
    current_reader,
    hookimpl,
    line_chart,
    mark,
    month_ends,
)

HERE = Path(__file__).parent
#: The plugin's own words (``./dev catalogs`` keeps them; docs/languages.md).
CATALOG = Catalog("coopweb_rice_savings", str(HERE / "locale"))
text = messages(*CATALOG)


def say(msgid: str, /, **params: Any) -> str:
    """One of the plugin's messages, for the reader of the request being answered."""
    return text(msgid, **params).render(current_reader())


def claimed_kinds() -> set[str]:
    return {
        k.strip()
        for k in os.environ.get("COOPWEB_RICE_SAVINGS_KINDS", "women").split(",")
        if k.strip()
    }


@hookimpl
def coopweb_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def coopweb_catalogs() -> list[Catalog]:
    return [CATALOG]


@hookimpl
def coopweb_static_dirs() -> list[tuple[str, Path]]:
    return [("rice_savings", HERE / "static")]


@hookimpl
def coopweb_group_template(group: dict[str, Any]) -> str | None:
    return "rice_savings/group.html" if group["kind"] in claimed_kinds() else None


def monthly_sales(ledger: Ledger, code: str, as_of: date | None) -> list[tuple[str, int]]:
    """Grams sold per month (from the conversion account's month-end rice balances)."""
    out, before = [], 0
    for month, sold in ledger.reports.books.monthly(code, acc.RICE_CONVERSION, RICE, as_of=as_of):
        out.append((month[2:], int(sold) - before))
        before = int(sold)
    return out


@hookimpl
def coopweb_group_panels(
    ledger: Ledger, group: dict[str, Any], as_of: date | None, render: Any
) -> list[Panel]:
    if group["kind"] not in claimed_kinds():
        return []
    code = group["code"]
    # Month-end stock from the books' per-month totals (flat as the history grows).
    stock = month_ends(ledger.reports.books.monthly(code, acc.RICE_STOCK, RICE, as_of=as_of))
    books = ledger.reports.savings.member_balances(code, as_of=as_of)
    who = current_reader()
    return [
        Panel(
            "rice",
            mark("Rice: stock and sales"),
            render(
                "rice_savings/rice_panel.html",
                stock=line_chart(
                    {say("rice in stock"): stock},
                    label=say("rice stock"),
                    fmt=lambda v: weight(v, who),
                    reader=who,
                    empty=say("Nothing recorded yet."),
                ),
                sales=bar_chart(
                    [(who.digits_of(m), v) for m, v in monthly_sales(ledger, code, as_of)],
                    label=say("rice sold per month"),
                    fmt=lambda v: weight(v, who),
                    empty=say("Nothing recorded yet."),
                ),
            ),
            order=15,
            refresh=f"/groups/{code}/panels/rice",
        ),
        Panel(
            "savers",
            mark("Savings per member"),
            render("rice_savings/savers_panel.html", books=books, code=code),
            order=40,
            refresh=f"/groups/{code}/panels/savers",
        ),
    ]


@get("/groups/{code:str}/rice-sheet", include_in_schema=False, sync_to_thread=True)
def rice_sheet(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    """The weekly rice sheet to print and take to the meeting."""
    site = Coopweb.of(request)
    group, ledger = site.group(code), site.ledger
    members = [m for m in ledger.reports.groups.members(code) if m.active]
    recent: dict[int, list[int]] = {}
    since = ledger.today() - timedelta(weeks=4)
    for m in members:
        book = ledger.reports.savings.passbook(code, m.member_no)
        recent[m.member_no] = [
            ln.rice_saved_grams
            for ln in book.lines
            if ln.rice_saved_grams and ln.business_date >= since
        ]
    meetings = ledger.reports.meetings.reconciliation(code, last=1).meetings
    return site.page(
        "rice_savings/sheet.html",
        group=group,
        members=members,
        recent=recent,
        position=ledger.reports.books.position(code),
        last=meetings[-1] if meetings else None,
    )


@hookimpl
def coopweb_routes() -> list[Any]:
    return [rice_sheet]
