"""Handful-of-rice saving: rice weighed and credited to a member, pooled rice sold to members
(paid now or owed), and what a member pays later for rice she bought.

Lines: ``deposit``, ``sale``, ``rice_payment``. Events recorded on their own (outside a
meeting): ``RiceDeposited``, ``RiceSold``, ``RicePaymentReceived``. Commands:
``deposit_rice``, ``sell_rice``, ``receive_payment``.

Postings: a deposit moves grams into the rice stock and credits the member's rice savings; a
sale takes grams out of the stock into ``Equity:Conversions:Rice`` and takes the taka it
fetched out of the same account into the cash box (what is paid) and the buyer's receivable
(what is owed), so that rice and taka each balance on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from coopledger import accounts as acc
from coopledger.errors import InvalidInput
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, grams, taka
from coopledger.kernel.commands import Grams, GroupCommand, MemberNo, Taka, TakaOrZero
from coopledger.kernel.events import LedgerEvent, OneLine
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting, money, rice
from coopledger.kernel.unit import Unit
from coopledger.money import TAKA, paisa, sale_value


# ---------------------------------------------------------------------- deposit
@dataclass(frozen=True)
class DepositLine(Line):
    """A member's handful-of-rice saving, weighed at the meeting."""

    kind = "deposit"
    amount_field = "grams"
    member_no: int
    grams: int

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        group.member(prefix + "member", self.member_no, on)
        return self

    def postings(self) -> list[Posting]:
        return [
            rice(acc.RICE_STOCK, self.grams),
            rice(acc.rice_savings(self.member_no), -self.grams),
        ]

    def passbook(self) -> dict[int, Delta]:
        return {self.member_no: Delta(rice_saved=self.grams)}

    def describe(self) -> Message:
        return _("Member {no} deposited {rice} of rice", no=self.member_no, rice=grams(self.grams))

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Deposited {rice} of rice", rice=grams(delta.rice_saved))


class RiceDeposited(OneLine, LedgerEvent):
    """Handful-of-rice saving weighed at the meeting, credited to the member."""

    line_type = DepositLine
    member_no: int
    grams: int


class DepositRice(GroupCommand):
    """A member's rice weighed and credited to her (outside a meeting's form)."""

    command: Literal["deposit_rice"] = "deposit_rice"
    member: MemberNo
    grams: Grams

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        return group.enter(RiceDeposited, DepositLine(self.member, self.grams), on, unit.stamp)


# ---------------------------------------------------------------------- sale
@dataclass(frozen=True)
class SaleLine(Line):
    """Pooled rice sold to a member: ``value`` fixed at the sale, ``paid`` now, the rest
    owed."""

    kind = "sale"
    amount_field = "grams"
    buyer_no: int
    grams: int
    taka_per_kg: Decimal
    value: Decimal | None = None
    paid: Decimal | None = None

    def member(self) -> int | None:
        return self.buyer_no

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        group.member(prefix + "buyer", self.buyer_no, on)
        value = sale_value(self.grams, self.taka_per_kg)
        if value <= 0:
            raise InvalidInput(prefix + "grams", self.grams, _("is worth less than one paisa"))
        paid = value if self.paid is None else self.paid
        if paid < 0 or paid > value:
            raise InvalidInput(
                prefix + "paid",
                self.paid,
                _("must be between 0 and the sale's value, {value}", value=taka(value)),
            )
        return replace(self, value=value, paid=paid)

    def postings(self) -> list[Posting]:
        value, paid = paisa(Decimal(self.value or 0)), paisa(Decimal(self.paid or 0))
        legs = [
            rice(acc.RICE_STOCK, -self.grams),
            rice(acc.RICE_CONVERSION, self.grams),
            Posting(acc.RICE_CONVERSION, TAKA, -value),
        ]
        if paid:
            legs.append(Posting(acc.CASH, TAKA, paid))
        if value - paid:
            legs.append(Posting(acc.receivable(self.buyer_no), TAKA, value - paid))
        return legs

    def passbook(self) -> dict[int, Delta]:
        return {
            self.buyer_no: Delta(
                rice_bought=self.grams,
                bought_value=paisa(Decimal(self.value or 0)),
                paid=paisa(Decimal(self.paid or 0)),
            )
        }

    def describe(self) -> Message:
        return _(
            "Member {no} bought {rice} of rice at {price} a kilo for {value}, paid {paid}",
            no=self.buyer_no,
            rice=grams(self.grams),
            price=taka(self.taka_per_kg),
            value=taka(Decimal(self.value or 0)),
            paid=taka(Decimal(self.paid or 0)),
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _(
            "Bought {rice} of rice for {value}, paid {paid}",
            rice=grams(delta.rice_bought),
            value=taka(delta.bought_value),
            paid=taka(delta.paid),
        )


class RiceSold(OneLine, LedgerEvent):
    """Pooled rice sold to a member; ``value`` is fixed at the sale, ``paid`` now, rest owed."""

    line_type = SaleLine
    buyer_no: int
    grams: int
    taka_per_kg: Decimal
    value: Decimal
    paid: Decimal


class SellRice(GroupCommand):
    """Sell pooled rice to a member (paid now, or partly owed)."""

    command: Literal["sell_rice"] = "sell_rice"
    buyer: MemberNo
    grams: Grams
    taka_per_kg: Taka
    paid: Annotated[
        TakaOrZero | None,
        Field(default=None, description="paid now; the rest is owed (default: all paid)"),
    ] = None

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        line = SaleLine(self.buyer, self.grams, self.taka_per_kg, paid=self.paid)
        return group.enter(RiceSold, line, on, unit.stamp)


# ---------------------------------------------------------------------- paying for rice
@dataclass(frozen=True)
class RicePaymentLine(Line):
    """A member paid (part of) what she owed for rice bought earlier."""

    kind = "rice_payment"
    settles = True
    member_no: int
    taka: Decimal

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        group.member(prefix + "member", self.member_no, on, settling=True)
        return self

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.receivable(self.member_no), -self.taka)]

    def passbook(self) -> dict[int, Delta]:
        return {self.member_no: Delta(paid=paisa(self.taka))}

    def describe(self) -> Message:
        return _("Member {no} paid {amount} for rice", no=self.member_no, amount=taka(self.taka))

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Paid {amount} for rice bought", amount=taka(delta.paid))


class RicePaymentReceived(OneLine, LedgerEvent):
    """A member paid (part of) what she owed for rice bought earlier."""

    line_type = RicePaymentLine
    member_no: int
    taka: Decimal


class ReceivePayment(GroupCommand):
    """A member pays for rice she bought on credit."""

    command: Literal["receive_payment"] = "receive_payment"
    member: MemberNo
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        return group.enter(
            RicePaymentReceived, RicePaymentLine(self.member, self.taka), on, unit.stamp
        )
