"""coopweb plugin: a group's vermicompost activity (inputs, production, sales, margin)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from coopledger import accounts as acc
from coopledger import events as ev
from coopledger.money import TAKA, format_taka, taka
from coopledger.postings import postings
from coopweb import Panel, hookimpl
from coopweb.app import as_of_param, page, readable_group, state
from coopweb.charts import bar_chart

HERE = Path(__file__).parent
ACTIVITY = "vermicompost"
KG = re.compile(r"(\d+(?:\.\d+)?)\s*kg", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One entry of the activity: an input bought or compost sold (a correction included)."""

    business_date: date
    position: int
    kind: str  # "input" or "sale"
    what: str
    taka: Decimal
    kg: Decimal | None


@dataclass(frozen=True)
class Activity:
    lines: list[Line]

    @property
    def inputs(self) -> Decimal:
        return sum((ln.taka for ln in self.lines if ln.kind == "input"), Decimal(0))

    @property
    def sales(self) -> Decimal:
        return sum((ln.taka for ln in self.lines if ln.kind == "sale"), Decimal(0))

    @property
    def margin(self) -> Decimal:
        return self.sales - self.inputs

    @property
    def kg_sold(self) -> Decimal:
        return sum((ln.kg for ln in self.lines if ln.kg is not None), Decimal(0))

    def by_month(self) -> list[tuple[str, int]]:
        months: dict[str, int] = defaultdict(int)
        for ln in self.lines:
            if ln.kind == "sale":
                months[ln.business_date.strftime("%y-%m")] += int(ln.taka * 100)
        return sorted(months.items())


def activity(ledger: Any, code: str, as_of: date | None = None) -> Activity:
    """The activity's entries, with amounts from the postings (so corrections count)."""
    costs, income = acc.activity_costs(ACTIVITY), acc.activity_income(ACTIVITY)
    lines = []
    for e in ledger.events(code):
        if as_of is not None and e.business_date > as_of:
            continue
        for leg in postings(e):
            if leg.account not in (costs, income):
                continue
            content = e.now or e.was if isinstance(e, ev.EntryCorrected) else e.content()
            memo = str((content or {}).get("memo", ""))
            if isinstance(e, ev.EntryCorrected):
                memo = f"correction of #{e.target}: {e.reason}"
            kind = "input" if leg.account == costs else "sale"
            amount = taka(leg.amount if kind == "input" else -leg.amount)
            found = KG.search(memo) if kind == "sale" and amount > 0 else None
            lines.append(Line(e.business_date, e.position, kind, memo, amount,
                              Decimal(found.group(1)) if found else None))
    return Activity(lines)


@hookimpl
def coopweb_template_dirs() -> list[Path]:
    return [HERE / "templates"]


def monthly_sales(ledger: Any, code: str, as_of: date | None) -> list[tuple[str, int]]:
    """Paisa of compost sold each month, from the projections (no event is read)."""
    months: dict[str, int] = {}
    for day, running in ledger.reports.trend(code, acc.activity_income(ACTIVITY), TAKA,
                                             as_of=as_of):
        months[day.strftime("%y-%m")] = -running
    out, before = [], 0
    for month in sorted(months):
        out.append((month, months[month] - before))
        before = months[month]
    return out


@hookimpl
def coopweb_group_panels(ledger: Any, group: dict[str, Any], as_of: Any,
                         render: Any) -> list[Panel]:
    position = ledger.reports.position(group["code"], as_of=as_of)
    found = [a for a in position.activities if a.name == ACTIVITY]
    if not found:
        return []
    return [Panel("vermicompost", "Vermicompost", render(
        "vermicompost/panel.html", act=found[0], code=group["code"],
        chart=bar_chart(monthly_sales(ledger, group["code"], as_of),
                        label="compost sales by month",
                        fmt=lambda v: format_taka(v) + " Tk")), order=35)]


@get("/groups/{code:str}/vermicompost", include_in_schema=False)
async def vermicompost_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    _, group = readable_group(request, code)
    as_of = as_of_param(request)
    act = activity(state(request).ledger, code, as_of)
    if not act.lines:
        raise NotFoundException(f"group {code.upper()} has no vermicompost activity")
    return page(request, "vermicompost/page.html", group=group, act=act, as_of=as_of)


@hookimpl
def coopweb_routes() -> list[Any]:
    return [vermicompost_page]
