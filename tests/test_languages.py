"""Bangla in the library and on the command line: report headings and refusals in the
reader's language and digits; Bangla script names kept as typed in the books, in CSV
exports and on PostgreSQL."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from coopledger import Ledger
from coopledger.audit.exports import export_csv
from coopledger.cli import main
from coopledger.testing import D1, FORMED, fixed_clock, seed_group

NAME = "রহিমা খাতুন"
VILLAGE = "মহলবাড়ী"


def bangla_group(ledger: Ledger) -> int:
    ledger.form_group(
        "SHAPLA",
        name="শাপলা মহিলা দল",
        kind="women",
        meeting_day="friday",
        district="দিনাজপুর",
        upazila="চিরিরবন্দর",
        village=VILLAGE,
        date=FORMED,
    )
    no = ledger.join_member(
        "SHAPLA",
        name=NAME,
        household="রায় পাড়া ২",
        gender="female",
        community="মুসলিম",
        landless=True,
        wellbeing="poor",
        date=FORMED,
    )
    ledger.save_cash("SHAPLA", member=no, taka=Decimal("123456.50"), date=D1)
    return no


def test_bangla_names_survive_the_books_and_the_csv_export(
    any_ledger: Ledger, tmp_path: Path
) -> None:
    """On SQLite and on PostgreSQL (which must run under CI=true)."""
    no = bangla_group(any_ledger)
    members = any_ledger.reports.groups.members("SHAPLA")
    assert [m.name for m in members] == [NAME]
    assert members[0].household == "রায় পাড়া ২"
    group = any_ledger.reports.groups.group("SHAPLA").as_dict()
    assert (group["name"], group["village"]) == ("শাপলা মহিলা দল", VILLAGE)
    assert any_ledger.reports.savings.passbook("SHAPLA", no).name == NAME
    files = {p.name: p for p in export_csv(any_ledger, tmp_path / "csv")}
    with files["members.csv"].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [NAME]
    with files["groups.csv"].open(encoding="utf-8", newline="") as f:
        assert next(csv.DictReader(f))["village"] == VILLAGE


def run(db: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(main, ["--db", db, *args])
    return result.exit_code, result.output


def test_cli_report_headings_and_refusals_in_bangla(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    with Ledger(db, clock=fixed_clock) as ledger:
        no = bangla_group(ledger)
        seed_group(ledger, "JOBA", members=2)
    code, out = run(db, "--lang", "bn", "--digits", "beng", "report", "passbook",
                    "--group", "SHAPLA", "--member", str(no))  # fmt: skip
    assert code == 0, out
    assert f"{NAME}-এর পাসবই (সদস্য ১, SHAPLA)" in out  # the title, in Bangla
    assert "তারিখ" in out and "নগদ সঞ্চয়" in out  # column headings
    assert "১,২৩,৪৫৬.৫০ ৳ সঞ্চয় করেছেন" in out  # the line's wording, Bengali digits
    code, out = run(db, "report", "passbook", "--group", "SHAPLA", "--member", str(no))
    assert code == 0 and f"Passbook of {NAME} (member 1, SHAPLA)" in out
    assert "Saved 1,23,456.50 Tk" in out
    # COOPLEDGER_LANG chooses the language too; a refusal is in Bangla, exit status 2.
    code, out = run(db, "report", "platform", "--cluster", "NOPE", env={"COOPLEDGER_LANG": "bn"})
    assert code == 2
    assert "নাকচ" in out and "এমন কোনো ক্লাস্টার নেই" in out and "কিছুই লেখা হয়নি" in out
    code, out = run(db, "--lang", "bn", "report", "trial-balance", "--group", "JOBA")
    assert code == 0 and "রেওয়ামিল JOBA" in out
