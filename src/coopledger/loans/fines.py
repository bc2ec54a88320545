"""Fines for late instalments: charged by a command run at a meeting, paid like any entry.

When fines are charged. Fineract charges its overdue-instalment penalty from a nightly job;
a savings group has no night job, it has a meeting. So a fine is charged when someone runs
``assess_loan_fines`` (on the meeting's day, say): for every open loan whose rule (its
product's, or the group's for a loan made without one) sets a fine, every instalment still
not fully paid more than ``grace_days`` days after it fell due, and not fined before, is
fined once: the fixed amount, or the percent of what is unpaid of that instalment, rounded
half up to the paisa. Each fine is an event dated the day it is charged (``LoanFined``), so
a report as of an earlier day never changes, and the same run on the same day charges
nothing twice. A fine is paid with ``pay_loan_fine`` (``LoanFinePaid``), never more than is
owed on that loan; a fine charged in error is reversed with ``correct_entry`` like any
entry.

Postings: a fine, ``Assets:Fines:M007`` +f, ``Income:Fines`` -f; a payment, ``Assets:Cash``
+t, ``Assets:Fines:M007`` -t. Table: ``loan_fines`` (one row per fine and per payment).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from coopledger import accounts as acc
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import GroupCommand, Number, Taka
from coopledger.kernel.events import LedgerEvent, OneLine
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.lending import loan_of, outstanding
from coopledger.loans.products import fine_of, group_fine_rule
from coopledger.money import paisa

table(
    "loan_fines",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, part TEXT NOT NULL,
      loan_no INTEGER NOT NULL, member_no INTEGER NOT NULL, kind TEXT NOT NULL,
      on_day TEXT NOT NULL, instalment INTEGER NOT NULL, due TEXT NOT NULL,
      taka BIGINT NOT NULL""",
    ["group_id", "position", "part"],
)

ZERO = Decimal("0.00")


def _fines(loan: dict[str, Any]) -> dict[str, Any]:
    """The fines kept in a loan's state (a loan never fined has none)."""
    found: dict[str, Any] = loan.setdefault("fines", {"fined": {}, "paid": ZERO})
    return found


def fines_owed(loan: dict[str, Any]) -> Decimal:
    """What is owed in fines on a loan (as the group's state holds it)."""
    found = loan.get("fines") or {"fined": {}, "paid": ZERO}
    charged = sum((Decimal(v) for v in found["fined"].values()), ZERO)
    return charged - Decimal(found["paid"])


def late_instalments(
    loan: dict[str, Any], on: date, grace_days: int
) -> list[tuple[dict[str, Any], Decimal]]:
    """Each instalment not fully paid by ``on`` more than ``grace_days`` days after it fell
    due, with what is unpaid of it (payments cover instalments in order, charge and principal
    together; the row 0 of a rescheduled loan, what was paid before, is never late)."""
    paid = sum(
        (
            Decimal(r["principal"]) + Decimal(r["charge"])
            for r in loan["repayments"]
            if r["business_date"] <= on
        ),
        ZERO,
    )
    late = []
    for s in loan["schedule"]:
        owed = Decimal(s["principal"]) + Decimal(s["charge"])
        covered = min(paid, owed)
        paid -= covered
        if s["no"] and owed > covered and (on - s["due"]).days > grace_days:
            late.append((s, owed - covered))
    return late


def rule_of(group: Group, loan: dict[str, Any], on: date) -> dict[str, Any] | None:
    """A loan's fine rule: its product's (fixed when it was made), else the group's rule in
    force on ``on``."""
    if loan.get("product"):
        rule: dict[str, Any] | None = loan.get("fine")
        return rule
    return group_fine_rule(group, on)


# ---------------------------------------------------------------------- a fine
@dataclass(frozen=True)
class FineLine(Line):
    """A fine charged on a late instalment of a member's loan."""

    kind = "fine"
    settles = True
    loan_no: int
    member_no: int
    instalment: int
    due: str  # the late instalment's due date (ISO)
    taka: Decimal

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        loan = loan_of(group, prefix + "loan", self.loan_no)
        return replace(self, member_no=loan["member_no"])

    def postings(self) -> list[Posting]:
        return [money(acc.fines(self.member_no), self.taka), money(acc.FINE_INCOME, -self.taka)]

    def apply(self, group: Group, on: date, sign: int = 1) -> None:
        super().apply(group, on, sign)
        fined = _fines(group.loans[str(self.loan_no)])["fined"]
        key = f"{self.due}#{self.instalment}"
        if sign > 0:
            fined[key] = Decimal(self.taka)
        else:
            fined.pop(key, None)

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        _corrected(rows, event, part, now)

    def passbook(self) -> dict[int, Delta]:
        return {}  # shown on the loans report, not in the passbook's columns

    def describe(self) -> Message:
        return _(
            "Member {no} fined {amount}: instalment {instalment} of loan {loan}, due {due}, "
            "is late",
            no=self.member_no,
            amount=taka(self.taka),
            instalment=self.instalment,
            loan=self.loan_no,
            due=date.fromisoformat(self.due),
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Fined for a late instalment")


class LoanFined(OneLine, LedgerEvent):
    """A fine charged on a late instalment."""

    line_type = FineLine
    loan_no: int
    member_no: int
    instalment: int
    due: str
    taka: Decimal

    def project(self, rows: Rows) -> None:
        _row(rows, self, self.the_line, "fine")


# ---------------------------------------------------------------------- paying a fine
@dataclass(frozen=True)
class FinePaymentLine(Line):
    """A member paid fines owed on her loan."""

    kind = "fine_paid"
    settles = True
    loan_no: int
    member_no: int
    taka: Decimal

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        loan = loan_of(group, prefix + "loan", self.loan_no)
        owed = fines_owed(loan)
        if self.taka > owed:
            raise RuleBroken(
                prefix + "taka",
                self.taka,
                _(
                    "is more than the fines owed on loan {loan}: {amount}",
                    loan=self.loan_no,
                    amount=taka(owed),
                ),
            )
        return replace(self, member_no=loan["member_no"])

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.fines(self.member_no), -self.taka)]

    def apply(self, group: Group, on: date, sign: int = 1) -> None:
        super().apply(group, on, sign)
        found = _fines(group.loans[str(self.loan_no)])
        found["paid"] = Decimal(found["paid"]) + sign * Decimal(self.taka)

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        _corrected(rows, event, part, now)

    def passbook(self) -> dict[int, Delta]:
        return {}

    def describe(self) -> Message:
        return _(
            "Member {no} paid {amount} of fines on loan {loan}",
            no=self.member_no,
            amount=taka(self.taka),
            loan=self.loan_no,
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Paid a fine")


class LoanFinePaid(OneLine, LedgerEvent):
    """A member paid fines owed on her loan."""

    line_type = FinePaymentLine
    loan_no: int
    member_no: int
    taka: Decimal

    def project(self, rows: Rows) -> None:
        _row(rows, self, self.the_line, "paid")


def _row(rows: Rows, event: LedgerEvent, line: Line, kind: str) -> None:
    r: Any = line
    rows.insert(
        "loan_fines",
        group_id=event.originator_id.hex,
        position=event.position,
        part="",
        loan_no=r.loan_no,
        member_no=r.member_no,
        kind=kind,
        on_day=event.business_date.isoformat(),
        instalment=getattr(r, "instalment", 0),
        due=getattr(r, "due", ""),
        taka=paisa(r.taka),
    )


def _corrected(rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
    target: Any = event
    where = {"group_id": event.originator_id.hex, "position": target.target, "part": part}
    if now is None:
        rows.execute(
            "DELETE FROM {loan_fines} WHERE group_id = ? AND position = ? AND part = ?",
            *where.values(),
        )
        return
    r: Any = now
    rows.update("loan_fines", where, taka=paisa(r.taka))


# ---------------------------------------------------------------------- commands
class AssessLoanFines(GroupCommand):
    """Charge the fines the rules set on late instalments (run at a meeting)."""

    command: Literal["assess_loan_fines"] = "assess_loan_fines"
    loan: Number | None = None

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        if self.loan is not None:
            loans = {str(self.loan): loan_of(group, "loan", self.loan)}
        else:
            loans = group.loans
        charged = 0
        for number, loan in sorted(loans.items(), key=lambda kv: int(kv[0])):
            rule = rule_of(group, loan, on)
            if rule is None or outstanding(loan) <= 0 or on < loan["disbursed_on"]:
                continue
            fined = (loan.get("fines") or {}).get("fined", {})
            for s, unpaid in late_instalments(loan, on, int(rule["grace_days"])):
                due = s["due"].isoformat()
                amount = fine_of(rule, unpaid)
                if f"{due}#{s['no']}" in fined or amount <= 0:
                    continue
                line = FineLine(int(number), loan["member_no"], int(s["no"]), due, amount)
                group.enter(LoanFined, line, on, unit.stamp)
                charged += 1
        if not charged and self.loan is not None:
            raise RuleBroken(
                "loan", self.loan, _("has no instalment late enough to be fined on {day}", day=on)
            )
        if not charged:  # a receipt must name what was recorded: refuse rather than record nothing
            raise RuleBroken("date", on, _("no instalment is late enough to be fined on this day"))
        return charged


class PayLoanFine(GroupCommand):
    """A member pays fines owed on her loan."""

    command: Literal["pay_loan_fine"] = "pay_loan_fine"
    loan: Number
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        loan = loan_of(group, "loan", self.loan)
        if on < loan["disbursed_on"]:
            raise InvalidInput(
                "date", on, _("is before the loan was disbursed ({day})", day=loan["disbursed_on"])
            )
        return group.enter(LoanFinePaid, FinePaymentLine(self.loan, 0, self.taka), on, unit.stamp)


__all__ = [
    "AssessLoanFines",
    "FineLine",
    "FinePaymentLine",
    "LoanFinePaid",
    "LoanFined",
    "PayLoanFine",
    "fines_owed",
    "late_instalments",
]
