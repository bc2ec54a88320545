"""One home per fact: every event type and line kind defines all it must, a type that lacks
something fails when it is defined, every one is documented, and a new event type added in
a module of its own reaches the whole ledger (the worked example of docs/architecture.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from coopledger.events import EVENT_TYPES, LINES
from coopledger.kernel.commands import COMMANDS
from coopledger.kernel.events import REQUIRED, LedgerEvent
from coopledger.kernel.lines import WORDS, Line

ROOT = Path(__file__).resolve().parent.parent


def test_every_event_type_defines_its_behaviour_and_a_docstring() -> None:
    for name, cls in EVENT_TYPES.items():
        for method in REQUIRED:
            assert getattr(cls, method) is not getattr(LedgerEvent, method), (name, method)
        assert cls.__doc__ and cls.__doc__.strip(), name
        assert cls.TOPIC.endswith("/" + name)


def test_an_event_type_without_postings_fails_when_it_is_defined() -> None:
    with pytest.raises(TypeError, match="does not define postings"):

        class Forgetful(LedgerEvent):
            """A fact that forgot to say what it posts."""

            def apply(self, aggregate: object) -> None:
                pass

            def project(self, rows: object) -> None:
                pass

            def describe(self) -> object:  # type: ignore[override]
                return "x"


def test_every_line_kind_has_its_wording_and_every_passbook_entry_too() -> None:
    for kind, cls in LINES.items():
        for method in ("postings", "passbook", "describe", "check", "words"):
            assert method in {n for c in cls.__mro__ if c is not Line for n in vars(c)}, (
                kind,
                method,
            )
        assert kind in WORDS
    for entry in ("loan", "write_off", "reversal", "adjustment"):
        assert entry in WORDS


def test_every_command_is_in_the_import_schema_and_the_docs() -> None:
    schema = (ROOT / "docs" / "schema" / "commands.schema.json").read_text()
    docs = (ROOT / "docs" / "import.md").read_text() + (ROOT / "docs" / "api.md").read_text()
    for name, cls in COMMANDS.items():
        if not cls.__module__.startswith("coopledger."):
            continue  # a plugin's: documented by the plugin (the next test)
        assert f'"{name}"' in schema, name
        assert f"`{name}`" in docs, f"docs/import.md or api.md lacks `{name}`"


def test_every_plugin_command_and_event_type_is_in_its_plugin_readme() -> None:
    readmes = {p.name: (p / "README.md").read_text() for p in (ROOT / "plugins").iterdir()}
    found = 0
    for registry in (COMMANDS, EVENT_TYPES):
        for name, cls in registry.items():
            package = cls.__module__.split(".")[0]
            if package == "coopledger":
                continue
            plugin = package.removeprefix("coopledger_").removeprefix("coopweb_")
            assert f"`{name}`" in readmes[plugin], f"plugins/{plugin}/README.md lacks `{name}`"
            found += 1
    assert found, "the vermicompost plugin's capability is not installed"


def test_a_new_event_type_in_a_module_of_its_own_reaches_the_whole_ledger() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    example = re.search(r"^```py\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert example is not None
    program = (
        example.group(1)
        + """
from datetime import date
from coopledger import Ledger, audit
from coopledger.testing import D1, fixed_clock, seed_group

with Ledger(":memory:", clock=fixed_clock) as ledger:
    seed_group(ledger)
    ledger.deposit_rice("JOBA", member=1, grams=3000, date=D1)
    receipt = ledger.lend_rice("JOBA", member=2, grams=1000, date=D1)
    assert ledger.reports.books.position("JOBA").rice_stock_grams == 2000
    event = ledger.events("JOBA")[-1]
    assert event.TOPIC == "coopledger/RiceLent"
    assert str(event.describe()) == "Member 2 borrowed 1.000 kg of rice"
    balances = ledger.reports.books.trial_balance("JOBA")
    assert balances.totals["RICE"] == 0
    assert audit.audit(ledger).ok
    try:
        ledger.lend_rice("JOBA", member=2, grams=5000, date=D1)
    except Exception as e:
        assert "not enough rice" in str(e)
    else:
        raise AssertionError("lent more rice than the sack held")
print("ok")
"""
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
