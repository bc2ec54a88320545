"""Cash savings: a member saves taka with the group, or takes some of her savings out.

Lines: ``saving``, ``withdrawal``. Events recorded on their own: ``CashSaved``,
``CashWithdrawn``. Commands: ``save_cash``, ``withdraw_cash``. A withdrawal can never take
her savings or the cash box below zero, on its day or any later day; a member who left may
still withdraw what is hers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from coopledger import accounts as acc
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import GroupCommand, MemberNo, Taka
from coopledger.kernel.events import LedgerEvent, OneLine
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.unit import Unit
from coopledger.money import paisa


@dataclass(frozen=True)
class SavingLine(Line):
    """A member saved cash with the group."""

    kind = "saving"
    member_no: int
    taka: Decimal

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        group.member(prefix + "member", self.member_no, on)
        return self

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.cash_savings(self.member_no), -self.taka)]

    def passbook(self) -> dict[int, Delta]:
        return {self.member_no: Delta(cash_saved=paisa(self.taka))}

    def describe(self) -> Message:
        return _("Member {no} saved {amount}", no=self.member_no, amount=taka(self.taka))

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Saved {amount}", amount=taka(delta.cash_saved))


@dataclass(frozen=True)
class WithdrawalLine(Line):
    """A member took cash out of her savings."""

    kind = "withdrawal"
    settles = True
    member_no: int
    taka: Decimal

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        group.member(prefix + "member", self.member_no, on, settling=True)
        return self

    def postings(self) -> list[Posting]:
        return [money(acc.cash_savings(self.member_no), self.taka), money(acc.CASH, -self.taka)]

    def passbook(self) -> dict[int, Delta]:
        return {self.member_no: Delta(cash_saved=-paisa(self.taka))}

    def describe(self) -> Message:
        return _(
            "Member {no} withdrew {amount} of her savings",
            no=self.member_no,
            amount=taka(self.taka),
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Withdrew {amount} of savings", amount=taka(-delta.cash_saved))


class CashSaved(OneLine, LedgerEvent):
    """A member saved cash with the group."""

    line_type = SavingLine
    member_no: int
    taka: Decimal


class CashWithdrawn(OneLine, LedgerEvent):
    """A member took cash out of her savings."""

    line_type = WithdrawalLine
    member_no: int
    taka: Decimal


class SaveCash(GroupCommand):
    """A member saves cash."""

    command: Literal["save_cash"] = "save_cash"
    member: MemberNo
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        return group.enter(CashSaved, SavingLine(self.member, self.taka), on, unit.stamp)


class WithdrawCash(GroupCommand):
    """A member takes cash out of her savings."""

    command: Literal["withdraw_cash"] = "withdraw_cash"
    member: MemberNo
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        return group.enter(CashWithdrawn, WithdrawalLine(self.member, self.taka), on, unit.stamp)
