"""The books of a group's vermicompost: a capability plugin (no web code here).

A group buys inputs (worms, cow dung, rings, sacks), harvests compost and sells it by the
kilogram. Each is a fact of its own, with its weight as data (grams, like rice), recorded
through the same registry as the library's own events:

| event | command | postings | table ``vermicompost`` |
|---|---|---|---|
| ``CompostInputsBought`` | ``buy_compost_inputs`` | activity costs / cash | cost |
| ``CompostHarvested`` | ``harvest_compost`` | none (a weight: no money moves) | grams |
| ``CompostSold`` | ``sell_compost`` | cash / activity income | grams and taka sold |

The money goes to the accounts of the ``vermicompost`` activity, so the group's position,
its trial balance and its plan's reviews count it like any activity's. No more compost may
be sold than was harvested and not sold, on the sale's day and every later one (the group's
stream keeps the stock as a timeline, so a batch's earlier entries count). Each entry can be
corrected (``correct_entry``); the corrections' rows go to the table too. Report:
``ledger.reports.vermicompost.activity("JOBA", as_of=D)``.

Registered by the ``coopledger.capabilities`` entry point of ``coopweb-vermicompost``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.errors import RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, grams, messages, taka
from coopledger.kernel.commands import GroupCommand, OptionalText, Taka, Text
from coopledger.kernel.events import LedgerEvent, OneLine
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.money import paisa
from coopledger.money import taka as taka_of
from coopledger.reports import area

_ = messages("coopledger_vermicompost", Path(__file__).parent / "locale")

ACTIVITY = "vermicompost"
COSTS, INCOME = acc.activity_costs(ACTIVITY), acc.activity_income(ACTIVITY)

#: Grams of compost: a positive whole number, at most 100 tonnes.
CompostGrams = Annotated[
    int, Field(gt=0, le=100_000_000, strict=True, description="grams of compost")
]

table(
    "vermicompost",
    """stream_id TEXT NOT NULL, position INTEGER NOT NULL, part TEXT NOT NULL,
      business_date TEXT NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL,
      grams BIGINT NOT NULL, amount BIGINT NOT NULL""",
    ["stream_id", "position", "part"],
    "(stream_id, business_date)",
)


STOCK = "vermicompost:stock"  # the group's timeline of grams in stock


class _CompostLine(Line):
    """A line of the group's compost business: in no member's passbook."""

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        return self

    def passbook(self) -> dict[int, Delta]:
        return {}

    def stock(self) -> int:
        """Grams this line adds to the stock (a sale: minus what was sold)."""
        return 0

    def apply(self, group: Any, on: date, sign: int = 1) -> None:
        super().apply(group, on, sign)
        if self.stock():
            group.timeline(STOCK).add(on.isoformat(), sign * self.stock())

    def row(self) -> tuple[str, str, int, int]:
        """(kind, what, grams, paisa) of the ``vermicompost`` table."""
        raise NotImplementedError

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        kind, what, g, amount = self.row()
        new = now.row() if isinstance(now, _CompostLine) else (kind, what, 0, 0)
        _row(rows, event, kind, new[1], new[2] - g, new[3] - amount)


def _in_stock(group: Group, on: date) -> int:
    """Grams in stock on ``on`` and every later day: the least of them."""
    return group.timeline(STOCK).lowest_from(on.isoformat())


@dataclass(frozen=True)
class CompostSaleLine(_CompostLine):
    """Compost sold for cash."""

    kind = "compost_sale"
    amount_field = "grams"
    buyer: str
    grams: int
    taka: Decimal

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        held = _in_stock(group, on)
        if self.grams > held:
            raise RuleBroken(
                prefix + "grams",
                self.grams,
                _("only {weight} of compost is in stock from {day} on", weight=grams(held), day=on),
            )
        return self

    def stock(self) -> int:
        return -self.grams

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(INCOME, -self.taka)]

    def describe(self) -> Message:
        return _(
            "Sold {weight} of compost to {buyer} for {amount}",
            weight=grams(self.grams),
            buyer=self.buyer,
            amount=taka(self.taka),
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Compost sold")

    def row(self) -> tuple[str, str, int, int]:
        return ("sale", self.buyer, self.grams, paisa(self.taka))


@dataclass(frozen=True)
class CompostInputsLine(_CompostLine):
    """Inputs bought for the compost (worms, cow dung, rings, sacks)."""

    kind = "compost_inputs"
    what: str
    taka: Decimal

    def postings(self) -> list[Posting]:
        return [money(COSTS, self.taka), money(acc.CASH, -self.taka)]

    def describe(self) -> Message:
        return _("Bought {what} for the compost: {amount}", what=self.what, amount=taka(self.taka))

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Compost inputs")

    def row(self) -> tuple[str, str, int, int]:
        return ("inputs", self.what, 0, paisa(self.taka))


@dataclass(frozen=True)
class CompostHarvestLine(_CompostLine):
    """Compost taken out of the pits and weighed: no money moves."""

    kind = "compost_harvest"
    amount_field = "grams"
    grams: int
    notes: str = ""

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        # An adjustment to less: judged with the old weight taken out (corrections do).
        if _in_stock(group, on) + self.grams < 0:
            raise RuleBroken(
                prefix + "grams",
                self.grams,
                _("more compost was sold from {day} on than this would leave harvested", day=on),
            )
        return self

    def check_reversal(self, group: Group, on: date) -> None:
        if _in_stock(group, on) < self.grams:
            raise RuleBroken(
                "target",
                self.grams,
                _("compost from this harvest was sold: correct the sales first"),
            )

    def stock(self) -> int:
        return self.grams

    def postings(self) -> list[Posting]:
        return []

    def describe(self) -> Message:
        return _("Harvested {weight} of compost", weight=grams(self.grams))

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Compost harvested")

    def row(self) -> tuple[str, str, int, int]:
        return ("harvest", self.notes, self.grams, 0)


def _row(rows: Rows, event: LedgerEvent, kind: str, what: str, g: int, amount: int) -> None:
    rows.insert(
        "vermicompost",
        stream_id=event.originator_id.hex,
        position=event.position,
        part="",
        business_date=event.business_date.isoformat(),
        kind=kind,
        what=what,
        grams=g,
        amount=amount,
    )


class _CompostEvent(OneLine, LedgerEvent):
    abstract = True

    def project(self, rows: Rows) -> None:
        _row(rows, self, *self.the_line.row())  # type: ignore[attr-defined]


class CompostSold(_CompostEvent):
    """Compost sold for cash: its weight in grams, the buyer, the price."""

    TOPIC = "vermicompost/CompostSold"
    line_type = CompostSaleLine
    buyer: str
    grams: int
    taka: Decimal


class CompostInputsBought(_CompostEvent):
    """Inputs bought for the compost, paid from the group's cash."""

    TOPIC = "vermicompost/CompostInputsBought"
    line_type = CompostInputsLine
    what: str
    taka: Decimal


class CompostHarvested(_CompostEvent):
    """Compost taken out of the pits and weighed (no money moves)."""

    TOPIC = "vermicompost/CompostHarvested"
    line_type = CompostHarvestLine
    grams: int
    notes: str


# ---------------------------------------------------------------------- commands
def _enter(unit: Unit, code: str, day: date, event_class: Any, line: Line) -> Any:
    group = unit.group(code)
    on = group.check_date(day, unit.stamp.today)
    return group.enter(event_class, line, on, unit.stamp)


class SellCompost(GroupCommand):
    """The group sells compost (``grams``: its weight; ``taka``: what the buyer paid). No
    more may be sold than was harvested and not sold, on that day and every later one."""

    form_title: ClassVar[Any] = _("Compost sold")
    form_labels: ClassVar[dict[str, Any]] = {
        "buyer": _("Buyer"),
        "grams": _("Compost sold (grams)"),
        "taka": _("Price paid (taka)"),
    }

    command: Literal["sell_compost"] = "sell_compost"
    buyer: Text
    grams: CompostGrams
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        line = CompostSaleLine(self.buyer, self.grams, self.taka)
        return _enter(unit, self.group, self.date, CompostSold, line)


class BuyCompostInputs(GroupCommand):
    """The group pays for inputs to its compost (worms, cow dung, rings ...)."""

    form_title: ClassVar[Any] = _("Inputs bought for the compost")
    form_labels: ClassVar[dict[str, Any]] = {
        "what": _("What was bought (worms, cow dung, rings ...)"),
        "taka": _("Cost (taka)"),
    }

    command: Literal["buy_compost_inputs"] = "buy_compost_inputs"
    what: Text
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        line = CompostInputsLine(self.what, self.taka)
        return _enter(unit, self.group, self.date, CompostInputsBought, line)


class HarvestCompost(GroupCommand):
    """Compost taken out of the pits and weighed."""

    form_title: ClassVar[Any] = _("Compost harvested")
    form_labels: ClassVar[dict[str, Any]] = {
        "grams": _("Compost weighed (grams)"),
        "notes": _("Notes"),
    }

    command: Literal["harvest_compost"] = "harvest_compost"
    grams: CompostGrams
    notes: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        line = CompostHarvestLine(self.grams, self.notes)
        return _enter(unit, self.group, self.date, CompostHarvested, line)


# ---------------------------------------------------------------------- report
@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    harvested_grams: int
    sold_grams: int
    sales: Decimal
    inputs: Decimal


@dataclass(frozen=True)
class Entry:
    position: int
    business_date: date
    kind: str  # inputs, harvest, sale (a correction: the change it made)
    what: str
    grams: int
    taka: Decimal


@dataclass(frozen=True)
class Activity:
    """A group's vermicompost as of a day: what it cost, earned and weighed."""

    group: str
    as_of: date | None
    inputs: Decimal
    sales: Decimal
    harvested_grams: int
    sold_grams: int
    entries: list[Entry]
    months: list[Month]

    @property
    def margin(self) -> Decimal:
        return self.sales - self.inputs

    @property
    def stock_grams(self) -> int:
        return self.harvested_grams - self.sold_grams

    @property
    def price_per_kg(self) -> Decimal | None:
        """What a kilogram fetched on average (None before the first sale)."""
        if not self.sold_grams:
            return None
        return (self.sales * 1000 / self.sold_grams).quantize(Decimal("0.01"))


class VermicompostReports(Area):
    """``ledger.reports.vermicompost``."""

    def activity(self, code: str, *, as_of: date | None = None) -> Activity:
        """Every entry of the group's compost business up to ``as_of``, with the totals and
        the months (corrections count on the day of the entry they correct)."""
        gid = self.gid(code)
        rows = self.query(
            "SELECT position, business_date, kind, what, grams, amount FROM {vermicompost} "
            "WHERE stream_id = ? AND business_date <= ? ORDER BY business_date, position",
            (gid, day_of(as_of)),
        )
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        months: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        entries = []
        for r in rows:
            kind, g, amount = r["kind"], int(r["grams"]), int(r["amount"])
            totals[kind][0] += g
            totals[kind][1] += amount
            month = months[r["business_date"][:7]][kind]
            month[0] += g
            month[1] += amount
            entries.append(
                Entry(
                    int(r["position"]),
                    date.fromisoformat(r["business_date"]),
                    kind,
                    r["what"],
                    g,
                    taka_of(amount),
                )
            )
        return Activity(
            code.upper(),
            as_of,
            inputs=taka_of(totals["inputs"][1]),
            sales=taka_of(totals["sale"][1]),
            harvested_grams=totals["harvest"][0],
            sold_grams=totals["sale"][0],
            entries=entries,
            months=[
                Month(
                    m,
                    k["harvest"][0],
                    k["sale"][0],
                    taka_of(k["sale"][1]),
                    taka_of(k["inputs"][1]),
                )
                for m, k in sorted(months.items())
            ],
        )


area("vermicompost", VermicompostReports)
