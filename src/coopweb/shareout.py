"""A group's savings cycles on the web: the list of its closes
(``/groups/JOBA/shareout``), a close's printable share-out sheet
(``/groups/JOBA/shareout/1/sheet``, in Bangla unless the reader chose English, like the
meeting sheet), and in the JSON API the same sheets and a preview of a close
(``/api/v1/groups/JOBA/shareout``...). The close itself is recorded like any entry: the
entries page's ``close_cycle`` form, or ``POST /api/v1/groups/JOBA/entries``.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody
from litestar.response import Template

from coopledger.i18n import Reader
from coopledger.kernel.commands import validated
from coopledger.reports import to_json
from coopledger.shareout.cycle import LOAN_RULES, WEIGHTINGS, CloseCycle
from coopledger.shareout.reports import sheet_of
from coopweb.application import Coopweb, Resource, find_group
from coopweb.language import chosen, mark, read_as

#: The close form's choices, as the form's select shows them.
CHOICES = (
    *(mark("savings_days"), mark("savings")),
    *(mark("carry"), mark("settle"), mark("deduct")),
)


@get(
    "/groups/{code:str}/shareout",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def cycles_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    group = site.group(code)
    cycles = site.ledger.reports.shareout.cycles(code)
    return site.page("shareout.html", group=group, cycles=cycles)


@get(
    "/groups/{code:str}/shareout/{cycle:int}/sheet",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def sheet_page(
    request: Request[Any, Any, Any], code: FromPath[str], cycle: FromPath[int]
) -> Template:
    site = Coopweb.of(request)
    group = site.group(code)
    asked = request.query_params.get("lang", "")
    if asked or not chosen(request):  # read aloud in the meeting: Bangla unless she chose
        read_as(request, Reader.of(asked or "bn", "latn" if asked == "en" else "beng"))
    sheet = site.ledger.reports.shareout.sheet(code, cycle)
    return site.page(
        "shareout_sheet.html",
        group=group,
        sheet=sheet,
        weighting=WEIGHTINGS[sheet.weighting],
        loans=LOAN_RULES[sheet.loans],
    )


ROUTES = [cycles_page, sheet_page]


# ---------------------------------------------------------------------- JSON API
def _reader(request: Request[Any, Any, Any], code: str, action: str) -> Any:
    """The account behind the bearer token, if it may ``action`` the group (as the API's
    other group routes check)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = (
        request.app.state.accounts.by_token(token.strip())
        if scheme.lower() == "bearer" and token.strip()
        else None
    )
    if user is None:
        raise NotAuthorizedException("send Authorization: Bearer <token> (POST /api/v1/tokens)")
    group = find_group(request.app.state.ledger, code)
    site = Coopweb.of(request)
    site.require(user, "read", Resource("group", group))
    if action == "write":
        site.require(user, "write", Resource("group", group))
    return user


def _plain(value: Any) -> Any:
    import json  # noqa: PLC0415

    return json.loads(to_json(value))


@get("/groups/{code:str}/shareout", summary="A group's closed savings cycles", sync_to_thread=True)
def api_cycles(request: Request[Any, Any, Any], code: FromPath[str]) -> list[dict[str, Any]]:
    _reader(request, code, "read")
    return _plain(request.app.state.ledger.reports.shareout.cycles(code))  # type: ignore[no-any-return]


@get(
    "/groups/{code:str}/shareout/{cycle:int}",
    summary="A closed cycle's share-out sheet",
    sync_to_thread=True,
)
def api_sheet(
    request: Request[Any, Any, Any], code: FromPath[str], cycle: FromPath[int]
) -> dict[str, Any]:
    _reader(request, code, "read")
    return _plain(request.app.state.ledger.reports.shareout.sheet(code, cycle))  # type: ignore[no-any-return]


@post(
    "/groups/{code:str}/shareout/preview",
    summary="What closing the cycle would share out (a close_cycle body); nothing written",
    status_code=200,
    sync_to_thread=True,
)
def api_preview(
    request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    _reader(request, code, "write")
    ledger = request.app.state.ledger
    body = {k: v for k, v in data.items() if k not in ("command", "group")}
    command = validated(CloseCycle, group=code, **body)
    [event] = ledger.preview(command)
    info = ledger.reports.groups.group(code)
    sheet = sheet_of(
        {**event.content(), "closed_on": event.business_date},
        info.code,
        info.name,
        ledger.reports.shareout.names(code),
    )
    return _plain(sheet)  # type: ignore[no-any-return]


#: The share-out's routes under ``/api/v1``.
API_ROUTES = [api_cycles, api_sheet, api_preview]

__all__ = ["API_ROUTES", "ROUTES"]
