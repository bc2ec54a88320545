"""The vermicompost capability: its events go through the library's registry and are
recorded, checked, corrected, projected, audited and exported like the library's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from coopledger import Ledger, audit
from coopledger.commands import parse_command
from coopledger.errors import RuleBroken, UnknownEventType
from coopledger.testing import (
    D1,
    D2,
    D3,
    assert_books_balance,
    fixed_clock,
    replay_matches,
    seed_group,
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(str(tmp_path / "books.db"), clock=fixed_clock) as ledger:
        seed_group(ledger, "JOBA", members=2)
        ledger.receive_grant("JOBA", source="ALRD", purpose="inputs", taka="1000", date=D1)
        yield ledger


def test_an_activity_is_recorded_with_its_weights_as_data(ledger: Ledger) -> None:
    ledger.buy_compost_inputs("JOBA", what="earthworms", taka="300", date=D1)
    ledger.harvest_compost("JOBA", grams=80_000, notes="pit 1", date=D2)
    ledger.sell_compost("JOBA", buyer="Karim", grams=30_500, taka="366", date=D2)
    ledger.sell_compost("JOBA", buyer="Nursery", grams=20_000, taka="250", date=D3)
    activity = ledger.reports.vermicompost.activity("JOBA")
    assert (activity.inputs, activity.sales, activity.margin) == (
        Decimal("300.00"),
        Decimal("616.00"),
        Decimal("316.00"),
    )
    assert (activity.harvested_grams, activity.sold_grams, activity.stock_grams) == (
        80_000,
        50_500,
        29_500,
    )
    assert activity.price_per_kg == Decimal("12.20")
    assert [e.kind for e in activity.entries] == ["inputs", "harvest", "sale", "sale"]
    # as of the day before the second sale, the books said what they said then
    earlier = ledger.reports.vermicompost.activity("JOBA", as_of=D2)
    assert earlier.sold_grams == 30_500
    # the money is the activity's, in the group's own books
    position = ledger.reports.books.position("JOBA")
    assert [(a.name, a.costs, a.revenue) for a in position.activities] == [
        ("vermicompost", Decimal("300.00"), Decimal("616.00"))
    ]
    assert_books_balance(ledger, "JOBA")
    described = [str(e.describe()) for e in ledger.events("JOBA")[-2:]]
    assert described[0] == "Sold 30.500 kg of compost to Karim for 366.00 Tk"
    assert audit.audit(ledger).ok
    assert replay_matches(ledger)


def test_no_more_is_sold_than_was_harvested_on_any_later_day(ledger: Ledger) -> None:
    ledger.harvest_compost("JOBA", grams=10_000, date=D1)
    ledger.sell_compost("JOBA", buyer="Karim", grams=8_000, taka="100", date=D3)
    with pytest.raises(RuleBroken, match=r"only 2\.000 kg of compost is in stock") as refused:
        # sold on D2, it would leave the sale of D3 without compost
        ledger.sell_compost("JOBA", buyer="Rahim", grams=3_000, taka="40", date=D2)
    assert refused.value.field == "grams"
    # a batch: the harvest before the sale in the same transaction counts
    receipts = ledger.execute_all(
        [
            parse_command(c)
            for c in [
                {"command": "harvest_compost", "group": "JOBA", "grams": 5_000, "date": str(D3)},
                {
                    "command": "sell_compost",
                    "group": "JOBA",
                    "buyer": "R",
                    "grams": 7_000,
                    "taka": "90",
                    "date": str(D3),
                },
            ]
        ]
    )
    assert len(receipts) == 2
    assert ledger.reports.vermicompost.activity("JOBA").stock_grams == 0


def test_corrections_reach_the_table_and_respect_the_stock(ledger: Ledger) -> None:
    harvest = ledger.harvest_compost("JOBA", grams=10_000, date=D1)
    sale = ledger.sell_compost("JOBA", buyer="Karim", grams=6_000, taka="72", date=D2)
    ledger.correct_entry(
        "JOBA", target=sale.last, reason="weighed again", changes={"grams": 7_000}, date=D2
    )
    with pytest.raises(RuleBroken, match="was sold"):
        ledger.correct_entry("JOBA", target=harvest.last, reason="never happened", date=D2)
    with pytest.raises(RuleBroken, match="more compost was sold"):
        ledger.correct_entry(
            "JOBA", target=harvest.last, reason="less", changes={"grams": 5_000}, date=D2
        )
    activity = ledger.reports.vermicompost.activity("JOBA")
    assert (activity.sold_grams, activity.sales, activity.stock_grams) == (
        7_000,
        Decimal("72.00"),
        3_000,
    )
    assert replay_matches(ledger)


def test_an_import_file_and_the_exports_carry_the_plugins_entries(
    ledger: Ledger, tmp_path: Path
) -> None:
    lines = [
        {"command": "harvest_compost", "group": "JOBA", "date": str(D1), "grams": 40_000},
        {
            "command": "sell_compost",
            "group": "JOBA",
            "date": str(D2),
            "buyer": "Karim",
            "grams": 12_500,
            "taka": "150",
        },
    ]
    file = tmp_path / "compost.jsonl"
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    env = {**os.environ, "COOPLEDGER_DB": ledger.config.setting}
    cli = [sys.executable, "-m", "coopledger.cli"]
    done = subprocess.run(
        [*cli, "import", str(file)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    beancount = subprocess.run(
        [*cli, "export", "--format", "beancount"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Sold 12.500 kg of compost to Karim" in beancount.stdout, beancount.stderr
    checked = subprocess.run([*cli, "audit"], env=env, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_books_holding_its_events_without_the_plugin_name_what_is_missing(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.harvest_compost("JOBA", grams=1_000, date=D1)
    # A process where the plugin's module cannot be imported (as if it were uninstalled).
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "coopledger_vermicompost.py").write_text("raise ImportError('not installed')\n")
    env = {
        **os.environ,
        "COOPLEDGER_DB": ledger.config.setting,
        "PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")]),
    }
    checked = subprocess.run(
        [sys.executable, "-m", "coopledger.cli", "audit"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode != 0
    assert "UNKNOWN TYPES" in checked.stdout
    assert "vermicompost/CompostHarvested" in checked.stdout
    assert "Traceback" not in checked.stderr
    program = (
        "from coopledger import Ledger\n"
        "from coopledger.errors import UnknownEventType\n"
        f"ledger = Ledger({ledger.config.setting!r})\n"
        "try:\n    ledger.events('JOBA')\n"
        "except UnknownEventType as e:\n    print(e.render())\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=False
    )
    assert "which no installed plugin defines" in shown.stdout, shown.stderr
    assert UnknownEventType  # the error users see, importable from the library
