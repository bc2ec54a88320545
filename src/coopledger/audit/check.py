"""The auditor's check, in one pass over the stored events: the hash chains, the
projections, the snapshots and the rules.

For each stream (a group's or a cluster's), its rows are read straight from the events
table with plain SQL and decoded **once**; the same decoded rows serve

* the **chain**: each event's hash re-computed from its stored fields and the previous
  event's hash (see :mod:`coopledger.kernel.integrity`); the first event changed, removed,
  reordered or inserted is reported;
* the **replay**: the events (upcast, as the ledger reads them) projected into a private
  in-memory database by the same projector as the live one, and compared row by row with
  the live tables (nothing is written to the ledger's database);
* the **snapshots**: the stream's latest snapshot checked (shape, digest, head) and its
  state compared with the state the events build up to its version;
* the **rules**: no cash box, rice sack, member's savings or debt below zero on any day,
  from the replayed postings (an overdraft that reached the log, for example through a
  snapshot edited by hand, is found here even after the snapshot is gone).

:func:`verify` runs the chain (and proves a seal), :func:`replay` the projections,
:func:`audit` everything; streams are taken a chunk at a time, so memory stays flat.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import resolve_topic

from coopledger import accounts as acc
from coopledger.errors import UnknownCluster, UnknownGroup
from coopledger.kernel import snapshots
from coopledger.kernel.bulk import collector_paused
from coopledger.kernel.events import LedgerEvent
from coopledger.kernel.integrity import (
    Finding,
    StoredRow,
    StreamCheck,
    normalise_seal,
    seal,
    walk,
)
from coopledger.kernel.projection import TABLES, Projector
from coopledger.kernel.storage import Database, StoreConfig
from coopledger.kernel.streams import CLUSTER_PREFIX, stream_id
from coopledger.money import RICE, format_grams, format_taka

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

Progress = Callable[[int, int], None]
#: How many events a chunk of streams may hold before it is compared and dropped.
CHUNK_EVENTS = 60_000


@dataclass(frozen=True)
class Difference:
    """A projection row that the replay and the live tables disagree on."""

    table: str
    side: str  # "live only" or "replay only"
    row: tuple[Any, ...]


@dataclass(frozen=True)
class RuleProblem:
    """A balance that went below zero: the rules were broken in the log itself."""

    group: str
    account: str
    business_date: str
    balance: str

    def __str__(self) -> str:
        return (
            f"{self.group}: {self.account} stood at {self.balance} on "
            f"{self.business_date}: below zero"
        )


@dataclass
class StreamAudit:
    """What was found about one stream."""

    chain: StreamCheck
    differences: list[Difference] = field(default_factory=list)
    snapshot: str = ""  # a problem with the stream's latest snapshot, if any
    rules: list[RuleProblem] = field(default_factory=list)
    #: Event types in the stream this installation does not know (a plugin's, not
    #: installed): the chain is walked, the projections are not compared.
    unknown: list[str] = field(default_factory=list)

    @property
    def group(self) -> str:
        return self.chain.group

    @property
    def ok(self) -> bool:
        return (
            self.chain.ok
            and not self.differences
            and not self.snapshot
            and not self.rules
            and not self.unknown
        )


@dataclass
class Audit:
    """The outcome of a check: one entry per stream, and the seal if one was given."""

    streams: list[StreamAudit] = field(default_factory=list)
    seal: str | None = None
    sealed_group: str | None = None
    sealed_position: int | None = None
    chains: bool = True
    projections: bool = True

    @property
    def checks(self) -> list[StreamCheck]:
        return [s.chain for s in self.streams]

    @property
    def differences(self) -> list[Difference]:
        return [d for s in self.streams for d in s.differences]

    @property
    def events(self) -> int:
        return sum(s.chain.events for s in self.streams)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.streams) and (
            self.seal is None or self.sealed_position is not None
        )

    def heads(self) -> dict[str, str]:
        """Each stream's chain head as a seal."""
        return {c.group: seal(c.head) for c in self.checks if c.events}

    def findings(self) -> list[Finding]:
        return [c.finding for c in self.checks if c.finding is not None]


def streams(ledger: Ledger) -> list[UUID]:
    """Every stream in the events table (not from the projections, which could lie)."""
    table = ledger.db.table(ledger.events_table)
    rows = ledger.db.query(f"SELECT DISTINCT originator_id AS s FROM {table}")
    return sorted(r["s"] if isinstance(r["s"], UUID) else UUID(r["s"]) for r in rows)


def stored_rows(ledger: Ledger, stream: UUID) -> list[StoredRow]:
    """A stream's rows as stored, decoded (decrypted, decompressed) but not upcast."""
    nid = "rowid" if ledger.db.dialect == "sqlite" else "notification_id"
    table = ledger.db.table(ledger.events_table)
    param: Any = stream.hex if ledger.db.dialect == "sqlite" else stream
    rows = ledger.db.query(
        f"SELECT {nid} AS nid, originator_version AS position, topic, state FROM {table} "
        "WHERE originator_id = ? ORDER BY originator_version",
        (param,),
    )
    mapper = ledger.app.mapper
    decode = mapper.transcoder.decode
    out = []
    for r in rows:
        data: dict[str, Any] | None
        try:
            state = bytes(r["state"])
            if mapper.cipher:
                state = mapper.cipher.decrypt(state)
            if mapper.compressor:
                state = mapper.compressor.decompress(state)
            decoded = decode(state)
            data = decoded if isinstance(decoded, dict) else None
        except Exception:  # noqa: BLE001 - any failure to read is a finding
            data = None
        out.append(StoredRow(int(r["nid"]), int(r["position"]), str(r["topic"]), data))
    return out


_LOADED: list[bool] = []


def every_capability() -> None:
    """Import every capability (their event types and tables) once, when events are to be
    read: re-walking the chains needs none of them, so ``coopledger verify`` starts as fast
    as a report."""
    if not _LOADED:
        import coopledger.capabilities  # noqa: F401, PLC0415

        _LOADED.append(True)


def unknown_types(rows: list[StoredRow]) -> list[str]:
    """The event types among ``rows`` that no installed code defines (a plugin's)."""
    every_capability()
    unknown = set()
    for topic in {r.topic for r in rows}:
        try:
            resolve_topic(topic)
        except Exception:  # noqa: BLE001 - any failure to import the type's module
            unknown.add(topic)
    return sorted(unknown)


def event_of(stream: UUID, row: StoredRow) -> LedgerEvent | None:
    """The domain event a decoded row holds (upcast as the ledger reads it), or None."""
    if row.data is None:
        return None
    if not _LOADED:
        every_capability()
    try:
        cls = resolve_topic(row.topic)
    except Exception:  # noqa: BLE001 - an unknown topic is the chain's finding already
        return None
    state = dict(row.data)
    state["originator_id"] = stream
    state["originator_version"] = row.position
    version = getattr(cls, "class_version", 1)
    start = state.pop("class_version", 1)
    while start < version:
        getattr(cls, f"upcast_v{start}_v{start + 1}")(state)
        start += 1
    event: LedgerEvent = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event


def _targets(ledger: Ledger, group: str | None) -> list[UUID]:
    every = streams(ledger)
    if group is None:
        return every
    sid = stream_id(group)
    if sid not in every:
        if group.upper().startswith(CLUSTER_PREFIX):
            raise UnknownCluster(group.upper().removeprefix(CLUSTER_PREFIX))
        raise UnknownGroup(group.upper())
    return [sid]


def audit(
    ledger: Ledger,
    group: str | None = None,
    *,
    chains: bool = True,
    projections: bool = True,
    seal_code: str | None = None,
    progress: Progress | None = None,
) -> Audit:
    """Check one stream (a group's code, or ``CLUSTER:<code>``) or all of them."""
    wanted = normalise_seal(seal_code) if seal_code else None
    targets = _targets(ledger, group)
    result = Audit(seal=wanted, chains=chains, projections=projections)
    total = _count(ledger, group)
    if projections:
        every_capability()  # before the scratch tables are made: every capability's tables
    memory = _Memory() if projections else None
    done = 0
    with collector_paused():
        try:
            for chunk in _chunks(ledger, targets):
                audits = [_one(ledger, sid, rows, wanted, memory) for sid, rows in chunk]
                if memory is not None:
                    _compare(ledger, memory, audits, [sid for sid, _ in chunk])
                for a in audits:
                    if not chains:
                        a.chain = StreamCheck(
                            a.chain.group,
                            a.chain.stream,
                            a.chain.events,
                            a.chain.head,
                            None,
                            a.chain.seals,
                        )
                    result.streams.append(a)
                    if wanted and wanted in a.chain.seals:
                        result.sealed_group, result.sealed_position = (
                            a.chain.group,
                            a.chain.seals[wanted],
                        )
                    done += a.chain.events
                if progress:
                    progress(done, total)
        finally:
            if memory is not None:
                memory.close()
    return result


def verify(
    ledger: Ledger,
    group: str | None = None,
    seal_code: str | None = None,
    progress: Progress | None = None,
) -> Audit:
    """Re-walk the hash chains of one stream or of all; optionally prove a seal."""
    return audit(ledger, group, projections=False, seal_code=seal_code, progress=progress)


def replay(ledger: Ledger, group: str | None = None, progress: Progress | None = None) -> Audit:
    """Replay the events into a private database and compare with the live projections."""
    return audit(ledger, group, chains=False, progress=progress)


def _count(ledger: Ledger, group: str | None) -> int:
    table = ledger.db.table(ledger.events_table)
    if group is None:
        return int(ledger.db.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
    sid = stream_id(group)
    param: Any = sid.hex if ledger.db.dialect == "sqlite" else sid
    return int(
        ledger.db.query(f"SELECT COUNT(*) AS n FROM {table} WHERE originator_id = ?", (param,))[0][
            "n"
        ]
    )


def _chunks(
    ledger: Ledger, targets: Sequence[UUID]
) -> Iterator[list[tuple[UUID, list[StoredRow]]]]:
    chunk: list[tuple[UUID, list[StoredRow]]] = []
    size = 0
    for sid in targets:
        rows = stored_rows(ledger, sid)
        chunk.append((sid, rows))
        size += len(rows)
        if size >= CHUNK_EVENTS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


#: Tables whose rows events only ever insert: their replayed rows are kept in Python and
#: compared with the live ones without being written anywhere.
DIVERTED = frozenset({"passbook"})
#: The postings' sums, also compared straight from what the replay computed.
SUMS = ("movements", "month_movements", "balances")


class _Memory:
    """What the replay of a chunk of streams implies: the rows of insert-only tables and the
    postings' sums in Python; the other tables (which events also update) in a private
    in-memory SQLite database."""

    def __init__(self) -> None:
        name = f"file:audit-{uuid.uuid4().hex}?mode=memory&cache=shared"
        self.datastore = SQLiteDatastore(name)
        self.db = Database(StoreConfig("sqlite", {}), self.datastore)
        self.projector = Projector(self.db)
        self.projector.create_tables()
        self.expected: dict[str, list[tuple[Any, ...]]] = defaultdict(list)

    def add(self, events: list[LedgerEvent]) -> None:
        rows = self.projector.rows(events, claim_keys=False, divert=DIVERTED | {"movements"})
        with self.db.cursor(commit=True) as c:
            rows.write(c)
        for table, found in rows.diverted.items():
            self.expected[table] += found
        for table, found in zip(SUMS, rows.sums(), strict=True):
            self.expected[table] += [r for r in found if r[-1] != 0]

    def replayed(self, name: str, hexes: list[str]) -> list[tuple[Any, ...]]:
        """The replayed rows of one table, in key order."""
        if name in self.expected or name in DIVERTED or name in SUMS:
            rows, positions = self.expected.get(name, []), _key_positions(name)
            if positions == list(range(len(positions))):
                # The key leads each row and is unique: plain tuple order is key order (and
                # much cheaper than a key function).
                return sorted(rows)
            return sorted(rows, key=itemgetter(*positions))
        return _rows(self.db, self.projector.t(name), name, hexes)

    def clear(self) -> None:
        self.db.execute([f"DELETE FROM {self.projector.t(n)}" for n in TABLES])
        self.expected.clear()

    def close(self) -> None:
        self.datastore.close()


def _key_positions(name: str) -> list[int]:
    declared = TABLES[name]
    columns = _columns(name)
    return [columns.index(k) for k in declared.key]


def _columns(name: str) -> list[str]:
    """A table's columns in order, as declared."""
    return [c.strip().split()[0] for c in TABLES[name].columns.split(",")]


def _one(
    ledger: Ledger, sid: UUID, rows: list[StoredRow], wanted: str | None, memory: _Memory | None
) -> StreamAudit:
    chain = walk(sid.hex, rows, want_seals=wanted is not None)
    found = StreamAudit(chain)
    if memory is None:
        return found  # the chains alone read no event
    found.unknown = unknown_types(rows)
    if found.unknown:
        return found  # replaying without some events would only list their rows
    events = [e for e in (event_of(sid, r) for r in rows) if e is not None]
    found.snapshot = _snapshot_problem(ledger, sid, events)
    if events:
        memory.add(events)
    return found


def _snapshot_problem(ledger: Ledger, sid: UUID, events: list[LedgerEvent]) -> str:
    """A problem with the stream's latest snapshot: its own checks, then its state against
    the state its stream's events build up to its version."""
    found = snapshots.latest(ledger.app, sid)
    if found is None:
        return ""
    snapshot, check = found
    if snapshot is None:
        return ""  # a snapshot of an earlier version's format: never used, so harmless
    if check.problem:
        return f"snapshot at {check.version}: {check.problem}"
    aggregate: Any = None
    try:
        for e in events[: check.version]:
            aggregate = e.mutate(aggregate)
    except Exception as e:  # noqa: BLE001 - a broken fold is reported by the chain check
        return f"snapshot at {check.version}: the events cannot be replayed ({e})"
    if aggregate is None or snapshots.digest(snapshots.state_of(aggregate)) != snapshot.digest:
        return (
            f"snapshot at {check.version}: its state is not what the events build: "
            "changed after it was taken"
        )
    return ""


def _compare(ledger: Ledger, memory: _Memory, audits: list[StreamAudit], sids: list[UUID]) -> None:
    """Compare the replayed rows of these streams with the live ones, table by table (not
    those holding event types this installation does not know)."""
    pairs = [(sid, a) for sid, a in zip(sids, audits, strict=True) if not a.unknown]
    sids, audits = [sid for sid, _ in pairs], [a for _, a in pairs]
    by_stream = {sid.hex: a for sid, a in pairs}
    hexes = list(by_stream)
    for name in TABLES:
        live = _rows(ledger.db, ledger.projector.t(name), name, hexes)
        replayed = memory.replayed(name, hexes)
        if live == replayed:
            continue
        for side, rows in (
            ("live only", sorted(set(live) - set(replayed), key=repr)),
            ("replay only", sorted(set(replayed) - set(live), key=repr)),
        ):
            for row in rows:
                owner = by_stream.get(str(row[0]))
                if owner is not None:
                    owner.differences.append(Difference(name, side, row))
    movements = memory.replayed("movements", hexes)
    for sid, a in zip(sids, audits, strict=True):
        a.rules = _rules([m for m in movements if m[0] == sid.hex], a.group)
    memory.clear()


def _rows(db: Database, table: str, name: str, hexes: list[str]) -> list[tuple[Any, ...]]:
    """One table's rows of these streams, in key order, as tuples of its declared columns."""
    declared = TABLES[name]
    columns = ", ".join(_columns(name))
    amount = " AND amount <> 0" if "amount BIGINT" in declared.columns else ""
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(hexes), 500):
        part = hexes[i : i + 500]
        marks = ", ".join("?" for _ in part)
        out += db.tuples(
            f"SELECT {columns} FROM {table} WHERE {declared.key[0]} IN ({marks}){amount} "
            f"ORDER BY {', '.join(declared.key)}",
            part,
        )
    return out


def _rules(movements: list[tuple[Any, ...]], group: str) -> list[RuleProblem]:
    """Guarded accounts that stood below zero at the end of some day (``movements``: one
    stream's replayed rows, in key order: account, commodity, day)."""
    problems: list[RuleProblem] = []
    running: dict[tuple[str, str], int] = {}
    flagged: set[str] = set()
    for _sid, account, commodity, day, amount in movements:
        if not acc.is_guarded(account) or account in flagged:
            continue
        key = (account, commodity)
        running[key] = running.get(key, 0) + int(amount)
        if running[key] * acc.normal_sign(account) < 0:
            flagged.add(account)
            shown = (
                format_grams(running[key])
                if commodity == RICE
                else f"{format_taka(running[key])} Tk"
            )
            problems.append(RuleProblem(group, account, day, shown))
    return problems
