"""coopweb plugin: a group's vermicompost (inputs, compost harvested and sold, margin).

Every figure comes from the books' own report, ``ledger.reports.vermicompost.activity``
(:mod:`coopledger_vermicompost`): weights are whole grams, money is taka, corrections are
counted on the day of the entry they correct.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from coopledger_vermicompost import Activity
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from coopledger import Ledger
from coopledger.money import format_taka, paisa
from coopweb import Panel, hookimpl
from coopweb.app import as_of_param, page, readable_group, state
from coopweb.charts import bar_chart

HERE = Path(__file__).parent


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
def coopweb_group_panels(
    ledger: Ledger, group: dict[str, Any], as_of: date | None, render: Any
) -> list[Panel]:
    act = activity(ledger, group["code"], as_of)
    if not act.entries:
        return []
    return [
        Panel(
            "vermicompost",
            "Vermicompost",
            render(
                "vermicompost/panel.html",
                act=act,
                code=group["code"],
                chart=bar_chart(
                    monthly_sales(act),
                    label="compost sales by month",
                    fmt=lambda v: format_taka(v) + " Tk",
                ),
            ),
            order=35,
        )
    ]


@get("/groups/{code:str}/vermicompost", include_in_schema=False, sync_to_thread=True)
def vermicompost_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    _, group = readable_group(request, code)
    as_of = as_of_param(request)
    act = activity(state(request).ledger, code, as_of)
    if not act.entries:
        raise NotFoundException(f"group {code.upper()} has no vermicompost activity")
    return page(request, "vermicompost/page.html", group=group, act=act, as_of=as_of)


@hookimpl
def coopweb_routes() -> list[Any]:
    return [vermicompost_page]
