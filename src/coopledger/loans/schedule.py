"""Loans from the group fund: schedules, the order repayments are applied in, arrears, PAR.

Schedules are computed once, at disbursement, and stored in the ``LoanDisbursed`` event, so
that a later change of this code never alters an issued schedule.

Rounding rule. *Declining balance*: the instalment is the annuity ``P * i / (1 - (1 + i) **
-n)`` (``i`` the rate per period: annual rate / 12 monthly, / 52 weekly, / 26 fortnightly, x
N / 52 every N weeks) rounded half up to the paisa; each period's service charge is the
outstanding principal times ``i`` rounded half up to the paisa; the principal part is the
instalment less the charge; the last instalment takes whatever principal is left, so the
principal parts sum exactly to the loan. *Flat*: the whole charge is ``P * annual rate *
years`` rounded half up. When principal plus charge divides evenly into the instalments (to
the paisa), every instalment is that amount: the principal is spread evenly in paisa (the
odd paisa in the first instalments) and each charge is the rest (10,000 Tk at 10 % over six
months: six instalments of 1,750.00). Otherwise principal and charge are split evenly,
rounded down to the paisa, the last instalment taking the remainders. A grace period of
``g`` periods moves the first due date ``g`` periods later (no charge accrues in it).

Allocation order of a repayment: first the service charge that has fallen due, then the
principal that has fallen due (oldest instalment first), then principal not yet due (an
early repayment); anything beyond what is owed is refused.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

PAISA = Decimal("0.01")
PERIODS = {"weekly": 52, "fortnightly": 26, "monthly": 12}
#: Every N weeks, N from 3 to 8 (``"4-weekly"``: every four weeks); weekly and fortnightly
#: are N = 1 and 2.
EVERY_WEEKS = tuple(f"{n}-weekly" for n in range(3, 9))
FREQUENCIES = ("weekly", "fortnightly", *EVERY_WEEKS, "monthly")
#: What a command may name (the same list as :data:`FREQUENCIES`).
Frequency = Literal[
    "weekly",
    "fortnightly",
    "3-weekly",
    "4-weekly",
    "5-weekly",
    "6-weekly",
    "7-weekly",
    "8-weekly",
    "monthly",
]
Method = Literal["declining", "flat"]


def weeks_of(frequency: str) -> int | None:
    """How many weeks apart instalments fall (None for monthly)."""
    if frequency == "weekly":
        return 1
    if frequency == "fortnightly":
        return 2
    if frequency.endswith("-weekly") and frequency[: -len("-weekly")].isdigit():
        return int(frequency[: -len("-weekly")])
    return None


def period_rate(rate: Decimal, frequency: str) -> Decimal:
    """The rate per period of a yearly ``rate`` in percent: / 12 monthly, / 52 weekly,
    / 26 fortnightly, x N / 52 every N weeks."""
    if frequency in PERIODS:
        return rate / 100 / PERIODS[frequency]
    return rate / 100 * (weeks_of(frequency) or 0) / 52


def years_of(n: int, frequency: str) -> Decimal:
    """How many years ``n`` periods last (52 weeks a year)."""
    if frequency in PERIODS:
        return Decimal(n) / PERIODS[frequency]
    return Decimal(n * (weeks_of(frequency) or 0)) / 52


def add_periods(start: date, frequency: str, n: int) -> date:
    """``start`` plus ``n`` periods: weeks, fortnights, N weeks or months (a month-end date
    stays within its month)."""
    weeks = weeks_of(frequency)
    if weeks is not None:
        return start + timedelta(weeks=weeks * n)
    months = start.month - 1 + n
    year, month = start.year + months // 12, months % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def annuity(principal: Decimal, rate: Decimal, frequency: str, n: int) -> Decimal:
    """The unrounded instalment of a declining-balance loan."""
    i = period_rate(rate, frequency)
    if i == 0:
        return principal / n
    return principal * i / (1 - (1 + i) ** -n)


def _equal(
    principal: Decimal, charge: Decimal, n: int, due: list[date]
) -> list[dict[str, Any]] | None:
    """A flat loan's equal instalments, when principal plus charge divides evenly into
    ``n`` to the paisa (None otherwise)."""
    each = (principal + charge) / n
    if each != each.quantize(PAISA):
        return None
    each = each.quantize(PAISA)
    # The principal spread evenly in paisa, the odd paisa in the first instalments; each
    # part is at most the instalment, so no charge is ever below zero.
    base, extra = divmod(int(principal * 100), n)
    rows = []
    for k in range(n):
        principal_k = Decimal(base + (1 if k < extra else 0)) / 100
        rows.append(
            {"no": k + 1, "due": due[k], "principal": principal_k, "charge": each - principal_k}
        )
    return rows


def schedule(
    principal: Decimal,
    rate: Decimal,
    method: str,
    frequency: str,
    n: int,
    disbursed_on: date,
    grace: int = 0,
) -> list[dict[str, Any]]:
    """The instalments: ``{"no", "due", "principal", "charge"}`` (taka to the paisa)."""
    due = [add_periods(disbursed_on, frequency, grace + k) for k in range(1, n + 1)]
    out = []
    if method == "declining":
        i = period_rate(rate, frequency)
        instalment = annuity(principal, rate, frequency, n).quantize(PAISA, ROUND_HALF_UP)
        balance = principal
        for k in range(n):
            charge = (balance * i).quantize(PAISA, ROUND_HALF_UP)
            part = balance if k == n - 1 else min(balance, instalment - charge)
            out.append({"no": k + 1, "due": due[k], "principal": part, "charge": charge})
            balance -= part
        return out
    years = years_of(n, frequency)
    total_charge = (principal * rate / 100 * years).quantize(PAISA, ROUND_HALF_UP)
    equal = _equal(principal, total_charge, n, due)
    if equal is not None:
        return equal
    part = (principal / n).quantize(PAISA, ROUND_DOWN)
    charge = (total_charge / n).quantize(PAISA, ROUND_DOWN)
    for k in range(n):
        last = k == n - 1
        out.append(
            {
                "no": k + 1,
                "due": due[k],
                "principal": principal - part * (n - 1) if last else part,
                "charge": total_charge - charge * (n - 1) if last else charge,
            }
        )
    return out


@dataclass(frozen=True)
class LoanState:
    """A loan as of a date: what was due, what was paid, what is owed and how late."""

    principal: Decimal
    principal_paid: Decimal
    charge_paid: Decimal
    principal_due: Decimal  # fallen due by the date
    charge_due: Decimal
    written_off: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.principal - self.principal_paid - self.written_off

    @property
    def arrears(self) -> Decimal:
        """Principal and charge fallen due and not paid (never negative)."""
        late = (self.principal_due - self.principal_paid) + (self.charge_due - self.charge_paid)
        return max(Decimal("0.00"), late) if self.outstanding > 0 else Decimal("0.00")


def state(
    schedule_rows: Sequence[Mapping[str, Any]],
    principal: Decimal,
    repayments: Sequence[Mapping[str, Any]],
    on: date,
    written_off: Decimal = Decimal("0.00"),
) -> LoanState:
    """A loan on ``on`` from its schedule and its repayments (``principal``/``charge`` parts,
    ``business_date``)."""
    paid = [r for r in repayments if r["business_date"] <= on]
    return LoanState(
        principal=principal,
        principal_paid=sum((Decimal(r["principal"]) for r in paid), Decimal("0.00")),
        charge_paid=sum((Decimal(r["charge"]) for r in paid), Decimal("0.00")),
        principal_due=sum(
            (Decimal(s["principal"]) for s in schedule_rows if s["due"] <= on), Decimal("0.00")
        ),
        charge_due=sum(
            (Decimal(s["charge"]) for s in schedule_rows if s["due"] <= on), Decimal("0.00")
        ),
        written_off=written_off,
    )


def days_overdue(
    schedule_rows: Sequence[Mapping[str, Any]], repayments: Sequence[Mapping[str, Any]], on: date
) -> int:
    """Days since the oldest instalment not fully paid fell due (0 when up to date);
    payments cover instalments in order, charge and principal together."""
    paid = sum(
        (
            Decimal(r["principal"]) + Decimal(r["charge"])
            for r in repayments
            if r["business_date"] <= on
        ),
        Decimal("0.00"),
    )
    for s in schedule_rows:
        owed = Decimal(s["principal"]) + Decimal(s["charge"])
        if paid >= owed:
            paid -= owed
            continue
        return max(0, (on - s["due"]).days)  # type: ignore[no-any-return]
    return 0


def allocate(
    schedule_rows: Sequence[Mapping[str, Any]],
    principal: Decimal,
    repayments: Sequence[Mapping[str, Any]],
    amount: Decimal,
    on: date,
) -> tuple[Decimal, Decimal]:
    """Split a repayment on ``on`` into (charge, principal) by the allocation order; the
    caller refuses an amount above the charge due plus the principal outstanding."""
    now = state(schedule_rows, principal, repayments, on)
    charge = min(amount, max(Decimal("0.00"), now.charge_due - now.charge_paid))
    return charge, amount - charge


def par(loans: Sequence[Mapping[str, Any]], days: int = 30) -> Decimal:
    """Portfolio at risk: outstanding principal of loans with an instalment more than
    ``days`` late, over all outstanding principal, in percent to the hundredth."""
    outstanding = sum((Decimal(x["outstanding"]) for x in loans), Decimal("0.00"))
    if outstanding <= 0:
        return Decimal("0.00")
    at_risk = sum(
        (Decimal(x["outstanding"]) for x in loans if x["days_overdue"] > days), Decimal("0.00")
    )
    return (at_risk * 100 / outstanding).quantize(PAISA)


def most_payable(
    schedule_rows: Sequence[Mapping[str, Any]],
    principal: Decimal,
    repayments: Sequence[Mapping[str, Any]],
    on: date,
    written_off: Decimal = Decimal("0.00"),
) -> Decimal:
    """The most a borrower can pay on ``on``: charge fallen due and all principal left."""
    now = state(schedule_rows, principal, repayments, on, written_off)
    return max(Decimal("0.00"), now.charge_due - now.charge_paid) + now.outstanding
