"""coopweb plugin: a group's vermicompost (inputs, compost harvested and sold, margin).

Every figure comes from the books' own report, ``ledger.reports.vermicompost.activity``
(:mod:`coopledger_vermicompost`): weights are whole grams, money is taka, corrections are
counted on the day of the entry they correct.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from coopledger_vermicompost import Activity
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from coopledger import Ledger
from coopledger.i18n import Catalog, messages, money
from coopledger.money import paisa
from coopweb import Coopweb, Panel, bar_chart, current_reader, hookimpl, mark

HERE = Path(__file__).parent
#: The web pages' own words (``./dev catalogs`` keeps them; docs/languages.md).
CATALOG = Catalog("coopweb_vermicompost", str(HERE / "locale"))
text = messages(*CATALOG)
#: The kinds of entry the pages show translated (``{{ _(e.kind) }}``).
KINDS = (mark("inputs"), mark("harvest"), mark("sale"))


def say(msgid: str, /, **params: Any) -> str:
    """One of the plugin's messages, for the reader of the request being answered."""
    return text(msgid, **params).render(current_reader())


def activity(ledger: Ledger, code: str, as_of: date | None = None) -> Activity:
    """The group's vermicompost as of a day (the books' report, typed)."""
    found: Activity = ledger.reports.vermicompost.activity(code, as_of=as_of)
    return found


def monthly_sales(act: Activity) -> list[tuple[str, int]]:
    """Paisa of compost sold each month (``YY-MM``), for the chart."""
    return [(m.month[2:], paisa(m.sales)) for m in act.months if m.sales or m.sold_grams]


@hookimpl
def coopweb_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def coopweb_catalogs() -> list[Catalog]:
    return [CATALOG]


@hookimpl
def coopweb_group_panels(
    ledger: Ledger, group: dict[str, Any], as_of: date | None, render: Any
) -> list[Panel]:
    act = activity(ledger, group["code"], as_of)
    if not act.entries:
        return []
    who = current_reader()
    return [
        Panel(
            "vermicompost",
            mark("Vermicompost"),
            render(
                "vermicompost/panel.html",
                act=act,
                code=group["code"],
                chart=bar_chart(
                    [(who.digits_of(m), v) for m, v in monthly_sales(act)],
                    label=say("compost sales by month"),
                    fmt=lambda v: money(Decimal(v) / 100, who),  # paisa
                    empty=say("Nothing recorded yet."),
                ),
            ),
            order=35,
        )
    ]


@get("/groups/{code:str}/vermicompost", include_in_schema=False, sync_to_thread=True)
def vermicompost_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    group, as_of = site.group(code), site.as_of()
    act = activity(site.ledger, code, as_of)
    if not act.entries:
        raise NotFoundException(f"group {code.upper()} has no vermicompost activity")
    return site.page("vermicompost/page.html", group=group, act=act, as_of=as_of)


@hookimpl
def coopweb_routes() -> list[Any]:
    return [vermicompost_page]
