"""The docs stay true: their Python examples run, and they name every event and command."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import click
import pytest

from coopledger import EVENT_TYPES, command_schema
from coopledger.cli import main
from coopledger.kernel.commands import is_core

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    "doc", [d for d in DOCS if BLOCK.search(d.read_text())], ids=lambda d: d.name
)
def test_python_examples_run(doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # The blocks run as one module, known to sys.modules (Litestar reads a handler's
    # annotations from its module).
    module = types.ModuleType(f"docs_{doc.stem}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for i, block in enumerate(BLOCK.findall(doc.read_text())):
        code = compile(block, f"{doc.name} (python block {i + 1})", "exec")
        exec(code, module.__dict__)  # noqa: S102 - our own documentation


def test_every_event_type_is_documented() -> None:
    text = (ROOT / "docs" / "events.md").read_text()
    # coopledger's own events; a plugin documents its events in its own README (see
    # tests/test_registry.py).
    core = {name: cls for name, cls in EVENT_TYPES.items() if is_core(cls)}
    assert "RiceDeposited" in core
    missing = [name for name in core if f"### {name}" not in text]
    assert missing == [], f"docs/events.md lacks a section for {missing}"
    for name, cls in core.items():
        section = text.split(f"### {name}", 1)[1].split("\n### ", 1)[0]
        for field in cls.__annotations__:
            assert f"`{field}`" in section, f"docs/events.md: {name} lacks `{field}`"


def cli_commands() -> list[str]:
    """Every command the command line offers, as it lists them (the lazy group's
    ``main.commands`` is empty: its commands are imported when used), with the
    subcommands of a group as ``report passbook``."""
    ctx = click.Context(main)
    out: list[str] = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None, name
        out.append(name)
        if isinstance(command, click.Group):
            out += [f"{name} {sub}" for sub in command.list_commands(ctx)]
    return out


def undocumented(names: list[str], text: str) -> list[str]:
    """Commands docs/cli.md lacks: a command needs its section (``## coopledger audit``),
    a subcommand a line of usage (``coopledger report passbook ...``)."""

    def documented(name: str) -> bool:
        line = f"## coopledger {name}" if " " not in name else f"coopledger {name}"
        return re.search(rf"^{re.escape(line)}( |$)", text, re.MULTILINE) is not None

    return [name for name in names if not documented(name)]


def test_every_cli_command_is_documented() -> None:
    from coopledger.cli import COMMANDS  # noqa: PLC0415

    text = (ROOT / "docs" / "cli.md").read_text()
    names = cli_commands()
    core = [n for n in names if n.split()[0] in COMMANDS]
    assert {"import", "report", "report passbook", "report bank-loans", "plugins"} <= set(core)
    assert undocumented(core, text) == [], "docs/cli.md lacks these commands"
    # The check can fail: a command whose section is missing is named.
    assert undocumented(core, text.replace("## coopledger rebuild\n", "")) == ["rebuild"]
    # Plugins' commands are documented in their own README, with a line of usage.
    readmes = "\n".join(p.read_text() for p in sorted(ROOT.glob("plugins/*/README.md")))
    added = [n for n in names if n.split()[0] not in COMMANDS]
    assert "compost" in added
    lacking = [
        n for n in added if not re.search(rf"^coopledger {re.escape(n)}( |$)", readmes, re.M)
    ]
    assert lacking == [], "a plugin's README lacks these commands"


def test_published_command_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "schema" / "commands.schema.json").read_text())
    assert published == command_schema(core_only=True), (
        "regenerate: coopledger schema --core > docs/schema/commands.schema.json"
    )
    # Installed plugins' commands are in the full schema, not in the published one.
    everything = command_schema()["discriminator"]["mapping"]
    assert set(command_schema(core_only=True)["discriminator"]["mapping"]) <= set(everything)


def test_every_web_hook_is_documented_with_its_signature() -> None:
    import inspect  # noqa: PLC0415

    from coopweb import hookspecs  # noqa: PLC0415

    text = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [n for n in dir(hookspecs) if n.startswith("coopweb_")]
    assert hooks
    for name in hooks:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### {name}({params})" in text, f"docs/plugins.md lacks {name}({params})"
