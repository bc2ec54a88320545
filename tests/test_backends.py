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
