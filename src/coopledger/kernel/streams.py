"""Streams: the aggregates whose every event is hashed into a chain (groups and clusters).

Each new event's ``chain_hash`` covers its stream, position, type, every stored field and the
previous event's hash (see :mod:`coopledger.kernel.integrity`); the aggregate keeps the head.
An event evolves its aggregate's state in its own ``apply`` method (the eventsourcing way);
the aggregate classes hold the state and the checks several kinds of event share (a date in
range, a member who belongs, an account that may not go below zero).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

from coopledger import accounts as acc
from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.kernel.integrity import GENESIS, chain_hash
from coopledger.kernel.postings import Posting

_NAMESPACE = uuid5(NAMESPACE_URL, "https://coopledger.org/groups")
CLUSTER_PREFIX = "CLUSTER:"
_BASE = ("business_date", "recorded_by", "idempotency_key", "command_hash", "timestamp")


def group_id(code: str) -> UUID:
    """The stream id of the group with this code (deterministic, so codes are unique)."""
    return uuid5(_NAMESPACE, code.upper())


def stream_id(stream: str) -> UUID:
    """The stream id for a stream key: a group code, or ``cluster:<code>`` for a cluster.

    Codes cannot contain a colon, so the two never collide."""
    return (
        uuid5(_NAMESPACE, stream.upper())
        if stream.upper().startswith(CLUSTER_PREFIX)
        else group_id(stream)
    )


def cluster_key(code: str) -> str:
    """The stream key of a cluster: ``CLUSTER:<CODE>``."""
    return CLUSTER_PREFIX + code.upper().removeprefix(CLUSTER_PREFIX)


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who records a command, under which key, when, and what 'today' is for them."""

    recorded_by: str
    idempotency_key: str
    command_hash: str
    recorded_at: datetime
    today: date

    def fields(self) -> dict[str, Any]:
        return {
            "recorded_by": self.recorded_by,
            "idempotency_key": self.idempotency_key,
            "command_hash": self.command_hash,
            "timestamp": self.recorded_at,
        }


def chained(
    event_class: Any,
    stream: UUID,
    position: int,
    prev: str,
    base: dict[str, Any],
    content: dict[str, Any],
) -> dict[str, Any]:
    """An event's keyword arguments with its chain hash (over what will be stored)."""
    data = {**base, **content}
    version = getattr(event_class, "class_version", 1)
    if version > 1:
        data["class_version"] = version
    data["chain_hash"] = chain_hash(stream, position, event_class.TOPIC, data, prev)
    data.pop("class_version", None)
    return data


class Timeline:
    """An account's net movement per business day (ISO dates, paisa or grams), kept so that
    an entry dated D can be checked against the lowest balance on D and every later day."""

    __slots__ = ("days", "deltas", "total")

    def __init__(self, pairs: list[list[Any]] | None = None) -> None:
        self.days: list[str] = [d for d, _ in pairs or []]
        self.deltas: list[int] = [int(v) for _, v in pairs or []]
        self.total = sum(self.deltas)

    def add(self, day: str, amount: int) -> None:
        self.total += amount
        days = self.days
        if days:
            last = days[-1]
            if day == last:  # the usual case: another entry of the latest day
                self.deltas[-1] += amount
                return
        if not days or day > last:
            days.append(day)
            self.deltas.append(amount)
            return
        i = bisect_left(days, day)
        if self.days[i] == day:
            self.deltas[i] += amount
        else:
            self.days.insert(i, day)
            self.deltas.insert(i, amount)

    def between(self, first: str, before: str) -> int:
        """Net movement on the days from ``first`` up to, not including, ``before``."""
        lo, hi = bisect_left(self.days, first), bisect_left(self.days, before)
        return sum(self.deltas[lo:hi])

    def balance(self, on: date | None = None) -> int:
        if on is None:
            return self.total
        day = on.isoformat()
        return sum(v for d, v in zip(self.days, self.deltas, strict=True) if d <= day)

    def lowest_from(self, day: str, sign: int = 1) -> int:
        """Lowest running balance (times ``sign``) on ``day`` or any later day."""
        if not self.days or day >= self.days[-1]:
            return sign * self.total  # the usual case: an entry dated on the latest day
        i = bisect_left(self.days, day)
        running = sum(self.deltas[:i])
        lowest = sign * running if self.days[i] != day else None
        for v in self.deltas[i:]:
            running += v
            lowest = sign * running if lowest is None else min(lowest, sign * running)
        return sign * running if lowest is None else lowest

    def pairs(self) -> list[list[Any]]:
        return [[d, v] for d, v in zip(self.days, self.deltas, strict=True)]

    def copy(self) -> Timeline:
        other = Timeline()
        other.days, other.deltas, other.total = list(self.days), list(self.deltas), self.total
        return other


class TimelineAsPairs(Transcoding):
    """Snapshots store a timeline as ``[[day, amount], ...]``."""

    type = Timeline
    name = "timeline"

    def encode(self, obj: Timeline) -> list[list[Any]]:
        return obj.pairs()

    def decode(self, data: list[list[Any]]) -> Timeline:
        return Timeline(data)


class Chained(Aggregate):
    """Base of the ledger's aggregates: every event chained; the shared checks.

    ``chain_head`` is the hash of the latest event (set by ``LedgerEvent.mutate``);
    ``balances`` the timelines of the accounts the rules read (``accounts.kept_key``: the
    guarded ones, income and expenses, equity per commodity). No class-level annotations here:
    eventsourcing would turn them into constructor arguments.
    """

    #: The shape of the state, for snapshots: raise it when the state's layout changes, so
    #: that snapshots taken by an earlier version are ignored and the state is rebuilt.
    state_version = 1

    if TYPE_CHECKING:  # state set by the first event (not constructor arguments)
        code: str
        formed_on: date
        chain_head: str
        balances: dict[str, Timeline]

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event is hashed into the stream's chain as it is created."""
        content = {k: v for k, v in kwargs.items() if k not in _BASE}
        base = {k: kwargs[k] for k in _BASE}
        super().trigger_event(
            event_class,
            **chained(event_class, self.id, self.version + 1, self.chain_head, base, content),
        )

    @classmethod
    def start(
        cls, event_class: Any, stream: UUID, on: date, stamp: Stamp, content: dict[str, Any]
    ) -> Any:
        """A new stream whose first event is ``event_class``."""
        from eventsourcing.utils import get_topic  # noqa: PLC0415

        fields = {"business_date": on, **stamp.fields(), "originator_topic": get_topic(cls)}
        return cls._create(
            event_class, id=stream, **chained(event_class, stream, 1, GENESIS, fields, content)
        )

    # ------------------------------------------------------------------ dates
    def check_date(self, on: Any, today: date, field: str = "date") -> date:
        """A business date on or after the stream began and not in the future."""
        if not isinstance(on, date) or isinstance(on, datetime):
            raise InvalidInput(field, on, _("must be a date (YYYY-MM-DD)"))
        if on < self.formed_on:
            raise InvalidInput(
                field,
                on,
                _("is before {code} was formed ({day})", code=self.code, day=self.formed_on),
            )
        if on > today:
            raise InvalidInput(field, on, _("is in the future (today is {day})", day=today))
        return on

    # ------------------------------------------------------------------ balances
    def post(self, legs: list[Posting], on: date, sign: int = 1) -> None:
        """Record postings dated ``on`` in the kept accounts' timelines."""
        day = on.isoformat()
        balances: dict[str, Timeline] = self.balances
        kept_key = acc.kept_key
        for account, commodity, amount in legs:
            key = kept_key(account, commodity)
            if key is not None:
                timeline = balances.get(key)
                if timeline is None:
                    timeline = balances[key] = Timeline()
                timeline.add(day, sign * amount)

    def timeline(self, name: str) -> Timeline:
        """A running count by business day that a capability keeps besides the guarded
        accounts (a plugin's stock of compost, in grams), snapshotted with them. Name it
        in lower case (``vermicompost:stock``): accounts are capitalised."""
        found = self.balances.get(name)
        if found is None:
            found = self.balances[name] = Timeline()
        return found

    def balance(self, account: str, on: date | None = None) -> int:
        """Balance of a guarded account (paisa or grams, debit positive) as of ``on``."""
        timeline = self.balances.get(account)
        return 0 if timeline is None else timeline.balance(on)

    def moved(self, account: str, first: str, before: str) -> int:
        """Net movement of a kept account (debit positive) on the days from ``first`` up
        to, not including, ``before`` (ISO dates), counting events not yet saved."""
        timeline = self.balances.get(account)
        return 0 if timeline is None else timeline.between(first, before)

    def lowest(self, account: str, on: date) -> int:
        """The lowest balance (in the account's normal direction) on ``on`` or later."""
        timeline = self.balances.get(account)
        if timeline is None:
            return 0
        return timeline.lowest_from(on.isoformat(), acc.normal_sign(account))
