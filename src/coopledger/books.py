"""The books: balances read from the postings' projections, as of any business date.

``reports.books.trial_balance(code, as_of=D)`` (every account; per commodity they sum to
zero), ``reports.books.position(code, as_of=D)`` (rice in stock, cash in hand, what members
owe and are owed, loans out, income and costs per activity), ``reports.books.trend(...)``
and ``monthly(...)`` (an account's balance over time, day by day or month by month). Taka
are Decimals, rice is grams; only ``balances`` gives the raw paisa and grams.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.money import RICE, TAKA, taka


def _value(commodity: str, amount: int) -> Decimal | int:
    return taka(amount) if commodity == TAKA else amount


@dataclass(frozen=True)
class Balance:
    """One account's balance in one commodity (taka as Decimal, rice in grams)."""

    account: str
    commodity: str
    balance: Decimal | int


class DayBalance(NamedTuple):
    """An account's running balance at the end of a day it moved (taka as Decimal, rice in
    grams)."""

    day: date
    balance: Decimal | int


class MonthBalance(NamedTuple):
    """An account's running balance at the end of a month (``YYYY-MM``; taka as Decimal,
    rice in grams)."""

    month: str
    balance: Decimal | int


@dataclass(frozen=True)
class TrialBalance:
    group: str
    as_of: date | None
    rows: list[Balance]
    totals: dict[str, Decimal | int]
    #: The cut-off when ``as_of`` is before it: the books were kept on paper then.
    before_cutoff: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Activity:
    """An income-generating activity's costs, revenue and margin (taka)."""

    name: str
    costs: Decimal
    revenue: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.costs


@dataclass(frozen=True)
class Position:
    """A group's position on a business date."""

    group: str
    name: str
    as_of: date | None
    members: int
    rice_stock_grams: int
    cash: Decimal
    receivables: Decimal
    cash_savings_owed: Decimal
    rice_savings_grams: int
    rice_sold_grams: int
    rice_sales: Decimal
    grants: Decimal
    expenses: dict[str, Decimal]
    activities: list[Activity]
    loans_outstanding: Decimal = Decimal("0.00")
    service_charge: Decimal = Decimal("0.00")
    written_off: Decimal = Decimal("0.00")
    #: The cut-off when ``as_of`` is before it: the books were kept on paper then.
    before_cutoff: date | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for a, activity in zip(out["activities"], self.activities, strict=True):
            a["margin"] = activity.margin
        return out


class BookReports(Area):
    """Balances, the trial balance, a group's position and trends."""

    def balances(self, code: str | None, as_of: date | None) -> dict[tuple[str, str], int]:
        """Raw balances (paisa / grams) by (account, commodity) as of a date (without a
        date: from the running totals, without adding up every day)."""
        if as_of is None:
            sql = "SELECT account, commodity, SUM(amount) AS total FROM {balances} WHERE 1 = 1"
            params: list[Any] = []
        else:
            sql = (
                "SELECT account, commodity, SUM(amount) AS total FROM {movements} "
                "WHERE business_date <= ?"
            )
            params = [day_of(as_of)]
        if code is not None:
            sql += " AND stream_id = ?"
            params.append(self.gid(code))
        rows = self.query(sql + " GROUP BY account, commodity", params)
        return {(r["account"], r["commodity"]): int(r["total"]) for r in rows if r["total"]}

    def trial_balance(self, code: str | None = None, *, as_of: date | None = None) -> TrialBalance:
        """Every account's balance; per commodity the balances sum to zero."""
        raw = self.balances(code, as_of)
        rows = [Balance(a, c, _value(c, v)) for (a, c), v in sorted(raw.items())]
        totals: dict[str, Decimal | int] = {
            commodity: _value(commodity, sum(v for (_, c), v in raw.items() if c == commodity))
            for commodity in (TAKA, RICE)
        }
        before = self.reports.cutoff.before(code, as_of) if code else None
        return TrialBalance(code.upper() if code else "*", as_of, rows, totals, before)

    def position(self, code: str, *, as_of: date | None = None) -> Position:
        raw = self.balances(code, as_of)

        def total(prefix: str, commodity: str) -> int:
            return sum(
                v
                for (a, c), v in raw.items()
                if c == commodity and (a == prefix or a.startswith(prefix + ":"))
            )

        activities: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        expenses: dict[str, Decimal] = {}
        for (account, commodity), v in raw.items():
            name = acc.activity_of(account)
            if name is not None:
                activities[name][0 if account.startswith("Expenses") else 1] += v
            elif (
                account.startswith(acc.EXPENSES + ":")
                and account != acc.WRITE_OFFS
                and commodity == TAKA
            ):
                expenses[account.split(":", 1)[1].lower()] = taka(v)
        group = self.reports.groups.group(code)
        members = [m for m in self.reports.groups.members(code, as_of=as_of) if m.active]
        return Position(
            group=group.code,
            name=group.name,
            as_of=as_of,
            members=len(members),
            rice_stock_grams=total(acc.RICE_STOCK, RICE),
            cash=taka(total(acc.CASH, TAKA)),
            receivables=taka(total(acc.RECEIVABLE, TAKA)),
            cash_savings_owed=taka(-total(acc.CASH_SAVINGS, TAKA)),
            rice_savings_grams=-total(acc.RICE_SAVINGS, RICE),
            rice_sold_grams=total(acc.RICE_CONVERSION, RICE),
            rice_sales=taka(-total(acc.RICE_CONVERSION, TAKA)),
            grants=taka(-total(acc.GRANTS, TAKA)),
            expenses=dict(sorted(expenses.items())),
            activities=[Activity(n, taka(c), taka(-r)) for n, (c, r) in sorted(activities.items())],
            loans_outstanding=taka(total(acc.LOANS, TAKA)),
            service_charge=taka(-total(acc.SERVICE_CHARGE, TAKA)),
            written_off=taka(total(acc.WRITE_OFFS, TAKA)),
            before_cutoff=self.reports.cutoff.before(code, as_of),
        )

    def trend(
        self, code: str, prefix: str, commodity: str, *, as_of: date | None = None
    ) -> list[DayBalance]:
        """Day-by-day running balance (taka as Decimal or grams, debit positive) of the
        accounts named ``prefix`` or under it, on each day they moved."""
        rows = self.query(
            "SELECT business_date, SUM(amount) AS total FROM {movements} WHERE stream_id = ? "
            "AND account >= ? AND account < ? AND commodity = ? AND business_date <= ? "
            "GROUP BY business_date ORDER BY business_date",
            # A range on the primary key instead of LIKE: the account and its children
            # (":" sorts just before ";").
            (self.gid(code), prefix, prefix + ";", commodity, day_of(as_of)),
        )
        running, out = 0, []
        for r in rows:
            running += int(r["total"])
            out.append(
                DayBalance(date.fromisoformat(r["business_date"]), _value(commodity, running))
            )
        return out

    def monthly(
        self, code: str, prefix: str, commodity: str, *, as_of: date | None = None
    ) -> list[MonthBalance]:
        """Month-end running balance (``YYYY-MM``; taka as Decimal or grams, debit
        positive) of the accounts named ``prefix`` or under it, from the months' totals: a
        ten-year history costs 120 rows, not every day. With ``as_of``, the last month is
        counted to that day."""
        limit = day_of(as_of)[:7]
        rows = self.query(
            "SELECT month, SUM(amount) AS total FROM {month_movements} WHERE stream_id = ? AND "
            "account >= ? AND account < ? AND commodity = ? AND month < ? GROUP BY month "
            "ORDER BY month",
            (self.gid(code), prefix, prefix + ";", commodity, limit),
        )
        running, out = 0, []
        for r in rows:
            running += int(r["total"])
            out.append(MonthBalance(r["month"], _value(commodity, running)))
        if as_of is not None:
            last = self.query(
                "SELECT SUM(amount) AS total FROM {movements} WHERE stream_id = ? AND "
                "account >= ? AND account < ? AND commodity = ? AND business_date >= ? AND "
                "business_date <= ?",
                (self.gid(code), prefix, prefix + ";", commodity, f"{limit}-01", day_of(as_of)),
            )
            if last and last[0]["total"] is not None:
                running += int(last[0]["total"])
                out.append(MonthBalance(limit, _value(commodity, running)))
        return out
