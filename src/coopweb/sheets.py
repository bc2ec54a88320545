"""The pictorial meeting sheet: one printable page for the weekly meeting that members who
cannot read can follow while the leader reads it aloud (a picture for rice and for taka,
this week's and the running totals, the count of cash box and rice sack, the seal large).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import MediaType, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from coopledger.i18n import Reader
from coopweb.application import Coopweb
from coopweb.language import chosen, read_as, say


@get(
    "/groups/{code:str}/meetings/{day:str}/sheet",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def meeting_sheet(
    request: Request[Any, Any, Any], code: FromPath[str], day: FromPath[str]
) -> Template:
    site = Coopweb.of(request)
    group = site.group(code)
    asked = request.query_params.get("lang", "")
    if asked or not chosen(request):  # read aloud in the village: Bangla unless she chose
        read_as(request, Reader.of(asked or "bn", "latn" if asked == "en" else "beng"))
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise NotFoundException(say("day={day}: use YYYY-MM-DD.", day=repr(day))) from None
    ledger = site.ledger
    held = ledger.reports.meetings.held_on(code, on)
    if held is None:
        raise NotFoundException(
            say("{group} held no meeting on {day}.", group=group["code"], day=on.isoformat())
        )
    check = next(
        m
        for m in ledger.reports.meetings.reconciliation(code, as_of=on).meetings[::-1]
        if m.meeting_date == on
    )
    rows = ledger.reports.savings.meeting_day(code, on)
    return site.page(
        "meeting_sheet.html",
        group=group,
        day=on,
        seal=held["seal"],
        check=check,
        rows=rows,
        rice_today=sum(r.rice_grams for r in rows),
        cash_today=sum((r.cash for r in rows), Decimal("0.00")),
    )


ROUTES = [meeting_sheet]

__all__ = ["ROUTES"]
