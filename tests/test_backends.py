"""The ledger contract (coopledger.testing) on SQLite (a file and ``:memory:``) and on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coopledger import Ledger
from coopledger.testing import LedgerContract, fixed_clock


class TestOnSQLite(LedgerContract):
    @pytest.fixture
    def ledger(self, sqlite_ledger: Ledger) -> Ledger:
        return sqlite_ledger


class TestInMemory(LedgerContract):
    """``:memory:`` has one connection that writes, and no reader while it does."""

    @pytest.fixture
    def ledger(self) -> Iterator[Ledger]:
        with Ledger(":memory:", clock=fixed_clock, user="tester") as ledger:
            yield ledger


@pytest.mark.postgres
class TestOnPostgreSQL(LedgerContract):
    @pytest.fixture
    def ledger(self, pg_ledger: Ledger) -> Ledger:
        return pg_ledger


@pytest.mark.postgres
def test_a_rebuild_works_out_rows_outside_its_transactions(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL ends a session left idle in a transaction (eventsourcing sets
    ``idle_in_transaction_session_timeout``, 5 s by default): a batch of meetings takes
    seconds of Python to project, so the rows are worked out before each transaction opens.
    Here the timeout is 1 s and working out each batch's rows takes 1.5 s (each of its
    three events 0.5 s: a rebuild makes its rows event by event, between transactions)."""
    import time  # noqa: PLC0415
    from datetime import date  # noqa: PLC0415

    from coopledger.commands import Deposit, RecordMeeting  # noqa: PLC0415
    from coopledger.kernel.projection import Rows  # noqa: PLC0415

    monkeypatch.setenv("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", "1")
    with Ledger(pg_url, clock=fixed_clock, user="tester") as ledger:
        ledger.form_group(
            "SLOW",
            name="Slow",
            kind="women",
            meeting_day="friday",
            district="Dinajpur",
            upazila="Chirirbandar",
            village="Mohalbari",
            date=date(2016, 1, 1),
        )
        ledger.join_member(
            "SLOW",
            name="Amena",
            household="H1",
            gender="female",
            landless=True,
            wellbeing="poor",
            date=date(2016, 1, 1),
        )
        ledger.execute(
            RecordMeeting(
                group="SLOW",
                date=date(2016, 1, 1),
                attendance=[1],
                deposits=[Deposit(member=1, grams=1500)],
            )
        )
        fast = Rows.event

        def event(self: Rows, e: object) -> None:
            time.sleep(0.5)
            fast(self, e)  # type: ignore[arg-type]

        monkeypatch.setattr(Rows, "event", event)
        assert ledger.rebuild_projections() == 3
        monkeypatch.setattr(Rows, "event", fast)
        (amena,) = ledger.reports.savings.member_totals("SLOW")
        assert amena.rice_saved_grams == 1500
