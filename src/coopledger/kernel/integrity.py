"""Tamper evidence: every event's SHA-256, chained to the one before it, and short seals.

An event's ``chain_hash`` is the SHA-256 of the canonical JSON (sorted keys, no spaces,
UTF-8) of::

    {"stream": <group stream id, 32 hex>, "position": <n>, "type": <"coopledger/...">,
     "data": <every stored field of the event except chain_hash>, "prev": <previous hash>}

``data`` includes the business fields, ``business_date``, ``timestamp`` (recording time),
``recorded_by``, ``idempotency_key`` and ``command_hash``; decimals, dates and times appear
as their ISO text. The first event's ``prev`` is 64 zeros. The hash is taken over the event's
fields, not over stored bytes, so encrypting or compressing the store does not change it.

A **seal** is the first 40 bits of a chain hash written as eight characters from an
alphabet without look-alikes (no 0/O, 1/I/L), shown as ``ABCD-EFGH``: short enough to write
in the paper minutes and read aloud, long enough that a forged history matching it is out of
reach (one chance in about 850 billion per try).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from coopledger.errors import InvalidInput

GENESIS = "0" * 64
SEAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols, none that look alike
SEAL_LENGTH = 8


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return value.hex
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
)


def canonical(value: Any) -> str:
    """The one text a value hashes as. (Events never hold floats: every amount is checked
    on the way in; a float written into the store by hand changes the text, so the hash.)"""
    return _ENCODER.encode(value)


def plain_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data as plain JSON values (what the JSON Lines export holds)."""
    loaded: dict[str, Any] = json.loads(canonical(dict(data)))
    return loaded


def chain_hash(
    stream: UUID | str, position: int, topic: str, data: Mapping[str, Any], prev: str
) -> str:
    """SHA-256 of one event, chained to ``prev`` (see the module docstring)."""
    body = {
        "stream": stream.hex if isinstance(stream, UUID) else stream,
        "position": position,
        "type": topic,
        "data": {k: v for k, v in data.items() if k != "chain_hash"},
        "prev": prev,
    }
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def seal(hash_hex: str) -> str:
    """``'3f2a...'`` -> ``'K7QM-2XHP'``."""
    number = int(hash_hex[:10], 16)  # 40 bits
    symbols = []
    for _ in range(SEAL_LENGTH):
        number, digit = divmod(number, len(SEAL_ALPHABET))
        symbols.append(SEAL_ALPHABET[digit])
    code = "".join(reversed(symbols))
    return f"{code[:4]}-{code[4:]}"


def normalise_seal(code: str) -> str:
    """Accept a seal as written: any case, with or without the hyphen or spaces."""
    raw = "".join(c for c in str(code).upper() if c not in "- ")
    if len(raw) != SEAL_LENGTH or any(c not in SEAL_ALPHABET for c in raw):
        raise InvalidInput(
            "seal", code, f"a seal is {SEAL_LENGTH} characters from {SEAL_ALPHABET}, e.g. K7QM-2XHP"
        )
    return f"{raw[:4]}-{raw[4:]}"


# ---------------------------------------------------------------------- verification
PROBLEMS = {
    "removed": "an event is missing: removed after it was recorded",
    "reordered": "events were swapped: reordered after they were recorded",
    "inserted": "an event was inserted after the fact",
    "changed": "this event (or the recorded hash of the one before it) was changed "
    "after it was recorded",
    "unreadable": "the stored event cannot be read: it was changed after it was recorded",
    "out-of-order": "this event was stored after events that follow it: inserted or "
    "reordered after the fact",
}


@dataclass(frozen=True)
class Finding:
    """The first problem found in one group's chain."""

    group: str
    stream: str
    position: int
    business_date: str | None
    kind: str
    detail: str

    def __str__(self) -> str:
        day = f" ({self.business_date})" if self.business_date else ""
        return f"group {self.group}, position {self.position}{day}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class StreamCheck:
    """One group's chain, walked from its first event."""

    group: str
    stream: str
    events: int
    head: str  # the last verified hash (GENESIS when none)
    finding: Finding | None
    seals: dict[str, int] = field(default_factory=dict)  # seal -> position (verified)

    @property
    def ok(self) -> bool:
        return self.finding is None


@dataclass(frozen=True)
class StoredRow:
    """An event as the store holds it: decoded, but not upcast or otherwise interpreted."""

    notification_id: int
    position: int
    topic: str
    data: dict[str, Any] | None  # None when it cannot be decoded


def walk(stream: str, rows: Sequence[StoredRow], *, want_seals: bool = False) -> StreamCheck:
    """Re-walk one stream's chain (rows ordered by position)."""
    group = stream
    if rows and rows[0].data is not None:
        group = str(rows[0].data.get("code", stream))
        if rows[0].topic == "coopledger/ClusterFormed":
            group = "cluster:" + group
    prev, expected = GENESIS, 1
    seals: dict[str, int] = {}

    def found(row: StoredRow, kind: str, position: int | None = None) -> StreamCheck:
        day = row.data.get("business_date") if row.data else None
        finding = Finding(
            group, stream, position or row.position, _day_text(day), kind, PROBLEMS[kind]
        )
        return StreamCheck(group, stream, len(rows), prev, finding, seals)

    for i, row in enumerate(rows):
        if row.position != expected:
            return found(row, "removed", expected)
        if i and row.notification_id < rows[i - 1].notification_id:
            return found(row, "out-of-order")
        if row.data is None:
            return found(row, "unreadable")
        stored = row.data.get("chain_hash")
        if chain_hash(stream, row.position, row.topic, row.data, prev) != stored:
            return found(row, _diagnose(stream, rows, i, prev))
        prev = str(stored)
        if want_seals:
            seals[seal(prev)] = row.position
        expected += 1
    return StreamCheck(group, stream, len(rows), prev, None, seals)


def _diagnose(stream: str, rows: Sequence[StoredRow], i: int, prev: str) -> str:
    """Name what happened at the first row whose hash does not follow."""
    row = rows[i]
    data = row.data or {}
    nxt = rows[i + 1] if i + 1 < len(rows) else None
    if (
        nxt is not None
        and nxt.data is not None
        and chain_hash(stream, row.position + 1, row.topic, data, str(nxt.data.get("chain_hash")))
        == data.get("chain_hash")
    ):
        return "reordered"
    if (
        nxt is not None
        and nxt.data is not None
        and chain_hash(stream, row.position, nxt.topic, nxt.data, prev)
        == nxt.data.get("chain_hash")
    ):
        return "inserted"
    return "changed"


def _day_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
