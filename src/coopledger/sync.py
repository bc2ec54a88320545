"""The laptop's side of field ledgers: take groups from the office, sync them back.

``checkout`` takes a group's books from the office's HTTP API into this (SQLite) ledger;
``sync`` sends what was recorded here since, in bounded batches, each one transaction at
the office, and brings back anything the office has that this ledger lacks. A sync cut at
any moment (network dropped, laptop killed, office restarted) is simply run again: the
office keeps events by position and chain hash, so nothing is recorded twice and nothing
is lost. Before anything is sent, this ledger's chain is verified; a damaged field ledger
sends nothing. If the office no longer holds the group for this laptop (a manager recalled
it), what was recorded here is sent to be held for a manager, with the commands that made
it, never merged or dropped. See ``docs/sync.md``.

Only the standard library is used (``urllib``), so a laptop needs no web packages to sync.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coopledger.field import (
    BATCH,
    PROTOCOL,
    ReturnFromField,
    SyncRefused,
    WireEvent,
    checkout_commands,
    head,
    plain_tables,
    receive,
    version,
    wire_events,
)
from coopledger.i18n import _
from coopledger.kernel.integrity import GENESIS, seal
from coopledger.kernel.streams import stream_id

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

SKEW_DAYS = 1  # a laptop clock further off than this is shown


def _batch() -> int:
    """Events a request (``COOPLEDGER_SYNC_BATCH`` makes it smaller: a slow connection,
    or a test that cuts syncs often)."""
    try:
        return max(1, min(BATCH, int(os.environ.get("COOPLEDGER_SYNC_BATCH", BATCH))))
    except ValueError:
        return BATCH


@dataclass(frozen=True)
class Office:
    """The office's web server and this laptop's API token there."""

    url: str
    token: str
    timeout: float = 30.0

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the office's own URL
            self.url.rstrip("/") + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as e:
            raise _refusal(e) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            raise SyncRefused(
                _(
                    "the office at {url} cannot be reached ({why}); nothing was lost: sync "
                    "again when there is a connection",
                    url=self.url,
                    why=str(e)[:120],
                ),
                field="server",
                value=self.url,
            ) from None


def _refusal(error: urllib.error.HTTPError) -> SyncRefused:
    try:
        problem = json.loads(error.read() or b"{}")
    except ValueError:
        problem = {}
    detail = str(problem.get("detail") or problem.get("title") or error.reason)
    if error.code == 401:
        detail = str(
            _("the office refused this laptop's token (revoked or expired): get a new one")
        )
    return SyncRefused(
        _("the office refused ({status}): {detail}", status=error.code, detail=detail),
        field=str(problem.get("field") or "sync"),
        value=problem.get("value"),
    )


@dataclass
class Synced:
    """What one sync did for one group."""

    group: str
    sent: int = 0
    received: int = 0
    version: int = 0
    seal: str = ""
    held: int | None = None  # the office's number for entries held for a manager
    warnings: list[str] = field(default_factory=list)


def _body(ledger: Ledger, **more: Any) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL,
        "device": ledger.device,
        "client_time": ledger.clock().isoformat(),
        **more,
    }


def _clock(ledger: Ledger, state: dict[str, Any], report: Synced) -> None:
    office = datetime.fromisoformat(state["office_time"])
    skew = ledger.clock().astimezone(UTC) - office
    if abs(skew.total_seconds()) > SKEW_DAYS * 86400:
        report.warnings.append(
            str(
                _(
                    "this laptop's clock is {days} days off the office's: set it right "
                    "(business dates are what was typed; recording times keep both clocks)",
                    days=round(skew.total_seconds() / 86400, 1),
                )
            )
        )


def held_here(ledger: Ledger) -> list[str]:
    """The groups this field ledger took from the office."""
    text = ledger.setting("field_groups")
    return list(json.loads(text)) if text else []


def _remember(ledger: Ledger, codes: list[str]) -> None:
    ledger.set_setting("field_groups", json.dumps(sorted(set(codes))))


def office_of(ledger: Ledger, token: str | None = None, url: str | None = None) -> Office:
    """The office this field ledger syncs with (its URL and token as given at checkout)."""
    found_url = url or ledger.setting("field_office")
    found_token = token or ledger.setting("field_token")
    if not found_url or not found_token:
        raise SyncRefused(
            _("this ledger was not taken from an office: run 'coopledger field checkout' first")
        )
    return Office(found_url, found_token)


def checkout(ledger: Ledger, office: Office, code: str) -> Synced:
    """Take a group's books from the office into this ledger (which becomes a field
    ledger): the office records that this laptop holds them, then its events come over."""
    if ledger.db.dialect != "sqlite":
        raise SyncRefused(_("a field ledger is a SQLite file on the laptop"), field="db")
    plain_tables(ledger)
    ledger.become_field_ledger(office.url)
    ledger.set_setting("field_token", office.token)
    state = office.call("POST", "/api/v1/field/checkout", _body(ledger, group=code))
    report = Synced(code.upper())
    _clock(ledger, state, report)
    report.received = _pull(ledger, office, code)
    _remember(ledger, [*held_here(ledger), code.upper()])
    report.version = version(ledger, code)
    report.seal = seal(head(ledger, code, report.version))
    return report


def _pull(ledger: Ledger, office: Office, code: str) -> int:
    got = 0
    while True:
        after = version(ledger, code)
        page = office.call(
            "GET", f"/api/v1/field/groups/{code.upper()}/events?after={after}&limit={_batch()}"
        )
        events = [WireEvent.of(e, i) for i, e in enumerate(page["events"])]
        if not events:
            return got
        receive(ledger, code, events)
        got += len(events)


def _verified(ledger: Ledger, code: str) -> None:
    from coopledger.audit.check import stored_rows  # noqa: PLC0415
    from coopledger.kernel.integrity import walk  # noqa: PLC0415

    check = walk(stream_id(code).hex, stored_rows(ledger, stream_id(code)))
    if not check.ok:
        raise SyncRefused(
            _(
                "this field ledger is damaged ({finding}); nothing was sent: take the laptop "
                "to the office",
                finding=str(check.finding),
            ),
            field="db",
        )


def _fork(ledger: Ledger, office: Office, code: str, upto: int) -> int:
    """The last position at which this ledger and the office agree."""
    base = upto
    while base > 0:
        page = office.call(
            "GET", f"/api/v1/field/groups/{code.upper()}/events?after={base - 1}&limit=1"
        )
        theirs = json.loads(page["events"][0]["data"]) if page["events"] else {}
        if str(theirs.get("chain_hash")) == head(ledger, code, base):
            return base
        base -= 1
    return 0


def _hold(ledger: Ledger, office: Office, code: str, base: int, report: Synced) -> None:
    events = wire_events(ledger, code, after=base, limit=10**6)
    keys = [str(json.loads(e.data).get("idempotency_key", "")) for e in events]
    answer = office.call(
        "POST",
        f"/api/v1/field/groups/{code.upper()}/held",
        _body(
            ledger,
            base=base,
            events=[e.as_dict() for e in events][:BATCH],
            commands=checkout_commands(ledger, code, keys),
        ),
    )
    report.held = int(answer["held"])
    ledger.set_setting(f"field_held:{code.upper()}", str(report.held))


def sync_group(ledger: Ledger, office: Office, code: str) -> Synced:
    """Bring one group's books and the office's into step (see the module docstring)."""
    code = code.upper()
    report = Synced(code)
    _verified(ledger, code)
    state = office.call("GET", f"/api/v1/field/groups/{code}")
    _clock(ledger, state, report)
    mine, theirs = version(ledger, code), int(state["version"])
    common = min(mine, theirs)
    if head(ledger, code, common) != _office_head(office, code, common, state):
        _hold(ledger, office, code, _fork(ledger, office, code, common), report)
        return _done(ledger, code, report)
    if theirs > mine:
        report.received = _pull(ledger, office, code)
    held = state.get("held")
    while version(ledger, code) > theirs:
        if held is None or held.get("device") != ledger.device:
            _hold(ledger, office, code, theirs, report)
            break
        batch = wire_events(ledger, code, after=theirs, limit=_batch())
        state = office.call(
            "POST",
            f"/api/v1/field/groups/{code}/events",
            _body(ledger, events=[e.as_dict() for e in batch]),
        )
        report.sent += int(state["version"]) - theirs
        theirs = int(state["version"])
    return _done(ledger, code, report)


def _office_head(office: Office, code: str, position: int, state: dict[str, Any]) -> str:
    if position == int(state["version"]):
        return str(state["head"])
    if position == 0:
        return GENESIS
    page = office.call("GET", f"/api/v1/field/groups/{code}/events?after={position - 1}&limit=1")
    return (
        str(json.loads(page["events"][0]["data"]).get("chain_hash", "")) if page["events"] else ""
    )


def _done(ledger: Ledger, code: str, report: Synced) -> Synced:
    report.version = version(ledger, code)
    report.seal = seal(head(ledger, code, report.version))
    return report


def sync(
    ledger: Ledger, office: Office | None = None, codes: list[str] | None = None
) -> list[Synced]:
    """Sync every group this field ledger holds (or ``codes``)."""
    office = office or office_of(ledger)
    return [sync_group(ledger, office, c) for c in (codes or held_here(ledger))]


def give_back(ledger: Ledger, code: str, office: Office | None = None) -> Synced:
    """Record here that the group's books go back to the office, and sync: the office
    writes them again; this laptop no longer does."""
    office = office or office_of(ledger)
    at = version(ledger, code)
    ledger.execute(
        ReturnFromField(group=code, date=ledger.today(), key=f"return-{ledger.device}-{at}")
    )
    report = sync_group(ledger, office, code)
    if report.held is None:
        _remember(ledger, [c for c in held_here(ledger) if c != code.upper()])
    return report


__all__ = ["Office", "Synced", "checkout", "give_back", "held_here", "office_of", "sync"]
