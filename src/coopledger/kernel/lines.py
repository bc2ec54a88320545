"""Lines: the entries that move taka or rice, one kind of entry in one place.

A line is one thing a cashier writes in the minutes: a member's rice weighed, rice sold to a
member, a cash saving, a grant, a loan instalment. A weekly meeting is one event carrying
many lines; a single entry recorded on its own is an event carrying one line. Either way
each line kind says, in its own class, how it is checked against the group's books, the
postings it implies, what it adds to a member's passbook, and how it reads in a sentence.
Corrections reverse or adjust one line.

Line kinds register themselves by ``kind`` (see :data:`LINES`); a kind that lacks one of the
methods fails at import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from coopledger.i18n import Message
from coopledger.kernel.postings import Posting

if TYPE_CHECKING:
    from coopledger.kernel.events import LedgerEvent
    from coopledger.kernel.projection import Rows

#: Every line kind by its name (``deposit``, ``sale`` ...).
LINES: dict[str, type[Line]] = {}
#: How a passbook row reads, by its entry (every line kind, and other entries such as
#: ``loan`` registered by their capability): ``words(delta, target, memo)``.
Words = Callable[["Delta", "int | None", str], Message]
WORDS: dict[str, Words] = {}

#: The passbook's columns, in order: grams and paisa.
COLUMNS = (
    "rice_saved",
    "rice_bought",
    "bought_value",
    "paid",
    "cash_saved",
    "lent",
    "repaid",
    "charge",
    "written_off",
)


class Delta(NamedTuple):
    """What one line adds to one member's passbook (grams of rice, paisa of taka).

    ``rice_saved``: handful-of-rice savings; ``rice_bought`` / ``bought_value`` / ``paid``:
    rice she bought, what it cost and what she paid for it; ``cash_saved``: cash savings
    (withdrawals negative); ``lent`` / ``repaid`` / ``charge`` / ``written_off``: loan
    principal she received, principal she repaid, service charge she paid, principal written
    off.
    """

    rice_saved: int = 0
    rice_bought: int = 0
    bought_value: int = 0
    paid: int = 0
    cash_saved: int = 0
    lent: int = 0
    repaid: int = 0
    charge: int = 0
    written_off: int = 0

    def values(self) -> tuple[int, ...]:
        return tuple(self)

    def scaled(self, sign: int) -> Delta:
        return self if sign == 1 else Delta(*(sign * v for v in self))

    def plus(self, other: Delta) -> Delta:
        return Delta(*(a + b for a, b in zip(self, other, strict=True)))

    def __bool__(self) -> bool:
        return any(self)


class Draft:
    """What the lines of one command checked so far would change, on the command's day:
    later lines are checked as if the earlier ones were recorded (a sale after a deposit)."""

    def __init__(self) -> None:
        self.deltas: dict[str, int] = defaultdict(int)
        self.notes: dict[Any, Any] = {}

    def add(self, legs: list[Posting]) -> None:
        for p in legs:
            self.deltas[p.account] += p.amount

    def delta(self, account: str) -> int:
        return self.deltas.get(account, 0)


class Line:
    """Base of every line kind: subclasses are frozen dataclasses with the stored fields."""

    kind: ClassVar[str]
    #: The field a refusal on the books' balances names (``grams``, ``taka`` ...).
    amount_field: ClassVar[str] = "taka"
    #: Whether the line may be reversed (else only adjusted).
    reversible: ClassVar[bool] = True
    #: Whether the person on the line may have left the group (settling what is owed).
    settles: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" not in cls.__dict__:
            return  # an abstract intermediate class
        missing = [
            name
            for name in ("postings", "passbook", "describe", "check", "words")
            if not _defined(cls, name)
        ]
        if missing:
            raise TypeError(f"line kind {cls.kind!r} does not define {', '.join(missing)}")
        if cls.kind in LINES and LINES[cls.kind] is not cls:
            raise TypeError(f"two line kinds are named {cls.kind!r}")
        LINES[cls.kind] = cls
        WORDS[cls.kind] = lambda delta, _target, _memo: cls.words(delta)

    # ------------------------------------------------------------------ what a kind defines
    def postings(self) -> list[Posting]:
        """The balanced postings of this line."""
        raise NotImplementedError

    def passbook(self) -> dict[int, Delta]:
        """Per member number, what the line adds to her passbook (empty for group lines)."""
        raise NotImplementedError

    def describe(self) -> Message:
        """The line as a sentence, for history, passbooks and exports."""
        raise NotImplementedError

    def check(self, group: Any, on: date, prefix: str, draft: Draft) -> Line:
        """The line checked against the group's books on ``on`` and the lines of the same
        command checked before it (``draft``); returns it normalised (a sale's value set
        ...). Refusals name the line's field after ``prefix`` (``sales[2].``). The balances
        the line's postings would overdraw are checked by the caller."""
        raise NotImplementedError

    @classmethod
    def words(cls, delta: Delta) -> Message:
        """How a passbook reads this kind of line, from the member's side ("Deposited
        1.750 kg of rice")."""
        raise NotImplementedError

    # ------------------------------------------------------------------ shared behaviour
    def legs(self) -> list[Posting]:
        """The line's postings, worked out once per line object (a meeting's lines are
        checked, posted and projected: three readings of the same legs)."""
        found: list[Posting] | None = self.__dict__.get("_legs")
        if found is None:
            found = list(self.postings())
            object.__setattr__(self, "_legs", found)  # a cache, not a stored field
        return found

    def apply(self, group: Any, on: date, sign: int = 1) -> None:
        """Evolve the group's state by this line (``sign`` -1 undoes it, for corrections)."""
        group.post(self.legs(), on, sign)

    def check_reversal(self, group: Any, on: date) -> None:
        """Refuse to reverse this line when that would break a rule its postings do not
        show (a harvest whose compost was sold since); the balances are checked anyway."""

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        """Projection rows beyond postings and passbooks when a correction reverses or
        adjusts this line (``now`` None for a reversal); ``event`` is the correction."""

    def member(self) -> int | None:
        """The member the line is about, if any."""
        return getattr(self, "member_no", None)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The stored fields, in order (worked out once per kind)."""
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
            _NAME_SETS[cls] = frozenset(names)
        return names

    def data(self) -> dict[str, Any]:
        """The line as stored in its event."""
        return {name: getattr(self, name) for name in self.field_names()}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Line:
        """The line from its stored fields (Decimals as stored); other keys (an event's
        own fields, when ``data`` is a whole event's) are ignored."""
        names = cls.field_names()
        if len(data) == len(names) and data.keys() == _NAME_SETS[cls]:
            # The usual case in a meeting: exactly the line's fields, so no default to fill
            # and nothing to leave out: set them as the frozen dataclass's __init__ would
            # (one dict update, not one object.__setattr__ per field; lines define no
            # __post_init__ and no slots).
            line = object.__new__(cls)
            line.__dict__.update(data)
            return line
        return cls(**{k: data[k] for k in names if k in data})


_FIELD_NAMES: dict[type[Line], tuple[str, ...]] = {}
_NAME_SETS: dict[type[Line], frozenset[str]] = {}


def register_words(entry: str, words: Words) -> None:
    """How a passbook row of ``entry`` reads (for rows that are not a line's)."""
    WORDS[entry] = words


def _defined(cls: type, name: str) -> bool:
    """Whether a class below :class:`Line` defines ``name``."""
    for klass in cls.__mro__:
        if klass is Line:
            return False
        if name in klass.__dict__:
            return True
    return False


def line_of(kind: str, data: Mapping[str, Any]) -> Line:
    """A line of ``kind`` from stored fields."""
    return LINES[kind].from_data(data)


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
