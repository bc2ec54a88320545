"""Double entry: postings, the legs every event implies, derived and never stored.

Each event type says which postings it implies (``LedgerEvent.postings``); for each
commodity (taka in paisa, rice in grams) the amounts of one event's postings sum to zero. A
rice sale moves rice into ``Equity:Conversions:Rice`` and takes taka out of it, so each
commodity balances on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from coopledger.money import RICE, TAKA, paisa


class Posting(NamedTuple):
    """One leg of an entry: ``amount`` is paisa for BDT and grams for RICE, debit positive."""

    account: str
    commodity: str
    amount: int

    def negated(self) -> Posting:
        return Posting(self.account, self.commodity, -self.amount)


def money(account: str, taka: Decimal) -> Posting:
    """A taka posting (``taka`` as a Decimal, stored as paisa)."""
    return Posting(account, TAKA, paisa(taka))


def rice(account: str, grams: int) -> Posting:
    """A rice posting, in grams."""
    return Posting(account, RICE, grams)


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
