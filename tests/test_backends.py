"""The ledger contract (coopledger.testing) on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from coopledger import Ledger
from coopledger.testing import LedgerContract


class TestOnSQLite(LedgerContract):
    @pytest.fixture
    def ledger(self, sqlite_ledger: Ledger) -> Ledger:
        return sqlite_ledger


@pytest.mark.postgres
class TestOnPostgreSQL(LedgerContract):
    @pytest.fixture
    def ledger(self, pg_ledger: Ledger) -> Ledger:
        return pg_ledger
