"""Double entry: the balanced postings every event implies, derived, never stored.

``postings(event)`` is a pure function of one event. For each commodity (taka in paisa, rice
in grams) the amounts of one event's postings sum to zero; a rice sale moves rice into
``Equity:Conversions:Rice`` and takes taka out of it, so each commodity balances on its own.
A correction posts the reversal of what it replaces plus the postings of the replacement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger.events import EntryCorrected, LedgerEvent
from coopledger.money import RICE, TAKA, paisa


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of an entry: ``amount`` is paisa for BDT and grams for RICE, debit positive."""

    account: str
    commodity: str
    amount: int

    def negated(self) -> Posting:
        return Posting(self.account, self.commodity, -self.amount)


def _money(account: str, taka: Any) -> Posting:
    return Posting(account, TAKA, paisa(Decimal(taka)))


def postings_for(kind: str, f: Mapping[str, Any]) -> list[Posting]:
    """Postings of an event of type ``kind`` with business fields ``f``."""
    if kind == "RiceDeposited":
        return [Posting(acc.RICE_STOCK, RICE, f["grams"]),
                Posting(acc.rice_savings(f["member_no"]), RICE, -f["grams"])]
    if kind == "RiceSold":
        value, paid = paisa(Decimal(f["value"])), paisa(Decimal(f["paid"]))
        legs = [Posting(acc.RICE_STOCK, RICE, -f["grams"]),
                Posting(acc.RICE_CONVERSION, RICE, f["grams"]),
                Posting(acc.RICE_CONVERSION, TAKA, -value)]
        if paid:
            legs.append(Posting(acc.CASH, TAKA, paid))
        if value - paid:
            legs.append(Posting(acc.receivable(f["buyer_no"]), TAKA, value - paid))
        return legs
    if kind == "RicePaymentReceived":
        return [_money(acc.CASH, f["taka"]),
                _money(acc.receivable(f["member_no"]), -Decimal(f["taka"]))]
    if kind == "CashSaved":
        return [_money(acc.CASH, f["taka"]),
                _money(acc.cash_savings(f["member_no"]), -Decimal(f["taka"]))]
    if kind == "CashWithdrawn":
        return [_money(acc.cash_savings(f["member_no"]), f["taka"]),
                _money(acc.CASH, -Decimal(f["taka"]))]
    if kind == "GrantReceived":
        return [_money(acc.CASH, f["taka"]), _money(acc.GRANTS, -Decimal(f["taka"]))]
    if kind == "ExpensePaid":
        return [_money(acc.expense(f["category"]), f["taka"]),
                _money(acc.CASH, -Decimal(f["taka"]))]
    if kind == "ActivityCostBooked":
        return [_money(acc.activity_costs(f["activity"]), f["taka"]),
                _money(acc.CASH, -Decimal(f["taka"]))]
    if kind == "LoanDisbursed":
        return [_money(acc.loan(f["member_no"]), f["principal"]),
                _money(acc.CASH, -Decimal(f["principal"]))]
    if kind == "LoanRepaid":
        legs = [_money(acc.CASH, f["taka"])]
        if Decimal(f["principal"]):
            legs.append(_money(acc.loan(f["member_no"]), -Decimal(f["principal"])))
        if Decimal(f["charge"]):
            legs.append(_money(acc.SERVICE_CHARGE, -Decimal(f["charge"])))
        return legs
    if kind == "LoanWrittenOff":
        return [_money(acc.WRITE_OFFS, f["principal"]),
                _money(acc.loan(f["member_no"]), -Decimal(f["principal"]))]
    if kind == "BankInstalmentCollected":
        return [_money(acc.CASH, f["taka"]),
                _money(acc.due_to_bank(f["lender"]), -Decimal(f["taka"]))]
    if kind == "BankPaymentMade":
        return [_money(acc.due_to_bank(f["lender"]), f["taka"]),
                _money(acc.CASH, -Decimal(f["taka"]))]
    if kind == "ActivityRevenueBooked":
        return [_money(acc.CASH, f["taka"]),
                _money(acc.activity_income(f["activity"]), -Decimal(f["taka"]))]
    return []


def postings(event: LedgerEvent) -> list[Posting]:
    """The postings of one event (a correction: reversal of ``was`` plus ``now``)."""
    if isinstance(event, EntryCorrected):
        legs = [p.negated() for p in postings_for(event.target_type, event.was)]
        if event.now is not None:
            legs += postings_for(event.target_type, event.now)
        return legs
    return postings_for(type(event).__name__, event.content())


def net(legs: Iterable[Posting]) -> dict[tuple[str, str], int]:
    """Sum postings by (account, commodity), dropping zeros."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for p in legs:
        totals[p.account, p.commodity] += p.amount
    return {k: v for k, v in totals.items() if v}


def imbalance(legs: Iterable[Posting]) -> dict[str, int]:
    """Per commodity, what the postings fail to balance by (empty when balanced)."""
    totals: dict[str, int] = defaultdict(int)
    for p in legs:
        totals[p.commodity] += p.amount
    return {c: v for c, v in totals.items() if v}


@dataclass(frozen=True, slots=True)
class DatedPosting:
    """A posting with the business date and stream position of the event behind it."""

    business_date: date
    position: int
    posting: Posting
