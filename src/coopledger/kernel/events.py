"""The base of every event in the log, and the registry that dispatches by event type.

Each event type is one kind of fact a field worker would say aloud ("rice deposited",
"meeting held"), defined once, in its capability's module, with everything about it: its
fields, how it changes its stream's state (:meth:`LedgerEvent.apply`), the postings it
implies (:meth:`LedgerEvent.postings`), the projection rows it writes
(:meth:`LedgerEvent.project`) and how it reads in a sentence (:meth:`LedgerEvent.describe`).
An event type that does not define all four fails when its module is imported.

Every event carries ``business_date`` (the day it happened), ``timestamp`` (when it was
recorded, UTC), ``recorded_by``, ``idempotency_key`` and ``command_hash`` (of the command
that produced it) and ``chain_hash`` (see :mod:`coopledger.kernel.integrity`).

Stored events name their type by an explicit, stable topic (``coopledger/RiceDeposited``),
not by Python module path, so the code can be reorganised without touching the log. A change
to an event's fields raises its ``class_version`` and adds an ``upcast_vN_vN+1`` static
method, so events stored in an older version stay readable (see ``docs/events.md``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from coopledger.i18n import Message
from coopledger.kernel.lines import Line
from coopledger.kernel.postings import Posting

if TYPE_CHECKING:
    from coopledger.kernel.projection import Rows

TOPIC_PREFIX = "coopledger/"

#: Every event type by its name (``RiceDeposited``), core and plugins alike.
EVENTS: dict[str, type[LedgerEvent]] = {}

BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "business_date",
        "recorded_by",
        "idempotency_key",
        "command_hash",
        "chain_hash",
    }
)
#: What every concrete event type must define (one home per fact).
REQUIRED = ("apply", "postings", "project", "describe")


def register(cls: type[LedgerEvent], topic: str | None = None) -> None:
    """Add an event type to the registry under a stable topic (plugins name theirs
    ``<plugin>/<Event>``)."""
    if topic is not None:
        cls.TOPIC = topic
    elif "TOPIC" not in cls.__dict__:
        cls.TOPIC = TOPIC_PREFIX + cls.__name__
    missing = [m for m in REQUIRED if getattr(cls, m) is getattr(LedgerEvent, m)]
    if missing:
        raise TypeError(f"event type {cls.__name__} does not define {', '.join(missing)}")
    other = EVENTS.get(cls.__name__)
    if other is not None and other.TOPIC != cls.TOPIC:
        raise TypeError(f"two event types are named {cls.__name__} ({other.TOPIC}, {cls.TOPIC})")
    register_topic(cls.TOPIC, cls)
    EVENTS[cls.__name__] = cls


class LedgerEvent(Aggregate.Event):
    """Base of every event in a stream (a group's or a cluster's)."""

    business_date: date
    recorded_by: str
    idempotency_key: str
    command_hash: str
    chain_hash: str

    TOPIC: ClassVar[str]
    #: Abstract bases (not stored themselves) set this in their own class body.
    abstract: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            register(cls)

    # ------------------------------------------------------------------ what a type defines
    def apply(self, aggregate: Any) -> None:
        """Evolve the stream's state (eventsourcing calls this when the event mutates it)."""
        raise NotImplementedError

    def postings(self) -> Sequence[Posting]:
        """The balanced postings this event implies (empty when it moves no money)."""
        raise NotImplementedError

    def project(self, rows: Rows) -> None:
        """Add this event's projection rows (postings, passbook lines of its lines and the
        idempotency key are written for every event by the projector itself)."""
        raise NotImplementedError

    def describe(self) -> Message:
        """What happened, in a sentence (history pages, exports)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ optional behaviour
    def result(self) -> Any:
        """What the command that recorded this event returns, if this event says (a new
        member's number, a loan's number); None otherwise."""
        return None

    def lines(self) -> Iterator[tuple[str, Line]]:
        """The entries this event carries, with their part names (``""`` for an event that
        is a single entry, ``deposits.3`` inside a meeting)."""
        return iter(())

    def line(self, part: str) -> Line | None:
        """One of this event's lines by part name."""
        return next((line for p, line in self.lines() if p == part), None)

    # ------------------------------------------------------------------ common
    def mutate(self, aggregate: Any) -> Any:
        given = _GIVEN.get()
        if given is not None:  # the event just created from lines already checked
            _GIVEN.set(None)
            _keep_lines(self, given)
        aggregate = super().mutate(aggregate)
        aggregate.chain_head = self.chain_hash
        return aggregate

    def content(self) -> dict[str, Any]:
        """The event's own business fields."""
        return {k: v for k, v in vars(self).items() if k not in BASE_FIELDS}

    @property
    def position(self) -> int:
        """The event's place in its stream, counted from 1."""
        return self.originator_version

    @property
    def type_name(self) -> str:
        """The event's type, as the registry names it (``RiceDeposited``)."""
        return type(self).__name__


#: id(event) -> (a weak reference to the event, its lines); an entry goes with its event.
_LINES: dict[int, tuple[weakref.ref[Any], list[tuple[str, Line]]]] = {}


def cached_lines(
    event: LedgerEvent, build: Callable[[], Iterable[tuple[str, Line]]]
) -> list[tuple[str, Line]]:
    """An event's lines, built once per event object (they are read to check the books, to
    evolve the state, to post and to project: building them each time was most of the cost
    of a meeting, and of an entry recorded on its own). Not kept on the event itself: every
    attribute of an event is stored with it. The entry is dropped when the event is (a weak
    reference's callback, cheaper than ``weakref.finalize``), so an id is never reused while
    its entry stands."""
    found = _LINES.get(id(event))
    if found is not None:
        return found[1]
    return _keep_lines(event, list(build()))


def _keep_lines(event: LedgerEvent, lines: list[tuple[str, Line]]) -> list[tuple[str, Line]]:
    key = id(event)
    _LINES[key] = (weakref.ref(event, lambda _ref, key=key: _LINES.pop(key, None)), lines)  # type: ignore[misc]
    return lines


#: Lines handed to the next event created (see :func:`giving_lines`).
_GIVEN: ContextVar[list[tuple[str, Line]] | None] = ContextVar("given_lines", default=None)


@contextmanager
def giving_lines(lines: list[tuple[str, Line]]) -> Iterator[None]:
    """Within the block, the next event created (and so applied: eventsourcing applies an
    event as soon as it creates it) takes ``lines`` as its cached lines instead of building
    them again from its stored fields: a command hands over the lines it has just checked,
    each with its postings already worked out. ``lines`` must be what the event's own
    ``lines`` would build from the fields it is given (same parts, same order, equal
    lines)."""
    token = _GIVEN.set(lines)
    try:
        yield
    finally:
        _GIVEN.reset(token)


class NoMoney:
    """Mixin for events that move no taka and no rice."""

    def postings(self) -> Sequence[Posting]:
        return ()


class OneLine:
    """Mixin for an event that is a single entry: its content is one line of ``line_type``.

    Its postings, passbook and wording are the line's; it is corrected as a whole (part
    ``""``).
    """

    line_type: ClassVar[type[Line]]

    @property
    def the_line(self) -> Line:
        return self._lines()[0][1]

    def _lines(self) -> list[tuple[str, Line]]:
        """Built once per event object (see :func:`cached_lines`)."""
        return cached_lines(
            self,  # type: ignore[arg-type]
            lambda: [("", self.line_type.from_data(vars(self)))],
        )

    def lines(self) -> Iterator[tuple[str, Line]]:
        return iter(self._lines())

    def postings(self) -> Sequence[Posting]:
        return self.the_line.legs()

    def describe(self) -> Message:
        return self.the_line.describe()

    def apply(self, aggregate: Any) -> None:
        self.the_line.apply(aggregate, self.business_date)  # type: ignore[attr-defined]

    def project(self, rows: Rows) -> None:
        """Its passbook rows are written by the projector from its line."""
