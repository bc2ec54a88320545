"""Schemathesis against the served OpenAPI: every JSON API operation, with cases generated
from its schema (valid ones and ones that break it), for an animator's token and an
auditor's, never answers a 5xx (issue 12). Each operation and mode is one test; hypothesis
keeps the cases few so that the suite stays quick (``COOPLEDGER_FUZZ_EXAMPLES=200`` for a
longer run)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from coopledger import Ledger
from coopledger.testing import D1, D2, fixed_clock, seed_group
from coopweb import create_app

EXAMPLES = int(os.environ.get("COOPLEDGER_FUZZ_EXAMPLES", "6"))
SCHEMA = "/schema/openapi.json"
PASSWORD = "a-long-password"


def serve(folder: Path) -> tuple[Any, Ledger, dict[str, str]]:
    """The app over a small ledger (a group, a cluster), and a token per role."""
    ledger = Ledger(str(folder / "books.db"), clock=fixed_clock, user="tester")
    seed_group(ledger, "JOBA", members=3)
    ledger.deposit_rice("JOBA", member=1, grams=1400, date=D2)
    ledger.form_cluster(
        "CP1",
        name="Cluster one",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Mohalbari"],
        households=150,
        date=D1,
    )
    ledger.join_cluster("CP1", group="JOBA", date=D1)
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts = app.state.accounts
    tokens = {}
    for name, role, groups in (("rina", "animator", ["JOBA"]), ("audit", "auditor", [])):
        accounts.save(name, role=role, password=PASSWORD, groups=groups)
        user = accounts.user(name)
        assert user is not None
        tokens[role] = accounts.issue_token(user).token
    return app, ledger, tokens


def _labels() -> list[str]:
    """Every operation the served schema names (read once, from a throwaway ledger)."""
    with tempfile.TemporaryDirectory() as folder:
        app, ledger, _ = serve(Path(folder))
        try:
            schema = schemathesis.openapi.from_asgi(SCHEMA, app)
            return sorted(op.ok().label for op in schema.get_all_operations())
        finally:
            ledger.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    app, ledger, tokens = serve(tmp_path)
    yield app, tokens
    ledger.close()


@pytest.mark.parametrize("label", _labels())
def test_no_operation_answers_a_server_error(
    served: tuple[Any, dict[str, str]], label: str
) -> None:
    app, tokens = served
    operation = schemathesis.openapi.from_asgi(SCHEMA, app).find_operation_by_label(label)
    assert operation is not None, label
    # cases the schema allows, and cases that break it (where it can be broken: an
    # operation taking any text has none, and the draw then comes from the first)
    strategy = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def calls(data: st.DataObject) -> None:
        case = data.draw(strategy)
        for token in tokens.values():
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
            )

    calls()
