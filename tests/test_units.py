"""Taka to the paisa and rice to the gram; every kind of entry posts balanced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopledger import InvalidInput, Ledger
from coopledger import accounts as acc
from coopledger.events import EVENT_TYPES
from coopledger.kernel.postings import Posting, imbalance
from coopledger.money import (
    RICE,
    TAKA,
    format_grams,
    format_taka,
    paisa,
    sale_value,
    taka,
    to_taka,
)
from coopledger.reports import plain
from coopledger.testing import D1, seed_group


def test_taka_are_read_exactly() -> None:
    assert to_taka("12.5") == Decimal("12.50")
    assert to_taka(Decimal("1,234.05".replace(",", ""))) == Decimal("1234.05")
    assert to_taka(7) == Decimal("7.00")


@pytest.mark.parametrize("bad", [12.5, "1.005", "abc", "NaN", True])
def test_floats_and_fractions_of_a_paisa_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput) as info:
        to_taka(bad, "taka")
    assert info.value.field == "taka"


def test_a_sale_is_rounded_half_up_to_the_paisa() -> None:
    assert sale_value(1234, Decimal("30.50")) == Decimal("37.64")  # 37.637
    assert sale_value(1, Decimal("5.00")) == Decimal("0.01")  # 0.005 rounds up


def test_formats() -> None:
    assert format_taka(Decimal("1234.5")) == "1,234.50"
    assert format_taka(123450) == "1,234.50"
    assert format_grams(12345) == "12.345 kg"
    assert format_grams(-50) == "-0.050 kg"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_paisa_and_taka_round_trip(amount: int) -> None:
    assert paisa(taka(amount)) == amount


def test_account_names_are_beancount_components() -> None:
    assert acc.component("guard-wages") == "Guard-Wages"
    assert acc.receivable(7) == "Assets:Receivable:M007"
    assert acc.member_of("Liabilities:Savings:Rice:M012") == 12
    assert acc.activity_of("Expenses:Activities:Vermicompost") == "vermicompost"


def test_trends_give_taka_as_decimals_and_rice_in_grams(sqlite_ledger: Ledger) -> None:
    seed_group(sqlite_ledger)
    sqlite_ledger.deposit_rice("JOBA", member=1, grams=1400, date=D1)
    sqlite_ledger.save_cash("JOBA", member=1, taka="12.50", date=D1)
    sqlite_ledger.save_cash("JOBA", member=2, taka="7", date=date(2015, 12, 4))
    books = sqlite_ledger.reports.books
    assert books.trend("JOBA", acc.CASH, TAKA) == [
        (D1, Decimal("12.50")),
        (date(2015, 12, 4), Decimal("19.50")),
    ]
    assert books.trend("JOBA", acc.RICE_STOCK, RICE) == [(D1, 1400)]
    assert books.monthly("JOBA", acc.CASH, TAKA) == [
        ("2015-11", Decimal("12.50")),
        ("2015-12", Decimal("19.50")),
    ]
    assert books.monthly("JOBA", acc.CASH, TAKA, as_of=date(2015, 12, 1)) == [
        ("2015-11", Decimal("12.50")),
    ]
    (point,) = books.monthly("JOBA", acc.RICE_STOCK, RICE, as_of=date(2015, 11, 30))
    assert (point.month, point.balance) == ("2015-11", 1400)
    assert type(point.balance) is int
    day = books.trend("JOBA", acc.CASH, TAKA)[0]
    assert (day.day, day.balance) == (D1, Decimal("12.50"))
    assert plain(books.trend("JOBA", acc.CASH, TAKA)) == [
        ["2015-11-06", "12.50"],
        ["2015-12-04", "19.50"],
    ]


taka_st = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
CONTENTS = {
    "RiceDeposited": st.fixed_dictionaries(
        {"member_no": st.integers(1, 99), "grams": st.integers(1, 10**6)}
    ),
    "RicePaymentReceived": st.fixed_dictionaries(
        {"member_no": st.integers(1, 99), "taka": taka_st}
    ),
    "CashSaved": st.fixed_dictionaries({"member_no": st.integers(1, 99), "taka": taka_st}),
    "CashWithdrawn": st.fixed_dictionaries({"member_no": st.integers(1, 99), "taka": taka_st}),
    "GrantReceived": st.fixed_dictionaries(
        {"source": st.just("ALRD"), "purpose": st.just("x"), "taka": taka_st}
    ),
    "ExpensePaid": st.fixed_dictionaries(
        {
            "category": st.just("stationery"),
            "payee": st.just("shop"),
            "taka": taka_st,
            "memo": st.just(""),
        }
    ),
    "ActivityCostBooked": st.fixed_dictionaries(
        {"activity": st.just("fish"), "taka": taka_st, "memo": st.just("")}
    ),
    "ActivityRevenueBooked": st.fixed_dictionaries(
        {"activity": st.just("fish"), "taka": taka_st, "memo": st.just("")}
    ),
}


def postings_for(kind: str, content: dict) -> list[Posting]:
    """The postings of an entry recorded on its own as an event of type ``kind``."""
    line_type = EVENT_TYPES[kind].line_type  # type: ignore[attr-defined]
    return list(line_type.from_data(content).postings())


@given(
    st.sampled_from(sorted(CONTENTS)).flatmap(lambda kind: st.tuples(st.just(kind), CONTENTS[kind]))
)
def test_every_kind_of_entry_balances_per_commodity(entry: tuple[str, dict]) -> None:
    kind, content = entry
    legs = postings_for(kind, content)
    assert legs and imbalance(legs) == {}


@given(
    st.integers(1, 10**6),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
    st.integers(0, 100),
)
def test_a_sale_balances_whatever_part_is_paid(grams: int, price: Decimal, percent: int) -> None:
    value = sale_value(grams, price)
    paid = (value * percent / 100).quantize(Decimal("0.01"))
    legs = postings_for(
        "RiceSold",
        {"buyer_no": 1, "grams": grams, "taka_per_kg": price, "value": value, "paid": paid},
    )
    assert imbalance(legs) == {}


def test_a_meeting_day_gives_each_members_entries_and_her_totals_after(
    sqlite_ledger: Ledger,
) -> None:
    from coopledger.testing import D2, D3  # noqa: PLC0415

    ledger = sqlite_ledger
    seed_group(ledger, "JOBA", members=3)
    ledger.record_meeting("JOBA", date=D1, deposits=[{"member": 1, "grams": 1000}])
    ledger.record_meeting(
        "JOBA",
        date=D2,
        deposits=[{"member": 1, "grams": 700}, {"member": 2, "grams": 500}],
        sales=[{"buyer": 3, "grams": 1000, "taka_per_kg": "30", "paid": "10"}],
        savings=[{"member": 2, "taka": "5.50"}],
    )
    ledger.record_meeting("JOBA", date=D3, deposits=[{"member": 1, "grams": 900}])
    one, two, three = ledger.reports.savings.meeting_day("JOBA", D2)
    assert (one.rice_grams, one.total_rice_grams) == (700, 1700)  # D3 not counted
    assert (two.rice_grams, two.cash, two.total_cash) == (500, Decimal("5.50"), Decimal("5.50"))
    assert (three.paid, three.owed) == (Decimal("10.00"), Decimal("20.00"))
    # It agrees with the members' passbooks as of that day.
    for row in (one, two, three):
        book = ledger.reports.savings.passbook("JOBA", row.member_no, as_of=D2)
        assert (row.total_rice_grams, row.total_cash, row.owed) == (
            book.rice_saved_grams,
            book.cash_savings,
            book.owed,
        )
