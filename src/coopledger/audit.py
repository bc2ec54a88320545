"""The auditor's tools: replay, verify, and the books as they stood at a recording time.

* :func:`replay` rebuilds every projection from the first event into scratch tables and
  lists every row that differs from the live projections.
* :func:`verify` re-walks each group's hash chain straight from the events table (it does
  not trust the projections or the application's reading path) and reports the first event
  that was changed, removed, reordered or inserted; given a seal from the paper minutes it
  says how far the history is proven unchanged.
* :func:`as_recorded` gives :class:`~coopledger.reports.Reports` over only the events
  recorded by a given time: "what did the books say on the day of the review?", as opposed
  to reports ``as_of`` a business date, which include later back-dated entries and
  corrections.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteDatastore

from coopledger import events as ev
from coopledger.errors import InvalidInput, UnknownGroup
from coopledger.group import stream_id
from coopledger.integrity import StoredRow, StreamCheck, normalise_seal, seal, walk
from coopledger.projections import TABLES, Projector
from coopledger.reports import Reports
from coopledger.storage import Database, StoreConfig

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------- raw events
def _events_table(ledger: Ledger) -> str:
    name: str = ledger.app.recorder.events_table_name  # type: ignore[attr-defined]
    return ledger.db.table(name)


def _stream_param(ledger: Ledger, stream: UUID) -> Any:
    return stream.hex if ledger.db.dialect == "sqlite" else stream


def streams(ledger: Ledger) -> list[UUID]:
    """Every stream in the events table (not from the projections, which could lie)."""
    rows = ledger.db.query(f"SELECT DISTINCT originator_id AS s FROM {_events_table(ledger)}")
    return sorted(r["s"] if isinstance(r["s"], UUID) else UUID(r["s"]) for r in rows)


def stored_rows(ledger: Ledger, stream: UUID) -> list[StoredRow]:
    """A stream's rows as stored, decoded (decrypted, decompressed) but not upcast."""
    nid = "rowid" if ledger.db.dialect == "sqlite" else "notification_id"
    rows = ledger.db.query(
        f"SELECT {nid} AS nid, originator_version AS position, topic, state FROM "
        f"{_events_table(ledger)} WHERE originator_id = ? ORDER BY originator_version",
        (_stream_param(ledger, stream),))
    mapper = ledger.app.mapper
    out = []
    for r in rows:
        data: dict[str, Any] | None
        try:
            state = bytes(r["state"])
            if mapper.cipher:
                state = mapper.cipher.decrypt(state)
            if mapper.compressor:
                state = mapper.compressor.decompress(state)
            decoded = mapper.transcoder.decode(state)
            data = decoded if isinstance(decoded, dict) else None
        except Exception:  # noqa: BLE001 - any failure to read is a finding
            data = None
        out.append(StoredRow(int(r["nid"]), int(r["position"]), str(r["topic"]), data))
    return out


# ---------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Verification:
    """The outcome of ``verify``: one check per group, and the seal if one was given."""

    checks: list[StreamCheck]
    seal: str | None = None
    sealed_group: str | None = None
    sealed_position: int | None = None

    @property
    def ok(self) -> bool:
        chains = all(c.ok for c in self.checks)
        return chains and (self.seal is None or self.sealed_position is not None)

    @property
    def events(self) -> int:
        return sum(c.events for c in self.checks)

    def heads(self) -> dict[str, str]:
        """Each group's chain head as a seal."""
        return {c.group: seal(c.head) for c in self.checks if c.events}


def verify(ledger: Ledger, group: str | None = None, seal_code: str | None = None,
           progress: Progress | None = None) -> Verification:
    """Re-walk the hash chains of one group or of all; optionally prove a seal."""
    wanted = normalise_seal(seal_code) if seal_code else None
    if group is not None:
        targets = [stream_id(group)]
        if targets[0] not in streams(ledger):
            raise UnknownGroup(group)
    else:
        targets = streams(ledger)
    checks, found_group, found_position = [], None, None
    for i, stream in enumerate(targets):
        check = walk(stream.hex, stored_rows(ledger, stream), want_seals=wanted is not None)
        checks.append(check)
        if wanted and wanted in check.seals:
            found_group, found_position = check.group, check.seals[wanted]
        if progress:
            progress(i + 1, len(targets))
    return Verification(checks, wanted, found_group, found_position)


# ---------------------------------------------------------------------- replay
@dataclass(frozen=True)
class Difference:
    """A projection row that the replay and the live tables disagree on."""

    table: str
    side: str  # "live only" or "replay only"
    row: tuple[Any, ...]


@dataclass
class Replay:
    events: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


SCRATCH = "cl_replay_"


def _only_in(db: Database, first: Projector, second: Projector, table: str,
             gid: str | None) -> list[tuple[Any, ...]]:
    """Rows of ``first``'s table missing from ``second``'s (the database compares)."""
    where, params = [], []
    if gid:
        where.append("cluster_id = ?" if table.startswith("cluster") else "group_id = ?")
    if table in ("movements", "balances"):
        where.append("amount <> 0")
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    if gid:
        params = [gid, gid]
    rows = db.query(f"SELECT * FROM {first.t(table)}{clause} EXCEPT "
                    f"SELECT * FROM {second.t(table)}{clause}", params)
    return sorted((tuple(r.values()) for r in rows), key=repr)


def replay(ledger: Ledger, group: str | None = None, progress: Progress | None = None,
           batch: int = 5000) -> Replay:
    """Rebuild every projection from the first event into scratch tables and compare."""
    if group is not None:
        events: Iterable[ev.LedgerEvent] = ledger.events(group)  # refuses an unknown group
        total = len(events)  # type: ignore[arg-type]
    else:
        events = ledger.all_events()
        total = int(ledger.db.query(
            f"SELECT COUNT(*) AS n FROM {_events_table(ledger)}")[0]["n"])
    scratch = Projector(ledger.db, SCRATCH)
    scratch.drop_tables()
    scratch.create_tables()
    result = Replay()
    try:
        for chunk in _chunks(events, batch):
            with ledger.db.cursor(commit=True) as c:
                scratch.batch(chunk).write(c)
            result.events += len(chunk)
            if progress:
                progress(result.events, total)
        gid = stream_id(group).hex if group else None
        for table in TABLES:
            result.differences += [
                Difference(table, "live only", r)
                for r in _only_in(ledger.db, ledger.projector, scratch, table, gid)]
            result.differences += [
                Difference(table, "replay only", r)
                for r in _only_in(ledger.db, scratch, ledger.projector, table, gid)]
    finally:
        scratch.drop_tables()
    return result


def _chunks(items: Iterable[ev.LedgerEvent], size: int) -> Iterator[list[ev.LedgerEvent]]:
    chunk: list[ev.LedgerEvent] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------------- as recorded
class RecordedReports(Reports):
    """Reports over the events recorded by ``recorded_by_time`` (a private in-memory copy)."""

    def __init__(self, db: Database, projector: Projector, at: datetime,
                 datastore: SQLiteDatastore) -> None:
        super().__init__(db, projector)
        self.recorded_at = at
        self._datastore = datastore

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._datastore.close()

    def __enter__(self) -> RecordedReports:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_recorded(ledger: Ledger, at: datetime, group: str | None = None) -> RecordedReports:
    """Reports as the books stood once recording time ``at`` had passed.

    Every report method takes ``as_of`` as usual; events recorded after ``at`` (later
    entries, back-dated entries, corrections) are left out.
    """
    if at.tzinfo is None:
        raise InvalidInput("as_recorded", at, "give a time with its time zone")
    name = f"file:recorded-{uuid.uuid4().hex}?mode=memory&cache=shared"
    datastore = SQLiteDatastore(name)
    db = Database(StoreConfig("sqlite", {}), datastore)
    projector = Projector(db)
    projector.create_tables()
    source = ledger.events(group) if group else ledger.all_events()
    chunk: list[ev.LedgerEvent] = []
    for e in source:
        if e.timestamp <= at:
            chunk.append(e)
    if chunk:
        with db.cursor(commit=True) as c:
            projector.batch(chunk).write(c)
    return RecordedReports(db, projector, at, datastore)


def meeting_seals(ledger: Ledger, code: str) -> list[tuple[int, str, str]]:
    """(position, meeting date, seal) of each meeting, from the projection."""
    rows = ledger.db.query(
        f"SELECT position, meeting_date, seal FROM {ledger.projector.t('meetings')} "
        "WHERE group_id = ? ORDER BY position", (stream_id(code).hex,))
    return [(r["position"], r["meeting_date"], r["seal"]) for r in rows]
