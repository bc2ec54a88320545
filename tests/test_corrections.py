"""Corrections: an entry reversed or adjusted, also when the entry is in the same batch
(an import file that records a deposit and, a few lines on, corrects it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopledger import BatchRefused, CorrectEntry, DepositRice, Ledger, RecordMeeting, RuleBroken
from coopledger.cli import main
from coopledger.testing import D1, D2, fixed_clock, replay_matches, seed_group


def test_an_entry_made_earlier_in_the_same_batch_can_be_reversed(any_ledger: Ledger) -> None:
    seed_group(any_ledger)
    target = any_ledger.load("JOBA").version + 1  # where the deposit will be
    receipts = any_ledger.execute_all(
        [
            DepositRice(group="JOBA", member=1, grams=1400, date=D1),
            DepositRice(group="JOBA", member=2, grams=900, date=D1),
            CorrectEntry(group="JOBA", target=target, reason="entered twice", date=D2),
        ]
    )
    assert receipts[0].first == target
    assert any_ledger.reports.books.position("JOBA").rice_stock_grams == 900
    assert any_ledger.reports.savings.passbook("JOBA", 1).rice_saved_grams == 0
    correction = any_ledger.events("JOBA")[-1]
    assert correction.type_name == "EntryCorrected"
    assert correction.business_date == D1  # the target's date, read from the pending event
    assert replay_matches(any_ledger)


def test_a_meeting_line_of_the_same_batch_can_be_adjusted_then_adjusted_again(
    any_ledger: Ledger,
) -> None:
    seed_group(any_ledger)
    meeting = any_ledger.load("JOBA").version + 1
    any_ledger.execute_all(
        [
            RecordMeeting(
                group="JOBA",
                date=D1,
                attendance=[1, 2, 3],
                deposits=[
                    {"member": 1, "grams": 1400},
                    {"member": 2, "grams": 1500},
                    {"member": 3, "grams": 1600},
                ],
            ),
            CorrectEntry(
                group="JOBA",
                target=meeting,
                part="deposits.1",
                changes={"grams": 1450},
                reason="scale misread",
                date=D1,
            ),
            # The line as the pending correction left it: 1450, not the meeting's 1500.
            CorrectEntry(
                group="JOBA",
                target=meeting,
                part="deposits.1",
                changes={"grams": 1480},
                reason="weighed again",
                date=D1,
            ),
        ]
    )
    assert any_ledger.reports.savings.passbook("JOBA", 2).rice_saved_grams == 1480
    last = any_ledger.events("JOBA")[-1]
    assert (last.part, last.was["grams"], last.now["grams"]) == ("deposits.1", 1450, 1480)
    assert replay_matches(any_ledger)


def test_a_reversal_pending_in_the_batch_is_not_reversed_again(any_ledger: Ledger) -> None:
    seed_group(any_ledger)
    target = any_ledger.load("JOBA").version + 1
    before = any_ledger.load("JOBA").version
    with pytest.raises(BatchRefused) as info:
        any_ledger.execute_all(
            [
                DepositRice(group="JOBA", member=1, grams=1400, date=D1),
                CorrectEntry(group="JOBA", target=target, reason="wrong", date=D1),
                CorrectEntry(group="JOBA", target=target, reason="wrong again", date=D1),
            ]
        )
    ((index, problem),) = info.value.errors
    assert index == 2 and isinstance(problem, RuleBroken)
    assert "already reversed" in str(problem)
    assert any_ledger.load("JOBA").version == before


def test_an_import_file_can_correct_its_own_lines(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    with Ledger(db, clock=fixed_clock, user="tester") as ledger:
        seed_group(ledger)
        target = ledger.load("JOBA").version + 1
    lines = [
        {"command": "deposit_rice", "group": "JOBA", "member": 1, "grams": 1400, "date": str(D1)},
        {
            "command": "record_meeting",
            "group": "JOBA",
            "date": str(D2),
            "attendance": [1, 2],
            "deposits": [{"member": 1, "grams": 700}, {"member": 2, "grams": 800}],
        },
        {
            "command": "correct_entry",
            "group": "JOBA",
            "target": target,
            "changes": {"grams": 1300},
            "reason": "scale misread",
            "date": str(D2),
        },
        {
            "command": "correct_entry",
            "group": "JOBA",
            "target": target + 1,
            "part": "deposits.1",
            "reason": "she deposited nothing",
            "date": str(D2),
        },
    ]
    path = tmp_path / "week.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = CliRunner().invoke(main, ["--db", db, "import", str(path)])
    assert result.exit_code == 0, result.output
    with Ledger(db, clock=fixed_clock) as ledger:
        assert ledger.reports.savings.passbook("JOBA", 1).rice_saved_grams == 1300 + 700
        assert ledger.reports.savings.passbook("JOBA", 2).rice_saved_grams == 0
        assert ledger.reports.books.position("JOBA").rice_stock_grams == 2000
