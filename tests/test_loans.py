"""Loans from the group fund: schedules against worked figures, repayments, arrears, PAR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopledger import InvalidInput, Ledger, RuleBroken, audit
from coopledger.loans.schedule import allocate, annuity, schedule, state
from coopledger.testing import (
    assert_books_balance,
    assert_refused,
    seed_group,
)

T = Decimal


def test_the_worked_example_instalment() -> None:
    # 10,000 Tk over 12 monthly instalments at 12 % a year on the declining balance
    assert annuity(T("10000"), T("12"), "monthly", 12).quantize(T("0.01")) == T("888.49")
    rows = schedule(T("10000"), T("12"), "declining", "monthly", 12, date(2016, 1, 15))
    assert rows[0] == {
        "no": 1,
        "due": date(2016, 2, 15),
        "principal": T("788.49"),
        "charge": T("100.00"),
    }
    assert sum(r["principal"] for r in rows) == T("10000.00")
    assert sum(r["charge"] for r in rows) == T("661.86")


def test_a_flat_charge_with_grace() -> None:
    rows = schedule(T("5000"), T("10"), "flat", "weekly", 20, date(2016, 1, 1), grace=2)
    assert rows[0]["due"] == date(2016, 1, 22)  # 2 weeks of grace, then weekly
    assert sum(r["charge"] for r in rows) == T("192.31")  # 5000 x 10 % x 20/52
    assert {r["principal"] for r in rows} == {T("250.00")}


def test_a_flat_loan_that_divides_evenly_has_equal_instalments() -> None:
    # 10,000 Tk at 10 % a year over six months: 6 x 1,750.00 (not 5 x 1,749.99 + 1,750.05)
    rows = schedule(T("10000"), T("10"), "flat", "monthly", 6, date(2016, 1, 15))
    assert [r["principal"] + r["charge"] for r in rows] == [T("1750.00")] * 6
    assert sum(r["principal"] for r in rows) == T("10000.00")
    assert sum(r["charge"] for r in rows) == T("500.00")
    assert rows[0] == {
        "no": 1,
        "due": date(2016, 2, 15),
        "principal": T("1666.67"),
        "charge": T("83.33"),
    }
    assert (rows[-1]["principal"], rows[-1]["charge"]) == (T("1666.66"), T("83.34"))
    # When it does not divide evenly, the last instalment takes the remainders.
    odd = schedule(T("1000"), T("10"), "flat", "monthly", 3, date(2016, 1, 15))
    totals = [r["principal"] + r["charge"] for r in odd]
    assert totals[0] == totals[1] != totals[2]


def test_fortnightly_instalments_fall_every_two_weeks() -> None:
    rows = schedule(T("2600"), T("13"), "flat", "fortnightly", 4, date(2016, 1, 1))
    assert [r["due"] for r in rows] == [
        date(2016, 1, 15),
        date(2016, 1, 29),
        date(2016, 2, 12),
        date(2016, 2, 26),
    ]
    assert sum(r["charge"] for r in rows) == T("52.00")  # 2600 x 13 % x 4/26


@given(
    st.decimals(min_value=T("1.00"), max_value=T("500000"), places=2),
    st.decimals(min_value=T("0"), max_value=T("60"), places=2),
    st.integers(1, 104),
)
def test_a_flat_loan_is_in_equal_instalments_whenever_it_divides_evenly(
    principal: Decimal, rate: Decimal, n: int
) -> None:
    rows = schedule(principal, rate, "flat", "monthly", n, date(2016, 1, 31))
    years = T(n) / 12  # principal x rate x years, rounded half up (docs/loans.md)
    charge = (principal * rate / 100 * years).quantize(T("0.01"), rounding="ROUND_HALF_UP")
    assert sum(r["charge"] for r in rows) == charge
    if ((principal + charge) / n) == ((principal + charge) / n).quantize(T("0.01")):
        assert len({r["principal"] + r["charge"] for r in rows}) == 1


@given(
    st.decimals(min_value=T("1.00"), max_value=T("500000"), places=2),
    st.decimals(min_value=T("0"), max_value=T("60"), places=2),
    st.sampled_from(["declining", "flat"]),
    st.sampled_from(["weekly", "fortnightly", "monthly"]),
    st.integers(1, 104),
)
def test_principal_parts_always_sum_to_the_principal(
    principal: Decimal, rate: Decimal, method: str, frequency: str, n: int
) -> None:
    rows = schedule(principal, rate, method, frequency, n, date(2016, 1, 31))
    assert sum(r["principal"] for r in rows) == principal
    assert all(r["principal"] >= 0 and r["charge"] >= 0 for r in rows)
    assert [r["due"] for r in rows] == sorted(r["due"] for r in rows)


@given(
    st.lists(st.decimals(min_value=T("0.01"), max_value=T("3000"), places=2), max_size=12),
    st.integers(0, 400),
)
def test_allocation_never_leaves_a_negative_balance(payments: list[Decimal], day: int) -> None:
    rows = schedule(T("10000"), T("12"), "declining", "monthly", 12, date(2016, 1, 15))
    repaid: list[dict[str, object]] = []
    on = date(2016, 1, 16)
    for wanted in payments:
        on = date.fromordinal(on.toordinal() + day % 40)
        now = state(rows, T("10000"), repaid, on)
        amount = min(wanted, now.outstanding + max(T(0), now.charge_due - now.charge_paid))
        if amount <= 0:
            break
        charge, principal = allocate(rows, T("10000"), repaid, amount, on)
        assert charge >= 0
        assert principal >= 0
        repaid.append({"business_date": on, "charge": charge, "principal": principal})
        assert state(rows, T("10000"), repaid, on).outstanding >= 0


def lending_group(ledger: Ledger) -> None:
    ledger.clock = lambda: __import__("datetime").datetime(
        2017, 6, 30, 6, tzinfo=__import__("datetime").UTC
    )
    seed_group(ledger)
    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=date(2016, 1, 1))
    ledger.set_loan_rules(
        "JOBA", max_principal="12000", one_at_a_time=True, rate="12", date=date(2016, 1, 1)
    )


def test_a_year_of_repayments_some_late_with_arrears_and_par(any_ledger: Ledger) -> None:
    lending_group(any_ledger)
    loan = any_ledger.disburse_loan(
        "JOBA",
        member=1,
        principal="10000",
        instalments=12,
        purpose="vermicompost",
        date=date(2016, 1, 15),
    )
    other = any_ledger.disburse_loan(
        "JOBA",
        member=2,
        principal="5000",
        instalments=5,
        purpose="goat",
        date=date(2016, 1, 15),
    )
    for month in range(2, 8):  # member 1 pays on time for six months
        any_ledger.repay_loan("JOBA", loan=loan, taka="888.49", date=date(2016, month, 15))
    # member 2 pays once, late, then stops
    any_ledger.repay_loan("JOBA", loan=other, taka="500", date=date(2016, 3, 20))
    on = date(2016, 7, 31)
    one, two = any_ledger.reports.loans.loans("JOBA", as_of=on)
    assert one.status == "on time"
    assert one.arrears == 0
    assert one.outstanding == T("10000") - sum(
        r["principal"]
        for r in schedule(T("10000"), T("12"), "declining", "monthly", 12, date(2016, 1, 15))[:6]
    )
    # member 2: 5 instalments due Feb-Jun; 500 paid covers the first charge and part of Feb
    assert two.status == "late"
    assert two.days_overdue == (on - date(2016, 2, 15)).days
    portfolio = any_ledger.reports.loans.portfolio(["JOBA"], as_of=on, since=date(2016, 7, 1))
    at_risk = two.outstanding
    total = one.outstanding + two.outstanding
    assert portfolio.par30 == (at_risk * 100 / total).quantize(T("0.01"))
    assert portfolio.collected == T("888.49")
    assert 0 <= portfolio.par30 <= 100
    position = any_ledger.reports.books.trial_balance("JOBA", as_of=on)
    assert position.totals["BDT"] == 0
    assert_books_balance(any_ledger, "JOBA")
    assert audit.replay(any_ledger).ok


def test_write_off_and_reschedule(any_ledger: Ledger) -> None:
    lending_group(any_ledger)
    loan = any_ledger.disburse_loan(
        "JOBA",
        member=1,
        principal="6000",
        instalments=6,
        purpose="paddy",
        date=date(2016, 1, 15),
    )
    any_ledger.repay_loan("JOBA", loan=loan, taka="1000", date=date(2016, 2, 15))
    any_ledger.reschedule_loan(
        "JOBA",
        loan=loan,
        instalments=10,
        reason="flood",
        date=date(2016, 4, 1),
    )
    (row,) = any_ledger.reports.loans.loans("JOBA", as_of=date(2016, 4, 2))
    assert row.status == "on time"
    assert sum(s["principal"] for s in row.schedule) == T("6000.00")
    any_ledger.write_off_loan("JOBA", loan=loan, reason="member died", date=date(2016, 9, 1))
    (row,) = any_ledger.reports.loans.loans("JOBA")
    assert row.status == "written off"
    assert row.outstanding == 0
    assert_books_balance(any_ledger, "JOBA")


def test_bad_loans_are_refused_and_write_nothing(any_ledger: Ledger) -> None:
    lending_group(any_ledger)
    refuse = lambda action, error, field: assert_refused(  # noqa: E731
        any_ledger, "JOBA", action, error, field
    )
    refuse(
        lambda: any_ledger.disburse_loan(
            "JOBA",
            member=1,
            principal="13000",
            instalments=12,
            purpose="x",
            date=date(2016, 2, 1),
        ),
        RuleBroken,
        "principal",
    )  # above the group's rules
    any_ledger.pay_expense(
        "JOBA", category="stationery", payee="shop", taka="15000", date=date(2016, 1, 2)
    )
    refuse(
        lambda: any_ledger.disburse_loan(
            "JOBA",
            member=1,
            principal="6000",
            instalments=12,
            purpose="x",
            date=date(2016, 2, 1),
        ),
        RuleBroken,
        "principal",
    )  # more than the cash held
    loan = any_ledger.disburse_loan(
        "JOBA",
        member=1,
        principal="1000",
        instalments=2,
        purpose="x",
        date=date(2016, 2, 1),
    )
    refuse(
        lambda: any_ledger.disburse_loan(
            "JOBA",
            member=1,
            principal="100",
            instalments=2,
            purpose="x",
            date=date(2016, 2, 1),
        ),
        RuleBroken,
        "member",
    )  # one loan at a time
    refuse(
        lambda: any_ledger.repay_loan("JOBA", loan=loan, taka="5000", date=date(2016, 3, 1)),
        RuleBroken,
        "taka",
    )
    (row,) = any_ledger.reports.loans.loans("JOBA", as_of=date(2016, 4, 1))
    owed = row.outstanding + sum(s["charge"] for s in row.schedule)
    assert owed == T("1015.02")  # 1000 + 10.00 + 5.02 of charge, both due by 1 April
    any_ledger.repay_loan("JOBA", loan=loan, taka=str(owed), date=date(2016, 4, 1))
    refuse(
        lambda: any_ledger.repay_loan("JOBA", loan=loan, taka="1", date=date(2016, 4, 2)),
        RuleBroken,
        "loan",
    )
    any_ledger.leave_member("JOBA", member=3, reason="moved", date=date(2016, 3, 1))
    refuse(
        lambda: any_ledger.disburse_loan(
            "JOBA",
            member=3,
            principal="100",
            instalments=2,
            purpose="x",
            date=date(2016, 4, 1),
        ),
        RuleBroken,
        "member",
    )
    with pytest.raises(InvalidInput):
        any_ledger.disburse_loan(
            "JOBA",
            member=2,
            principal="0",
            instalments=2,
            purpose="x",
            date=date(2016, 4, 1),
        )


@given(
    st.lists(
        st.tuples(st.decimals(min_value=0, max_value=10**6, places=2), st.integers(0, 400)),
        max_size=20,
    )
)
def test_par_never_exceeds_100_percent(loans: list[tuple[Decimal, int]]) -> None:
    from coopledger.loans.schedule import par  # noqa: PLC0415

    value = par([{"outstanding": o, "days_overdue": d} for o, d in loans])
    assert T("0") <= value <= T("100")


def test_a_loan_is_previewed_with_its_schedule_and_nothing_is_written(
    any_ledger: Ledger,
) -> None:
    from coopledger import DisburseLoan  # noqa: PLC0415

    lending_group(any_ledger)
    command = DisburseLoan(
        group="JOBA",
        member=1,
        principal=T("10000"),
        instalments=12,
        purpose="vermicompost",
        date=date(2016, 1, 15),
        key="loan-1",
    )
    before = any_ledger.load("JOBA").version
    (event,) = any_ledger.preview(command)
    assert type(event).__name__ == "LoanDisbursed"
    assert len(event.schedule) == 12
    assert any_ledger.load("JOBA").version == before  # nothing written
    assert any_ledger.reports.loans.loans("JOBA") == []
    # Recording it then gives the schedule the preview showed.
    any_ledger.execute(command)
    (loan,) = any_ledger.reports.loans.loans("JOBA")
    assert loan.principal == event.principal
    assert [r["principal"] for r in loan.schedule] == [r["principal"] for r in event.schedule]
    # A refusal is raised as recording would raise it.
    too_much = command.model_copy(update={"member": 2, "principal": T("50000"), "key": "x"})
    assert_refused(
        any_ledger, "JOBA", lambda: any_ledger.preview(too_much), RuleBroken, "principal"
    )
    # A replay of a recorded key previews nothing.
    assert any_ledger.preview(command) == []
