"""Loans as staff expect: every-N-weeks frequencies, loan products chosen at disbursement,
fines for late instalments, and pay-overs to the bank kept per member loan."""

from __future__ import annotations

import json
import multiprocessing
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from coopledger import InvalidInput, Ledger, RuleBroken, audit, demo
from coopledger.cli import main
from coopledger.kernel import unit as unit_module
from coopledger.loans.schedule import FREQUENCIES, add_periods, schedule
from coopledger.testing import (
    assert_books_balance,
    assert_refused,
    fixed_clock,
    replay_matches,
    seed_group,
)

START = date(2016, 1, 1)
LENT = date(2016, 1, 15)


def funded(ledger: Ledger) -> None:
    seed_group(ledger, "JOBA")
    ledger.receive_grant("JOBA", source="ALRD", purpose="loan fund", taka="50000", date=START)


def small_business(ledger: Ledger, **change: Any) -> None:
    fields: dict[str, Any] = {
        "name": "Small business",
        "min_principal": "2000",
        "max_principal": "10000",
        "rate": "10",
        "method": "flat",
        "frequency": "4-weekly",
        "min_instalments": 6,
        "max_instalments": 13,
        "fine": "percent",
        "fine_amount": "5",
        "fine_grace_days": 7,
        "date": START,
        **change,
    }
    ledger.define_loan_product("JOBA", **fields)


def lend(ledger: Ledger, **change: Any) -> Any:
    fields: dict[str, Any] = {
        "member": 1,
        "principal": "6500",
        "instalments": 13,
        "purpose": "goats",
        "product": "Small business",
        "date": LENT,
        **change,
    }
    return ledger.disburse_loan("JOBA", **fields)


# ---------------------------------------------------------------------- frequencies
def test_every_four_weeks_falls_28_days_apart_with_the_rate_per_period() -> None:
    rows = schedule(Decimal("6500.00"), Decimal("10"), "flat", "4-weekly", 13, LENT)
    assert [r["due"] for r in rows[:2]] == [LENT + timedelta(weeks=4), LENT + timedelta(weeks=8)]
    # 13 periods of 4 weeks are a year: 650.00 of charge, 13 equal instalments of 550.00
    assert {r["principal"] + r["charge"] for r in rows} == {Decimal("550.00")}
    declining = schedule(Decimal("5200.00"), Decimal("13"), "declining", "4-weekly", 6, LENT)
    assert declining[0]["charge"] == Decimal("52.00")  # 5200 x 13 % x 4 / 52
    assert sum(r["principal"] for r in declining) == Decimal("5200.00")
    three = schedule(Decimal("3000.00"), Decimal("0"), "flat", "3-weekly", 3, LENT, grace=1)
    assert three[0]["due"] == LENT + timedelta(weeks=6)


@given(
    st.sampled_from(FREQUENCIES),
    st.sampled_from(["flat", "declining"]),
    st.integers(100_00, 50_000_00),
    st.integers(0, 3000),
    st.integers(1, 52),
)
def test_every_frequencys_principal_parts_sum_to_the_loan(
    frequency: str, method: str, paisa: int, rate_bp: int, n: int
) -> None:
    principal, rate = Decimal(paisa) / 100, Decimal(rate_bp) / 100
    rows = schedule(principal, rate, method, frequency, n, LENT)
    assert sum(r["principal"] for r in rows) == principal
    assert all(r["charge"] >= 0 and r["principal"] >= 0 for r in rows)
    assert [r["due"] for r in rows] == [add_periods(LENT, frequency, k) for k in range(1, n + 1)]
    if method == "flat":
        total = sum(r["principal"] + r["charge"] for r in rows)
        if total / n == (total / n).quantize(Decimal("0.01")):  # divides evenly: all equal
            assert {r["principal"] + r["charge"] for r in rows} == {total / n}


def test_an_unknown_frequency_is_refused_naming_the_field(any_ledger: Ledger) -> None:
    funded(any_ledger)
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: lend(any_ledger, product=None, frequency="9-weekly"),
        InvalidInput,
        "frequency",
    )


# ---------------------------------------------------------------------- products
def test_a_product_fixes_the_loans_terms_and_its_limits_hold(any_ledger: Ledger) -> None:
    funded(any_ledger)
    small_business(any_ledger)
    for change, error, field in (
        ({"principal": "12000"}, RuleBroken, "principal"),
        ({"principal": "1500"}, RuleBroken, "principal"),
        ({"instalments": 3}, RuleBroken, "instalments"),
        ({"rate": "12"}, RuleBroken, "rate"),
        ({"method": "declining"}, RuleBroken, "method"),
        ({"frequency": "monthly"}, RuleBroken, "frequency"),
        ({"product": "Housing"}, InvalidInput, "product"),
    ):
        refused = assert_refused(
            any_ledger, "JOBA", lambda c=change: lend(any_ledger, **c), error, field
        )
        assert field in str(refused)
    loan = lend(any_ledger)
    (status,) = any_ledger.reports.loans.loans("JOBA")
    assert (loan, status.product, status.frequency, status.method) == (
        1,
        "Small business",
        "4-weekly",
        "flat",
    )
    assert status.rate == Decimal("10.00")
    (product,) = any_ledger.reports.loans.products("JOBA")
    assert product.fine == {"kind": "percent", "amount": Decimal("5.00"), "grace_days": 7}


def test_a_product_redefined_applies_to_later_loans_only(any_ledger: Ledger) -> None:
    funded(any_ledger)
    small_business(any_ledger)
    lend(any_ledger)
    small_business(any_ledger, rate="12", frequency="monthly", date=date(2016, 2, 1))
    lend(any_ledger, member=2, instalments=12, date=date(2016, 2, 2))
    first, second = any_ledger.reports.loans.loans("JOBA")
    assert (first.rate, first.frequency) == (Decimal("10.00"), "4-weekly")
    assert (second.rate, second.frequency) == (Decimal("12.00"), "monthly")
    (then,) = any_ledger.reports.loans.products("JOBA", as_of=date(2016, 1, 31))
    assert then.rate == Decimal("10.00")


def test_a_product_that_contradicts_itself_is_refused(any_ledger: Ledger) -> None:
    funded(any_ledger)
    for change, field in (
        ({"min_principal": "20000"}, "min_principal"),
        ({"min_instalments": 20}, "min_instalments"),
        ({"fine": "fixed", "fine_amount": None}, "fine_amount"),
        ({"fine": "percent", "fine_amount": "150"}, "fine_amount"),
    ):
        assert_refused(
            any_ledger,
            "JOBA",
            lambda c=change: small_business(any_ledger, **c),
            InvalidInput,
            field,
        )


def test_groups_without_products_keep_lending_by_their_rules(any_ledger: Ledger) -> None:
    funded(any_ledger)
    any_ledger.set_loan_rules(
        "JOBA", max_principal="8000", rate="12", frequency="6-weekly", date=START
    )
    any_ledger.disburse_loan(
        "JOBA",
        member=1,
        principal="3000",
        instalments=4,
        purpose="seed",
        date=LENT,
    )
    (status,) = any_ledger.reports.loans.loans("JOBA")
    assert (status.product, status.frequency) == ("", "6-weekly")
    assert status.schedule[0]["due"] == LENT + timedelta(weeks=6)


# ---------------------------------------------------------------------- fines
def test_a_late_instalment_is_fined_once_after_the_grace_days(any_ledger: Ledger) -> None:
    funded(any_ledger)
    small_business(any_ledger)
    loan = lend(any_ledger)
    first_due = LENT + timedelta(weeks=4)  # 12 February
    any_ledger.repay_loan("JOBA", loan=loan, taka="300", date=first_due)
    # seven days of grace: on the seventh day nothing, on the eighth a fine
    assess = any_ledger.assess_loan_fines
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: assess("JOBA", date=first_due + timedelta(days=7)),
        RuleBroken,
        "date",
    )
    assess("JOBA", date=first_due + timedelta(days=8))
    assert_refused(  # not twice
        any_ledger,
        "JOBA",
        lambda: assess("JOBA", date=first_due + timedelta(days=9)),
        RuleBroken,
        "date",
    )
    (fine,) = any_ledger.reports.loans.fines("JOBA")
    # 5 % of the 250.00 still unpaid of the 550.00 instalment
    assert (fine.instalment, fine.taka, fine.due) == (1, Decimal("12.50"), "2016-02-12")
    (status,) = any_ledger.reports.loans.loans("JOBA")
    assert status.fines_owed == Decimal("12.50")
    before = any_ledger.reports.loans.loans("JOBA", as_of=first_due + timedelta(days=7))
    assert before[0].fines_charged == Decimal("0.00")
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.pay_loan_fine("JOBA", loan=loan, taka="13", date=date(2016, 3, 1)),
        RuleBroken,
        "taka",
    )
    any_ledger.pay_loan_fine("JOBA", loan=loan, taka="12.50", date=date(2016, 3, 1))
    (status,) = any_ledger.reports.loans.loans("JOBA")
    assert (status.fines_paid, status.fines_owed) == (Decimal("12.50"), Decimal("0.00"))
    assert_books_balance(any_ledger, "JOBA")
    assert replay_matches(any_ledger)


def test_a_report_as_of_a_day_is_the_same_before_and_after_later_fines(
    any_ledger: Ledger,
) -> None:
    funded(any_ledger)
    small_business(any_ledger)
    lend(any_ledger)
    day = date(2016, 4, 1)
    said = any_ledger.reports.loans.loans("JOBA", as_of=day)
    any_ledger.assess_loan_fines("JOBA", date=date(2016, 5, 1))
    assert any_ledger.reports.loans.loans("JOBA", as_of=day) == said
    fines = any_ledger.reports.loans.fines("JOBA")
    assert [f.instalment for f in fines] == [1, 2, 3]  # due 12 Feb, 11 Mar, 8 Apr
    assert {f.taka for f in fines} == {Decimal("27.50")}


def test_the_groups_fine_rule_covers_loans_made_without_a_product(any_ledger: Ledger) -> None:
    funded(any_ledger)
    any_ledger.set_loan_fine_rule(
        "JOBA", fine="fixed", fine_amount="20", fine_grace_days=0, date=START
    )
    loan = lend(any_ledger, product=None, instalments=6, rate="12", frequency="monthly")
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.assess_loan_fines("JOBA", loan=loan, date=date(2016, 2, 15)),
        RuleBroken,
        "loan",
    )
    any_ledger.assess_loan_fines("JOBA", loan=loan, date=date(2016, 2, 16))
    (fine,) = any_ledger.reports.loans.fines("JOBA")
    assert fine.taka == Decimal("20.00")
    tb = any_ledger.reports.books.trial_balance("JOBA")
    assert "Income:Fines" in str(tb)
    # a fine charged in error is reversed like any entry
    position = any_ledger.events("JOBA")[-1].position
    any_ledger.correct_entry("JOBA", target=position, reason="paid on time", date=date(2016, 2, 16))
    assert any_ledger.reports.loans.fines("JOBA") == []
    # ... and the instalment may then be fined again
    any_ledger.assess_loan_fines("JOBA", date=date(2016, 2, 20))
    assert len(any_ledger.reports.loans.fines("JOBA")) == 1
    assert replay_matches(any_ledger)


# ---------------------------------------------------------------------- pay-overs per loan
BANK = "Krishi Bank, Jaldhaka"


def two_bank_loans(ledger: Ledger) -> tuple[int, int]:
    seed_group(ledger, "JOBA")
    ledger.form_cluster(
        "RAJAGAON",
        name="Rajagaon cluster",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Rajagaon"],
        households=150,
        date=START,
    )
    ledger.join_cluster("RAJAGAON", group="JOBA", date=START)
    ledger.name_representative("RAJAGAON", group="JOBA", member=1, date=START)

    def arrange(member: int, principal: str) -> int:
        return int(
            ledger.arrange_bank_loan(
                "RAJAGAON",
                lender=BANK,
                group="JOBA",
                member=member,
                principal=principal,
                rate="10",
                instalments=6,
                guarantors=[{"group": "JOBA", "member": 1}],
                introducer="UP chairman",
                date=date(2016, 2, 1),
            )
        )

    first, second = arrange(2, "6000"), arrange(3, "3000")
    ledger.collect_bank_instalment("RAJAGAON", bank_loan=first, taka="1050", date=date(2016, 3, 1))
    ledger.collect_bank_instalment("RAJAGAON", bank_loan=second, taka="525", date=date(2016, 3, 1))
    return first, second


def test_a_payment_to_the_bank_is_kept_against_the_loans_it_came_from(
    any_ledger: Ledger,
) -> None:
    first, second = two_bank_loans(any_ledger)
    any_ledger.pay_bank(
        "RAJAGAON",
        lender=BANK,
        taka="1000",
        loans=[{"bank_loan": first, "taka": "500"}, {"bank_loan": second, "taka": "500"}],
        date=date(2016, 3, 5),
    )
    any_ledger.pay_bank("RAJAGAON", lender=BANK, taka="300", date=date(2016, 3, 6))  # oldest first
    one, two = any_ledger.reports.clusters.bank_loans("RAJAGAON").loans
    assert (one.paid_over, one.held) == (Decimal("800.00"), Decimal("250.00"))
    assert (two.paid_over, two.held) == (Decimal("500.00"), Decimal("25.00"))
    # the bank applies what it gets charge first: 50.00 of charge was due on each by March
    assert one.owed_to_bank == Decimal("6000.00") - Decimal("750.00")
    assert two.owed_to_bank == Decimal("3000.00") - Decimal("475.00")
    earlier = any_ledger.reports.clusters.bank_loans("RAJAGAON", as_of=date(2016, 3, 5))
    assert [x.paid_over for x in earlier.loans] == [Decimal("500.00"), Decimal("500.00")]
    assert replay_matches(any_ledger)


def test_a_pay_over_beyond_what_a_loan_holds_is_refused_naming_it(any_ledger: Ledger) -> None:
    first, second = two_bank_loans(any_ledger)
    stream = "cluster:RAJAGAON"
    pay = any_ledger.pay_bank
    for loans, error, field in (
        ([{"bank_loan": second, "taka": "600"}], RuleBroken, "loans[0].taka"),
        ([{"bank_loan": first, "taka": "500"}], InvalidInput, "loans"),  # adds up to 500
        (
            [{"bank_loan": first, "taka": "300"}, {"bank_loan": first, "taka": "300"}],
            InvalidInput,
            "loans[1].bank_loan",
        ),
        ([{"bank_loan": 9, "taka": "600"}], InvalidInput, "loans[0].bank_loan"),
    ):
        with pytest.raises(error) as info:
            pay("RAJAGAON", lender=BANK, taka="600", loans=loans, date=date(2016, 3, 5))
        assert info.value.field == field
    assert any_ledger.load_cluster("RAJAGAON").version == len(any_ledger.events(stream))
    assert any_ledger.reports.clusters.bank_loans("RAJAGAON").paid_to_banks == {}


# ---------------------------------------------------------------------- the demo
def test_the_demo_lends_under_a_product_fines_and_pays_over_per_loan(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "demo.db"))
    demo.build(ledger)
    (product,) = ledger.reports.loans.products("SHAPLA")
    assert (product.name, product.frequency) == ("Small business", "4-weekly")
    (loan,) = [x for x in ledger.reports.loans.loans("SHAPLA") if x.product]
    assert (loan.principal, loan.fines_charged, loan.fines_owed) == (
        Decimal("2600.00"),
        Decimal("11.00"),
        Decimal("0.00"),
    )
    assert [f.on for f in ledger.reports.loans.fines("JOBA") if f.kind == "fine"] == [
        "2016-09-02",
        "2016-10-07",
        "2016-11-04",
    ]
    # the meetings' counts still match the books but for the demo's own discrepancies
    for code, weeks in (("SHAPLA", (17, 38)), ("JOBA", (29,))):
        flagged = ledger.reports.meetings.reconciliation(code).flagged
        assert [m.meeting_date for m in flagged] == [
            demo.FIRST_MEETING + timedelta(weeks=w) for w in weeks
        ]
    bank = ledger.reports.clusters.bank_loans("CHIRIRBANDAR-1")
    assert sum((x.paid_over for x in bank.loans), Decimal(0)) == sum(
        bank.paid_to_banks.values(), Decimal(0)
    )
    assert all(x.held >= 0 and x.owed_to_bank <= x.principal for x in bank.loans)


def test_a_product_and_a_fine_rule_count_from_the_day_they_were_set(any_ledger: Ledger) -> None:
    funded(any_ledger)
    small_business(any_ledger, date=date(2016, 2, 1))
    assert_refused(any_ledger, "JOBA", lambda: lend(any_ledger), RuleBroken, "product")
    any_ledger.set_loan_fine_rule("JOBA", fine="fixed", fine_amount="20", date=date(2016, 4, 1))
    loan = lend(any_ledger, product=None, instalments=6, rate="12", frequency="monthly")
    # the rule was not yet set on 1 March: nothing to fine then; on 2 April it is
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.assess_loan_fines("JOBA", loan=loan, date=date(2016, 3, 1)),
        RuleBroken,
        "loan",
    )
    any_ledger.assess_loan_fines("JOBA", loan=loan, date=date(2016, 4, 2))
    assert [f.due for f in any_ledger.reports.loans.fines("JOBA")] == ["2016-02-15", "2016-03-15"]


# ---------------------------------------------------------------------- the command line
def test_products_and_fines_from_an_import_file_and_on_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    ledger = Ledger(db)
    funded(ledger)
    del ledger

    def cli(*args: str) -> Any:
        return CliRunner().invoke(main, ["--db", db, *args])

    lines = [
        {
            "command": "define_loan_product",
            "group": "JOBA",
            "date": "2016-01-01",
            "key": "p",
            "name": "Small business",
            "min_principal": "2000",
            "max_principal": "10000",
            "rate": "10",
            "frequency": "4-weekly",
            "max_instalments": 13,
            "fine": "fixed",
            "fine_amount": "25",
            "fine_grace_days": 3,
        },
        {
            "command": "disburse_loan",
            "group": "JOBA",
            "date": "2016-01-15",
            "key": "l",
            "member": 1,
            "principal": "6500",
            "instalments": 13,
            "purpose": "goats",
            "product": "Small business",
        },
        {"command": "assess_loan_fines", "group": "JOBA", "date": "2016-02-16", "key": "f"},
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(lines[0]) + "\n" + json.dumps({**lines[1], "principal": "900"}))
    refused = cli("import", str(bad))
    assert refused.exit_code != 0
    assert "principal" in refused.output
    assert "lends from 2,000.00 Tk to" in refused.output  # (the line wraps)
    assert Ledger(db).reports.loans.products("JOBA") == []  # the whole file: nothing written
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert cli("import", str(good)).exit_code == 0
    shown = cli("report", "loan-products", "--group", "JOBA", "--format", "json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["products"][0]["frequency"] == "4-weekly"
    assert [(f["kind"], f["taka"]) for f in report["fines"]] == [("fine", "25.00")]
    bangla = cli("--lang", "bn", "report", "loan-products", "--group", "JOBA")
    assert "\u099c\u09b0\u09bf\u09ae\u09be\u09a8\u09be" in bangla.output  # fine
    loans = cli("report", "loans", "--group", "JOBA", "--as-of", "2016-02-15")
    assert "fines owed" in loans.output


# ---------------------------------------------------------------------- two processes
FORK = multiprocessing.get_context("fork")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database several processes can open: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "books.db")
    return str(request.getfixturevalue("pg_url"))


def _assess_at_the_barrier(url: str, barrier: Any, out: Any) -> None:
    """Assess fines, waiting just before the first save, so that both processes have
    decided the same fines before either saves."""

    def hook(_unit: Any) -> None:
        unit_module.BEFORE_SAVE.remove(hook)
        barrier.wait(timeout=30)

    unit_module.BEFORE_SAVE.append(hook)
    with Ledger(url, clock=fixed_clock) as ledger:
        try:
            ledger.assess_loan_fines("JOBA", date=date(2016, 3, 1))
            out.put("charged")
        except RuleBroken as e:
            out.put(f"refused {e.field}")


def test_two_processes_assessing_at_once_fine_each_instalment_once(url: str) -> None:
    with Ledger(url, clock=fixed_clock) as ledger:
        funded(ledger)
        small_business(ledger)
        lend(ledger)
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [FORK.Process(target=_assess_at_the_barrier, args=(url, barrier, out)) for _ in "ab"]
    for c in children:
        c.start()
    answers = sorted(out.get(timeout=60) for _ in children)
    for c in children:
        c.join(30)
    assert answers == ["charged", "refused date"]  # the second decided again, found none
    with Ledger(url, clock=fixed_clock) as ledger:
        (fine,) = ledger.reports.loans.fines("JOBA")
        assert (fine.instalment, fine.taka) == (1, Decimal("27.50"))
        assert audit.audit(ledger).ok
