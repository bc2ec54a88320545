"""The office's side of field ledgers, under ``/api/v1/field`` (see ``docs/sync.md``).

A laptop takes a group (``POST /field/checkout``), reads its events in pages
(``GET /field/groups/<code>/events?after=N``), and later sends back what it recorded
(``POST /field/groups/<code>/events``, at most :data:`coopledger.field.BATCH` a request,
each request one transaction, exactly once by position). A laptop whose group was
recalled sends its events and commands to be held for a manager
(``POST /field/groups/<code>/held``). Every request names the laptop's device and the
field protocol; the animator's API token says who she is, and she reaches only the
groups she may write.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromPath, FromQuery

from coopledger import LedgerError
from coopledger import __version__ as SOFTWARE
from coopledger.errors import InvalidInput
from coopledger.field import (
    BATCH,
    HELD_TABLE,
    PROTOCOL,
    SyncRefused,
    TakeToField,
    WireEvent,
    head,
    plain_tables,
    receive,
    version,
    wire_events,
)
from coopledger.i18n import _
from coopweb.accounts import User
from coopweb.application import Coopweb, Resource, find_group, in_thread
from coopweb.language import say


def _caller(request: Request[Any, Any, Any], code: str) -> tuple[User, dict[str, Any]]:
    """The animator (by her API token) and the group, if she may record for it."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    site: Coopweb = request.app.state.coopweb
    user = site.accounts.by_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise NotAuthorizedException(
            say("Send Authorization: Bearer <token> (POST /api/v1/tokens).")
        )
    group = find_group(site.ledger, code)
    if not site.allowed(user, "write", Resource("group", group)):
        raise PermissionDeniedException(
            say(
                "{user} may not take or sync group {group}: it is not assigned to this account.",
                user=user.username,
                group=code.upper(),
            )
        )
    return user, group


def _checked(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("body", None, _("send a JSON object"))
    protocol = body.get("protocol")
    if protocol != PROTOCOL:
        newer = isinstance(protocol, int) and protocol > PROTOCOL
        raise SyncRefused(
            _(
                "this office speaks field protocol {office} (coopledger {software}) and the "
                "laptop {laptop}: upgrade {which}",
                office=PROTOCOL,
                software=SOFTWARE,
                laptop=str(protocol),
                which=_("the office") if newer else _("the laptop"),
            ),
            field="protocol",
            value=protocol,
        )
    device = body.get("device")
    if not isinstance(device, str) or not 8 <= len(device) <= 64:
        raise InvalidInput("device", device, _("the laptop ledger's id"))
    return body


def _state(ledger: Any, code: str, client_time: Any = None) -> dict[str, Any]:
    held = getattr(ledger.load(code), "held", None)
    at = version(ledger, code)
    out: dict[str, Any] = {
        "group": code.upper(),
        "version": at,
        "head": head(ledger, code, at),
        "held": held,
        "office_time": datetime.now(tz=UTC).isoformat(),
        "protocol": PROTOCOL,
        "software": SOFTWARE,
    }
    if isinstance(client_time, str):
        try:
            skew = datetime.fromisoformat(client_time) - datetime.now(tz=UTC)
            out["clock_skew_seconds"] = int(skew.total_seconds())
        except (TypeError, ValueError):
            pass
    return out


@post("/checkout", status_code=200, summary="Take a group's books to a field ledger")
async def checkout(request: Request[Any, Any, Any]) -> dict[str, Any]:
    body = _checked(await request.json())
    return await in_thread(_checkout, request, body)


def _checkout(request: Request[Any, Any, Any], body: dict[str, Any]) -> dict[str, Any]:
    code = str(body.get("group", ""))
    user, group = _caller(request, code)
    ledger = request.app.state.ledger
    held = getattr(ledger.load(code), "held", None)
    if held is None or held["device"] != body["device"]:
        ledger.execute(
            TakeToField(
                group=group["code"],
                device=body["device"],
                date=ledger.today(),
                key=f"take-{body['device']}-{version(ledger, code)}",
                recorded_by=user.username,
            )
        )
    return _state(ledger, code, body.get("client_time"))


@get("/groups/{code:str}", summary="A group's stream as the office holds it", sync_to_thread=True)
def group_state(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    _caller(request, code)
    return _state(request.app.state.ledger, code)


@get(
    "/groups/{code:str}/events",
    summary="A page of a group's stored events, as stored",
    sync_to_thread=True,
)
def events(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    after: FromQuery[int] = 0,
    limit: FromQuery[int] = BATCH,
) -> dict[str, Any]:
    _caller(request, code)
    if not 0 <= after <= 2**31 or not 1 <= limit <= 5 * BATCH:
        raise InvalidInput("after", after, _("a position from 0, and a limit from 1 to 1000"))
    found = wire_events(request.app.state.ledger, code, after=after, limit=limit)
    return {"events": [e.as_dict() for e in found]}


def _wire(body: dict[str, Any]) -> list[WireEvent]:
    sent = body.get("events")
    if not isinstance(sent, list) or len(sent) > BATCH:
        raise InvalidInput("events", None, _("a list of at most {n} events", n=BATCH))
    return [WireEvent.of(e, i) for i, e in enumerate(sent)]


@post("/groups/{code:str}/events", status_code=200, summary="Send events recorded in the field")
async def send(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    body = _checked(await request.json())
    return await in_thread(_send, request, code, body)


def _send(request: Request[Any, Any, Any], code: str, body: dict[str, Any]) -> dict[str, Any]:
    user, _group = _caller(request, code)
    who = {"device": body["device"], "sent_by": user.username}
    ledger = request.app.state.ledger
    events = _wire(body)
    held = getattr(ledger.load(code), "held", None)
    if held is None or held["device"] != body["device"]:
        already = version(ledger, code)
        if events and all(e.position <= already for e in events):
            receive(ledger, code, events, **who)  # a resend of what arrived before it was returned
        else:
            raise SyncRefused(
                _(
                    "this laptop does not hold the group's books now (returned or recalled): "
                    "send what it recorded to be held for a manager"
                ),
                field="device",
                value=body["device"],
            )
    else:
        receive(ledger, code, events, **who)
    return _state(ledger, code, body.get("client_time"))


@post("/groups/{code:str}/held", status_code=201, summary="Hold a recalled laptop's entries")
async def hold(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    body = _checked(await request.json())
    return await in_thread(_hold, request, code, body)


def _hold(request: Request[Any, Any, Any], code: str, body: dict[str, Any]) -> dict[str, Any]:
    user, group = _caller(request, code)
    events = [e.as_dict() for e in _wire({"events": body.get("events")})]
    commands = body.get("commands")
    base = body.get("base")
    if not isinstance(commands, list) or not isinstance(base, int):
        raise InvalidInput("commands", None, _("the commands the laptop recorded, and its base"))
    ledger = request.app.state.ledger
    plain_tables(ledger)
    table = ledger.db.table(HELD_TABLE)
    with ledger.db.cursor(commit=True) as c:
        c.execute(
            ledger.db.sql(
                f"INSERT INTO {table} (group_code, device, sent_by, received_at, base, events, "
                "commands, status, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, 'held', '')"
            ),
            (
                group["code"],
                body["device"],
                user.username,
                datetime.now(tz=UTC).isoformat(),
                base,
                json.dumps(events),
                json.dumps(commands),
            ),
        )
    rows = ledger.db.query(
        f"SELECT MAX(id) AS id FROM {table} WHERE group_code = ?", (group["code"],)
    )
    return {"held": int(rows[0]["id"])}


def field_router() -> Router:
    return Router(path="/field", route_handlers=[checkout, group_state, events, send, hold])


__all__ = ["LedgerError", "field_router"]
