"""A rebuild writes its rows in bounded transactions, and the Beancount export writes one
transaction per entry: both must leave the books exactly as they were."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data as bean

from coopledger import Ledger, demo
from coopledger import ledger as ledger_module
from coopledger.audit.exports import export_beancount
from coopledger.kernel.projection import TABLES


def _dump(ledger: Ledger) -> dict[str, list[tuple[object, ...]]]:
    return {name: ledger.projector.dump(name) for name in TABLES}


def test_a_rebuild_in_small_transactions_equals_the_live_projections(
    any_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.build(any_ledger)
    live = _dump(any_ledger)
    monkeypatch.setattr(ledger_module, "ROWS_PER_WRITE", 50)  # many transactions per batch
    count = any_ledger.rebuild_projections(batch=40)
    assert count > 40
    assert _dump(any_ledger) == live


def test_the_beancount_export_has_one_transaction_per_entry(tmp_path: Path) -> None:
    demo_ledger = Ledger(str(tmp_path / "demo.db"))
    demo.build(demo_ledger)
    path = tmp_path / "books.beancount"
    with path.open("w", encoding="utf-8") as f:
        export_beancount(demo_ledger, f)
    entries, errors, _ = loader.load_file(str(path))
    assert not errors
    transactions = [e for e in entries if isinstance(e, bean.Transaction)]
    parts = Counter((t.payee, t.meta["position"]) for t in transactions if "part" in t.meta)
    assert parts  # the demo's meetings are split entry by entry
    code, position = next(iter(parts))
    event = next(e for e in demo_ledger.events(code) if e.position == position)
    posting = [p for p, line in event.lines() if line.legs()]
    assert parts[code, position] == len(posting)
    narrations = {
        t.meta["part"]: t.narration
        for t in transactions
        if t.payee == code and t.meta["position"] == position
    }
    assert narrations == {p: str(line.describe()) for p, line in event.lines() if line.legs()}
