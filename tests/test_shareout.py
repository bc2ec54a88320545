"""Closing a savings cycle and sharing out its surplus: the worked example of
docs/shareout.md to the paisa, on both back ends; refusals; reversal; a second cycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopledger import InvalidInput, Ledger, RuleBroken
from coopledger.shareout.cycle import CloseCycle
from coopledger.shareout.split import amount_days, largest_remainder
from coopledger.testing import (
    assert_books_balance,
    assert_passbooks_add_up,
    assert_refused,
    replay_matches,
    seed_group,
)

T = Decimal
CLOSE = date(2016, 6, 30)


def a_cycle(ledger: Ledger) -> None:
    """The cycle of the worked example in docs/shareout.md."""
    seed_group(ledger, "JOBA", 3)
    jan1, feb1 = date(2016, 1, 1), date(2016, 2, 1)
    ledger.save_cash("JOBA", member=1, taka=T("1000"), date=jan1)
    ledger.save_cash("JOBA", member=2, taka=T("500"), date=jan1)
    ledger.deposit_rice("JOBA", member=2, grams=4000, date=jan1)
    ledger.deposit_rice("JOBA", member=3, grams=6000, date=jan1)
    ledger.receive_grant("JOBA", source="NGO", purpose="vermicompost", taka=T("1000"), date=jan1)
    ledger.sell_rice("JOBA", buyer=1, grams=7001, taka_per_kg=T("40"), date=feb1)
    ledger.disburse_loan(
        "JOBA",
        member=2,
        principal=T("1000"),
        instalments=2,
        rate=T("12"),
        method="flat",
        frequency="monthly",
        purpose="goat",
        date=feb1,
    )
    ledger.repay_loan("JOBA", loan=1, taka=T("510"), date=date(2016, 3, 1))
    ledger.repay_loan("JOBA", loan=1, taka=T("510"), date=date(2016, 4, 1))
    ledger.book_activity_cost("JOBA", activity="vermicompost", taka=T("300"), date=date(2016, 3, 1))
    ledger.book_activity_revenue(
        "JOBA", activity="vermicompost", taka=T("450"), date=date(2016, 5, 1)
    )
    ledger.pay_expense(
        "JOBA", category="guard-wages", payee="Guard", taka=T("40"), date=date(2016, 5, 1)
    )


def test_the_worked_example_to_the_paisa(any_ledger: Ledger) -> None:
    a_cycle(any_ledger)
    receipt = any_ledger.close_cycle("JOBA", date=CLOSE, surplus="130.00")
    assert receipt.result == 1
    sheet = any_ledger.reports.shareout.sheet("JOBA")
    assert (sheet.service_charge, sheet.activities, sheet.expenses) == (
        T("20.00"),
        {"vermicompost": T("150.00")},
        {"guard-wages": T("40.00")},
    )
    assert (sheet.grants, sheet.surplus, sheet.shared) == (T("1000.00"), T("130.00"), T("130.00"))
    assert (sheet.rice_sold_grams, sheet.rice_sold_taka) == (7001, T("280.04"))
    rows = {m.member_no: m for m in sheet.members}
    assert [rows[n].surplus for n in (1, 2, 3)] == [T("68.42"), T("45.16"), T("16.42")]
    assert [rows[n].rice_grams for n in (1, 2, 3)] == [0, 2800, 4201]
    assert [rows[n].rice_taka for n in (1, 2, 3)] == [T("0.00"), T("112.02"), T("168.02")]
    assert [rows[n].cash_after for n in (1, 2, 3)] == [T("1068.42"), T("657.18"), T("184.44")]
    assert [rows[n].rice_after for n in (1, 2, 3)] == [0, 1200, 1799]
    position = any_ledger.reports.books.position("JOBA")
    assert position.rice_savings_grams == position.rice_stock_grams == 2999
    assert position.cash_savings_owed == T("1910.04")
    assert_books_balance(any_ledger, "JOBA")
    assert_passbooks_add_up(any_ledger, "JOBA")
    assert replay_matches(any_ledger)


def test_a_preview_writes_nothing_and_shows_the_same_sheet(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    [event] = sqlite_ledger.preview(CloseCycle(group="JOBA", date=CLOSE))
    assert sqlite_ledger.reports.shareout.cycles("JOBA") == []
    sqlite_ledger.close_cycle("JOBA", date=CLOSE)
    assert event.content()["shares"] == sqlite_ledger.events("JOBA")[-1].content()["shares"]


def test_the_welfare_fund_is_not_shared_out(sqlite_ledger: Ledger) -> None:
    """Gifts for welfare and what was paid from them stay in the welfare fund: the cycle's
    surplus is the same with them as without them."""
    a_cycle(sqlite_ledger)
    [without] = sqlite_ledger.preview(CloseCycle(group="JOBA", date=CLOSE))
    sqlite_ledger.receive_welfare_gift("JOBA", source="UP", taka=T("700"), date=date(2016, 2, 1))
    sqlite_ledger.pay_welfare("JOBA", use="burial", member=3, taka=T("250"), date=date(2016, 3, 1))
    [with_welfare] = sqlite_ledger.preview(CloseCycle(group="JOBA", date=CLOSE))
    assert with_welfare.content()["shares"] == without.content()["shares"]
    assert with_welfare.content()["surplus"] == without.content()["surplus"]


def test_a_share_out_that_does_not_balance_is_refused(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    error = assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.close_cycle("JOBA", date=CLOSE, surplus="130.01"),
        RuleBroken,
        "surplus",
    )
    assert "130.00" in str(error)


def test_settling_loans_refuses_a_close_while_one_is_owed(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    sqlite_ledger.disburse_loan(
        "JOBA", member=1, principal=T("100"), instalments=1, rate=T("0"),
        purpose="seed", date=date(2016, 6, 1),
    )  # fmt: skip
    assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.close_cycle("JOBA", date=CLOSE, loans="settle"),
        RuleBroken,
        "loans",
    )
    sqlite_ledger.close_cycle("JOBA", date=CLOSE)  # carried instead
    sheet = sqlite_ledger.reports.shareout.sheet("JOBA")
    assert sheet.loans_carried == T("100.00")


def test_unknown_weighting_is_refused_naming_the_field(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.close_cycle("JOBA", date=CLOSE, weighting="age"),
        InvalidInput,
        "weighting",
    )


def test_a_surplus_with_no_savers_is_refused(sqlite_ledger: Ledger) -> None:
    seed_group(sqlite_ledger, "JOBA", 2)
    sqlite_ledger.book_activity_revenue(
        "JOBA", activity="vegetables", taka=T("10"), date=date(2016, 1, 1)
    )
    assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.close_cycle("JOBA", date=CLOSE),
        RuleBroken,
        "weighting",
    )


def test_entries_in_a_closed_cycle_are_refused(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    sqlite_ledger.close_cycle("JOBA", date=date(2016, 6, 1))
    assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.save_cash("JOBA", member=1, taka=T("5"), date=date(2016, 5, 31)),
        RuleBroken,
        "date",
    )
    sqlite_ledger.save_cash("JOBA", member=1, taka=T("5"), date=date(2016, 6, 2))


def test_a_close_is_reversed_by_a_later_event(any_ledger: Ledger) -> None:
    a_cycle(any_ledger)
    before = any_ledger.reports.books.trial_balance("JOBA")
    any_ledger.close_cycle("JOBA", date=date(2016, 6, 1))
    any_ledger.reverse_cycle_close("JOBA", cycle=1, reason="counted wrong", date=CLOSE)
    after = {(r.account, r.commodity): r.balance for r in
             any_ledger.reports.books.trial_balance("JOBA").rows if r.balance}  # fmt: skip
    assert after == {(r.account, r.commodity): r.balance for r in before.rows if r.balance}
    [summary] = any_ledger.reports.shareout.cycles("JOBA")
    assert summary.reversed_on == CLOSE
    any_ledger.save_cash("JOBA", member=1, taka=T("5"), date=date(2016, 6, 1))  # open again
    assert any_ledger.close_cycle("JOBA", date=CLOSE).result == 1
    assert replay_matches(any_ledger)


def test_a_reversal_that_would_take_back_spent_savings_is_refused(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    sqlite_ledger.close_cycle("JOBA", date=date(2016, 6, 1))
    sqlite_ledger.withdraw_cash("JOBA", member=3, taka=T("184.44"), date=date(2016, 6, 2))
    assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.reverse_cycle_close("JOBA", cycle=1, reason="x", date=CLOSE),
        RuleBroken,
        "cycle",
    )
    assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.reverse_cycle_close("JOBA", cycle=2, reason="x", date=CLOSE),
        RuleBroken,
        "cycle",
    )


def test_the_second_cycle_counts_only_its_own_days(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    sqlite_ledger.close_cycle("JOBA", date=date(2016, 5, 31))
    sqlite_ledger.book_activity_revenue(
        "JOBA", activity="vermicompost", taka=T("10"), date=date(2016, 6, 10)
    )
    assert sqlite_ledger.close_cycle("JOBA", date=CLOSE, weighting="savings").result == 2
    sheet = sqlite_ledger.reports.shareout.sheet("JOBA", 2)
    assert (sheet.started_on, sheet.surplus, sheet.rice_sold_grams) == (
        date(2016, 6, 1),
        T("10.00"),
        0,
    )
    assert sum((m.surplus for m in sheet.members), T(0)) == T("10.00")
    first = sqlite_ledger.reports.shareout.sheet("JOBA", 1)
    assert first.surplus == T("130.00")
    assert_books_balance(sqlite_ledger, "JOBA")


def test_a_loss_is_shared_too(sqlite_ledger: Ledger) -> None:
    seed_group(sqlite_ledger, "JOBA", 2)
    sqlite_ledger.save_cash("JOBA", member=1, taka=T("100"), date=date(2016, 1, 1))
    sqlite_ledger.save_cash("JOBA", member=2, taka=T("200"), date=date(2016, 1, 1))
    sqlite_ledger.pay_expense(
        "JOBA", category="stationery", payee="Shop", taka=T("1.00"), date=date(2016, 2, 1)
    )
    sqlite_ledger.close_cycle("JOBA", date=CLOSE)
    sheet = sqlite_ledger.reports.shareout.sheet("JOBA")
    assert [m.surplus for m in sheet.members] == [T("-0.33"), T("-0.67")]


@given(
    st.integers(-(10**9), 10**9),
    st.dictionaries(st.integers(1, 60), st.integers(0, 10**12), min_size=1, max_size=40),
)
def test_largest_remainder_shares_exactly(amount: int, weights: dict[int, int]) -> None:
    parts = largest_remainder(amount, weights)
    if sum(weights.values()) == 0:
        assert set(parts.values()) == {0}
        return
    assert sum(parts.values()) == amount
    total = sum(weights.values())
    for no, part in parts.items():
        assert abs(Fraction(part) - Fraction(amount * weights[no], total)) < 1


def test_amount_days_counts_both_ends() -> None:
    moves = [("2016-01-01", 100), ("2016-01-03", -50), ("2017-01-01", 7)]
    assert amount_days(10, moves, date(2016, 1, 1), date(2016, 1, 3)) == 10 * 3 + 100 * 3 - 50


@pytest.mark.parametrize("weighting", ["savings_days", "savings"])
def test_either_weighting_shares_the_whole_surplus(sqlite_ledger: Ledger, weighting: str) -> None:
    a_cycle(sqlite_ledger)
    sqlite_ledger.close_cycle("JOBA", date=CLOSE, weighting=weighting)
    sheet = sqlite_ledger.reports.shareout.sheet("JOBA")
    assert sheet.shared == sheet.surplus == T("130.00")


def test_deducting_loans_repays_them_from_the_borrowers_savings(any_ledger: Ledger) -> None:
    a_cycle(any_ledger)
    any_ledger.disburse_loan(
        "JOBA", member=1, principal=T("100"), instalments=2, rate=T("12"), method="flat",
        purpose="seed", date=date(2016, 5, 1),
    )  # fmt: skip
    any_ledger.close_cycle("JOBA", date=CLOSE, loans="deduct")
    sheet = any_ledger.reports.shareout.sheet("JOBA")
    # The charge fallen due (1.00 of the 2.00 flat charge) is paid at the close: the
    # cycle's income.
    assert (sheet.service_charge, sheet.surplus, sheet.shared) == (
        T("21.00"),
        T("131.00"),
        T("131.00"),
    )
    first = sheet.members[0]
    assert (first.loan_repaid, first.loan_owed) == (T("101.00"), T("0.00"))
    assert first.cash_after == T("1000.00") + first.surplus - T("101.00")
    [loan] = any_ledger.reports.loans.loans("JOBA", member=1)
    assert loan.outstanding == T("0.00")
    assert_books_balance(any_ledger, "JOBA")
    assert_passbooks_add_up(any_ledger, "JOBA")
    assert replay_matches(any_ledger)
    any_ledger.reverse_cycle_close("JOBA", cycle=1, reason="vote again", date=CLOSE)
    [loan] = any_ledger.reports.loans.loans("JOBA", member=1)
    assert loan.outstanding == T("100.00")
    assert any_ledger.close_cycle("JOBA", date=CLOSE, loans="carry").result == 1
    assert replay_matches(any_ledger)


def test_a_loan_larger_than_the_borrowers_savings_is_not_deducted(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    sqlite_ledger.disburse_loan(
        "JOBA", member=3, principal=T("500"), instalments=2, rate=T("0"),
        purpose="seed", date=date(2016, 6, 1),
    )  # fmt: skip
    error = assert_refused(
        sqlite_ledger,
        "JOBA",
        lambda: sqlite_ledger.close_cycle("JOBA", date=CLOSE, loans="deduct"),
        RuleBroken,
        "loans",
    )
    assert "184.44" in str(error)


def test_a_surplus_spelled_two_ways_is_the_same_close(sqlite_ledger: Ledger) -> None:
    a_cycle(sqlite_ledger)
    first = sqlite_ledger.close_cycle("JOBA", date=CLOSE, surplus="130", key="close")
    again = sqlite_ledger.close_cycle("JOBA", date=CLOSE, surplus="130.00", key="close")
    assert (again.replayed, again.first) == (True, first.first)
