"""Loans from the group fund: the group's rules, disbursing, repaying, rescheduling,
writing off.

Events: ``LoanRulesSet``, ``LoanDisbursed`` (its schedule fixed and stored), ``LoanRepaid``
(one ``repayment`` line: a repayment can also be a line of a weekly meeting),
``LoanRescheduled``, ``LoanWrittenOff``. Commands: ``set_loan_rules``, ``disburse_loan``,
``repay_loan``, ``reschedule_loan``, ``write_off_loan``. Tables: ``loans``,
``loan_schedules`` (every version of a loan's schedule, from the day it takes effect, so a
report as of a past day reads the schedule in force that day), ``loan_repayments``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from coopledger import accounts as acc
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import GroupCommand, MemberNo, Number, Rate, Taka, TakaOrZero, Text
from coopledger.kernel.events import LedgerEvent, NoMoney, OneLine
from coopledger.kernel.integrity import canonical
from coopledger.kernel.lines import Delta, Draft, Line, register_words
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.schedule import allocate, most_payable, schedule
from coopledger.money import paisa

table(
    "loans",
    """group_id TEXT NOT NULL, loan_no INTEGER NOT NULL, position INTEGER NOT NULL,
      member_no INTEGER NOT NULL, principal BIGINT NOT NULL, rate TEXT NOT NULL,
      method TEXT NOT NULL, frequency TEXT NOT NULL, instalments INTEGER NOT NULL,
      grace INTEGER NOT NULL, disbursed_on TEXT NOT NULL, purpose TEXT NOT NULL,
      approved_by TEXT NOT NULL, written_off BIGINT NOT NULL, written_off_on TEXT""",
    ["group_id", "loan_no"],
)
table(
    "loan_schedules",
    """group_id TEXT NOT NULL, loan_no INTEGER NOT NULL,
      position INTEGER NOT NULL, effective_from TEXT NOT NULL, schedule TEXT NOT NULL""",
    ["group_id", "loan_no", "position"],
)
table(
    "loan_repayments",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL,
      part TEXT NOT NULL, loan_no INTEGER NOT NULL, paid_on TEXT NOT NULL,
      taka BIGINT NOT NULL, charge BIGINT NOT NULL, principal BIGINT NOT NULL""",
    ["group_id", "position", "part"],
)

Method = Literal["declining", "flat"]
Frequency = Literal["weekly", "fortnightly", "monthly"]
#: How the methods and frequencies read in a sentence.
METHODS = {"declining": _("service charge on the declining balance"), "flat": _("flat charge")}
FREQUENCIES = {"weekly": _("weekly"), "fortnightly": _("fortnightly"), "monthly": _("monthly")}
Instalments = Annotated[int, Field(ge=1, le=104, strict=True)]
Grace = Annotated[int, Field(ge=0, le=12, strict=True)]


def outstanding(loan: dict[str, Any]) -> Decimal:
    """Principal still owed on a loan (as the group's state holds it)."""
    paid = sum((Decimal(r["principal"]) for r in loan["repayments"]), Decimal("0.00"))
    return Decimal(loan["principal"]) - paid - Decimal(loan["written_off"])


def loan_of(group: Group, field: str, loan_no: int) -> dict[str, Any]:
    found: dict[str, Any] | None = group.loans.get(str(loan_no))
    if found is None:
        raise InvalidInput(field, loan_no, _("group {code} has no such loan", code=group.code))
    return found


def noted(message: Message, note: str) -> Message:
    """An event's sentence with who approved it, as written by hand before second
    signatures (``approval_note``; empty since)."""
    return _("{what} (approved by {who})", what=message, who=note) if note else message


def _schedule_json(rows: list[dict[str, Any]]) -> str:
    return canonical(list(rows))


# ---------------------------------------------------------------------- rules
class LoanRulesSet(NoMoney, LedgerEvent):
    """The group's rules for loans from its fund (a new event replaces the rules)."""

    max_principal: Decimal | None
    one_at_a_time: bool
    rate: Decimal
    method: str
    frequency: str

    def apply(self, group: Group) -> None:
        group.loan_rules = self.content()

    def project(self, rows: Rows) -> None:
        """The rules are read from the group's events; no table of their own."""

    def describe(self) -> Message:
        return _(
            "Loan rules: {rate} % a year, {method}, paid {frequency}",
            rate=self.rate,
            method=METHODS.get(self.method, self.method),
            frequency=FREQUENCIES.get(self.frequency, self.frequency),
        )


class SetLoanRules(GroupCommand):
    """The group's loan rules (a new set replaces the old)."""

    command: Literal["set_loan_rules"] = "set_loan_rules"
    max_principal: TakaOrZero | None = None
    one_at_a_time: bool = True
    rate: Rate
    method: Method = "declining"
    frequency: Frequency = "monthly"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        if self.max_principal is not None and self.max_principal <= 0:
            raise InvalidInput("max_principal", self.max_principal, _("must be more than zero"))
        group.record(
            LoanRulesSet,
            on,
            unit.stamp,
            max_principal=self.max_principal,
            one_at_a_time=self.one_at_a_time,
            rate=self.rate,
            method=self.method,
            frequency=self.frequency,
        )
        return None


# ---------------------------------------------------------------------- disbursing
class LoanDisbursed(LedgerEvent):
    """A loan from the group fund, with its schedule fixed at disbursement.

    Version 2: ``approved_by`` (free text) became ``approval_note``, kept for events of
    before second signatures and empty since (the checker is the ``EntryApproved`` that
    recorded it: see ``coopledger.approvals``).
    """

    class_version = 2

    loan_no: int
    member_no: int
    principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    instalments: int
    grace: int
    purpose: str
    approval_note: str
    schedule: list[dict[str, Any]]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["approval_note"] = state.pop("approved_by", "")

    def postings(self) -> list[Posting]:
        return [money(acc.loan(self.member_no), self.principal), money(acc.CASH, -self.principal)]

    def apply(self, group: Group) -> None:
        group.post(self.postings(), self.business_date)
        group.loans[str(self.loan_no)] = {
            "member_no": self.member_no,
            "principal": self.principal,
            "rate": self.rate,
            "frequency": self.frequency,
            "disbursed_on": self.business_date,
            "schedule": list(self.schedule),
            "repayments": [],
            "written_off": Decimal("0.00"),
        }

    def project(self, rows: Rows) -> None:
        gid, day = self.originator_id.hex, self.business_date.isoformat()
        rows.insert(
            "loans",
            group_id=gid,
            loan_no=self.loan_no,
            position=self.position,
            member_no=self.member_no,
            principal=paisa(self.principal),
            rate=str(self.rate),
            method=self.method,
            frequency=self.frequency,
            instalments=self.instalments,
            grace=self.grace,
            disbursed_on=day,
            purpose=self.purpose,
            approved_by=self.approval_note,
            written_off=0,
            written_off_on=None,
        )
        rows.insert(
            "loan_schedules",
            group_id=gid,
            loan_no=self.loan_no,
            position=self.position,
            effective_from=day,
            schedule=_schedule_json(self.schedule),
        )
        rows.passbook_row(
            self, "", self.member_no, Delta(lent=paisa(self.principal)), "loan", target=self.loan_no
        )

    def describe(self) -> Message:
        return noted(
            _(
                "Loan {loan} of {amount} to member {no} for {purpose}",
                loan=self.loan_no,
                amount=taka(self.principal),
                no=self.member_no,
                purpose=self.purpose,
            ),
            self.approval_note,
        )

    def result(self) -> Any:
        return self.loan_no


class DisburseLoan(GroupCommand):
    """Lend from the group fund (rate, method, frequency default to the group's rules)."""

    command: Literal["disburse_loan"] = "disburse_loan"
    member: MemberNo
    principal: Taka
    instalments: Instalments
    grace: Grace = 0
    rate: Rate | None = None
    method: Method | None = None
    frequency: Frequency | None = None
    purpose: Text

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        group.member("member", self.member, on)
        rules = group.loan_rules or {}
        if rules.get("max_principal") is not None and self.principal > rules["max_principal"]:
            raise RuleBroken(
                "principal",
                self.principal,
                _("the group's rules allow at most {amount}", amount=taka(rules["max_principal"])),
            )
        if rules.get("one_at_a_time") and any(
            loan["member_no"] == self.member and outstanding(loan) > 0
            for loan in group.loans.values()
        ):
            raise RuleBroken(
                "member", self.member, _("already has a loan and the group lends one at a time")
            )
        rate = Decimal(rules.get("rate", 0)) if self.rate is None else self.rate
        method = self.method or rules.get("method", "declining")
        frequency = self.frequency or rules.get("frequency", "monthly")
        rows = schedule(self.principal, rate, method, frequency, self.instalments, on, self.grace)
        loan_no = len(group.loans) + 1
        legs = [money(acc.loan(self.member), self.principal), money(acc.CASH, -self.principal)]
        group.check_balances(legs, on, "principal", self.principal)
        group.record(
            LoanDisbursed,
            on,
            unit.stamp,
            loan_no=loan_no,
            member_no=self.member,
            principal=self.principal,
            rate=rate,
            method=method,
            frequency=frequency,
            instalments=self.instalments,
            grace=self.grace,
            purpose=self.purpose,
            approval_note="",
            schedule=rows,
        )
        return loan_no


# ---------------------------------------------------------------------- repaying
@dataclass(frozen=True)
class RepaymentLine(Line):
    """A member's repayment of a loan, split by the allocation order into service charge
    and principal."""

    kind = "repayment"
    settles = True
    loan_no: int
    member_no: int
    taka: Decimal
    charge: Decimal | None = None
    principal: Decimal | None = None

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        loan = loan_of(group, prefix + "loan", self.loan_no)
        pending = draft.notes.setdefault(("repayments", self.loan_no), [])
        repayments = [*loan["repayments"], *pending]
        left = (
            Decimal(loan["principal"])
            - Decimal(loan["written_off"])
            - sum((Decimal(r["principal"]) for r in repayments), Decimal("0.00"))
        )
        if left <= 0:
            raise RuleBroken(prefix + "loan", self.loan_no, _("is closed: nothing is owed on it"))
        if on < loan["disbursed_on"]:
            raise InvalidInput(
                prefix + "date",
                on,
                _("is before the loan was disbursed ({day})", day=loan["disbursed_on"]),
            )
        most = most_payable(
            loan["schedule"],
            Decimal(loan["principal"]),
            repayments,
            on,
            Decimal(loan["written_off"]),
        )
        if self.taka > most:
            raise RuleBroken(
                prefix + "taka",
                self.taka,
                _("is more than is owed: at most {amount} (refund the rest)", amount=taka(most)),
            )
        charge, principal = allocate(
            loan["schedule"], Decimal(loan["principal"]), repayments, self.taka, on
        )
        pending.append({"business_date": on, "principal": principal, "charge": charge})
        return replace(self, member_no=loan["member_no"], charge=charge, principal=principal)

    def postings(self) -> list[Posting]:
        legs = [money(acc.CASH, self.taka)]
        if self.principal:
            legs.append(money(acc.loan(self.member_no), -Decimal(self.principal)))
        if self.charge:
            legs.append(money(acc.SERVICE_CHARGE, -Decimal(self.charge)))
        return legs

    def apply(self, group: Group, on: date, sign: int = 1) -> None:
        super().apply(group, on, sign)
        loan = group.loans[str(self.loan_no)]
        record = {"business_date": on, "principal": self.principal, "charge": self.charge}
        if sign > 0:
            loan["repayments"].append(record)
        elif record in loan["repayments"]:
            loan["repayments"].remove(record)

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        target: Any = event
        where = {"group_id": event.originator_id.hex, "position": target.target, "part": part}
        if now is None:
            rows.execute(
                "DELETE FROM {loan_repayments} WHERE group_id = ? AND position = ? AND part = ?",
                *where.values(),
            )
            return
        r: Any = now
        rows.update(
            "loan_repayments",
            where,
            taka=paisa(r.taka),
            charge=paisa(Decimal(r.charge)),
            principal=paisa(Decimal(r.principal)),
        )

    def passbook(self) -> dict[int, Delta]:
        return {
            self.member_no: Delta(
                repaid=paisa(Decimal(self.principal or 0)), charge=paisa(Decimal(self.charge or 0))
            )
        }

    def describe(self) -> Message:
        return _(
            "Member {no} repaid {amount} on loan {loan} (charge {charge}, principal {principal})",
            no=self.member_no,
            amount=taka(self.taka),
            loan=self.loan_no,
            charge=taka(Decimal(self.charge or 0)),
            principal=taka(Decimal(self.principal or 0)),
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _(
            "Repaid {amount} on her loan (service charge {charge})",
            amount=taka(delta.repaid + delta.charge),
            charge=taka(delta.charge),
        )


class LoanRepaid(OneLine, LedgerEvent):
    """A repayment, split by the allocation order into service charge and principal."""

    line_type = RepaymentLine
    loan_no: int
    member_no: int
    taka: Decimal
    charge: Decimal
    principal: Decimal

    def project(self, rows: Rows) -> None:
        repayment_rows(rows, self, "", self.the_line)


def repayment_rows(rows: Rows, event: LedgerEvent, part: str, line: Line) -> None:
    """The ``loan_repayments`` row of a repayment line (in a meeting or on its own)."""
    r: Any = line
    rows.insert(
        "loan_repayments",
        group_id=event.originator_id.hex,
        position=event.position,
        part=part,
        loan_no=r.loan_no,
        paid_on=event.business_date.isoformat(),
        taka=paisa(r.taka),
        charge=paisa(Decimal(r.charge)),
        principal=paisa(Decimal(r.principal)),
    )


class RepayLoan(GroupCommand):
    """A repayment (charge due first, then principal due, then early principal)."""

    command: Literal["repay_loan"] = "repay_loan"
    loan: Number
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        return group.enter(LoanRepaid, RepaymentLine(self.loan, 0, self.taka), on, unit.stamp)


# ---------------------------------------------------------------------- rescheduling
class LoanRescheduled(NoMoney, LedgerEvent):
    """The rest of a loan got a new schedule from this day (its principal parts sum to what
    is owed); the schedule before stays in force for every day before. Version 2:
    ``approved_by`` became ``approval_note`` (as ``LoanDisbursed``)."""

    class_version = 2

    loan_no: int
    member_no: int
    reason: str
    approval_note: str
    schedule: list[dict[str, Any]]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["approval_note"] = state.pop("approved_by", "")

    def apply(self, group: Group) -> None:
        group.loans[str(self.loan_no)]["schedule"] = list(self.schedule)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "loan_schedules",
            group_id=self.originator_id.hex,
            loan_no=self.loan_no,
            position=self.position,
            effective_from=self.business_date.isoformat(),
            schedule=_schedule_json(self.schedule),
        )

    def describe(self) -> Message:
        return noted(
            _("Loan {loan} rescheduled: {reason}", loan=self.loan_no, reason=self.reason),
            self.approval_note,
        )


class RescheduleLoan(GroupCommand):
    """Spread what is owed on a loan over a new schedule from ``date``."""

    command: Literal["reschedule_loan"] = "reschedule_loan"
    loan: Number
    instalments: Instalments
    grace: Grace = 0
    rate: Rate | None = None
    frequency: Frequency | None = None
    reason: Text

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        loan = loan_of(group, "loan", self.loan)
        left = outstanding(loan)
        if left <= 0:
            raise RuleBroken("loan", self.loan, _("is closed: nothing to reschedule"))
        paid_principal = Decimal(loan["principal"]) - left - Decimal(loan["written_off"])
        paid_charge = sum((Decimal(r["charge"]) for r in loan["repayments"]), Decimal("0.00"))
        settled = {"no": 0, "due": on, "principal": paid_principal, "charge": paid_charge}
        rows = schedule(
            left,
            Decimal(loan["rate"]) if self.rate is None else self.rate,
            "declining",
            self.frequency or loan["frequency"],
            self.instalments,
            on,
            self.grace,
        )
        group.record(
            LoanRescheduled,
            on,
            unit.stamp,
            loan_no=self.loan,
            member_no=loan["member_no"],
            reason=self.reason,
            approval_note="",
            schedule=[settled, *rows],
        )
        return None


# ---------------------------------------------------------------------- writing off
class LoanWrittenOff(LedgerEvent):
    """What was left of a loan was written off. Version 2: ``approved_by`` became
    ``approval_note`` (as ``LoanDisbursed``)."""

    class_version = 2

    loan_no: int
    member_no: int
    principal: Decimal
    reason: str
    approval_note: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["approval_note"] = state.pop("approved_by", "")

    def postings(self) -> list[Posting]:
        return [
            money(acc.WRITE_OFFS, self.principal),
            money(acc.loan(self.member_no), -self.principal),
        ]

    def apply(self, group: Group) -> None:
        group.post(self.postings(), self.business_date)
        loan = group.loans[str(self.loan_no)]
        loan["written_off"] = Decimal(loan["written_off"]) + self.principal

    def project(self, rows: Rows) -> None:
        rows.execute(
            "UPDATE {loans} SET written_off = written_off + ?, written_off_on = ? "
            "WHERE group_id = ? AND loan_no = ?",
            paisa(self.principal),
            self.business_date.isoformat(),
            self.originator_id.hex,
            self.loan_no,
        )
        rows.passbook_row(
            self,
            "",
            self.member_no,
            Delta(written_off=paisa(self.principal)),
            "write_off",
            target=self.loan_no,
            memo=self.reason,
        )

    def describe(self) -> Message:
        return noted(
            _(
                "Loan {loan} written off ({amount}): {reason}",
                loan=self.loan_no,
                amount=taka(self.principal),
                reason=self.reason,
            ),
            self.approval_note,
        )


class WriteOffLoan(GroupCommand):
    """Write off what is left of a loan."""

    command: Literal["write_off_loan"] = "write_off_loan"
    loan: Number
    reason: Text

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        loan = loan_of(group, "loan", self.loan)
        left = outstanding(loan)
        if left <= 0:
            raise RuleBroken("loan", self.loan, _("is closed: nothing to write off"))
        group.record(
            LoanWrittenOff,
            on,
            unit.stamp,
            loan_no=self.loan,
            member_no=loan["member_no"],
            principal=left,
            reason=self.reason,
            approval_note="",
        )
        return None


register_words(
    "loan", lambda d, loan, _memo: _("Took loan {loan} of {amount}", loan=loan, amount=taka(d.lent))
)
register_words(
    "write_off",
    lambda d, loan, memo: _(
        "{amount} of loan {loan} written off: {reason}",
        amount=taka(d.written_off),
        loan=loan,
        reason=memo,
    ),
)
