"""The cut-off sheet: a group's paper books brought in as opening balances, sealed once.

A group that kept paper registers for years joins on a cut-off date D: its members are
enrolled first (with the days they joined), then one sheet gives, as the paper books stood
at the end of D, each member's rice savings, cash savings and what she owes for rice, the
group's cash and rice stock, each loan still outstanding (what is owed, its rate and how
many instalments are left, the next one due) and the group's own fund (taka and rice). The
sheet must add up before it is accepted:

    cash + owed for rice + loans outstanding = cash savings + the group's fund     (taka)
    rice stock                               = rice savings + the group's rice     (grams)

The difference the paper books call the group's fund is posted to ``Equity:OpeningBalances``
(Fineract's opening-balance contra account), so the trial balance sums to zero from D on.

Event: ``CutOffSealed``. Command: ``seal_cutoff`` (one per group: its key is ``cutoff``
unless one is given, and a second sheet is refused). Tables: ``cutoffs``, ``cutoff_loans``;
the loans carried in are rows of ``loans`` and ``loan_schedules`` like any other, so they
are repaid, reported overdue and shown in passbooks the same way. After the seal no entry
dated before D is accepted (:meth:`coopledger.groups.aggregate.Group.check_date`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from coopledger import accounts as acc
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, grams, taka
from coopledger.kernel.commands import (
    GroupCommand,
    MemberNo,
    OptionalText,
    Rate,
    Row,
    SignedTaka,
    Taka,
    TakaOrZero,
    Text,
)
from coopledger.kernel.events import LedgerEvent
from coopledger.kernel.integrity import canonical
from coopledger.kernel.lines import Delta, register_words
from coopledger.kernel.postings import Posting, money, rice
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.lending import Instalments
from coopledger.loans.schedule import Frequency, Method, add_periods, schedule
from coopledger.money import paisa

#: Where the group's own fund from before the cut-off is kept (taka and rice).
OPENING = "Equity:OpeningBalances"
#: The idempotency key of a cut-off sheet sent without one: one sheet per group.
KEY = "cutoff"
ZERO = Decimal("0.00")

table(
    "cutoffs",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, cut_off TEXT NOT NULL,
      approved_by TEXT NOT NULL, source TEXT NOT NULL, members INTEGER NOT NULL,
      loans INTEGER NOT NULL, cash BIGINT NOT NULL, rice_stock BIGINT NOT NULL,
      group_fund BIGINT NOT NULL, group_rice BIGINT NOT NULL""",
    ["group_id"],
)
table(
    "cutoff_loans",
    """group_id TEXT NOT NULL, loan_no INTEGER NOT NULL, paper_ref TEXT NOT NULL,
      next_due TEXT NOT NULL""",
    ["group_id", "loan_no"],
)


GramsOrZero = Annotated[int, Field(ge=0, le=100_000_000, strict=True, description="grams of rice")]
SignedGrams = Annotated[
    int, Field(ge=-100_000_000, le=100_000_000, strict=True, description="grams of rice")
]


class OpeningBalance(Row):
    """One member's line of the sheet, as her paper passbook stood on the cut-off day."""

    member: MemberNo
    rice_grams: GramsOrZero = 0
    cash_savings: TakaOrZero = ZERO
    owes_for_rice: TakaOrZero = ZERO


class CarriedLoan(Row):
    """A loan outstanding in the paper register: what is still owed and what is left of its
    schedule (the first instalment left falls due on ``next_due``, which may be before the
    cut-off when she is behind)."""

    member: MemberNo
    outstanding: Taka
    rate: Rate
    method: Method = "declining"
    frequency: Frequency = "monthly"
    instalments: Instalments
    next_due: date
    purpose: Text
    paper_ref: OptionalText = ""


def remaining_schedule(loan: CarriedLoan, cut_off: date) -> list[dict[str, Any]]:
    """The instalments left: what is owed spread as if lent again on the cut-off day at the
    loan's rate and method (so the principal parts sum to what is owed), due from
    ``next_due`` on, one period apart."""
    rows = schedule(
        loan.outstanding, loan.rate, loan.method, loan.frequency, loan.instalments, cut_off
    )
    return [
        {**row, "due": add_periods(loan.next_due, loan.frequency, k)} for k, row in enumerate(rows)
    ]


# ---------------------------------------------------------------------- the event
class CutOffSealed(LedgerEvent):
    """The paper books' balances on the cut-off day, checked to add up and sealed: from
    this day on the group's books are kept here."""

    cash: Decimal
    rice_stock: int
    group_fund: Decimal
    group_rice: int
    members: list[dict[str, Any]]  # member_no, rice_grams, cash_savings, owes_for_rice
    loans: list[dict[str, Any]]  # loan_no, member_no, principal, rate, ..., schedule
    approved_by: str
    source: str

    def postings(self) -> list[Posting]:
        legs = [money(acc.CASH, self.cash), rice(acc.RICE_STOCK, self.rice_stock)]
        owed = ZERO
        for m in self.members:
            no = m["member_no"]
            owed += Decimal(m["owes_for_rice"])
            legs += [
                rice(acc.rice_savings(no), -int(m["rice_grams"])),
                money(acc.cash_savings(no), -Decimal(m["cash_savings"])),
                money(acc.receivable(no), Decimal(m["owes_for_rice"])),
            ]
        legs += [money(acc.loan(x["member_no"]), Decimal(x["principal"])) for x in self.loans]
        # What members owe for rice is the unpaid part of rice sold to them on credit: it
        # is booked as a sale would have been (the taka side of the conversion of rice),
        # so that passbooks still add up to the group's rice sales.
        legs += [
            money(acc.RICE_CONVERSION, -owed),
            money(OPENING, owed - self.group_fund),
            rice(OPENING, -self.group_rice),
        ]
        return [p for p in legs if p.amount]

    def apply(self, group: Group) -> None:
        group.post(self.postings(), self.business_date)
        group.cutoff = self.business_date
        for x in self.loans:
            group.loans[str(x["loan_no"])] = {
                "member_no": x["member_no"],
                "principal": Decimal(x["principal"]),
                "rate": Decimal(x["rate"]),
                "frequency": x["frequency"],
                "disbursed_on": self.business_date,
                "schedule": list(x["schedule"]),
                "repayments": [],
                "written_off": ZERO,
            }

    def project(self, rows: Rows) -> None:
        gid, day = self.originator_id.hex, self.business_date.isoformat()
        rows.insert(
            "cutoffs",
            group_id=gid,
            position=self.position,
            cut_off=day,
            approved_by=self.approved_by,
            source=self.source,
            members=len(self.members),
            loans=len(self.loans),
            cash=paisa(self.cash),
            rice_stock=self.rice_stock,
            group_fund=paisa(self.group_fund),
            group_rice=self.group_rice,
        )
        for i, m in enumerate(self.members):
            delta = Delta(
                rice_saved=int(m["rice_grams"]),
                bought_value=paisa(Decimal(m["owes_for_rice"])),
                cash_saved=paisa(Decimal(m["cash_savings"])),
            )
            if delta:
                rows.passbook_row(self, f"members.{i}", m["member_no"], delta, "opening")
        for i, x in enumerate(self.loans):
            self._project_loan(rows, i, x)

    def _project_loan(self, rows: Rows, i: int, x: dict[str, Any]) -> None:
        gid, day = self.originator_id.hex, self.business_date.isoformat()
        principal = paisa(Decimal(x["principal"]))
        rows.insert(
            "loans",
            group_id=gid,
            loan_no=x["loan_no"],
            position=self.position,
            member_no=x["member_no"],
            principal=principal,
            rate=str(x["rate"]),
            method=x["method"],
            frequency=x["frequency"],
            instalments=len(x["schedule"]),
            grace=0,
            disbursed_on=day,
            purpose=x["purpose"],
            approved_by=self.approved_by,
            written_off=0,
            written_off_on=None,
        )
        rows.insert(
            "loan_schedules",
            group_id=gid,
            loan_no=x["loan_no"],
            position=self.position,
            effective_from=day,
            schedule=canonical(list(x["schedule"])),
        )
        rows.insert(
            "cutoff_loans",
            group_id=gid,
            loan_no=x["loan_no"],
            paper_ref=x["paper_ref"],
            next_due=x["schedule"][0]["due"].isoformat(),
        )
        rows.passbook_row(
            self,
            f"loans.{i}",
            x["member_no"],
            Delta(lent=principal),
            "loan_carried",
            target=x["loan_no"],
            memo=x["paper_ref"],
        )

    def describe(self) -> Message:
        return _(
            "Cut-off from the paper books sealed: balances of {members} members and "
            "{loans} loans carried in",
            members=len(self.members),
            loans=len(self.loans),
        )


# ---------------------------------------------------------------------- the command
class SealCutoff(GroupCommand):
    """Seal the cut-off sheet: the paper books' balances on ``date`` (once per group)."""

    form_title: ClassVar[Any] = _("Cut-off from the paper books")
    form_labels: ClassVar[dict[str, Any]] = {
        "date": _("Cut-off date"),
        "cash": _("Cash in hand"),
        "rice_stock_grams": _("Rice in stock (grams)"),
        "members": _("Members' balances"),
        "rice_grams": _("Rice saved (grams)"),
        "cash_savings": _("Cash savings"),
        "owes_for_rice": _("Owes for rice"),
        "loans": _("Loans outstanding"),
        "outstanding": _("Still owed"),
        "rate": _("Yearly rate in percent"),
        "method": _("Method"),
        "frequency": _("Frequency"),
        "instalments": _("Instalments left"),
        "next_due": _("Next instalment due"),
        "purpose": _("Purpose"),
        "paper_ref": _("Number in the paper register"),
        "group_fund": _("The group's fund"),
        "group_rice_grams": _("The group's rice (grams)"),
        "approved_by": _("Checked against the paper books by"),
        "source": _("Source"),
    }

    command: Literal["seal_cutoff"] = "seal_cutoff"
    cash: TakaOrZero
    rice_stock_grams: GramsOrZero
    members: Annotated[list[OpeningBalance], Field(max_length=2000)] = []
    loans: Annotated[list[CarriedLoan], Field(max_length=2000)] = []
    group_fund: SignedTaka
    group_rice_grams: SignedGrams = 0
    approved_by: Text
    source: OptionalText = ""

    @model_validator(mode="before")
    @classmethod
    def _one_key(cls, data: Any) -> Any:
        """Sent without a key, a sheet is keyed ``cutoff``: sending it again is a replay."""
        if isinstance(data, dict) and not data.get("key"):
            return {**data, "key": KEY}
        return data

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        sealed: date | None = getattr(group, "cutoff", None)
        if sealed is not None:
            raise RuleBroken(
                "date",
                self.date,
                _("the cut-off was sealed on {day}; it cannot be entered twice", day=sealed),
            )
        on = group.check_date(self.date, unit.stamp.today)
        _nothing_before(group)
        members = self._members(group, on)
        loans = self._loans(group, on)
        self._adds_up(members, loans)
        group.record(
            CutOffSealed,
            on,
            unit.stamp,
            cash=self.cash,
            rice_stock=self.rice_stock_grams,
            group_fund=self.group_fund,
            group_rice=self.group_rice_grams,
            members=members,
            loans=loans,
            approved_by=self.approved_by,
            source=self.source,
        )
        return None

    def _members(self, group: Group, on: date) -> list[dict[str, Any]]:
        seen: set[int] = set()
        out = []
        for i, m in enumerate(self.members):
            field = f"members[{i}].member"
            if m.member in seen:
                raise InvalidInput(field, m.member, _("is on the sheet twice"))
            seen.add(m.member)
            group.member(field, m.member, on)
            out.append(
                {
                    "member_no": m.member,
                    "rice_grams": m.rice_grams,
                    "cash_savings": m.cash_savings,
                    "owes_for_rice": m.owes_for_rice,
                }
            )
        return out

    def _loans(self, group: Group, on: date) -> list[dict[str, Any]]:
        out = []
        for i, x in enumerate(self.loans):
            group.member(f"loans[{i}].member", x.member, on)
            if x.next_due < group.formed_on:
                raise InvalidInput(
                    f"loans[{i}].next_due",
                    x.next_due,
                    _("is before {code} was formed ({day})", code=group.code, day=group.formed_on),
                )
            out.append(
                {
                    "loan_no": len(group.loans) + i + 1,
                    "member_no": x.member,
                    "principal": x.outstanding,
                    "rate": x.rate,
                    "method": x.method,
                    "frequency": x.frequency,
                    "purpose": x.purpose,
                    "paper_ref": x.paper_ref,
                    "schedule": remaining_schedule(x, on),
                }
            )
        return out

    def _adds_up(self, members: list[dict[str, Any]], loans: list[dict[str, Any]]) -> None:
        """Refuse a sheet that does not balance, naming the total that is off."""
        owed = sum((m["owes_for_rice"] for m in members), ZERO)
        lent = sum((x["principal"] for x in loans), ZERO)
        saved = sum((m["cash_savings"] for m in members), ZERO)
        fund = self.cash + owed + lent - saved
        if fund != self.group_fund:
            raise RuleBroken(
                "group_fund",
                self.group_fund,
                _(
                    "the sheet does not add up: cash {cash} + owed for rice {owed} + loans "
                    "{lent} - cash savings {saved} leaves {fund} for the group's fund",
                    cash=taka(self.cash),
                    owed=taka(owed),
                    lent=taka(lent),
                    saved=taka(saved),
                    fund=taka(fund),
                ),
            )
        rice_saved = sum(int(m["rice_grams"]) for m in members)
        left = self.rice_stock_grams - rice_saved
        if left != self.group_rice_grams:
            raise RuleBroken(
                "group_rice_grams",
                self.group_rice_grams,
                _(
                    "the sheet does not add up: rice stock {stock} - rice savings {saved} "
                    "leaves {left} for the group's rice",
                    stock=grams(self.rice_stock_grams),
                    saved=grams(rice_saved),
                    left=grams(left),
                ),
            )


def _nothing_before(group: Group) -> None:
    """A cut-off opens the books: refuse one when entries that move money were recorded."""
    days = sorted(d for t in group.balances.values() for d in t.days)
    if days or group.loans:
        first = date.fromisoformat(days[0]) if days else group.formed_on
        raise RuleBroken(
            "date",
            first,
            _(
                "the group's books already hold entries that move money; "
                "the cut-off must come first"
            ),
        )


register_words(
    "opening",
    lambda d, _target, _memo: _(
        "Brought from the paper books: {rice} of rice saved, {cash} of cash savings, "
        "{owed} owed for rice",
        rice=grams(d.rice_saved),
        cash=taka(d.cash_saved),
        owed=taka(d.bought_value),
    ),
)
register_words(
    "loan_carried",
    lambda d, loan, _memo: _(
        "Loan {loan} carried from the paper books: {amount} still owed",
        loan=loan,
        amount=taka(d.lent),
    ),
)
