"""Loans as of a date: each loan's principal, what was paid, what is owed, arrears, days
overdue and status; a portfolio's outstanding, overdue, PAR30 and collections.

``reports.loans.loans("JOBA", as_of=D)``, ``reports.loans.portfolio(["JOBA"], as_of=D)``.
A loan as of D is read with the schedule in force on D (the disbursement's, or the latest
reschedule on or before D), so a later reschedule never changes what D's report said.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger.area import Area, day_of
from coopledger.loans.schedule import days_overdue, par, state
from coopledger.money import taka

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LoanStatus:
    """A loan as of a date."""

    loan_no: int
    member_no: int
    principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    instalments: int
    disbursed_on: str
    purpose: str
    approved_by: str
    principal_paid: Decimal
    charge_paid: Decimal
    written_off: Decimal
    outstanding: Decimal
    arrears: Decimal
    days_overdue: int
    status: str  # "on time", "late", "closed", "written off"
    schedule: list[dict[str, Any]]
    repayments: list[dict[str, Any]]
    #: the loan product it was made under ("" for none), and its fines by the date
    product: str = ""
    fines_charged: Decimal = ZERO
    fines_paid: Decimal = ZERO

    @property
    def fines_owed(self) -> Decimal:
        return self.fines_charged - self.fines_paid

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["fines_owed"] = self.fines_owed
        return out


@dataclass(frozen=True)
class LoanProduct:
    """A loan product of a group, as defined on a date (``fine``: ``{"kind", "amount",
    "grace_days"}`` or None)."""

    name: str
    defined_on: str
    min_principal: Decimal
    max_principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    min_instalments: int
    max_instalments: int
    fine: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fine:
    """A fine charged on a late instalment (``kind`` "fine"), or fines paid ("paid")."""

    loan_no: int
    member_no: int
    kind: str
    on: str
    instalment: int
    due: str
    taka: Decimal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Portfolio:
    """Loans of some groups as of a date."""

    groups: list[str]
    as_of: date | None
    since: date | None
    loans: int
    open: int
    outstanding: Decimal
    overdue: Decimal
    par30: Decimal
    collected: Decimal
    written_off: Decimal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def schedule_rows(text: str) -> list[dict[str, Any]]:
    """A stored schedule with its dates and amounts typed."""
    return [
        {
            **s,
            "due": date.fromisoformat(s["due"]),
            "principal": Decimal(s["principal"]),
            "charge": Decimal(s["charge"]),
        }
        for s in json.loads(text)
    ]


def status(outstanding: Decimal, written: Decimal, late: int) -> str:
    if written:
        return "written off"
    if outstanding <= 0:
        return "closed"
    return "late" if late else "on time"


class LoanReports(Area):
    """Loans from the group fund."""

    def loans(
        self, code: str, *, as_of: date | None = None, member: int | None = None
    ) -> list[LoanStatus]:
        """Every loan of a group (or of one member) as of a date."""
        gid, day = self.gid(code), day_of(as_of)
        on = as_of or self.today()
        sql = "SELECT * FROM {loans} WHERE group_id = ? AND disbursed_on <= ?"
        params: list[Any] = [gid, day]
        if member is not None:
            sql += " AND member_no = ?"
            params.append(member)
        out = []
        products = {
            r["loan_no"]: r["product"]
            for r in self.query(
                "SELECT loan_no, product FROM {loan_terms} WHERE group_id = ?", (gid,)
            )
        }
        fines: dict[int, dict[str, Decimal]] = {}
        for r in self.query(
            "SELECT loan_no, kind, SUM(taka) AS total FROM {loan_fines} WHERE group_id = ? AND "
            "on_day <= ? GROUP BY loan_no, kind",
            (gid, day),
        ):
            fines.setdefault(r["loan_no"], {})[r["kind"]] = taka(int(r["total"]))
        for loan in self.query(sql + " ORDER BY loan_no", params):
            repayments = [
                {
                    "business_date": date.fromisoformat(r["paid_on"]),
                    "principal": taka(r["principal"]),
                    "charge": taka(r["charge"]),
                    "taka": taka(r["taka"]),
                }
                for r in self.query(
                    "SELECT paid_on, taka, charge, principal FROM {loan_repayments} WHERE "
                    "group_id = ? AND loan_no = ? AND paid_on <= ? ORDER BY position, part",
                    (gid, loan["loan_no"], day),
                )
            ]
            in_force = self.query(
                "SELECT schedule FROM {loan_schedules} WHERE group_id = ? AND loan_no = ? AND "
                "effective_from <= ? ORDER BY effective_from DESC, position DESC LIMIT 1",
                (gid, loan["loan_no"], on.isoformat()),
            )
            plan = schedule_rows(in_force[0]["schedule"]) if in_force else []
            written = (
                taka(loan["written_off"]) if (loan["written_off_on"] or "9999") <= day else ZERO
            )
            principal = taka(loan["principal"])
            fined = fines.get(loan["loan_no"], {})
            now = state(plan, principal, repayments, on, written)
            late = days_overdue(plan, repayments, on) if now.outstanding > 0 else 0
            out.append(
                LoanStatus(
                    loan_no=loan["loan_no"],
                    member_no=loan["member_no"],
                    principal=principal,
                    rate=Decimal(loan["rate"]),
                    method=loan["method"],
                    frequency=loan["frequency"],
                    instalments=loan["instalments"],
                    disbursed_on=loan["disbursed_on"],
                    purpose=loan["purpose"],
                    approved_by=loan["approved_by"],
                    principal_paid=now.principal_paid,
                    charge_paid=now.charge_paid,
                    written_off=written,
                    outstanding=now.outstanding,
                    arrears=now.arrears,
                    days_overdue=late,
                    status=status(now.outstanding, written, late),
                    schedule=plan,
                    repayments=repayments,
                    product=products.get(loan["loan_no"], ""),
                    fines_charged=fined.get("fine", ZERO),
                    fines_paid=fined.get("paid", ZERO),
                )
            )
        return out

    def products(self, code: str, *, as_of: date | None = None) -> list[LoanProduct]:
        """A group's loan products as defined on ``as_of`` (the latest definition of each
        name by then), by name."""
        gid, day = self.gid(code), day_of(as_of)
        latest: dict[str, dict[str, Any]] = {}
        for r in self.query(
            "SELECT * FROM {loan_products} WHERE group_id = ? AND defined_on <= ? "
            "ORDER BY defined_on, position",
            (gid, day),
        ):
            latest[r["name"]] = r
        return [
            LoanProduct(
                name=r["name"],
                defined_on=r["defined_on"],
                min_principal=taka(r["min_principal"]),
                max_principal=taka(r["max_principal"]),
                rate=Decimal(r["rate"]),
                method=r["method"],
                frequency=r["frequency"],
                min_instalments=r["min_instalments"],
                max_instalments=r["max_instalments"],
                fine=_fine(r["fine"]),
            )
            for _name, r in sorted(latest.items())
        ]

    def fines(
        self, code: str, *, as_of: date | None = None, member: int | None = None
    ) -> list[Fine]:
        """Fines charged and paid in a group (or for one member) by ``as_of``, in order."""
        gid, day = self.gid(code), day_of(as_of)
        sql = "SELECT * FROM {loan_fines} WHERE group_id = ? AND on_day <= ?"
        params: list[Any] = [gid, day]
        if member is not None:
            sql += " AND member_no = ?"
            params.append(member)
        return [
            Fine(
                loan_no=r["loan_no"],
                member_no=r["member_no"],
                kind=r["kind"],
                on=r["on_day"],
                instalment=r["instalment"],
                due=r["due"],
                taka=taka(r["taka"]),
            )
            for r in self.query(sql + " ORDER BY position, part", params)
        ]

    def portfolio(
        self, codes: list[str], *, as_of: date | None = None, since: date | None = None
    ) -> Portfolio:
        """Loan portfolio of some groups: outstanding, overdue, PAR30 (outstanding principal
        of loans with an instalment more than 30 days late, over all outstanding principal),
        and what was collected since ``since``."""
        loans = [loan for code in codes for loan in self.loans(code, as_of=as_of)]
        start = since or date.min
        return Portfolio(
            groups=[c.upper() for c in codes],
            as_of=as_of,
            since=since,
            loans=len(loans),
            open=sum(1 for x in loans if x.outstanding > 0),
            outstanding=sum((x.outstanding for x in loans), ZERO),
            overdue=sum((x.arrears for x in loans), ZERO),
            par30=par(
                [{"outstanding": x.outstanding, "days_overdue": x.days_overdue} for x in loans]
            ),
            collected=sum(
                (r["taka"] for x in loans for r in x.repayments if r["business_date"] >= start),
                ZERO,
            ),
            written_off=sum((x.written_off for x in loans), ZERO),
        )


def _fine(text: str) -> dict[str, Any] | None:
    rule: dict[str, Any] | None = json.loads(text)
    if rule is not None:
        rule["amount"] = Decimal(rule["amount"])
    return rule
