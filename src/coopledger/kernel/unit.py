"""The write path: a command (or a batch) decided on fresh state and saved all at once.

A :class:`Unit` is one attempt at recording one command or one batch of commands. Commands
load the streams they need through it: streams they write (the group a deposit goes to;
both the cluster and the group when a group joins a cluster) and streams their rules only
read (the group a representative comes from). When every command of the unit has been
decided, everything it triggered is saved in **one transaction**, which (see
:mod:`coopledger.kernel.storage`):

* fails if another writer added to a stream this unit writes (the stream's version key);
* fails if another writer added to a stream this unit only read (a rule that reads another
  stream is decided on state the same transaction protects);
* claims each command's idempotency key with a plain insert, so that of two writers sending
  the same key, in one process or many, exactly one records it.

:func:`record` runs the attempts: a conflict means the state moved under the command, so it
is decided again on the new state (up to ``retries`` times); a key claimed meanwhile by the
same command makes it a replay (the first writer's receipt); by a different command, an
:class:`~coopledger.errors.IdempotencyConflict`. Any other refusal by the database is raised
at once as :class:`~coopledger.errors.StorageRefused`: not retried, not reported as another
writer.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

from coopledger.errors import (
    ConcurrencyConflict,
    IdempotencyConflict,
    LedgerError,
    StorageRefused,
    UnknownCluster,
    UnknownGroup,
)
from coopledger.kernel import snapshots
from coopledger.kernel.integrity import seal
from coopledger.kernel.projection import Projector
from coopledger.kernel.storage import Database, ReadConflict
from coopledger.kernel.streams import CLUSTER_PREFIX, Chained, Stamp, stream_id

if TYPE_CHECKING:
    from coopledger.clusters.aggregate import Cluster
    from coopledger.groups.aggregate import Group
    from coopledger.kernel.commands import Command
    from coopledger.kernel.events import LedgerEvent

log = logging.getLogger(__name__)

#: Called with each unit just before it is saved (a seam for tests that force two
#: processes to interleave at the worst moment, and for tracing).
BEFORE_SAVE: list[Callable[[Unit], None]] = []
#: Rules on the whole unit, decided before it is saved (a capability registers its own:
#: a group held by a field ledger refuses other ledgers' writes). They raise a refusal.
CHECKS: list[Callable[[Unit], None]] = []
#: Asked, in order, before a command is decided: a gate that returns True has recorded the
#: command its own way (a second signature sets it aside as waiting: ``coopledger.approvals``)
#: and the command's own rules are not run now.
GATES: list[Callable[[Unit, Command], bool]] = []
#: Called with the unit and its projection rows: more rows to write in the same
#: transaction (a field ledger's log of the commands it recorded).
WITH_ROWS: list[Callable[[Unit, Any], None]] = []


@dataclass(frozen=True)
class Receipt:
    """What a command recorded: its stream, the positions it wrote there, its result."""

    group: str  # the stream: a group's code, or CLUSTER:<code>
    first: int
    last: int
    replayed: bool = False
    result: Any = None
    head: str = ""  # the stream's chain hash after the command

    @property
    def stream(self) -> str:
        return self.group

    @property
    def positions(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def seal(self) -> str:
        """The chain head as a short seal, to write in the paper minutes."""
        return seal(self.head) if self.head else ""


class Streams:
    """Loads streams for units: from a cache of live aggregates (brought up to date with
    what other processes recorded since), else from a checked snapshot and the events after
    it, else from the first event."""

    def __init__(self, app: Application[Any], cache_size: int = 256) -> None:
        self.app = app
        self.cache_size = cache_size
        self._cache: OrderedDict[UUID, Chained] = OrderedDict()
        self._guard = threading.Lock()

    def load(self, sid: UUID) -> Chained | None:
        with self._guard:
            cached = self._cache.pop(sid, None)
        aggregate = cached if cached is not None else self._from_store(sid)
        if aggregate is None:
            return None
        newer = self.app.events.get(sid, gt=aggregate.version)
        for event in newer:
            aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def _from_store(self, sid: UUID) -> Chained | None:
        found = snapshots.latest(self.app, sid)
        aggregate: Chained | None = None
        if found is not None:
            snapshot, checked = found
            if snapshot is not None and not checked.problem:
                aggregate = snapshots.restore(snapshot)
            else:
                log.warning(
                    "snapshot of stream %s at %s ignored: %s", sid, checked.version, checked.problem
                )
        if aggregate is not None:
            return aggregate
        for event in self.app.events.get(sid):
            aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def keep(self, aggregate: Chained) -> None:
        """Cache an aggregate whose every event is saved."""
        with self._guard:
            self._cache[aggregate.id] = aggregate
            self._cache.move_to_end(aggregate.id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def evict(self, sid: UUID) -> None:
        with self._guard:
            self._cache.pop(sid, None)


@dataclass
class Unit:
    """One attempt at recording a command or a batch (see the module docstring)."""

    streams: Streams
    stamp: Stamp
    writes: dict[UUID, Chained] = field(default_factory=dict)
    reads: dict[UUID, Chained] = field(default_factory=dict)
    base: dict[UUID, int] = field(default_factory=dict)  # versions as loaded
    extra: dict[str, Any] = field(default_factory=dict)  # what the ledger lends commands
    #: Each stream's holder when loaded (a field ledger's device, or None): see
    #: :mod:`coopledger.field`.
    holds: dict[UUID, Any] = field(default_factory=dict)
    #: The commands decided in this unit with the stamp each was recorded under.
    stamped: list[tuple[Command, Stamp]] = field(default_factory=list)

    # ------------------------------------------------------------------ loading
    def load(self, key: str, *, write: bool = True) -> Chained:
        """The stream with this key (a group code or ``CLUSTER:<code>``), for writing or,
        with ``write=False``, for a rule to read (the save then checks nobody changed it)."""
        sid = stream_id(key)
        found = self.writes.get(sid) or self.reads.get(sid)
        if found is None:
            found = self.streams.load(sid)
            if found is None:
                if key.upper().startswith(CLUSTER_PREFIX):
                    raise UnknownCluster(key.upper().removeprefix(CLUSTER_PREFIX))
                raise UnknownGroup(key.upper())
            self.base[sid] = found.version
            self.holds[sid] = getattr(found, "held", None)
            (self.writes if write else self.reads)[sid] = found
        elif write and sid in self.reads:
            self.writes[sid] = self.reads.pop(sid)
        return found

    def event(self, key: str, position: int) -> LedgerEvent:
        """The event at ``position`` in a stream: one this unit has yet to save (an entry
        made earlier in the same batch), else the stored one."""
        aggregate = self.writes.get(stream_id(key))
        if aggregate is not None:
            pending = aggregate.pending_events
            first = aggregate.version - len(pending) + 1
            if first <= position <= aggregate.version:
                return pending[position - first]  # type: ignore[return-value]
        found: LedgerEvent = self.extra["event"](key, position)
        return found

    def exists(self, key: str) -> bool:
        sid = stream_id(key)
        return sid in self.writes or sid in self.reads or self.streams.load(sid) is not None

    def group(self, code: str, *, write: bool = True) -> Group:
        return self.load(code, write=write)  # type: ignore[return-value]

    def cluster(self, code: str, *, write: bool = True) -> Cluster:
        return self.load(CLUSTER_PREFIX + code.upper().removeprefix(CLUSTER_PREFIX), write=write)  # type: ignore[return-value]

    def start(self, aggregate: Chained) -> None:
        """A stream this unit creates."""
        self.base[aggregate.id] = 0
        self.writes[aggregate.id] = aggregate

    # ------------------------------------------------------------------ saving
    def pending(self) -> list[Any]:
        return [e for a in self.writes.values() for e in a.pending_events]

    def discard(self) -> None:
        """Forget every stream this unit touched (their cached state may be half-changed)."""
        for sid in [*self.writes, *self.reads]:
            self.streams.evict(sid)


class Ledgerish(Protocol):
    """What :func:`record` needs from the ledger (kept small for the kernel)."""

    @property
    def app(self) -> Application[Any]: ...  # pragma: no cover - protocol

    db: Database
    projector: Projector

    @property
    def streams(self) -> Streams: ...  # pragma: no cover - protocol

    retries: int
    write_lock: threading.RLock

    def stamp(
        self, command: Command, fingerprint: str | None = None
    ) -> Stamp:  # pragma: no cover - protocol
        raise NotImplementedError

    def lend(self, unit: Unit) -> None:  # pragma: no cover - protocol
        """Give a unit what commands may use besides streams (reports, the clock ...)."""


class BatchRefused(LedgerError):
    """Some commands of a batch were refused; nothing was written. ``errors``: (index,
    refusal) pairs, counting from 0."""

    def __init__(self, errors: Iterable[tuple[int, LedgerError]]) -> None:
        self.errors = list(errors)
        i, first = self.errors[0]
        from coopledger.i18n import _  # noqa: PLC0415

        super().__init__(
            _(
                "{n} command(s) refused, nothing written; the first (number {i}): {first}",
                n=len(self.errors),
                i=i + 1,
                first=first.reason,
            ),
            field=first.field,
            value=first.value,
        )


def record(ledger: Ledgerish, commands: Sequence[Command], *, batch: bool = False) -> list[Receipt]:
    """Record ``commands`` in one transaction (see the module docstring); every command is
    checked before anything is saved. A refusal is raised as it is (``batch``: every
    refusal of the batch, as :class:`BatchRefused`); nothing is written."""
    with ledger.write_lock:
        for attempt in range(ledger.retries):
            unit = Unit(ledger.streams, None)  # type: ignore[arg-type]
            ledger.lend(unit)
            try:
                receipts, errors = _decide(ledger, unit, commands, batch=batch)
                if errors:
                    raise BatchRefused(errors) if batch else errors[0][1]
                if unit.pending():
                    _save(ledger, unit)
            except (IntegrityError, OperationalError) as e:
                unit.discard()
                if isinstance(e, ReadConflict) or _moved(ledger, unit):
                    _backoff(attempt)
                    continue
                if _claimed(ledger, commands):
                    continue  # decided again: now a replay, or a conflict of keys
                raise StorageRefused(_detail(e)) from e
            except PersistenceError as e:
                unit.discard()
                raise StorageRefused(_detail(e)) from e
            except BaseException:
                unit.discard()
                raise
            for aggregate in [*unit.writes.values(), *unit.reads.values()]:
                ledger.streams.keep(aggregate)
            return receipts
    stream = ",".join(sorted({c.stream for c in commands}))
    raise ConcurrencyConflict(stream, ledger.retries)


def preview(ledger: Ledgerish, command: Command) -> list[Any]:
    """The events ``command`` would record now, decided by the same rules on the same
    state, and nothing saved (a loan's schedule, a correction's reversal, shown before the
    user confirms). A refusal is raised as :func:`record` raises it. A replay of a key
    already recorded previews nothing (``[]``)."""
    with ledger.write_lock:
        unit = Unit(ledger.streams, None)  # type: ignore[arg-type]
        ledger.lend(unit)
        try:
            _, errors = _decide(ledger, unit, [command], batch=False)
            if errors:
                raise errors[0][1]
            return unit.pending()
        finally:
            unit.discard()  # the streams it loaded hold the unsaved events: forget them


def _decide(
    ledger: Ledgerish, unit: Unit, commands: Sequence[Command], *, batch: bool
) -> tuple[list[Receipt], list[tuple[int, LedgerError]]]:
    receipts: list[Receipt] = []
    errors: list[tuple[int, LedgerError]] = []
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for i, command in enumerate(commands):
        pending = len(unit.pending())
        try:
            receipts.append(_one(ledger, unit, command, seen, receipts, i))
        except LedgerError as e:
            errors.append((i, e))
            receipts.append(Receipt(command.stream, 0, 0))
            if not batch or len(unit.pending()) != pending:
                break  # a refusal that left events behind: the rest would be judged wrongly
    for aggregate in unit.reads.values():
        if aggregate.pending_events:
            raise RuntimeError(f"a command wrote to stream {aggregate.id} it only read")
    if not errors:
        try:
            for check in CHECKS:
                check(unit)
        except LedgerError as e:
            errors.append((0, e))
    return receipts, errors


def _one(
    ledger: Ledgerish,
    unit: Unit,
    command: Command,
    seen: dict[tuple[str, str], tuple[str, int]],
    receipts: list[Receipt],
    i: int,
) -> Receipt:
    stream = command.stream
    fingerprint = command.fingerprint()
    if command.key is not None:
        earlier = seen.get((stream, command.key))
        if earlier is not None:
            if earlier[0] != fingerprint:
                raise IdempotencyConflict(command.key)
            r = receipts[earlier[1]]
            return Receipt(r.group, r.first, r.last, True, r.result, r.head)
        prior = _prior(ledger, stream, command.key, fingerprint)
        if prior is not None:
            return prior
        seen[stream, command.key] = (fingerprint, i)
    unit.stamp = ledger.stamp(command, fingerprint)
    unit.stamped.append((command, unit.stamp))
    sid = stream_id(stream)
    before = len(unit.writes[sid].pending_events) if sid in unit.writes else 0
    if not any(gate(unit, command) for gate in GATES):
        command.handle(unit)
    aggregate = unit.writes.get(sid)
    if aggregate is None:
        raise LookupError(f"{command.command_name} wrote nothing to its stream {stream}")
    mine = aggregate.pending_events[before:]
    first = aggregate.version - len(mine) + 1
    return Receipt(
        stream.upper(),
        first,
        aggregate.version,
        result=result_of(mine, aggregate.version),
        head=aggregate.chain_head,
    )


def result_of(events: Sequence[Any], last: int) -> Any:
    """What a command returns: the first result its events give (a new member's number, a
    loan's number), else the position of its last event."""
    for e in events:
        found = e.result()
        if found is not None:
            return found
    return last


def _save(ledger: Ledgerish, unit: Unit) -> None:
    for hook in BEFORE_SAVE:
        hook(unit)
    events = unit.pending()
    rows = ledger.projector.rows(events)
    for add in WITH_ROWS:
        add(unit, rows)
    reads = {sid: unit.base[sid] for sid in unit.reads}
    saved = {a.id: len(a.pending_events) for a in unit.writes.values()}
    ledger.app.save(*unit.writes.values(), projection=rows, reads=reads)
    for aggregate in unit.writes.values():
        if snapshots.due(aggregate, saved[aggregate.id]):
            try:
                snapshots.take(ledger.app, aggregate)
            except Exception:  # a snapshot is a cache: the events are saved
                log.exception("could not snapshot stream %s", aggregate.id)


def _prior(ledger: Ledgerish, stream: str, key: str, fingerprint: str) -> Receipt | None:
    rows = ledger.db.query(
        f"SELECT command_hash, first_position, last_position, head, result FROM "
        f"{ledger.projector.t('commands')} WHERE stream_id = ? AND idempotency_key = ?",
        (stream_id(stream).hex, key),
    )
    if not rows:
        return None
    row = rows[0]
    if row["command_hash"] != fingerprint:
        raise IdempotencyConflict(key)
    result = json.loads(row["result"])
    return Receipt(
        stream.upper(),
        row["first_position"],
        row["last_position"],
        replayed=True,
        result=row["last_position"] if result is None else result,
        head=row["head"],
    )


def _moved(ledger: Ledgerish, unit: Unit) -> bool:
    """Whether another writer added to a stream this unit wrote or read."""
    sids = [*unit.writes, *unit.reads]
    if not sids:
        return False
    table = ledger.db.table(ledger.app.recorder.events_table_name)  # type: ignore[attr-defined]
    for sid in sids:
        param: Any = sid.hex if ledger.db.dialect == "sqlite" else sid
        rows = ledger.db.query(
            f"SELECT MAX(originator_version) AS v FROM {table} WHERE originator_id = ?", (param,)
        )
        if (rows[0]["v"] or 0) != unit.base.get(sid, 0):
            return True
    return False


def _claimed(ledger: Ledgerish, commands: Iterable[Command]) -> bool:
    """Whether one of the commands' keys was claimed by another writer meanwhile."""
    for command in commands:
        if command.key is None:
            continue
        rows = ledger.db.query(
            f"SELECT 1 FROM {ledger.projector.t('commands')} WHERE stream_id = ? AND "
            "idempotency_key = ?",
            (stream_id(command.stream).hex, command.key),
        )
        if rows:
            return True
    return False


def _detail(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def _backoff(attempt: int) -> None:
    """Sleep up to 2 ms, 4 ms, 8 ms ... (at most 100 ms) before deciding again."""
    time.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))  # noqa: S311


__all__ = ["BatchRefused", "Receipt", "Streams", "Unit", "record"]
