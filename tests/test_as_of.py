"""A report as of a business date D never changes after the fact: for random histories, every
report as of D is the same before and after events dated after D are recorded (a loan
rescheduled, written off, repaid; members leaving; entries and their corrections; meetings).
Entries dated on or before D, and corrections of them, are the only things that may change
what D's reports say (that is what back-dating means: see ``as_recorded`` for "what the
books said on the day")."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger import Ledger, LedgerError
from coopledger.reports import plain
from coopledger.testing import FORMED, NOW, fixed_clock, seed_group

LAST = NOW.date()


def reports_as_of(ledger: Ledger, day: date) -> dict[str, Any]:
    r = ledger.reports
    members = r.groups.members("JOBA", as_of=day)
    return plain(
        {
            "position": r.books.position("JOBA", as_of=day),
            "trial": r.books.trial_balance("JOBA", as_of=day),
            "meetings": r.meetings.reconciliation("JOBA", as_of=day),
            "members": members,
            "passbooks": [r.savings.passbook("JOBA", m.member_no, as_of=day) for m in members],
            "loans": r.loans.loans("JOBA", as_of=day),
            "portfolio": r.loans.portfolio(["JOBA"], as_of=day),
            "trend": r.books.trend("JOBA", "Assets:Cash", "BDT", as_of=day),
            "months": r.books.monthly("JOBA", "Assets:Cash", "BDT", as_of=day),
            "attendance": r.attendance.weekly("JOBA", as_of=day),
            "work_plan": r.work_plans.plan("JOBA", as_of=day),
            "welfare": r.welfare.fund("JOBA", as_of=day),
            "programme": r.programme.loans(by="union", as_of=day),
        }
    )


def _step(ledger: Ledger, draw: Any, earliest: date, latest: date) -> None:
    day = draw(st.dates(min_value=earliest, max_value=latest))
    member = draw(st.integers(1, 4))
    taka = str(draw(st.integers(1, 400)))
    kind = draw(
        st.sampled_from(
            [
                "deposit",
                "sale",
                "save",
                "withdraw",
                "grant",
                "expense",
                "lend",
                "repay",
                "reschedule",
                "write_off",
                "leave",
                "meeting",
                "correct",
                "guests",
                "welfare_gift",
                "welfare_use",
                "work_plan",
                "review",
            ]
        )
    )
    loans = ledger.reports.loans.loans("JOBA")
    loan = draw(st.sampled_from([x.loan_no for x in loans])) if loans else 1
    actions = {
        "deposit": lambda: ledger.deposit_rice(
            "JOBA", member=member, grams=int(taka) * 10, date=day
        ),
        "sale": lambda: ledger.sell_rice(
            "JOBA", buyer=member, grams=int(taka) * 5, taka_per_kg="30", paid="1", date=day
        ),
        "save": lambda: ledger.save_cash("JOBA", member=member, taka=taka, date=day),
        "withdraw": lambda: ledger.withdraw_cash("JOBA", member=member, taka=taka, date=day),
        "grant": lambda: ledger.receive_grant(
            "JOBA", source="ALRD", purpose="seed", taka=str(int(taka) * 20), date=day
        ),
        "expense": lambda: ledger.pay_expense(
            "JOBA", category="stationery", payee="shop", taka=taka, date=day
        ),
        "lend": lambda: ledger.disburse_loan(
            "JOBA",
            member=member,
            principal=str(int(taka) * 5),
            instalments=draw(st.integers(1, 6)),
            purpose="goat",
            date=day,
        ),
        "repay": lambda: ledger.repay_loan("JOBA", loan=loan, taka=taka, date=day),
        "reschedule": lambda: ledger.reschedule_loan(
            "JOBA", loan=loan, instalments=4, reason="flood", date=day
        ),
        "write_off": lambda: ledger.write_off_loan("JOBA", loan=loan, reason="moved", date=day),
        "leave": lambda: ledger.leave_member("JOBA", member=member, reason="moved", date=day),
        "meeting": lambda: ledger.record_meeting(
            "JOBA",
            date=day,
            attendance=[member],
            deposits=[{"member": member, "grams": 700}],
            counted_cash=taka,
            counted_rice_grams=int(taka),
        ),
        "correct": lambda: _correct_a_recent_entry(ledger, draw, earliest),
        "guests": lambda: _guests(ledger, draw, earliest, latest, member),
        "welfare_gift": lambda: ledger.receive_welfare_gift(
            "JOBA", source="a neighbour", taka=taka, date=day
        ),
        "welfare_use": lambda: ledger.pay_welfare(
            "JOBA", use="burial", member=member, taka=taka, date=day
        ),
        "work_plan": lambda: ledger.adopt_work_plan(
            "JOBA",
            start=day.isoformat()[:7],
            items=[{"task": "save", "responsible": "all", "month": day.isoformat()[:7]}],
            date=day,
        ),
        "review": lambda: ledger.review_work_plan(
            "JOBA",
            start=draw(st.sampled_from(ledger.reports.work_plans.starts("JOBA") or ["2015-11"])),
            items=[{"no": 1, "status": draw(st.sampled_from(["done", "partly", "not"]))}],
            date=day,
        ),
    }
    with contextlib.suppress(LedgerError):  # a refused command writes nothing; it goes on
        actions[kind]()


def _guests(ledger: Ledger, draw: Any, earliest: date, latest: date, n: int) -> None:
    """Guests counted at a meeting held between ``earliest`` and ``latest``."""
    days = [
        m.meeting_date
        for m in ledger.reports.meetings.reconciliation("JOBA").meetings
        if earliest <= m.meeting_date <= latest
    ]
    if days:
        ledger.count_guests("JOBA", female=n, male=n - 1, date=draw(st.sampled_from(days)))


def _correct_a_recent_entry(ledger: Ledger, draw: Any, earliest: date) -> None:
    entries = [
        e
        for e in ledger.events("JOBA")
        if e.business_date >= earliest and any(True for _ in e.lines())
    ]
    if not entries:
        return
    target = draw(st.sampled_from(entries))
    part = next(p for p, _ in target.lines())
    ledger.correct("JOBA", target=target.position, part=part, reason="mistake", date=LAST)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_report_as_of_a_day_never_changes_after_the_fact(data: Any) -> None:
    with Ledger(":memory:", clock=fixed_clock, user="tester") as ledger:
        seed_group(ledger, members=4)
        ledger.set_loan_rules("JOBA", rate="12", one_at_a_time=False, date=FORMED)
        ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="5000", date=FORMED)
        day = data.draw(
            st.dates(min_value=FORMED + timedelta(days=7), max_value=LAST - timedelta(days=14)),
            label="D",
        )
        for _ in range(data.draw(st.integers(2, 12), label="before")):
            _step(ledger, data.draw, FORMED, day)
        before = reports_as_of(ledger, day)
        for _ in range(data.draw(st.integers(1, 12), label="after")):
            _step(ledger, data.draw, day + timedelta(days=1), LAST)
        assert reports_as_of(ledger, day) == before


def test_a_reschedule_does_not_change_an_earlier_days_loan_report(any_ledger: Ledger) -> None:
    seed_group(any_ledger)
    any_ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=FORMED)
    loan = any_ledger.disburse_loan(
        "JOBA",
        member=1,
        principal="10000",
        instalments=6,
        rate="12",
        purpose="goat",
        date=date(2015, 12, 1),
    )
    march = date(2016, 3, 15)
    before = any_ledger.reports.loans.loans("JOBA", as_of=march)
    assert before[0].arrears > 0 and before[0].days_overdue > 0
    any_ledger.reschedule_loan(
        "JOBA",
        loan=loan,
        instalments=10,
        reason="flood",
        date=date(2016, 4, 1),
    )
    assert any_ledger.reports.loans.loans("JOBA", as_of=march) == before
    after = any_ledger.reports.loans.loans("JOBA", as_of=date(2016, 4, 2))
    assert after[0].arrears == Decimal("0.00")
