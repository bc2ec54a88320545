"""Snapshots are as trustworthy as the log: one edited by hand is not used (the rules are
decided on state rebuilt from the events) and ``audit`` reports it; one edited by someone
who also recomputed its digest is still found by ``audit``, which rebuilds the state from
the events and checks the rules on the replayed books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from coopledger import Ledger, RuleBroken, audit
from coopledger.commands import SaveCash
from coopledger.kernel import snapshots
from coopledger.kernel.streams import Timeline
from coopledger.testing import D1, D2, fixed_clock, seed_group


def _long_group(ledger: Ledger) -> None:
    seed_group(ledger)
    ledger.execute_all(
        [
            SaveCash(group="JOBA", member=1 + i % 3, taka=Decimal("1.00"), date=D1, key=f"s{i}")
            for i in range(snapshots.INTERVAL + 5)
        ]
    )
    ledger.receive_grant("JOBA", source="ALRD", purpose="inputs", taka="100", date=D1)


def _edit_snapshot(ledger: Ledger, *, redigest: bool) -> None:
    """Raise the cash in the group's latest snapshot by 1,00,000 Tk, by hand."""
    store: Any = ledger.app.snapshots
    sid = ledger.load("JOBA").id
    (row,) = store.recorder.select_events(sid, desc=True, limit=1)
    snapshot: Any = ledger.app.mapper.to_domain_event(row)
    state = dict(snapshot.state)
    cash: Timeline = state["balances"]["Assets:Cash"]
    cash.add(cash.days[-1], 10_000_000)
    values = dict(vars(snapshot))
    values["state"] = state
    if redigest:
        values["digest"] = snapshots.digest(state)
    forged = snapshots.StreamSnapshot(**values)
    stored = ledger.app.mapper.to_stored_event(forged)
    table = ledger.db.table(store.recorder.events_table_name)
    param: Any = sid.hex if ledger.db.dialect == "sqlite" else sid
    with ledger.db.cursor(commit=True) as c:
        c.execute(
            ledger.db.sql(
                f"UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?"
            ),
            (stored.state, param, row.originator_version),
        )


def test_a_snapshot_edited_by_hand_is_not_used_and_audit_reports_it(any_ledger: Ledger) -> None:
    if any_ledger.config.setting == ":memory:":
        pytest.skip("needs a second ledger on the same store")
    _long_group(any_ledger)
    assert any_ledger.snapshot_check("JOBA") is not None
    _edit_snapshot(any_ledger, redigest=False)
    with Ledger(any_ledger.config.setting, clock=fixed_clock) as fresh:
        check = fresh.snapshot_check("JOBA")
        assert check is not None and "digest" in check.problem
        with pytest.raises(RuleBroken) as info:  # the box holds 305 Tk, not 1,00,305
            fresh.pay_expense("JOBA", category="stationery", payee="shop", taka="5000", date=D2)
        assert "305.00" in str(info.value)
        found = audit.audit(fresh)
        assert not found.ok
        assert "digest" in next(s.snapshot for s in found.streams if s.snapshot)


def test_a_forged_snapshot_with_its_digest_is_still_found_by_audit(any_ledger: Ledger) -> None:
    _long_group(any_ledger)
    _edit_snapshot(any_ledger, redigest=True)
    with Ledger(any_ledger.config.setting, clock=fixed_clock) as fresh:
        # The forged state fools the rules, and the log now holds an overdraft ...
        fresh.pay_expense("JOBA", category="stationery", payee="shop", taka="5000", date=D2)
        found = audit.audit(fresh)
        assert not found.ok
        stream = next(s for s in found.streams if s.group == "JOBA")
        # ... which the audit finds twice: the snapshot is not what the events build, and
        # the replayed books break the rules.
        assert "not what the events build" in stream.snapshot
        assert [p.account for p in stream.rules] == ["Assets:Cash"]


def test_a_snapshot_of_an_earlier_shape_is_not_used(any_ledger: Ledger) -> None:
    _long_group(any_ledger)
    from coopledger.groups.aggregate import Group  # noqa: PLC0415

    Group.state_version += 1
    try:
        with Ledger(any_ledger.config.setting, clock=fixed_clock) as fresh:
            check = fresh.snapshot_check("JOBA")
            assert check is not None and "shape" in check.problem
            assert fresh.reports.books.position("JOBA").cash == Decimal("305.00")
            fresh.pay_expense("JOBA", category="stationery", payee="shop", taka="5", date=D2)
    finally:
        Group.state_version -= 1


def test_cash_savings_by_snapshot_equal_those_by_events(any_ledger: Ledger) -> None:
    _long_group(any_ledger)
    with Ledger(any_ledger.config.setting, clock=fixed_clock) as fresh:
        by_snapshot: Any = fresh.load("JOBA")
        folded: Any = None
        for e in fresh.events("JOBA"):
            folded = e.mutate(folded)
        assert snapshots.digest(snapshots.state_of(by_snapshot)) == snapshots.digest(
            snapshots.state_of(folded)
        )
