"""Snapshots: a stream's state at a version, so that a long stream need not be replayed from
its first event, checked before it is used.

A snapshot is a cache of what the rules read, so it must be as trustworthy as the log. It
records the state, the shape of the state (``state_version``), the chain hash of the event
it was taken after (``head``) and a digest of the state. Before one is used, the ledger
checks that it was taken by the current shape of the state, that its digest matches its
state (a value edited by hand breaks it) and that its head is the chain hash the log holds
at that position (a snapshot of another history breaks it). A snapshot that fails any check
is ignored and the state is rebuilt from the events; ``coopledger verify`` also rebuilds
each stream's state from its events and compares it with its latest snapshot, so a snapshot
edited by someone who also recomputed its digest is found there (see ``docs/auditing.md``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic, register_topic

from coopledger.kernel.streams import Chained, Timeline

log = logging.getLogger(__name__)

TOPIC = "coopledger/StreamSnapshot"
#: Take a snapshot each time a stream's length crosses a multiple of this.
INTERVAL = 200


class StreamSnapshot(Snapshot):
    """A stream's state after event ``originator_version``, with what checks it."""

    TOPIC = TOPIC
    head: str
    digest: str
    state_version: int


register_topic(TOPIC, StreamSnapshot)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, Timeline):
        return value.pairs()
    raise TypeError(f"cannot digest {type(value).__name__}")


_DIGEST = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
)


def digest(state: dict[str, Any]) -> str:
    """SHA-256 of a state's canonical JSON (what a snapshot's ``digest`` must equal)."""
    return hashlib.sha256(_DIGEST.encode(state).encode("utf-8")).hexdigest()


def state_of(aggregate: Chained) -> dict[str, Any]:
    return {
        k: v for k, v in vars(aggregate).items() if k not in ("_id", "_version", "_pending_events")
    }


def take(app: Application[Any], aggregate: Chained) -> None:
    """Store a snapshot of ``aggregate`` as it is now (its events are saved)."""
    if app.snapshots is None:
        return
    state = state_of(aggregate)
    snapshot = StreamSnapshot(  # type: ignore[call-arg]
        originator_id=aggregate.id,
        originator_version=aggregate.version,
        timestamp=StreamSnapshot.create_timestamp(),
        topic=get_topic(type(aggregate)),
        state=state,
        head=aggregate.chain_head,
        digest=digest(state),
        state_version=type(aggregate).state_version,
    )
    app.snapshots.put([snapshot])


def due(aggregate: Chained, saved: int) -> bool:
    """Whether saving ``saved`` events took the stream across a snapshot interval."""
    return (aggregate.version - saved) // INTERVAL != aggregate.version // INTERVAL


@dataclass(frozen=True)
class Check:
    """What was found about a stream's latest snapshot."""

    version: int
    problem: str  # "" when the snapshot can be used


def latest(app: Application[Any], stream: UUID) -> tuple[Any, Check] | None:
    """The stream's latest snapshot and its check (None when it has none)."""
    if app.snapshots is None:
        return None
    recorder = app.snapshots.recorder
    rows = recorder.select_events(stream, desc=True, limit=1)
    if not rows:
        return None
    row = rows[0]
    if row.topic != TOPIC:
        return None, Check(row.originator_version, "taken by an earlier version's format")
    try:
        snapshot = app.mapper.to_domain_event(row)
    except Exception as e:  # noqa: BLE001 - an unreadable snapshot is ignored, and said so
        return None, Check(row.originator_version, f"unreadable: {e}")
    return snapshot, check(app, snapshot)


def check(app: Application[Any], snapshot: Any) -> Check:
    """Check a snapshot against its shape, its digest and the chain."""
    version = snapshot.originator_version
    from eventsourcing.utils import resolve_topic  # noqa: PLC0415

    cls = resolve_topic(snapshot.topic)
    if getattr(snapshot, "state_version", None) != getattr(cls, "state_version", None):
        return Check(version, "taken by an earlier shape of the state")
    if digest(dict(snapshot.state)) != snapshot.digest:
        return Check(version, "its state does not match its digest: changed after it was taken")
    events = app.recorder.select_events(snapshot.originator_id, gt=version - 1, lte=version)
    if not events:
        return Check(version, "the log has no event at its version")
    head = app.mapper.to_domain_event(events[0]).chain_hash  # type: ignore[attr-defined]
    if head != snapshot.head:
        return Check(version, "its head is not the log's chain hash at its version")
    return Check(version, "")


def restore(snapshot: Any) -> Chained:
    """The aggregate a (checked) snapshot holds."""
    aggregate: Chained = snapshot.mutate(None)
    return aggregate
