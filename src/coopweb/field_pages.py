"""Field ledgers in the web: on a laptop, the sync button; at the office, the page where a
manager decides what a recalled laptop recorded (``docs/sync.md``)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import MediaType, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Template

from coopledger import LedgerError
from coopledger.errors import InvalidInput
from coopledger.field import apply_held, described, held_item, held_items, reject_held
from coopledger.kernel.integrity import seal
from coopweb.application import Coopweb, find_group, in_thread
from coopweb.language import mark, say

#: The held entries' states, as the page shows them (``{{ _(status) }}``).
STATES = (mark("held"), mark("applied"), mark("partly applied"), mark("rejected"))


def _may_see(request: Request[Any, Any, Any], code: str) -> bool:
    user = Coopweb.of(request).need_user()
    return user.can_read(find_group(Coopweb.of(request).ledger, code))


def _decider(request: Request[Any, Any, Any], code: str) -> str:
    user = Coopweb.of(request).need_user()
    group = find_group(Coopweb.of(request).ledger, code)
    if user.role != "manager" or not user.can_write(group):
        raise PermissionDeniedException(
            say("Only a manager of the group's partner organisation decides held entries.")
        )
    return user.username


@get("/field/held", include_in_schema=False, media_type=MediaType.HTML, sync_to_thread=True)
def held_list(request: Request[Any, Any, Any]) -> Template:
    Coopweb.of(request).need_user()
    items = [h for h in held_items(Coopweb.of(request).ledger) if _may_see(request, h.group)]
    return Coopweb.of(request).page("field_held.html", items=items)


def _item_context(request: Request[Any, Any, Any], number: int) -> dict[str, Any]:
    ledger = Coopweb.of(request).ledger
    try:
        held = held_item(ledger, number)
    except InvalidInput:
        raise NotFoundException(say("There are no held entries number {n}.", n=number)) from None
    if not _may_see(request, held.group):
        raise PermissionDeniedException(say("You may not see group {group}.", group=held.group))
    office = [
        (e.position, seal(e.chain_hash), e.describe())
        for e in ledger.events(held.group, after=held.base)
    ]
    return {
        "held": held,
        "office": office,
        "field": described(ledger, held.group, held.events),
        "applied": None,
        "error": None,
    }


@get(
    "/field/held/{number:int}",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def held_page(request: Request[Any, Any, Any], number: FromPath[int]) -> Template:
    return Coopweb.of(request).page("field_held_item.html", **_item_context(request, number))


@post(
    "/field/held/{number:int}/apply",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def held_apply(request: Request[Any, Any, Any], number: FromPath[int]) -> Template:
    context = _item_context(request, number)
    checker = _decider(request, context["held"].group)
    try:
        context["applied"] = apply_held(Coopweb.of(request).ledger, number, checker)
    except LedgerError as e:
        context["error"] = e.message
        return Coopweb.of(request).page("field_held_item.html", status_code=422, **context)
    return Coopweb.of(request).page(
        "field_held_item.html",
        **_item_context(request, number) | {"applied": context["applied"]},
    )


@post("/field/held/{number:int}/reject", include_in_schema=False, media_type=MediaType.HTML)
async def held_reject(request: Request[Any, Any, Any], number: FromPath[int]) -> Template:
    reason = str((await request.form()).get("reason", ""))
    return await in_thread(_reject, request, number, reason)


def _reject(request: Request[Any, Any, Any], number: int, reason: str) -> Template:
    context = _item_context(request, number)
    checker = _decider(request, context["held"].group)
    try:
        reject_held(Coopweb.of(request).ledger, number, checker, reason)
    except LedgerError as e:
        context["error"] = e.message
        return Coopweb.of(request).page("field_held_item.html", status_code=422, **context)
    return Coopweb.of(request).page("field_held_item.html", **_item_context(request, number))


@post("/field/sync", include_in_schema=False, media_type=MediaType.HTML)
async def sync_now(request: Request[Any, Any, Any]) -> Template:
    """On a field laptop: sync every group it holds with the office."""
    from coopledger.sync import sync  # noqa: PLC0415

    Coopweb.of(request).need_user()
    ledger = Coopweb.of(request).ledger
    if not ledger.in_field:
        raise NotFoundException(say("This ledger is not a field ledger."))
    try:  # over the network: off the event loop
        reports, error = await anyio.to_thread.run_sync(sync, ledger), None
    except LedgerError as e:
        reports, error = [], e.message
    return Coopweb.of(request).page(
        "field_sync.html",
        status_code=200 if error is None else 502,
        reports=reports,
        error=error,
    )


ROUTES = [held_list, held_page, held_apply, held_reject, sync_now]

__all__ = ["ROUTES"]
