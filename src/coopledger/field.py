"""Field ledgers: a group's books taken to an animator's laptop, kept in the village with no
connection, and synced at the office (``docs/sync.md`` has the design).

**One writer per group at a time.** Taking a group to the field is a fact in its own stream
(``TakenToField``, naming the laptop's device); while it holds, every other ledger refuses
its own writes to that group, the office included. The laptop records with the same rules
and seals, then sends its events to the office *as they are*: same positions, same chain
hashes, so the seals written in the paper minutes stay true at the office. The laptop gives
the group back (``ReturnedFromField``), or a manager at the office recalls it
(``RecalledFromField``, a lost laptop). Events a laptop recorded after a recall are not
merged or dropped: they are held at the office with the commands that made them, for a
manager to apply again on top of the office's books (each new seal mapped from the old one)
or to reject with a reason.

Events: ``TakenToField``, ``ReturnedFromField``, ``RecalledFromField``. Commands:
``take_to_field``, ``return_from_field``, ``recall_from_field`` (none through the entries
endpoint: the field API and the command line give them). Table: ``field_holds``. Plain
tables (not projections: they are not facts of a stream): ``cl_field_commands`` (a field
ledger's log of the commands it recorded), ``cl_field_held`` and ``cl_seal_map`` (the
office's submissions held for review, and the seals they were re-recorded under).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from eventsourcing.persistence import IntegrityError, StoredEvent

from coopledger import __version__
from coopledger.errors import InvalidInput, LedgerError, RuleBroken, UnknownEventType
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _
from coopledger.kernel import unit as units
from coopledger.kernel.commands import GroupCommand, Text
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.integrity import GENESIS, chain_hash, seal
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.streams import stream_id

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

table(
    "field_holds",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, device TEXT NOT NULL,
      holder TEXT NOT NULL, since TEXT NOT NULL, taken_at TEXT NOT NULL, until TEXT,
      ended TEXT""",
    ["group_id", "position"],
)

#: The field protocol's version: a laptop and an office with different majors refuse to
#: sync, naming what to upgrade.
PROTOCOL = 1
BATCH = 200  # events per request


class SyncRefused(LedgerError):
    """A sync (or a checkout) the office or the laptop refuses; nothing was written."""

    def __init__(self, reason: Message | str, *, field: str = "sync", value: Any = None) -> None:
        super().__init__(reason, field=field, value=value, bare=True)


# ---------------------------------------------------------------------- events
class TakenToField(NoMoney, LedgerEvent):
    """The group's books were taken to a field ledger (a laptop): only it writes them now."""

    device: str
    holder: str

    def apply(self, group: Group) -> None:
        group.held = {"device": self.device, "holder": self.holder, "since": self.position}

    def project(self, rows: Rows) -> None:
        rows.insert(
            "field_holds",
            group_id=self.originator_id.hex,
            position=self.position,
            device=self.device,
            holder=self.holder,
            since=self.business_date.isoformat(),
            taken_at=self.timestamp.isoformat(),
            until=None,
            ended=None,
        )

    def describe(self) -> Message:
        return _("The books were taken to the field by {holder}", holder=self.holder)


class _Ended(NoMoney, LedgerEvent):
    abstract: ClassVar[bool] = True
    device: str
    ENDED: ClassVar[str] = ""

    def apply(self, group: Group) -> None:
        group.held = None

    def project(self, rows: Rows) -> None:
        rows.execute(
            "UPDATE {field_holds} SET until = ?, ended = ? WHERE group_id = ? AND device = ? "
            "AND until IS NULL",
            self.business_date.isoformat(),
            self.ENDED,
            self.originator_id.hex,
            self.device,
        )


class ReturnedFromField(_Ended):
    """The field ledger gave the group's books back to the office."""

    ENDED = "returned"

    def describe(self) -> Message:
        return _("The books came back from the field")


class RecalledFromField(_Ended):
    """A manager at the office took the group's books back from a field ledger (a lost or
    broken laptop); what that ledger records afterwards is held for review."""

    reason: str
    ENDED = "recalled"

    def describe(self) -> Message:
        return _("The books were recalled from the field: {reason}", reason=self.reason)


# ---------------------------------------------------------------------- commands
class TakeToField(GroupCommand):
    """Take the group's books to a field ledger (``device``: the laptop's id)."""

    command: Literal["take_to_field"] = "take_to_field"
    endpoint: ClassVar[str] = ""
    device: Text

    def handle(self, unit: units.Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        held = getattr(group, "held", None)
        if held is not None:
            raise RuleBroken(
                "group",
                self.group,
                _("its books are already in the field with {holder}", holder=held["holder"]),
            )
        group.record(
            TakenToField, on, unit.stamp, device=self.device, holder=unit.stamp.recorded_by
        )
        return group.version


class ReturnFromField(GroupCommand):
    """Give the group's books back to the office (recorded on the field ledger that holds
    them, then synced)."""

    command: Literal["return_from_field"] = "return_from_field"
    endpoint: ClassVar[str] = ""

    def handle(self, unit: units.Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        held = getattr(group, "held", None)
        if held is None or held["device"] != unit.extra.get("device"):
            raise RuleBroken("group", self.group, _("its books are not held by this ledger"))
        group.record(ReturnedFromField, on, unit.stamp, device=held["device"])
        return None


class RecallFromField(GroupCommand):
    """A manager at the office takes the group's books back from a field ledger."""

    command: Literal["recall_from_field"] = "recall_from_field"
    endpoint: ClassVar[str] = ""
    reason: Text

    def handle(self, unit: units.Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        held = getattr(group, "held", None)
        if held is None:
            raise RuleBroken("group", self.group, _("its books are not in the field"))
        group.record(RecalledFromField, on, unit.stamp, device=held["device"], reason=self.reason)
        return None


def _one_writer(unit: units.Unit) -> None:
    """A group held by a field ledger is written by that ledger only (the office may only
    recall it); a field ledger writes only the groups it holds."""
    device, in_field = unit.extra.get("device"), unit.extra.get("field_ledger", False)
    for sid, aggregate in unit.writes.items():
        if not aggregate.pending_events or not isinstance(aggregate, Group):
            continue
        held = unit.holds.get(sid)
        kinds = {type(e) for e in aggregate.pending_events}
        if held is None:
            if in_field and kinds != {TakenToField}:
                raise RuleBroken(
                    "group",
                    aggregate.code,
                    _("this field ledger does not hold its books (they are at the office)"),
                )
            continue
        if held["device"] == device or (kinds == {RecalledFromField} and not in_field):
            continue
        raise RuleBroken(
            "group",
            aggregate.code,
            _(
                "its books are in the field with {holder}: record there and sync, or recall them",
                holder=held["holder"],
            ),
        )


def _log_commands(unit: units.Unit, rows: Any) -> None:
    """On a field ledger: each command recorded, in the same transaction as its events (an
    office that cannot take the events as they are can apply the commands again)."""
    if not unit.extra.get("field_ledger"):
        return
    for command, stamp in unit.stamped:
        data = command.model_dump(mode="json")
        data.update(key=stamp.idempotency_key, recorded_by=stamp.recorded_by)
        rows.execute(
            f"INSERT INTO {COMMANDS_TABLE} (stream_id, idempotency_key, command) VALUES (?, ?, ?)",
            stream_id(command.stream).hex,
            stamp.idempotency_key,
            json.dumps(data, sort_keys=True),
        )


units.CHECKS.append(_one_writer)
units.WITH_ROWS.append(_log_commands)

COMMANDS_TABLE = "cl_field_commands"
HELD_TABLE = "cl_field_held"
SEALS_TABLE = "cl_seal_map"
RECEIVED_TABLE = "cl_field_received"


def plain_tables(ledger: Ledger) -> None:
    """The field tables that are not projections (created once, never rebuilt)."""
    t = ledger.db.table
    ledger.db.execute(
        [
            f"CREATE TABLE IF NOT EXISTS {t(COMMANDS_TABLE)} (stream_id TEXT NOT NULL, "
            "idempotency_key TEXT NOT NULL, command TEXT NOT NULL, "
            "PRIMARY KEY (stream_id, idempotency_key))",
            f"CREATE TABLE IF NOT EXISTS {t(HELD_TABLE)} (id INTEGER PRIMARY KEY, "
            "group_code TEXT NOT NULL, device TEXT NOT NULL, sent_by TEXT NOT NULL, "
            "received_at TEXT NOT NULL, base INTEGER NOT NULL, events TEXT NOT NULL, "
            "commands TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t(SEALS_TABLE)} (old_seal TEXT PRIMARY KEY, "
            "group_code TEXT NOT NULL, new_seal TEXT NOT NULL, position INTEGER NOT NULL, "
            "held_id INTEGER NOT NULL, mapped_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {t(RECEIVED_TABLE)} (stream_id TEXT NOT NULL, "
            "position INTEGER NOT NULL, received_at TEXT NOT NULL, device TEXT NOT NULL, "
            "sent_by TEXT NOT NULL, PRIMARY KEY (stream_id, position))",
        ]
    )


# ---------------------------------------------------------------------- events on the wire
@dataclass(frozen=True)
class WireEvent:
    """A stored event as it travels between ledgers: its position, its type and its stored
    fields (JSON), exactly as recorded (chain hash included)."""

    position: int
    topic: str
    data: str

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "topic": self.topic, "data": self.data}

    @classmethod
    def of(cls, value: Any, index: int = 0) -> WireEvent:
        if not isinstance(value, dict) or not {"position", "topic", "data"} <= set(value):
            raise InvalidInput(f"events[{index}]", value, _("send position, topic and data"))
        position, topic, data = value["position"], value["topic"], value["data"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 1:
            raise InvalidInput(f"events[{index}].position", position, _("a position from 1"))
        if not isinstance(topic, str) or not isinstance(data, str):
            raise InvalidInput(f"events[{index}]", value, _("topic and data are text"))
        return cls(position, topic, data)


def _events_table(ledger: Ledger) -> str:
    return ledger.db.table(ledger.app.recorder.events_table_name)  # type: ignore[attr-defined]


def _param(ledger: Ledger, code: str) -> Any:
    sid = stream_id(code)
    return sid.hex if ledger.db.dialect == "sqlite" else sid


def version(ledger: Ledger, code: str) -> int:
    """The number of events in a group's stream as stored (0: no such stream here)."""
    rows = ledger.db.query(
        f"SELECT MAX(originator_version) AS v FROM {_events_table(ledger)} WHERE originator_id = ?",
        (_param(ledger, code),),
    )
    return int(rows[0]["v"] or 0)


def wire_events(
    ledger: Ledger, code: str, *, after: int = 0, limit: int = BATCH
) -> list[WireEvent]:
    """A group's stored events after ``after``, decrypted and decompressed but otherwise as
    stored (what a laptop takes, and what it sends back)."""
    mapper = ledger.app.mapper
    rows = ledger.db.query(
        f"SELECT originator_version AS position, topic, state FROM {_events_table(ledger)} "
        "WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version "
        f"LIMIT {int(limit)}",
        (_param(ledger, code), after),
    )
    out = []
    for r in rows:
        state = bytes(r["state"])
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        out.append(WireEvent(int(r["position"]), str(r["topic"]), state.decode("utf-8")))
    return out


def head(ledger: Ledger, code: str, position: int) -> str:
    """The chain hash at ``position`` of a group's stream (GENESIS at 0)."""
    if position == 0:
        return GENESIS
    (event,) = wire_events(ledger, code, after=position - 1, limit=1)
    return str(_decoded(ledger, event).get("chain_hash", ""))


def _decoded(ledger: Ledger, event: WireEvent) -> dict[str, Any]:
    try:
        data = ledger.app.mapper.transcoder.decode(event.data.encode("utf-8"))
    except Exception:  # noqa: BLE001 - any undecodable text is refused the same way
        data = None
    if not isinstance(data, dict):
        raise SyncRefused(_("event {position} cannot be read", position=event.position))
    return data


def _stored(ledger: Ledger, sid: Any, event: WireEvent, data: dict[str, Any]) -> StoredEvent:
    """An event on the wire as this ledger stores it (its own compression and cipher)."""
    mapper = ledger.app.mapper
    state = mapper.transcoder.encode(data)
    if mapper.compressor:
        state = mapper.compressor.compress(state)
    if mapper.cipher:
        state = mapper.cipher.encrypt(state)
    return StoredEvent(
        originator_id=sid, originator_version=event.position, topic=event.topic, state=state
    )


def receive(
    ledger: Ledger,
    code: str,
    events: list[WireEvent],
    *,
    device: str = "",
    sent_by: str = "",
) -> int:
    """Add events recorded by another ledger to a group's stream as they are, in one
    transaction with their projection rows; gives back the stream's version after.

    Exactly once: events at positions already here must be the very same (same chain hash)
    and are skipped, so a sync cut at any moment can be run again. The rest must follow the
    stream's last event, each hash chaining from the one before and matching its fields
    (a changed or forged event is refused, and nothing is written)."""
    sid = stream_id(code)
    streams = ledger.streams  # every capability's event types, to read what arrives
    with ledger.write_lock:
        current = version(ledger, code)
        prev = head(ledger, code, current)
        mapper = ledger.app.mapper
        stored, domain = [], []
        expected = current + 1
        for e in sorted(events, key=lambda x: x.position):
            data = _decoded(ledger, e)
            if e.position <= current:
                if str(data.get("chain_hash")) != head(ledger, code, e.position):
                    raise SyncRefused(
                        _(
                            "event {position} differs from the one already here: the two "
                            "ledgers have parted",
                            position=e.position,
                        ),
                        value=e.position,
                    )
                continue
            if e.position != expected:
                raise SyncRefused(_("event {position} is missing", position=expected))
            if chain_hash(sid.hex, e.position, e.topic, data, prev) != data.get("chain_hash"):
                raise SyncRefused(
                    _(
                        "event {position}'s seal does not follow the chain: changed or forged",
                        position=e.position,
                    ),
                    value=e.position,
                )
            one = _stored(ledger, sid, e, data)
            stored.append(one)
            try:
                domain.append(cast("LedgerEvent", mapper.to_domain_event(one)))
            except UnknownEventType:
                raise SyncRefused(
                    _(
                        "event {position} is of type {topic}, which this ledger's coopledger "
                        "{software} does not know: upgrade coopledger here (or install the "
                        "plugin that records it); nothing was written",
                        position=e.position,
                        topic=e.topic,
                        software=__version__,
                    ),
                    field="event type",
                    value=e.topic,
                ) from None
            prev = str(data["chain_hash"])
            expected += 1
        if not stored:
            return current
        rows = ledger.projector.rows(domain)
        if device:  # the office: when each event arrived, beside when it was recorded
            plain_tables(ledger)
            for one in stored:
                rows.execute(
                    f"INSERT INTO {ledger.db.table(RECEIVED_TABLE)} (stream_id, position, "
                    "received_at, device, sent_by) VALUES (?, ?, ?, ?, ?)",
                    sid.hex,
                    one.originator_version,
                    now(),
                    device,
                    sent_by,
                )
        try:
            ledger.app.recorder.insert_events(stored, projection=rows)
        except IntegrityError:
            # Another request stored them meanwhile (the same sync sent twice at once):
            # run again, and the ones already here are skipped.
            streams.evict(sid)
            return receive(ledger, code, events, device=device, sent_by=sent_by)
        streams.evict(sid)
        return expected - 1


def holds(ledger: Ledger, code: str) -> dict[str, Any] | None:
    """Who holds the group's books now (None: the office)."""
    return getattr(ledger.load(code), "held", None)


def checkout_commands(ledger: Ledger, code: str, keys: list[str]) -> list[dict[str, Any]]:
    """The commands a field ledger recorded under ``keys`` (in its log)."""
    plain_tables(ledger)
    rows = ledger.db.query(
        f"SELECT idempotency_key, command FROM {ledger.db.table(COMMANDS_TABLE)} WHERE "
        "stream_id = ?",
        (stream_id(code).hex,),
    )
    by_key = {r["idempotency_key"]: json.loads(r["command"]) for r in rows}
    return [by_key[k] for k in keys if k in by_key]


def now() -> str:
    return datetime.now(tz=UTC).isoformat()


def encode_blob(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


__all__ = [
    "BATCH",
    "PROTOCOL",
    "RecallFromField",
    "RecalledFromField",
    "ReturnFromField",
    "ReturnedFromField",
    "SyncRefused",
    "TakeToField",
    "TakenToField",
    "WireEvent",
    "holds",
    "receive",
    "seal",
    "version",
    "wire_events",
]


# ---------------------------------------------------------------------- held for review
@dataclass(frozen=True)
class Held:
    """A recalled laptop's entries, held at the office for a manager: the events as the
    laptop recorded them (with the seals written on paper) and the commands that made them."""

    id: int
    group: str
    device: str
    sent_by: str
    received_at: str
    base: int  # the last position the laptop and the office shared
    events: list[WireEvent]
    commands: list[dict[str, Any]]
    status: str  # held, applied, partly applied, rejected
    outcome: str


@dataclass(frozen=True)
class Applied:
    """One held command applied again at the office, or refused there."""

    key: str
    command: str
    old_seal: str
    new_seal: str = ""
    refusal: str = ""


def held_items(ledger: Ledger, *, status: str | None = None) -> list[Held]:
    plain_tables(ledger)
    rows = ledger.db.query(
        f"SELECT * FROM {ledger.db.table(HELD_TABLE)}"
        + (" WHERE status = ?" if status else "")
        + " ORDER BY id",
        (status,) if status else (),
    )
    return [_held(r) for r in rows]


def held_item(ledger: Ledger, number: int) -> Held:
    found = [h for h in held_items(ledger) if h.id == number]
    if not found:
        raise InvalidInput("held", number, _("no entries are held under this number"))
    return found[0]


def _held(r: dict[str, Any]) -> Held:
    return Held(
        id=int(r["id"]),
        group=str(r["group_code"]),
        device=str(r["device"]),
        sent_by=str(r["sent_by"]),
        received_at=str(r["received_at"]),
        base=int(r["base"]),
        events=[WireEvent.of(e, i) for i, e in enumerate(json.loads(r["events"]))],
        commands=list(json.loads(r["commands"])),
        status=str(r["status"]),
        outcome=str(r["outcome"]),
    )


def described(ledger: Ledger, code: str, events: list[WireEvent]) -> list[tuple[int, str, Message]]:
    """Events on the wire as sentences, each with its position and its seal."""
    out = []
    mapper = ledger.app.mapper
    for e in events:
        data = _decoded(ledger, e)
        event = cast(
            "LedgerEvent", mapper.to_domain_event(_stored(ledger, stream_id(code), e, data))
        )
        out.append((e.position, seal(str(data.get("chain_hash", ""))), event.describe()))
    return out


def _key_seals(ledger: Ledger, held: Held) -> dict[str, str]:
    """The paper seal of each held command (its last event's chain hash), by key."""
    out: dict[str, str] = {}
    for e in held.events:
        data = _decoded(ledger, e)
        out[str(data.get("idempotency_key", ""))] = seal(str(data.get("chain_hash", "")))
    return out


def apply_held(ledger: Ledger, number: int, checker: str) -> list[Applied]:
    """Apply a held submission's commands again at the office, in order, each by the same
    rules on the office's books as they are now; each one recorded gets a new seal, mapped
    from the one written on paper (``cl_seal_map``); one refused is left, with why."""
    from coopledger.kernel.commands import parse_command  # noqa: PLC0415

    held = held_item(ledger, number)
    if held.status not in ("held", "partly applied"):
        raise InvalidInput("held", number, _("these entries were already decided"))
    seals = _key_seals(ledger, held)
    done: list[Applied] = []
    for data in held.commands:
        key, name = str(data.get("key", "")), str(data.get("command", ""))
        try:
            receipt = ledger.execute(parse_command(data))
        except LedgerError as e:
            done.append(Applied(key, name, seals.get(key, ""), refusal=e.message))
            continue
        done.append(Applied(key, name, seals.get(key, ""), new_seal=receipt.seal))
        if seals.get(key):
            with ledger.db.cursor(commit=True) as c:
                c.execute(
                    ledger.db.sql(
                        f"INSERT INTO {ledger.db.table(SEALS_TABLE)} (old_seal, group_code, "
                        "new_seal, position, held_id, mapped_at) VALUES (?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (old_seal) DO NOTHING"
                    ),
                    (seals[key], held.group, receipt.seal, receipt.last, held.id, now()),
                )
    refused = [a for a in done if a.refusal]
    status = "partly applied" if refused else "applied"
    outcome = "; ".join(
        f"{a.command} {a.old_seal} -> {a.new_seal or 'refused: ' + a.refusal}" for a in done
    )
    _decide(ledger, held.id, status, f"{checker}: {outcome}")
    return done


def reject_held(ledger: Ledger, number: int, checker: str, reason: str) -> None:
    """Decide not to apply a held submission (it stays stored, with who and why)."""
    held = held_item(ledger, number)
    if held.status not in ("held", "partly applied"):
        raise InvalidInput("held", number, _("these entries were already decided"))
    if not reason.strip():
        raise InvalidInput("reason", reason, _("say why"))
    _decide(ledger, held.id, "rejected", f"{checker}: {reason.strip()}")


def _decide(ledger: Ledger, number: int, status: str, outcome: str) -> None:
    with ledger.db.cursor(commit=True) as c:
        c.execute(
            ledger.db.sql(
                f"UPDATE {ledger.db.table(HELD_TABLE)} SET status = ?, outcome = ? WHERE id = ?"
            ),
            (status, outcome[:4000], number),
        )


def seal_news(ledger: Ledger, paper_seal: str) -> Message | None:
    """What became of a paper seal that is not in the office's chains: re-recorded under
    a new seal, or held for review (None: the office never heard of it)."""
    plain_tables(ledger)
    rows = ledger.db.query(
        f"SELECT * FROM {ledger.db.table(SEALS_TABLE)} WHERE old_seal = ?", (paper_seal,)
    )
    if rows:
        r = rows[0]
        return _(
            "seal {old} was recorded in the field and recorded again at the office as "
            "{new} ({group}, entry {position}; held entries #{held})",
            old=paper_seal,
            new=r["new_seal"],
            group=r["group_code"],
            position=r["position"],
            held=r["held_id"],
        )
    for h in held_items(ledger):
        if paper_seal in _key_seals(ledger, h).values():
            return _(
                "seal {old} was recorded in the field and is held for a manager "
                "({group}, held entries #{held}: {status})",
                old=paper_seal,
                group=h.group,
                held=h.id,
                status=h.status,
            )
    return None
