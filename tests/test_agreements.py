"""Standing agreements of a cluster platform (a guard paid monthly, a plantation's income
split 4 to 1) and its register of partners and service providers, which bank loans,
safety-net applications, trainings and agreements refer to by number; the extreme-poor
register's link to members."""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopledger import InvalidInput, Ledger, LedgerError, RuleBroken
from coopledger.clusters.agreements import split
from coopledger.testing import D1, D2, D3
from test_clusters import KEY, assert_refused, platform, rebuild_matches
from test_upgrade import DATA

C = "RAJAGAON"
JAN, FEB, MAR, JUN = date(2016, 1, 10), date(2016, 2, 10), date(2016, 3, 10), date(2016, 6, 10)


def partners(ledger: Ledger) -> None:
    platform(ledger)
    ledger.register_partner(
        C,
        kind="union-council",
        name="Rajagaon Union Parishad",
        contact="Chairman",
        services=["VGD cards", "old-age allowance"],
        date=D2,
    )
    ledger.register_partner(C, kind="bank", name="Krishi Bank, Thakurgaon", date=D2)
    ledger.register_partner(
        C,
        kind="service-provider",
        name="Md. Nazrul Islam, para-vet",
        services=["vaccination"],
        date=D2,
    )


def guard(ledger: Ledger) -> None:
    partners(ledger)
    ledger.receive_platform_funds(C, source="the groups", taka="2000", date=D2)
    ledger.make_agreement(
        C,
        kind="payment",
        title="Sapling guard",
        party="Amena Begum",
        monthly="400",
        starts_on=D1,
        date=D2,
    )


def plantation(ledger: Ledger, before_term: str = "first-party", years: int = 15) -> None:
    partners(ledger)
    ledger.make_agreement(
        C,
        kind="share",
        title="Roadside plantation",
        party="Rajagaon Union Parishad",
        partner=1,
        starts_on=D1,
        term_years=years,
        before_term=before_term,
        date=D2,
        shares=[
            {"party": "cluster members", "share": 4},
            {"party": "Rajagaon Union Parishad", "share": 1, "partner": 1},
        ],
    )


# ---------------------------------------------------------------------- payment agreements
def test_each_month_of_the_guards_wage_is_shown_due_paid_or_not(any_ledger: Ledger) -> None:
    guard(any_ledger)
    any_ledger.pay_under_agreement(C, agreement=1, taka="400", date=date(2015, 12, 6))
    any_ledger.pay_under_agreement(C, agreement=1, taka="250", date=FEB)
    report = any_ledger.reports.agreements.agreements(C, as_of=MAR)
    (a,) = report.agreements
    assert [(m.no, str(m.due_on), m.status) for m in a.months] == [
        (1, "2015-12-05", "paid"),
        (2, "2016-01-05", "partly paid"),
        (3, "2016-02-05", "unpaid"),
        (4, "2016-03-05", "unpaid"),
        (5, "2016-04-05", "not due yet"),
    ]
    assert (a.due, a.paid, a.arrears) == (Decimal("1600.00"), Decimal("650.00"), Decimal("950.00"))
    # As of a day before the second payment, only the first one counts.
    earlier = any_ledger.reports.agreements.agreement(C, 1, as_of=JAN)
    assert (earlier.paid, earlier.arrears) == (Decimal("400.00"), Decimal("400.00"))
    assert report.cash == Decimal("1350.00")
    assert rebuild_matches(any_ledger)


def test_paying_more_than_the_months_begun_is_refused(any_ledger: Ledger) -> None:
    guard(any_ledger)
    error = assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.pay_under_agreement(
            C, agreement=1, taka="800.01", date=date(2015, 12, 6)
        ),
        RuleBroken,
        "taka",
    )
    assert "800.00" in str(error)  # two months have begun by 6 December
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.pay_under_agreement(C, agreement=7, taka="1", date=D3),
        InvalidInput,
        "agreement",
    )


def test_the_platform_cannot_pay_the_guard_more_cash_than_it_holds(any_ledger: Ledger) -> None:
    guard(any_ledger)
    for month in (1, 2, 3, 4, 5):
        any_ledger.pay_under_agreement(C, agreement=1, taka="400", date=date(2016, month, 6))
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.pay_under_agreement(C, agreement=1, taka="400", date=JUN),
        RuleBroken,
        "taka",
    )


def test_an_ended_agreement_stops_falling_due(any_ledger: Ledger) -> None:
    guard(any_ledger)
    any_ledger.end_agreement(C, agreement=1, reason="the saplings are grown", date=FEB)
    a = any_ledger.reports.agreements.agreement(C, 1, as_of=JUN)
    assert [m.no for m in a.months] == [1, 2, 3, 4]  # the month begun on 6 Feb is the last
    assert a.ended_on == "2016-02-10"
    before = any_ledger.reports.agreements.agreement(C, 1, as_of=JAN)
    assert before.ended_on is None
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.end_agreement(C, agreement=1, date=MAR),
        RuleBroken,
        "agreement",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "payment"}, "monthly"),
        ({"kind": "payment", "monthly": "400", "ends_on": "2015-11-01"}, "ends_on"),
        ({"kind": "payment", "monthly": "400", "partner": 9}, "partner"),
        ({"kind": "share", "shares": [{"party": "members", "share": 4}]}, "shares"),
        ({"kind": "share", "monthly": "400"}, "monthly"),
        ({"kind": "payment", "monthly": "400", "starts_on": "2015-01-01"}, "starts_on"),
    ],
)
def test_a_badly_made_agreement_is_refused(
    any_ledger: Ledger, fields: dict[str, object], field: str
) -> None:
    partners(any_ledger)
    command = {"title": "x", "party": "y", "starts_on": D1, **fields}
    error = assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.make_agreement(C, date=D2, **command),
        (InvalidInput, RuleBroken),  # type: ignore[arg-type]
        field,
    )
    assert str(error)


# ---------------------------------------------------------------------- share agreements
def test_plantation_income_is_split_four_to_one_to_the_paisa(any_ledger: Ledger) -> None:
    plantation(any_ledger, years=0)
    any_ledger.book_agreement_income(C, agreement=1, taka="1000.01", source="timber", date=D3)
    (a,) = any_ledger.reports.agreements.agreements(C).agreements
    assert a.shared == {
        "cluster members": Decimal("800.01"),
        "Rajagaon Union Parishad": Decimal("200.00"),
    }
    balances = any_ledger.reports.books.balances(None, None)  # every stream
    assert balances["Income:Agreements:A1", "BDT"] == -80001
    assert balances["Liabilities:DueToPartner:P1", "BDT"] == -20000
    (uc, *_rest) = any_ledger.reports.partners.register(C).partners
    assert (uc.owed, uc.agreements) == (Decimal("200.00"), [1])
    # The union council's share is paid over, never more than is owed to it.
    any_ledger.pay_under_agreement(C, agreement=1, partner=1, taka="150", date=D3)
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.pay_under_agreement(C, agreement=1, partner=1, taka="50.01", date=D3),
        RuleBroken,
        "taka",
    )
    assert any_ledger.reports.partners.register(C).partners[0].owed == Decimal("50.00")


def test_income_before_the_term_goes_as_the_contract_says(any_ledger: Ledger) -> None:
    plantation(any_ledger)  # 15 years: the split starts on 6 November 2030
    any_ledger.book_agreement_income(C, agreement=1, taka="650.50", source="prunings", date=D3)
    (a,) = any_ledger.reports.agreements.agreements(C).agreements
    assert a.split_from == "2030-11-06"
    assert a.income[0].rule == "first-party"
    assert a.shared == {"cluster members": Decimal("650.50"), "Rajagaon Union Parishad": 0}


def test_a_contract_that_refuses_income_before_its_term_refuses_it(any_ledger: Ledger) -> None:
    plantation(any_ledger, before_term="refused")
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.book_agreement_income(C, agreement=1, taka="10", source="x", date=D3),
        RuleBroken,
        "date",
    )


@given(
    st.integers(min_value=1, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=1000), min_size=2, max_size=6),
)
def test_a_split_sums_to_the_income_and_is_fair_to_a_paisa(paisa: int, weights: list[int]) -> None:
    amount = Decimal(paisa) / 100
    parts = split(amount, [{"share": w} for w in weights])
    assert sum(parts) == amount
    whole = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert abs(part * 100 - Decimal(paisa * w) / whole) < 1


# ---------------------------------------------------------------------- partners
def test_records_refer_to_partners_by_number(any_ledger: Ledger) -> None:
    partners(any_ledger)
    entry = any_ledger.list_extreme_poor(
        C,
        household="Bibi household",
        head="Member 3",
        village="Rajagaon",
        reason="no land",
        identified_by="transect-visit",
        group="DOEL",
        member=3,
        date=D2,
    )
    any_ledger.apply_safety_net(
        C,
        household_entry=entry.result,
        scheme="old-age-allowance",
        partner=1,
        value="1800",
        period_start="2016-07-01",
        period_end="2017-06-30",
        date=D3,
    )
    any_ledger.hold_training(
        C,
        title="Vaccination camp",
        kind="vaccination-camp",
        partner=3,
        members_female=20,
        others_male=12,
        date=D3,
    )
    any_ledger.arrange_bank_loan(
        C,
        partner=2,
        group="JOBA",
        member=2,
        principal="5000",
        rate="10",
        instalments=6,
        guarantors=[{"group": "JOBA", "member": 1}],
        introducer="UP chairman",
        date=D3,
    )
    p = any_ledger.reports.clusters.platform(C)
    (entry,) = p.extreme_poor
    assert (entry.group, entry.member_no) == ("DOEL", 3)
    (net,) = p.safety_nets
    assert (net.applied_to, net.partner_no, net.value_applied) == (
        "Rajagaon Union Parishad",
        1,
        Decimal("1800.00"),
    )
    assert (net.period_start, net.period_end) == ("2016-07-01", "2017-06-30")
    assert p.trainings[0].facilitator == "Md. Nazrul Islam, para-vet"
    (loan,) = any_ledger.reports.clusters.bank_loans(C).loans
    assert (loan.lender, loan.partner_no) == ("Krishi Bank, Thakurgaon", 2)
    register = {x.partner_no: x for x in any_ledger.reports.partners.register(C).partners}
    assert register[1].safety_nets == [net.application]
    assert register[2].bank_loans == [1]
    assert register[3].trainings == [p.trainings[0].position]
    assert any_ledger.reports.partners.register(C, as_of=D1).partners == []
    assert rebuild_matches(any_ledger)


def test_an_unknown_partner_or_member_is_refused(any_ledger: Ledger) -> None:
    partners(any_ledger)
    cases = [
        (
            lambda: any_ledger.hold_training(C, title="x", partner=4, members_female=1, date=D3),
            "partner",
        ),
        (
            lambda: any_ledger.arrange_bank_loan(
                C,
                partner=3,
                group="JOBA",
                member=2,
                principal="5000",
                rate="10",
                instalments=6,
                guarantors=[{"group": "JOBA", "member": 1}],
                introducer="x",
                date=D3,
            ),
            "partner",
        ),  # the para-vet is no bank
        (
            lambda: any_ledger.list_extreme_poor(
                C,
                household="h",
                head="h",
                village="v",
                reason="r",
                identified_by="other",
                group="DOEL",
                member=9,
                date=D3,
            ),
            "member",
        ),
        (
            lambda: any_ledger.list_extreme_poor(
                C,
                household="h",
                head="h",
                village="v",
                reason="r",
                identified_by="other",
                group="SHAPLA",
                member=1,
                date=D3,
            ),
            "group",
        ),
        (
            lambda: any_ledger.register_partner(
                C, kind="bank", name="krishi bank, thakurgaon", date=D3
            ),
            "name",
        ),
    ]
    for action, field in cases:
        assert_refused(any_ledger, KEY, action, LedgerError, field)  # RuleBroken, UnknownMember


# ---------------------------------------------------------------------- old events
def test_records_of_0_1_0_read_with_no_partner_and_no_member(tmp_path: Path) -> None:
    """Version 1 of ExtremePoorListed, SafetyNetApplied, TrainingHeld and BankLoanArranged,
    stored by release 0.1.0, are upcast: no member, no partner, no period."""
    path = tmp_path / "ledger-0.1.0.db"
    with gzip.open(DATA / "ledger-0.1.0.db.gz") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    with Ledger(str(path), user="auditor") as old:
        (code,) = [c.code for c in old.reports.clusters.clusters() if c.code.startswith("CHIRI")]
        p = old.reports.clusters.platform(code)
        assert p.extreme_poor and p.safety_nets and p.trainings
        assert all(e.group is None and e.member_no is None for e in p.extreme_poor)
        assert all(n.partner_no is None and n.period_start is None for n in p.safety_nets)
        assert all(t.partner_no is None for t in p.trainings)
        assert all(x.partner_no is None for x in old.reports.clusters.bank_loans(code).loans)
        assert old.reports.partners.register(code).partners == []
        assert old.reports.agreements.agreements(code).agreements == []
