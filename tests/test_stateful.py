"""Random sequences of valid and invalid commands never break the books.

After every step: postings balance per commodity, rice stock, cash, savings and what members
owe never go negative on any business date, a refused command wrote nothing, and (every few
steps and at the end) the live projections equal a fresh rebuild from the events.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from coopledger import Ledger, LedgerError
from coopledger.kernel.postings import imbalance
from coopledger.testing import (
    FORMED,
    assert_books_balance,
    fixed_clock,
    overdrawn_accounts,
    replay_matches,
    seed_group,
    snapshot,
)

DAYS = st.integers(min_value=-2, max_value=240).map(lambda n: FORMED + timedelta(days=n))
MEMBERS = st.integers(min_value=0, max_value=6)  # 0 and 5, 6 do not exist at first
GRAMS = st.integers(min_value=-100, max_value=4000)
TAKA = st.decimals(
    min_value=Decimal("-5"),
    max_value=Decimal("300"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
PRICE = st.sampled_from([Decimal("28"), Decimal("30.50"), Decimal("33.33"), Decimal("0")])


class Books(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.ledger = Ledger(str(Path(self.tmp.name) / "books.db"), clock=fixed_clock)
        seed_group(self.ledger, "JOBA", members=4)
        self.steps = 0
        self.recorded = 0

    def teardown(self) -> None:
        try:
            assert replay_matches(self.ledger)
        finally:
            self.ledger.close()
            self.tmp.cleanup()

    def attempt(self, action: Any) -> None:
        """Run a command; if refused, prove nothing was written."""
        before = snapshot(self.ledger, "JOBA")
        try:
            action()
        except LedgerError as e:
            assert e.field, e  # noqa: PT017 - a refusal must name its field
            assert snapshot(self.ledger, "JOBA") == before
            event("refused")
        else:
            self.recorded += 1
            event("recorded")
        self.steps += 1

    @rule(member=MEMBERS, grams=GRAMS, day=DAYS)
    def deposit(self, member: int, grams: int, day: date) -> None:
        self.attempt(lambda: self.ledger.deposit_rice("JOBA", member=member, grams=grams, date=day))

    @rule(buyer=MEMBERS, grams=GRAMS, price=PRICE, paid=st.none() | TAKA, day=DAYS)
    def sell(self, buyer: int, grams: int, price: Decimal, paid: Decimal | None, day: date) -> None:
        self.attempt(
            lambda: self.ledger.sell_rice(
                "JOBA", buyer=buyer, grams=grams, taka_per_kg=price, paid=paid, date=day
            )
        )

    @rule(
        member=MEMBERS,
        amount=TAKA,
        day=DAYS,
        kind=st.sampled_from(["receive_payment", "save_cash", "withdraw_cash"]),
    )
    def member_cash(self, member: int, amount: Decimal, day: date, kind: str) -> None:
        self.attempt(
            lambda: getattr(self.ledger, kind)("JOBA", member=member, taka=amount, date=day)
        )

    @rule(amount=TAKA, day=DAYS, kind=st.sampled_from(["grant", "expense", "cost", "revenue"]))
    def group_cash(self, amount: Decimal, day: date, kind: str) -> None:
        ledger = self.ledger
        actions = {
            "grant": lambda: ledger.receive_grant(
                "JOBA", source="ALRD", purpose="IGA", taka=amount, date=day
            ),
            "expense": lambda: ledger.pay_expense(
                "JOBA", category="stationery", payee="shop", taka=amount, date=day
            ),
            "cost": lambda: ledger.book_activity_cost(
                "JOBA", activity="vermicompost", taka=amount, date=day
            ),
            "revenue": lambda: ledger.book_activity_revenue(
                "JOBA", activity="vermicompost", taka=amount, date=day
            ),
        }
        self.attempt(actions[kind])

    @rule(
        day=DAYS,
        deposits=st.lists(st.tuples(MEMBERS, GRAMS), max_size=4),
        sales=st.lists(st.tuples(MEMBERS, GRAMS, PRICE), max_size=3),
        counted=st.none() | st.integers(min_value=0, max_value=20000),
    )
    def meeting(
        self,
        day: date,
        deposits: list[tuple[int, int]],
        sales: list[tuple[int, int, Decimal]],
        counted: int | None,
    ) -> None:
        self.attempt(
            lambda: self.ledger.record_meeting(
                "JOBA",
                date=day,
                attendance=sorted({m for m, _ in deposits}),
                deposits=[{"member": m, "grams": g} for m, g in deposits],
                sales=[{"buyer": b, "grams": g, "taka_per_kg": p} for b, g, p in sales],
                counted_rice_grams=counted,
            )
        )

    @rule(member=MEMBERS, day=DAYS)
    def leave(self, member: int, day: date) -> None:
        self.attempt(
            lambda: self.ledger.leave_member("JOBA", member=member, reason="moved", date=day)
        )

    @rule(day=DAYS)
    def join(self, day: date) -> None:
        self.attempt(
            lambda: self.ledger.join_member(
                "JOBA",
                name="New member",
                household="H9",
                gender="female",
                landless=True,
                wellbeing="extreme-poor",
                date=day,
            )
        )

    @precondition(lambda self: self.recorded > 0)
    @rule(data=st.data(), reverse=st.booleans(), grams=GRAMS, amount=TAKA)
    def correct(self, data: st.DataObject, reverse: bool, grams: int, amount: Decimal) -> None:
        version = self.ledger.load("JOBA").version
        target = data.draw(st.integers(min_value=1, max_value=version))
        lines = list(self.ledger.event("JOBA", target).lines())
        part, line = data.draw(st.sampled_from(lines)) if lines else ("", None)
        changes: dict[str, Any] | None = None
        if not reverse:
            kind = line.kind if line is not None else ""
            changes = (
                {"grams": grams}
                if kind in ("deposit", "sale")
                else {"counted_rice_grams": max(grams, 0)}
                if kind == "count"
                else {"taka": amount}
            )
        self.attempt(
            lambda: self.ledger.correct(
                "JOBA", target=target, part=part, reason="test", changes=changes, date=FORMED
            )
        )

    @invariant()
    def books_balance(self) -> None:
        assert_books_balance(self.ledger, "JOBA")

    @invariant()
    def nothing_is_ever_overdrawn(self) -> None:
        assert list(overdrawn_accounts(self.ledger, "JOBA")) == []

    @invariant()
    def every_event_balances(self) -> None:
        last = self.ledger.events("JOBA")[-1]
        assert imbalance(last.postings()) == {}

    @invariant()
    def projections_equal_a_rebuild_now_and_then(self) -> None:
        if self.steps % 10 == 9:
            assert replay_matches(self.ledger)


Books.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBooks = Books.TestCase
