"""A group that kept paper books joins with a cut-off: the sheet must add up, is sealed once,
entries before it are refused, loans carried in behave like any loan, and reports before it
say so instead of showing zeros."""

from __future__ import annotations

import io
import multiprocessing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from coopledger import InvalidInput, Ledger, RuleBroken, audit
from coopledger.cutoff.files import read_sheet, seal_sheet
from coopledger.kernel import unit as unit_module
from coopledger.testing import (
    assert_books_balance,
    assert_passbooks_add_up,
    assert_refused,
    fixed_clock,
    replay_matches,
    seed_group,
)

T = Decimal
CUT = date(2016, 5, 31)

SHEET = """field,value
cut_off,2016-05-31
cash,5000.00
rice_stock_grams,30000
group_fund,5700.00
group_rice_grams,0
approved_by,Rina Begum (animator)

member,rice_grams,cash_savings,owes_for_rice
1,12000,1500.00,200.00
2,18000,1000.00,

loan,member,outstanding,rate,method,frequency,instalments,next_due,purpose
L-7,3,3000.00,12,declining,monthly,6,2016-05-15,goat
"""


def sheet(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "date": CUT,
        "cash": "5000.00",
        "rice_stock_grams": 30000,
        "members": [
            {"member": 1, "rice_grams": 12000, "cash_savings": "1500", "owes_for_rice": "200"},
            {"member": 2, "rice_grams": 18000, "cash_savings": "1000"},
        ],
        "loans": [
            {
                "member": 3,
                "outstanding": "3000",
                "rate": "12",
                "instalments": 6,
                "next_due": date(2016, 5, 15),
                "purpose": "goat",
                "paper_ref": "L-7",
            }
        ],
        "group_fund": "5700.00",
        "group_rice_grams": 0,
        "approved_by": "Rina Begum (animator)",
    }
    fields.update(changes)
    return fields


@pytest.fixture
def joined(any_ledger: Ledger) -> Ledger:
    seed_group(any_ledger, "JOBA", members=3)
    any_ledger.seal_cutoff("JOBA", **sheet())
    return any_ledger


def test_a_sealed_sheet_opens_the_books_as_the_paper_stood(joined: Ledger) -> None:
    p = joined.reports.books.position("JOBA")
    assert (p.cash, p.rice_stock_grams, p.rice_savings_grams) == (T("5000.00"), 30000, 30000)
    assert (p.cash_savings_owed, p.receivables, p.loans_outstanding) == (
        T("2500.00"),
        T("200.00"),
        T("3000.00"),
    )
    assert p.before_cutoff is None
    assert_books_balance(joined, "JOBA")
    assert_passbooks_add_up(joined, "JOBA")
    book = joined.reports.savings.passbook("JOBA", 1)
    assert (book.rice_saved_grams, book.cash_savings, book.owed) == (12000, T("1500.00"), T("200"))
    assert "paper books" in str(book.lines[0].wording)
    assert replay_matches(joined)
    assert audit.audit(joined).ok


def test_a_sheet_that_does_not_add_up_is_refused_naming_the_total(any_ledger: Ledger) -> None:
    seed_group(any_ledger, "JOBA", members=3)
    e = assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.seal_cutoff("JOBA", **sheet(group_fund="5600.00")),
        RuleBroken,
        "group_fund",
    )
    assert e.value == T("5600.00")
    assert "5,700.00" in str(e)  # what the fund would have to be
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.seal_cutoff("JOBA", **sheet(group_rice_grams=500)),
        RuleBroken,
        "group_rice_grams",
    )


def test_a_member_on_the_sheet_must_have_joined_by_the_cut_off(any_ledger: Ledger) -> None:
    seed_group(any_ledger, "JOBA", members=3)
    members = [{"member": 9, "rice_grams": 30000}]
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.seal_cutoff("JOBA", **sheet(members=members)),
        Exception,
        "members[0].member",
    )


def test_a_cut_off_is_sealed_once(joined: Ledger) -> None:
    again = joined.seal_cutoff("JOBA", **sheet())  # the same sheet sent again: a replay
    assert again.replayed
    assert_refused(
        joined,
        "JOBA",
        lambda: joined.seal_cutoff("JOBA", **sheet(date=date(2016, 6, 1)), key="another"),
        RuleBroken,
        "date",
    )


def test_entries_dated_before_the_cut_off_are_refused(joined: Ledger) -> None:
    e = assert_refused(
        joined,
        "JOBA",
        lambda: joined.save_cash("JOBA", member=1, taka="10", date=date(2016, 5, 30)),
        InvalidInput,
        "date",
    )
    assert "cut-off" in str(e)
    joined.save_cash("JOBA", member=1, taka="10", date=CUT)  # on the day itself: after it


def test_a_cut_off_must_come_before_any_money_entry(any_ledger: Ledger) -> None:
    seed_group(any_ledger, "JOBA", members=3)
    any_ledger.save_cash("JOBA", member=1, taka="10", date=date(2016, 1, 8))
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: any_ledger.seal_cutoff("JOBA", **sheet()),
        RuleBroken,
        "date",
    )


def test_reports_before_the_cut_off_say_so(joined: Ledger) -> None:
    early = date(2016, 1, 1)
    assert joined.reports.books.position("JOBA", as_of=early).before_cutoff == CUT
    assert joined.reports.books.trial_balance("JOBA", as_of=early).before_cutoff == CUT
    assert joined.reports.savings.passbook("JOBA", 1, as_of=early).before_cutoff == CUT
    assert joined.reports.books.position("JOBA", as_of=CUT).before_cutoff is None
    assert joined.reports.cutoff.before("JOBA", early) == CUT
    found = joined.reports.cutoff.sheet("JOBA")
    assert found is not None
    assert (found.cut_off, found.group_fund, found.loans[0].paper_ref) == (CUT, T("5700"), "L-7")


def test_a_loan_carried_in_is_repaid_and_overdue_like_any_other(joined: Ledger) -> None:
    [loan] = joined.reports.loans.loans("JOBA", as_of=CUT)
    assert loan.outstanding == T("3000.00")
    assert sum(s["principal"] for s in loan.schedule) == T("3000.00")
    assert loan.schedule[0]["due"] == date(2016, 5, 15)  # behind on the paper books
    assert (loan.status, loan.days_overdue) == ("late", 16)
    joined.repay_loan("JOBA", loan=1, taka="600", date=date(2016, 6, 10))
    [loan] = joined.reports.loans.loans("JOBA", as_of=date(2016, 6, 10))
    assert loan.charge_paid == T("30.00")  # the charge due first (1 % of 3,000)
    book = joined.reports.savings.passbook("JOBA", 3)
    assert book.loan_owed == loan.outstanding
    assert "carried" in str(book.lines[0].wording)


# ---------------------------------------------------------------------- files
def test_a_csv_sheet_is_sealed(any_ledger: Ledger) -> None:
    seed_group(any_ledger, "JOBA", members=3)
    seal_sheet(any_ledger, "JOBA", SHEET.encode(), "joba.csv")
    found = any_ledger.reports.cutoff.sheet("JOBA")
    assert found is not None and found.source == "joba.csv"
    assert any_ledger.reports.books.position("JOBA").cash_savings_owed == T("2500.00")


def test_a_csv_sheet_that_does_not_add_up_names_the_row_as_typed(any_ledger: Ledger) -> None:
    seed_group(any_ledger, "JOBA", members=3)
    bad = SHEET.replace("group_fund,5700.00", 'group_fund,"5.700,00"')
    e = assert_refused(
        any_ledger,
        "JOBA",
        lambda: seal_sheet(any_ledger, "JOBA", bad.encode(), "joba.csv"),
        InvalidInput,
        "row 5, group_fund",
    )
    assert e.value == "5.700,00"
    off = SHEET.replace("2,18000,1000.00,", "2,18000,1100.00,")
    e = assert_refused(
        any_ledger,
        "JOBA",
        lambda: seal_sheet(any_ledger, "JOBA", off.encode(), "joba.csv"),
        RuleBroken,
        "row 5, group_fund",
    )
    assert e.value == "5700.00"
    late = SHEET.replace(
        "L-7,3,3000.00,12,declining,monthly,6", "L-7,3,3000.00,12,yearly,monthly,6"
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: seal_sheet(any_ledger, "JOBA", late.encode(), "joba.csv"),
        InvalidInput,
        "row 14, method",
    )


def test_a_cell_that_is_a_formula_is_refused() -> None:
    bad = SHEET.replace(
        "L-7,3,3000.00,12,declining,monthly,6,2016-05-15,goat",
        "L-7,3,3000,12,declining,monthly,6,2016-05-15,=HYPERLINK(1)",
    )
    with pytest.raises(InvalidInput) as info:
        read_sheet(bad.encode(), "joba.csv")
    assert info.value.field == "row 14, purpose"


def test_an_xlsx_sheet_is_read_with_its_row_numbers(any_ledger: Ledger) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]  # noqa: PLC0415

    book = Workbook()
    for line in SHEET.splitlines():
        cells: list[Any] = line.split(",") if line else []
        book.active.append([int(c) if c.isdigit() else c for c in cells])
    book.active["B10"] = 12000.0  # a number typed in a spreadsheet
    buffer = io.BytesIO()
    book.save(buffer)
    seed_group(any_ledger, "JOBA", members=3)
    seal_sheet(any_ledger, "JOBA", buffer.getvalue(), "joba.xlsx", check=True)  # writes nothing
    assert any_ledger.reports.cutoff.sheet("JOBA") is None
    seal_sheet(any_ledger, "JOBA", buffer.getvalue(), "joba.xlsx")
    assert any_ledger.reports.books.position("JOBA").rice_savings_grams == 30000


# ---------------------------------------------------------------------- two processes
FORK = multiprocessing.get_context("fork")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "books.db")
    return str(request.getfixturevalue("pg_url"))


def _seal_at_the_barrier(url: str, barrier: Any, key: str, cash: str, out: Any) -> None:
    """Decide a sheet, then wait for the other process before saving it."""

    def hook(_unit: Any) -> None:
        unit_module.BEFORE_SAVE.remove(hook)
        barrier.wait(timeout=30)

    unit_module.BEFORE_SAVE.append(hook)
    with Ledger(url, clock=fixed_clock, user="tester") as ledger:
        try:
            fund = str(T(cash) + T("700.00"))
            ledger.seal_cutoff("JOBA", **sheet(cash=cash, group_fund=fund), key=key)
            out.put("sealed")
        except RuleBroken as e:
            out.put(f"refused {e.field}")


def test_two_sheets_sealed_from_two_processes_at_once_admit_one(url: str) -> None:
    with Ledger(url, clock=fixed_clock, user="tester") as ledger:
        seed_group(ledger, "JOBA", members=3)
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [
        FORK.Process(target=_seal_at_the_barrier, args=(url, barrier, key, cash, out))
        for key, cash in (("one", "5000.00"), ("two", "6000.00"))
    ]
    for c in children:
        c.start()
    answers = sorted(out.get(timeout=60) for _ in children)
    for c in children:
        c.join(30)
    assert answers == ["refused date", "sealed"]
    with Ledger(url, clock=fixed_clock, user="tester") as ledger:
        assert [e.type_name for e in ledger.events("JOBA")].count("CutOffSealed") == 1
        assert_books_balance(ledger, "JOBA")
        assert audit.audit(ledger).ok


# ---------------------------------------------------------------------- command line
def test_the_command_line_checks_seals_and_shows_a_sheet(tmp_path: Path) -> None:
    from click.testing import CliRunner  # noqa: PLC0415

    from coopledger.cli import main  # noqa: PLC0415

    db = str(tmp_path / "books.db")
    with Ledger(db, clock=fixed_clock, user="tester") as ledger:
        seed_group(ledger, "JOBA", members=3)
    good, bad = tmp_path / "joba.csv", tmp_path / "bad.csv"
    good.write_text(SHEET)
    bad.write_text(SHEET.replace("2,18000,1000.00,", "2,18000,1100.00,"))

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--db", db, *args])

    refused = run("cutoff", "seal", "JOBA", str(bad))
    assert refused.exit_code == 2
    assert "row 5, group_fund='5700.00'" in " ".join(refused.output.split())
    assert run("cutoff", "seal", "JOBA", str(good), "--check").exit_code == 0
    assert "no cut-off" in run("cutoff", "show", "JOBA").output
    assert run("cutoff", "seal", "JOBA", str(good)).exit_code == 0
    shown = run("cutoff", "show", "JOBA", "--format", "json")
    assert '"group_fund": "5700.00"' in shown.output
    early = run("report", "group", "--group", "JOBA", "--as-of", "2016-01-01")
    assert "before the books were kept here" in early.output
    for name in ("loans", "reconciliation"):
        said = run("report", name, "--group", "JOBA", "--as-of", "2016-01-01")
        assert "before the books were kept here" in said.output, (name, said.output)


def test_the_sample_sheet_in_the_docs_is_the_one_the_web_offers() -> None:
    root = Path(__file__).parent.parent
    offered = (root / "src" / "coopweb" / "static" / "cutoff-sample.csv").read_text()
    documented = (root / "docs" / "cutoff.md").read_text()
    assert f"```\n{offered}```" in documented
    assert read_sheet(offered.encode(), "cutoff-sample.csv").data["group_fund"] == "5700.00"
