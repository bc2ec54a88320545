"""Bank loans the platform guarantees: a bank lends to a member of one of the cluster's
groups, the platform's representatives sign as guarantors and someone of standing (the
union chairman) introduces her; the platform collects the instalments from the borrower
and passes them on to the bank.

Events: ``BankLoanArranged`` (the schedule fixed and stored), ``BankInstalmentCollected``
(split into charge and principal by the same allocation order as a group loan; the platform
holds it for the bank), ``BankPaymentMade``. Commands: ``arrange_bank_loan``,
``collect_bank_instalment``, ``pay_bank``. Tables: ``cluster_bank_loans``,
``cluster_bank_collections``, ``cluster_bank_payments``.

The loan itself is between the bank and the borrower and is not in the platform's books;
what the platform collects is: its cash goes up and so does what it owes the bank
(``Liabilities:DueToBank:<bank>``), and a payment to the bank takes both down. Both are
guarded like a group's cash box: the platform cannot pass on more than it holds for that
bank, on the day or any later day. Guarantors must sit on the platform when the loan is
arranged (a representative who left her group lost her seat with it); the borrower must be
a member of one of the cluster's groups on the day, read from her group's own records.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from coopledger import accounts as acc
from coopledger.clusters.aggregate import Cluster
from coopledger.clusters.partners import partner
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import (
    ClusterCommand,
    Code,
    MemberNo,
    Number,
    OptionalText,
    Rate,
    Row,
    Taka,
    Text,
)
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.integrity import canonical
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.schedule import allocate, most_payable, schedule
from coopledger.money import paisa

table(
    "cluster_bank_loans",
    """cluster_id TEXT NOT NULL, bank_loan_no INTEGER NOT NULL,
      position INTEGER NOT NULL, lender TEXT NOT NULL, group_code TEXT NOT NULL,
      member_no INTEGER NOT NULL, borrower TEXT NOT NULL, principal BIGINT NOT NULL,
      rate TEXT NOT NULL, method TEXT NOT NULL, frequency TEXT NOT NULL,
      instalments INTEGER NOT NULL, grace INTEGER NOT NULL, arranged_on TEXT NOT NULL,
      guarantors TEXT NOT NULL, introducer TEXT NOT NULL, schedule TEXT NOT NULL,
      partner_no INTEGER""",
    ["cluster_id", "bank_loan_no"],
    "(group_code)",
)
table(
    "cluster_bank_collections",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      bank_loan_no INTEGER NOT NULL, lender TEXT NOT NULL, collected_on TEXT NOT NULL,
      taka BIGINT NOT NULL, charge BIGINT NOT NULL, principal BIGINT NOT NULL""",
    ["cluster_id", "position"],
)
table(
    "cluster_bank_payments",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      lender TEXT NOT NULL, account TEXT NOT NULL, paid_on TEXT NOT NULL,
      taka BIGINT NOT NULL""",
    ["cluster_id", "position"],
)


# ---------------------------------------------------------------------- arranging
class BankLoanArranged(NoMoney, LedgerEvent):
    """A bank lent to a member of one of the cluster's groups, the platform's
    representatives standing as guarantors (``{"group", "member_no"}``) and an introducer
    (the union chairman ...); the schedule is fixed here.

    Version 2 added ``partner_no``: the lender's number in the platform's partner register;
    version 1 events are read without one.
    """

    class_version = 2
    bank_loan_no: int
    lender: str
    group: str
    member_no: int
    borrower: str
    principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    instalments: int
    grace: int
    guarantors: list[dict[str, Any]]
    introducer: str
    schedule: list[dict[str, Any]]
    partner_no: int | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["partner_no"] = None

    def apply(self, cluster: Cluster) -> None:
        cluster.bank_loans[str(self.bank_loan_no)] = {
            "lender": self.lender,
            "group": self.group,
            "member_no": self.member_no,
            "principal": self.principal,
            "schedule": list(self.schedule),
            "repayments": [],
            "arranged_on": self.business_date,
        }

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_bank_loans",
            cluster_id=self.originator_id.hex,
            bank_loan_no=self.bank_loan_no,
            position=self.position,
            lender=self.lender,
            group_code=self.group,
            member_no=self.member_no,
            borrower=self.borrower,
            principal=paisa(self.principal),
            rate=str(self.rate),
            method=self.method,
            frequency=self.frequency,
            instalments=self.instalments,
            grace=self.grace,
            arranged_on=self.business_date.isoformat(),
            guarantors=canonical(list(self.guarantors)),
            introducer=self.introducer,
            schedule=canonical(list(self.schedule)),
            partner_no=self.partner_no,
        )

    def describe(self) -> Message:
        return _(
            "Bank loan {loan} of {amount} from {lender} to {borrower} ({group}, member "
            "{no}), guaranteed by {guarantors}",
            loan=self.bank_loan_no,
            amount=taka(self.principal),
            lender=self.lender,
            borrower=self.borrower,
            group=self.group,
            no=self.member_no,
            guarantors=", ".join(f"{g['group']}/{g['member_no']}" for g in self.guarantors),
        )

    def result(self) -> Any:
        return self.bank_loan_no


class Guarantor(Row):
    """A representative on the platform who signs for a bank loan."""

    group: Code
    member: MemberNo


class ArrangeBankLoan(ClusterCommand):
    """A bank loan to a member, the platform's representatives standing as guarantors."""

    command: Literal["arrange_bank_loan"] = "arrange_bank_loan"
    lender: OptionalText = ""
    partner: Annotated[Number | None, Field(description="the lender, in the register")] = None
    group: Code
    member: MemberNo
    principal: Taka
    rate: Rate
    method: Literal["declining", "flat"] = "flat"
    frequency: Literal["weekly", "fortnightly", "monthly"] = "monthly"
    instalments: Annotated[int, Field(ge=1, le=104, strict=True)]
    grace: Annotated[int, Field(ge=0, le=12, strict=True)] = 0
    guarantors: Annotated[list[Guarantor], Field(min_length=1)]
    introducer: Text

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        code = cluster.member_group("group", self.group)
        borrower = unit.group(code, write=False).member("member", self.member, on)
        guarantors = _guarantors(cluster, self.guarantors)
        lender = self.lender
        if self.partner is not None:
            name = partner(cluster, "partner", self.partner, ("bank", "ngo"))
            lender = lender or name
        if not lender:
            raise InvalidInput("lender", "", _("name the lender, or its partner number"))
        number = len(cluster.bank_loans) + 1
        cluster.record(
            BankLoanArranged,
            on,
            unit.stamp,
            bank_loan_no=number,
            lender=lender,
            group=code,
            member_no=self.member,
            borrower=borrower["name"],
            principal=self.principal,
            rate=self.rate,
            method=self.method,
            frequency=self.frequency,
            instalments=self.instalments,
            grace=self.grace,
            guarantors=guarantors,
            introducer=self.introducer,
            schedule=schedule(
                self.principal,
                self.rate,
                self.method,
                self.frequency,
                self.instalments,
                on,
                self.grace,
            ),
            partner_no=self.partner,
        )
        return number


def _guarantors(cluster: Cluster, guarantors: list[Guarantor]) -> list[dict[str, Any]]:
    """Each guarantor seated on the platform now, and listed once."""
    seen: set[tuple[str, int]] = set()
    for i, g in enumerate(guarantors):
        who = f"{g.group}/{g.member}"
        if not cluster.is_representative(g.group, g.member):
            raise RuleBroken(f"guarantors[{i}]", who, _("is not a representative on the platform"))
        if (g.group, g.member) in seen:
            raise InvalidInput(f"guarantors[{i}]", who, _("is listed twice"))
        seen.add((g.group, g.member))
    return [{"group": g.group, "member_no": g.member} for g in guarantors]


# ---------------------------------------------------------------------- collecting
class BankInstalmentCollected(LedgerEvent):
    """The platform collected an instalment from a borrower; it holds it for the bank."""

    bank_loan_no: int
    lender: str
    taka: Decimal
    charge: Decimal
    principal: Decimal

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.due_to_bank(self.lender), -self.taka)]

    def apply(self, cluster: Cluster) -> None:
        cluster.post(self.postings(), self.business_date)
        cluster.bank_loans[str(self.bank_loan_no)]["repayments"].append(
            {
                "business_date": self.business_date,
                "principal": self.principal,
                "charge": self.charge,
            }
        )

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_bank_collections",
            cluster_id=self.originator_id.hex,
            position=self.position,
            bank_loan_no=self.bank_loan_no,
            lender=self.lender,
            collected_on=self.business_date.isoformat(),
            taka=paisa(self.taka),
            charge=paisa(self.charge),
            principal=paisa(self.principal),
        )

    def describe(self) -> Message:
        return _(
            "Collected {amount} on bank loan {loan} for {lender} (charge {charge}, "
            "principal {principal})",
            amount=taka(self.taka),
            loan=self.bank_loan_no,
            lender=self.lender,
            charge=taka(self.charge),
            principal=taka(self.principal),
        )


class CollectBankInstalment(ClusterCommand):
    """The platform collects an instalment of a bank loan from the borrower."""

    command: Literal["collect_bank_instalment"] = "collect_bank_instalment"
    bank_loan: Number
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        loan = cluster.bank_loans.get(str(self.bank_loan))
        if loan is None:
            raise InvalidInput(
                "bank_loan", self.bank_loan, _("is not a bank loan of this platform")
            )
        if on < loan["arranged_on"]:
            raise InvalidInput(
                "date", on, _("is before the loan was arranged ({day})", day=loan["arranged_on"])
            )
        principal = Decimal(loan["principal"])
        most = most_payable(loan["schedule"], principal, loan["repayments"], on)
        if most <= 0:
            raise RuleBroken("bank_loan", self.bank_loan, _("is repaid: nothing is owed on it"))
        if self.taka > most:
            raise RuleBroken(
                "taka",
                self.taka,
                _("is more than the borrower owes: at most {amount}", amount=taka(most)),
            )
        charge, part = allocate(loan["schedule"], principal, loan["repayments"], self.taka, on)
        cluster.record(
            BankInstalmentCollected,
            on,
            unit.stamp,
            bank_loan_no=self.bank_loan,
            lender=loan["lender"],
            taka=self.taka,
            charge=charge,
            principal=part,
        )
        return cluster.version


# ---------------------------------------------------------------------- paying the bank
class BankPaymentMade(LedgerEvent):
    """The platform passed money it held for a bank on to the bank."""

    lender: str
    taka: Decimal

    def postings(self) -> list[Posting]:
        return [money(acc.due_to_bank(self.lender), self.taka), money(acc.CASH, -self.taka)]

    def apply(self, cluster: Cluster) -> None:
        cluster.post(self.postings(), self.business_date)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_bank_payments",
            cluster_id=self.originator_id.hex,
            position=self.position,
            lender=self.lender,
            account=acc.due_to_bank(self.lender),
            paid_on=self.business_date.isoformat(),
            taka=paisa(self.taka),
        )

    def describe(self) -> Message:
        return _("Paid {amount} over to {lender}", amount=taka(self.taka), lender=self.lender)


class PayBank(ClusterCommand):
    """The platform passes what it collected on to the bank."""

    command: Literal["pay_bank"] = "pay_bank"
    lender: Text
    taka: Taka

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        legs = [money(acc.due_to_bank(self.lender), self.taka), money(acc.CASH, -self.taka)]
        cluster.check_balances(legs, on, "taka", self.taka, bank=self.lender)
        cluster.record(BankPaymentMade, on, unit.stamp, lender=self.lender, taka=self.taka)
        return cluster.version


__all__ = [
    "ArrangeBankLoan",
    "BankInstalmentCollected",
    "BankLoanArranged",
    "BankPaymentMade",
    "CollectBankInstalment",
    "Guarantor",
    "PayBank",
]
