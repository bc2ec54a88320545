"""Exports: JSON Lines re-checked by the standalone verifier, CSV reports, and Beancount
files that Beancount's own checker accepts and whose balances equal the trial balance."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from beancount import loader
from beancount.core import data as bean
from click.testing import CliRunner

from coopledger import Ledger, demo
from coopledger.audit.exports import beancount_accounts, export_beancount, export_jsonl
from coopledger.cli import main

ROOT = Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "docs" / "verify_export.py"


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    ledger = Ledger(str(tmp_path_factory.mktemp("exports") / "demo.db"))
    demo.build(ledger)
    return ledger


@pytest.fixture(scope="module")
def jsonl(demo_ledger: Ledger, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jsonl") / "export.jsonl"
    with path.open("w", encoding="utf-8") as f:
        export_jsonl(demo_ledger, f)
    return path


def run_verifier(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(path)], capture_output=True, text=True, check=False
    )


def test_the_standalone_verifier_accepts_an_export(jsonl: Path) -> None:
    result = run_verifier(jsonl)
    assert result.returncode == 0, result.stderr
    assert "13 streams: every chain intact" in result.stdout  # 10 groups, 3 clusters
    assert len(VERIFIER.read_text().splitlines()) <= 40
    imports = [ln for ln in VERIFIER.read_text().splitlines() if ln.startswith("import")]
    assert imports == ["import hashlib", "import json", "import sys"]


def test_every_export_line_matches_the_published_schema(jsonl: Path) -> None:
    schema = json.loads((ROOT / "docs" / "schema" / "export.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    lines = jsonl.read_text().splitlines()
    for line in lines[:300] + lines[-5:]:
        validator.validate(json.loads(line))


@pytest.mark.parametrize("tamper", ["amount", "drop", "swap", "truncate"])
def test_the_standalone_verifier_catches_a_tampered_export(
    jsonl: Path, tmp_path: Path, tamper: str
) -> None:
    lines = jsonl.read_text().splitlines()
    i = next(n for n, ln in enumerate(lines) if '"coopledger/MeetingRecorded"' in ln)
    if tamper == "amount":
        record = json.loads(lines[i])
        record["data"]["deposits"][0]["grams"] += 1
        lines[i] = json.dumps(record)
    elif tamper == "drop":
        del lines[i]
    elif tamper == "swap":
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    else:
        del lines[-2]  # the last event; the heads line still names it
    path = tmp_path / "tampered.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_verifier(path)
    assert result.returncode != 0
    assert "group" in result.stderr


def test_csv_exports_every_report_without_floats(demo_ledger: Ledger, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--db", demo_ledger.config.setting, "export", "--format", "csv", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    names = {p.stem for p in tmp_path.glob("*.csv")}
    assert names == {
        "groups",
        "members",
        "positions",
        "activities",
        "trial_balance",
        "passbooks",
        "reconciliation",
        "postings",
    }
    with (tmp_path / "trial_balance.csv").open() as f:
        rows = list(csv.DictReader(f))
    for commodity in ("BDT", "RICE"):
        assert sum(Decimal(r["balance"]) for r in rows if r["commodity"] == commodity) == 0
    with (tmp_path / "members.csv").open() as f:
        assert len(list(csv.DictReader(f))) == sum(
            len(demo_ledger.reports.groups.members(g.code))
            for g in demo_ledger.reports.groups.directory()
        )
    with (tmp_path / "positions.csv").open() as f:
        for row in csv.DictReader(f):
            assert Decimal(row["cash_taka"]) == Decimal(row["cash_taka"]).quantize(Decimal("0.01"))
            assert row["rice_stock_grams"].isdigit()


def test_beancount_accepts_the_export_and_agrees_with_the_trial_balance(
    demo_ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "books.beancount"
    with path.open("w", encoding="utf-8") as f:
        export_beancount(demo_ledger, f)
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, bean.Transaction):
            for posting in entry.postings:
                balances[posting.account, posting.units.currency] += posting.units.number
    asserted = [e for e in entries if isinstance(e, bean.Balance)]
    meetings = sum(
        len(demo_ledger.reports.meetings.reconciliation(g.code).meetings)
        for g in demo_ledger.reports.groups.directory()
    )
    assert len(asserted) == 2 * meetings  # cash and rice at every counted meeting
    expected: dict[tuple[str, str], Decimal] = {}
    for g in demo_ledger.reports.groups.directory():
        for row in demo_ledger.reports.books.trial_balance(g.code).rows:
            expected[beancount_accounts(g.code, row.account), row.commodity] = Decimal(row.balance)
    assert {k: v for k, v in balances.items() if v} == expected
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "bean-check"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0
    assert checked.stdout + checked.stderr == ""


def test_export_on_the_command_line(demo_ledger: Ledger) -> None:
    db = demo_ledger.config.setting
    result = CliRunner().invoke(
        main, ["--db", db, "export", "--format", "jsonl", "--group", "JOBA"]
    )
    assert result.exit_code == 0
    lines = [json.loads(ln) for ln in io.StringIO(result.stdout)]
    assert {ln["group"] for ln in lines[:-1]} == {"JOBA"}
    assert list(lines[-1]["heads"]) == ["JOBA"]
    result = CliRunner().invoke(
        main, ["--db", db, "export", "--format", "beancount", "--group", "NOPE"]
    )
    assert result.exit_code == 2
