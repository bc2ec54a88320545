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
from collections.abc import Mapping
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


def canonical(value: Any) -> str:
    """The one text a value hashes as (floats are refused: they have no place here)."""
    def check(v: Any) -> Any:
        if isinstance(v, float):
            raise TypeError("floats are not allowed in events")
        if isinstance(v, dict):
            return {str(k): check(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [check(x) for x in v]
        return v
    return json.dumps(check(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=_plain)


def plain_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data as plain JSON values (what the JSON Lines export holds)."""
    loaded: dict[str, Any] = json.loads(canonical(dict(data)))
    return loaded


def chain_hash(stream: UUID | str, position: int, topic: str, data: Mapping[str, Any],
               prev: str) -> str:
    """SHA-256 of one event, chained to ``prev`` (see the module docstring)."""
    body = {"stream": stream.hex if isinstance(stream, UUID) else stream,
            "position": position, "type": topic,
            "data": {k: v for k, v in data.items() if k != "chain_hash"}, "prev": prev}
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
        raise InvalidInput("seal", code, f"a seal is {SEAL_LENGTH} characters from "
                           f"{SEAL_ALPHABET}, e.g. K7QM-2XHP")
    return f"{raw[:4]}-{raw[4:]}"
