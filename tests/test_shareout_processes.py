"""The close's rule on dates holds across OS processes (SQLite and PostgreSQL): an entry
dated in the cycle and the cycle's close, decided at the same moment in two processes,
end either with the entry refused (naming ``date``) or with the entry in the books before
the close, and counted by it; never an entry in a closed cycle after its close."""

from __future__ import annotations

import multiprocessing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from coopledger import Ledger, RuleBroken, audit
from coopledger.kernel import unit as unit_module
from coopledger.testing import fixed_clock
from test_shareout import CLOSE, a_cycle

FORK = multiprocessing.get_context("fork")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "books.db")
    return str(request.getfixturevalue("pg_url"))


def opened(url: str) -> Ledger:
    return Ledger(url, clock=fixed_clock, user="tester")


def once_at(barrier: Any) -> None:
    """Wait at ``barrier`` just before this process's first save (not on its retries)."""

    def hook(_unit: Any) -> None:
        unit_module.BEFORE_SAVE.remove(hook)
        barrier.wait(timeout=30)

    unit_module.BEFORE_SAVE.append(hook)


def _close(url: str, barrier: Any, out: Any) -> None:
    once_at(barrier)
    with opened(url) as ledger:
        ledger.close_cycle("JOBA", date=CLOSE)
        out.put(("closed", None))


def _save(url: str, barrier: Any, out: Any) -> None:
    once_at(barrier)
    with opened(url) as ledger:
        try:
            ledger.save_cash("JOBA", member=1, taka="5", date=date(2016, 6, 29))
            out.put(("saved", None))
        except RuleBroken as e:
            out.put(("refused", e.field))


def test_an_entry_and_the_close_decided_at_once_never_leave_an_entry_behind_the_close(
    url: str,
) -> None:
    with opened(url) as ledger:
        a_cycle(ledger)
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [FORK.Process(target=f, args=(url, barrier, out)) for f in (_close, _save)]
    for c in children:
        c.start()
    answers = dict(out.get(timeout=60) for _ in range(2))
    for c in children:
        c.join(30)
    assert "closed" in answers
    with opened(url) as ledger:
        events = ledger.events("JOBA")
        closed = next(e for e in events if e.type_name == "CycleClosed")
        later = [e for e in events if e.position > closed.position]
        assert all(e.business_date > CLOSE for e in later)
        first = ledger.reports.shareout.sheet("JOBA").members[0]
        if "saved" in answers:
            assert first.cash_before == Decimal("1005.00")  # the close counted it
        else:
            assert answers == {"closed": None, "refused": "date"}
            assert first.cash_before == Decimal("1000.00")
        assert audit.audit(ledger).ok
