"""Fixtures: fresh ledgers on SQLite and on PostgreSQL.

PostgreSQL tests use a new schema per test on the server named by ``COOPLEDGER_TEST_PG``
(default ``postgresql://postgres@127.0.0.1:5432/test``). Without a server they skip with a
one-line reason, except under ``CI=true``, where they must run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("coopledger.testing")

from coopledger import Ledger  # noqa: E402
from coopledger.testing import fixed_clock  # noqa: E402

PG_URL = os.environ.get("COOPLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_reason() -> str | None:
    try:
        import psycopg  # noqa: PLC0415
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    try:
        with psycopg.connect(PG_URL.split("?")[0], connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"no PostgreSQL at {PG_URL}: {str(e).splitlines()[0]}"


_PG_REASON = _postgres_reason()


def require_postgres() -> None:
    if _PG_REASON is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is unavailable: {_PG_REASON}")
        pytest.skip(_PG_REASON)


def drop_schema(schema: str) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(PG_URL.split("?")[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh, empty schema (dropped afterwards)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_URL.split('?')[0]}?schema={schema}"
    drop_schema(schema)


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(str(tmp_path / "books.db"), clock=fixed_clock, user="tester") as ledger:
        yield ledger


@pytest.fixture
def pg_ledger(pg_url: str) -> Iterator[Ledger]:
    with Ledger(pg_url, clock=fixed_clock, user="tester") as ledger:
        yield ledger


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_ledger(request: pytest.FixtureRequest) -> Ledger:
    """The same test on both back ends."""
    name = "sqlite_ledger" if request.param == "sqlite" else "pg_ledger"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
