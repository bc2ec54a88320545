"""The group's own money in and out: grants and donations, expenses, and the costs and
revenue of its income-generating activities (IGA: vermicompost, vegetables, fish ...).

Lines: ``grant``, ``expense``, ``activity_cost``, ``activity_revenue``. Events:
``GrantReceived``, ``ExpensePaid``, ``ActivityCostBooked``, ``ActivityRevenueBooked``.
Commands: ``receive_grant``, ``pay_expense``, ``book_activity_cost``,
``book_activity_revenue``. No money may leave a cash box that does not hold it, on the day
or any later day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from coopledger import accounts as acc
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import GroupCommand, OptionalText, Slug, Taka, Text
from coopledger.kernel.events import LedgerEvent, OneLine
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.unit import Unit


class _GroupLine(Line):
    """A line of the group's own money: in no member's passbook."""

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        return self

    def passbook(self) -> dict[int, Delta]:
        return {}

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Group entry")


@dataclass(frozen=True)
class GrantLine(_GroupLine):
    """A grant or donation reached the group's cash box."""

    kind = "grant"
    source: str
    purpose: str
    taka: Decimal

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.GRANTS, -self.taka)]

    def describe(self) -> Message:
        return _(
            "Grant of {amount} from {source} for {purpose}",
            amount=taka(self.taka),
            source=self.source,
            purpose=self.purpose,
        )


@dataclass(frozen=True)
class ExpenseLine(_GroupLine):
    """The group paid an expense from its cash."""

    kind = "expense"
    category: str
    payee: str
    taka: Decimal
    memo: str = ""

    def postings(self) -> list[Posting]:
        return [money(acc.expense(self.category), self.taka), money(acc.CASH, -self.taka)]

    def describe(self) -> Message:
        return _(
            "Paid {amount} to {payee} ({category})",
            amount=taka(self.taka),
            payee=self.payee,
            category=self.category,
        )


@dataclass(frozen=True)
class ActivityCostLine(_GroupLine):
    """Cash spent on a collective income-generating activity."""

    kind = "activity_cost"
    activity: str
    taka: Decimal
    memo: str = ""

    def postings(self) -> list[Posting]:
        return [money(acc.activity_costs(self.activity), self.taka), money(acc.CASH, -self.taka)]

    def describe(self) -> Message:
        return _("Spent {amount} on {activity}", amount=taka(self.taka), activity=self.activity)


@dataclass(frozen=True)
class ActivityRevenueLine(_GroupLine):
    """Cash earned by a collective income-generating activity."""

    kind = "activity_revenue"
    activity: str
    taka: Decimal
    memo: str = ""

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.activity_income(self.activity), -self.taka)]

    def describe(self) -> Message:
        return _("Earned {amount} from {activity}", amount=taka(self.taka), activity=self.activity)


class GrantReceived(OneLine, LedgerEvent):
    """A grant or donation reached the group's cash box."""

    line_type = GrantLine
    source: str
    purpose: str
    taka: Decimal


class ExpensePaid(OneLine, LedgerEvent):
    """The group paid an expense from its cash."""

    line_type = ExpenseLine
    category: str
    payee: str
    taka: Decimal
    memo: str


class ActivityCostBooked(OneLine, LedgerEvent):
    """Cash spent on a collective income-generating activity (IGA)."""

    line_type = ActivityCostLine
    activity: str
    taka: Decimal
    memo: str


class ActivityRevenueBooked(OneLine, LedgerEvent):
    """Cash earned by a collective income-generating activity (IGA)."""

    line_type = ActivityRevenueLine
    activity: str
    taka: Decimal
    memo: str


def _enter(unit: Unit, code: str, day: date, event_class: Any, line: Line) -> Any:
    group = unit.group(code)
    on = group.check_date(day, unit.stamp.today)
    return group.enter(event_class, line, on, unit.stamp)


class ReceiveGrant(GroupCommand):
    """A grant or a donation for the group."""

    command: Literal["receive_grant"] = "receive_grant"
    source: Text
    purpose: Text
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        return _enter(
            unit,
            self.group,
            self.date,
            GrantReceived,
            GrantLine(self.source, self.purpose, self.taka),
        )


class PayExpense(GroupCommand):
    """The group pays an expense (``category``: a word such as ``guard-wages``)."""

    command: Literal["pay_expense"] = "pay_expense"
    category: Slug
    payee: Text
    taka: Taka
    memo: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        return _enter(
            unit,
            self.group,
            self.date,
            ExpensePaid,
            ExpenseLine(self.category, self.payee, self.taka, self.memo),
        )


class BookActivityCost(GroupCommand):
    """Cash spent on an income-generating activity (``activity``: e.g. ``vermicompost``)."""

    command: Literal["book_activity_cost"] = "book_activity_cost"
    activity: Slug
    taka: Taka
    memo: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        return _enter(
            unit,
            self.group,
            self.date,
            ActivityCostBooked,
            ActivityCostLine(self.activity, self.taka, self.memo),
        )


class BookActivityRevenue(GroupCommand):
    """Cash earned by an income-generating activity."""

    command: Literal["book_activity_revenue"] = "book_activity_revenue"
    activity: Slug
    taka: Taka
    memo: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        return _enter(
            unit,
            self.group,
            self.date,
            ActivityRevenueBooked,
            ActivityRevenueLine(self.activity, self.taka, self.memo),
        )
