"""Aggregates whose every event is hashed into a chain (groups and clusters).

Each new event's ``chain_hash`` covers its stream, position, type, every stored field and the
previous event's hash (see :mod:`coopledger.integrity`); the aggregate keeps the head.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from coopledger.integrity import chain_hash

_BASE = ("business_date", "recorded_by", "idempotency_key", "command_hash", "timestamp")


def chained(event_class: Any, stream: UUID, position: int, prev: str,
            base: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """An event's keyword arguments with its chain hash (over what will be stored)."""
    data = {**base, **content}
    version = getattr(event_class, "class_version", 1)
    if version > 1:
        data["class_version"] = version
    data["chain_hash"] = chain_hash(stream, position, event_class.TOPIC, data, prev)
    data.pop("class_version", None)
    return data


def project(aggregate: Any, events: Any) -> Any:
    """Apply stored events to an aggregate (eventsourcing's projector without its
    per-event runtime protocol check, which dominated the cost of loading long streams)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class Chained(Aggregate):
    """Base of the ledger's aggregates: events dispatched to ``_on_<Event>``, and chained.

    ``chain_head`` (set by ``when``) is the hash of the latest event. No class-level
    annotations here: eventsourcing would turn them into constructor arguments.
    """

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event is hashed into the stream's chain as it is created."""
        content = {k: v for k, v in kwargs.items() if k not in _BASE}
        base = {k: kwargs[k] for k in _BASE}
        super().trigger_event(event_class, **chained(
            event_class, self.id, self.version + 1, self.chain_head, base, content))

    def when(self, event: Any) -> None:
        getattr(self, "_on_" + type(event).__name__)(event)
        self.chain_head = event.chain_hash
