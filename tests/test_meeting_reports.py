"""Meetings and programme reports: attendance by member / non-member and gender, a new
group's work plan, the welfare fund, the programme's loans by place with PAR30."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coopledger import InvalidInput, Ledger, RuleBroken
from coopledger.testing import D1, D2, D3, assert_books_balance, assert_refused, replay_matches
from coopledger.testing import seed_group as seed


def weekly(ledger: Ledger) -> None:
    seed(ledger, "JOBA", members=3)
    ledger.join_member(
        "JOBA",
        name="Karim",
        household="H4",
        gender="male",
        landless=True,
        wellbeing="poor",
        date=D2,
    )
    ledger.record_meeting("JOBA", attendance=[1, 2], date=D1)
    ledger.record_meeting("JOBA", attendance=[1, 2, 3, 4], date=D2)
    ledger.record_meeting("JOBA", attendance=[4], date=D3)


# ---------------------------------------------------------------------- attendance
def test_weekly_attendance_counts_members_by_gender_absences_and_guests(
    any_ledger: Ledger,
) -> None:
    weekly(any_ledger)
    any_ledger.count_guests("JOBA", female=2, date=D2)
    any_ledger.count_guests("JOBA", female=1, male=2, other=1, date=D2)  # a recount replaces
    a = any_ledger.reports.attendance.weekly("JOBA")
    first, second, third = a.meetings
    assert first.members == {"female": 2, "male": 0, "other": 0}
    assert first.absent == 1  # Karim had not joined yet
    assert second.members == {"female": 3, "male": 1, "other": 0} and second.absent == 0
    assert second.guests == {"female": 1, "male": 2, "other": 1}
    assert (third.present, third.absent) == (1, 3)
    assert a.totals.members == {"female": 5, "male": 2, "other": 0}
    assert a.totals.total == 11
    assert a.women_share == Decimal("54.5")  # 6 women of 11 people
    karim = a.members[3]
    assert (karim.gender, karim.held, karim.attended) == ("male", 2, 2)
    # A period, and a past day, read only what they cover.
    assert [m.meeting_date for m in a.meetings[1:]] == [
        m.meeting_date for m in any_ledger.reports.attendance.weekly("JOBA", since=D2).meetings
    ]
    assert any_ledger.reports.attendance.weekly("JOBA", as_of=D1).totals.total == 2
    assert replay_matches(any_ledger)


def test_guests_are_counted_only_at_a_meeting_held_and_bad_counts_write_nothing(
    any_ledger: Ledger,
) -> None:
    weekly(any_ledger)
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.count_guests("JOBA", female=1, date=date(2015, 11, 7)),
        RuleBroken,
        "date",
    )
    assert_refused(
        any_ledger, "JOBA", lambda: any_ledger.count_guests("JOBA", date=D1), InvalidInput, "female"
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.count_guests("JOBA", female=-1, date=D1),
        InvalidInput,
        "female",
    )


def test_platform_attendance_counts_representatives_guests_and_trainings(
    any_ledger: Ledger,
) -> None:
    for code in ("JOBA", "DOEL"):
        seed(any_ledger, code)
    any_ledger.form_cluster(
        "RAJAGAON",
        name="Rajagaon cluster",
        district="Thakurgaon",
        upazila="Thakurgaon Sadar",
        villages=["Rajagaon"],
        households=210,
        date=D1,
    )
    any_ledger.join_cluster("RAJAGAON", group="JOBA", date=D1)
    any_ledger.join_cluster("RAJAGAON", group="DOEL", date=D1)
    for group, member in (("JOBA", 1), ("JOBA", 2), ("DOEL", 1)):
        any_ledger.name_representative("RAJAGAON", group=group, member=member, date=D1)
    assert_refused(
        any_ledger,
        "cluster:RAJAGAON",
        lambda: any_ledger.count_platform_guests("RAJAGAON", male=1, date=D2),
        RuleBroken,
        "date",
    )
    any_ledger.record_platform_meeting(
        "RAJAGAON",
        chair="JOBA",
        host="DOEL",
        attendance=[{"group": "JOBA", "member": 1}, {"group": "DOEL", "member": 1}],
        date=D2,
    )
    any_ledger.count_platform_guests("RAJAGAON", female=1, male=2, date=D2)
    any_ledger.hold_training(
        "RAJAGAON", title="Bamboo", members_female=9, others_female=6, others_male=10, date=D3
    )
    a = any_ledger.reports.attendance.platform("cluster:RAJAGAON")
    (meeting,) = a.meetings
    assert (meeting.members["female"], meeting.absent) == (2, 1)
    assert meeting.guests == {"female": 1, "male": 2, "other": 0}
    (training,) = a.trainings
    assert (training.what, training.present, training.total) == ("Bamboo", 9, 25)
    assert [(m.who, m.attended) for m in a.members] == [("JOBA/1", 1), ("JOBA/2", 0), ("DOEL/1", 1)]


# ---------------------------------------------------------------------- work plans
def test_a_work_plan_is_reviewed_task_by_task_and_reads_as_of_a_day(any_ledger: Ledger) -> None:
    seed(any_ledger)
    tasks = [
        {"task": "Open the savings book", "responsible": "cashier", "month": "2015-11"},
        {"task": "Visit the union council", "responsible": "leader", "month": "2016-01"},
    ]
    any_ledger.adopt_work_plan("JOBA", start="2015-11", items=tasks, date=D1)
    any_ledger.review_work_plan(
        "JOBA",
        start="2015-11",
        items=[{"no": 1, "status": "done"}, {"no": 2, "status": "not", "note": "no time"}],
        date=date(2016, 2, 5),
    )
    any_ledger.review_work_plan(
        "JOBA", start="2015-11", items=[{"no": 2, "status": "partly"}], date=date(2016, 3, 4)
    )
    feb = any_ledger.reports.work_plans.plan("JOBA", "2015-11", as_of=date(2016, 2, 29))
    assert feb is not None
    assert [(t.status, t.note) for t in feb.tasks] == [("done", ""), ("not", "no time")]
    now = any_ledger.reports.work_plans.plan("JOBA")
    assert now is not None and [t.status for t in now.tasks] == ["done", "partly"]
    assert (now.done, now.completion) == (1, Decimal("50.0"))
    assert any_ledger.reports.work_plans.plan("JOBA", as_of=D1 - (D2 - D1)) is None


def test_a_work_plan_refuses_tasks_outside_its_three_months_and_unknown_tasks(
    any_ledger: Ledger,
) -> None:
    seed(any_ledger)
    task = {"task": "Sell compost", "responsible": "leader", "month": "2016-02"}
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.adopt_work_plan("JOBA", start="2015-11", items=[task], date=D1),
        InvalidInput,
        "items[0].month",
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.adopt_work_plan("JOBA", start="2015-13", items=[task], date=D1),
        InvalidInput,
        "start",
    )
    any_ledger.adopt_work_plan(
        "JOBA", start="2015-12", items=[task | {"month": "2016-02"}], date=D1
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.review_work_plan(
            "JOBA", start="2015-12", items=[{"no": 2, "status": "done"}], date=D2
        ),
        InvalidInput,
        "items[0].no",
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.review_work_plan(
            "JOBA", start="2016-01", items=[{"no": 1, "status": "done"}], date=D2
        ),
        RuleBroken,
        "start",
    )


# ---------------------------------------------------------------------- welfare
def test_the_welfare_fund_pays_only_what_it_holds_on_the_day_and_after(
    any_ledger: Ledger,
) -> None:
    seed(any_ledger)
    any_ledger.receive_welfare_gift("JOBA", source="Haji Karim", taka="1000", date=D2)
    assert_refused(  # back-dated before the gift that would pay for it
        any_ledger,
        "JOBA",
        lambda: any_ledger.pay_welfare("JOBA", use="burial", member=1, taka="500", date=D1),
        RuleBroken,
        "taka",
    )
    any_ledger.pay_welfare("JOBA", use="winter-clothes", member=1, taka="600", date=D3)
    refused = assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.pay_welfare(
            "JOBA", use="emergency-treatment", household="Moyna's", taka="400.01", date=D3
        ),
        RuleBroken,
        "taka",
    )
    assert "400.00" in str(refused)
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.pay_welfare("JOBA", use="burial", taka="10", date=D3),
        InvalidInput,
        "household",
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.pay_welfare("JOBA", use="wedding", member=1, taka="10", date=D3),
        InvalidInput,
        "use",
    )
    fund = any_ledger.reports.welfare.fund("JOBA")
    assert (fund.gifts, fund.paid, fund.balance) == (
        Decimal("1000.00"),
        Decimal("600.00"),
        Decimal("400.00"),
    )
    assert fund.entries[1].household == "H1"
    assert any_ledger.reports.books.position("JOBA").cash == Decimal("0.00")  # not the cash box
    assert any_ledger.reports.welfare.fund("JOBA", as_of=D2).balance == Decimal("1000.00")
    assert_books_balance(any_ledger, "JOBA")


def test_a_reversed_welfare_use_shows_at_nought_and_returns_to_the_fund(
    any_ledger: Ledger,
) -> None:
    seed(any_ledger)
    any_ledger.receive_welfare_gift("JOBA", source="Haji Karim", taka="1000", date=D1)
    use = any_ledger.pay_welfare("JOBA", use="burial", member=2, taka="700", date=D2)
    any_ledger.correct_entry("JOBA", target=use.last, reason="paid twice by mistake", date=D3)
    fund = any_ledger.reports.welfare.fund("JOBA")
    assert fund.balance == Decimal("1000.00")
    assert (fund.entries[1].corrected, fund.entries[1].taka) == ("reversed", Decimal("0.00"))
    any_ledger.pay_welfare("JOBA", use="burial", member=3, taka="900", date=D2)
    gift = fund.entries[0].position
    refused = assert_refused(  # the gift was 1,000 Tk: 900 of it is spent since
        any_ledger,
        "JOBA",
        lambda: any_ledger.correct_entry(
            "JOBA", target=gift, changes={"taka": "800"}, reason="miscounted", date=D3
        ),
        RuleBroken,
        "changes.taka",
    )
    assert "welfare fund" in str(refused)
    any_ledger.correct_entry(
        "JOBA", target=gift, changes={"taka": "950"}, reason="miscounted", date=D3
    )
    fund = any_ledger.reports.welfare.fund("JOBA")
    assert (fund.entries[0].corrected, fund.entries[0].taka) == ("adjusted", Decimal("950.00"))
    assert (fund.gifts, fund.balance) == (Decimal("950.00"), Decimal("50.00"))
    assert replay_matches(any_ledger)


# ---------------------------------------------------------------------- the programme
def lend(ledger: Ledger, code: str, principal: str) -> int:
    ledger.receive_grant(code, source="ALRD", purpose="loan fund", taka="20000", date=D1)
    ledger.set_loan_rules(
        code,
        max_principal="10000",
        one_at_a_time=True,
        rate="12",
        method="flat",
        frequency="monthly",
        date=D1,
    )
    return int(
        ledger.disburse_loan(
            code,
            member=1,
            principal=principal,
            instalments=4,
            purpose="goat",
            date=D1,
        )
    )


def test_programme_loans_by_place_and_cluster_with_par30_stable_for_past_days(
    any_ledger: Ledger,
) -> None:
    seed(any_ledger, "JOBA")
    any_ledger.form_group(
        "DOEL",
        name="Doel",
        kind="women",
        meeting_day="monday",
        district="Dinajpur",
        upazila="Biral",
        village="Dhamair",
        date=D1,
    )
    any_ledger.join_member(
        "DOEL",
        name="Mina",
        household="M",
        gender="female",
        landless=True,
        wellbeing="poor",
        date=D1,
    )
    lend(any_ledger, "JOBA", "4000")
    doel = lend(any_ledger, "DOEL", "2000")
    any_ledger.repay_loan("DOEL", loan=doel, taka="520", date=date(2015, 12, 6))
    day = date(2016, 2, 29)  # JOBA paid nothing: its loan is more than 30 days late
    report = any_ledger.reports.programme.loans(by="upazila", as_of=day)
    biral, chirirbandar = report.rows
    assert (biral.name, biral.recovered, biral.outstanding) == (
        "Biral",
        Decimal("500.00"),
        Decimal("1500.00"),
    )
    assert chirirbandar.par30 == Decimal("100.00") and chirirbandar.at_risk == Decimal("4000.00")
    assert report.total.outstanding == Decimal("5500.00")
    assert report.total.par30 == Decimal("100.00")  # DOEL is late too, since January
    assert report.total.disbursed == Decimal("6000.00") and report.total.borrowers == 2
    # Recorded later, dated later: the report for the past day does not change.
    any_ledger.repay_loan("JOBA", loan=1, taka="4120", date=date(2016, 3, 4))
    any_ledger.form_cluster(
        "RAJAGAON",
        name="Rajagaon cluster",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Mohalbari"],
        households=100,
        date=date(2016, 3, 4),
    )
    any_ledger.join_cluster("RAJAGAON", group="JOBA", date=date(2016, 3, 4))
    assert any_ledger.reports.programme.loans(by="upazila", as_of=day) == report
    by_cluster = any_ledger.reports.programme.loans(by="cluster", as_of=day)
    assert [r.name for r in by_cluster.rows] == ["-"]
    later = any_ledger.reports.programme.loans(by="cluster", as_of=date(2016, 3, 31))
    assert [(r.name, r.outstanding) for r in later.rows] == [
        ("-", Decimal("1500.00")),
        ("RAJAGAON", Decimal("0.00")),
    ]
    with pytest.raises(InvalidInput) as refused:
        any_ledger.reports.programme.loans(by="village")
    assert refused.value.field == "by"


def test_the_demo_has_guests_work_plans_welfare_and_programme_loans(sqlite_ledger: Ledger) -> None:
    from coopledger import demo  # noqa: PLC0415

    demo.build(sqlite_ledger)
    reports = sqlite_ledger.reports
    joba = reports.attendance.weekly("JOBA", as_of=date(2016, 1, 31))
    assert sum(joba.totals.guests.values()) > 0 and joba.totals.members["female"] > 100
    platform = reports.attendance.platform("cluster:CHIRIRBANDAR-1")
    assert platform.totals.guests["female"] == 6 and platform.trainings
    kakoli = reports.work_plans.plan("KAKOLI")
    assert kakoli is not None and (kakoli.done, len(kakoli.tasks)) == (2, 4)
    fund = reports.welfare.fund("JOBA")
    assert fund.balance == Decimal("300.00") and set(fund.by_use) == {
        "winter-clothes",
        "emergency-treatment",
    }
    loans = reports.programme.loans(by="cluster")
    rows = {r.name: r for r in loans.rows}
    assert rows["CHIRIRBANDAR-1"].loans >= 8
    assert rows["-"].groups == 1  # the group that joined from paper books is in no cluster
    assert_books_balance(sqlite_ledger)
