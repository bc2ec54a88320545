"""The docs stay true: their Python examples run, and they name every event and command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coopledger import EVENT_TYPES, command_schema
from coopledger.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("doc", [d for d in DOCS if BLOCK.search(d.read_text())],
                         ids=lambda d: d.name)
def test_python_examples_run(doc: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{doc.stem}"}
    for i, block in enumerate(BLOCK.findall(doc.read_text())):
        code = compile(block, f"{doc.name} (python block {i + 1})", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation


def test_every_event_type_is_documented() -> None:
    text = (ROOT / "docs" / "events.md").read_text()
    missing = [name for name in EVENT_TYPES if f"### {name}" not in text]
    assert missing == [], f"docs/events.md lacks a section for {missing}"
    for name, cls in EVENT_TYPES.items():
        section = text.split(f"### {name}", 1)[1].split("\n### ", 1)[0]
        for field in cls.__annotations__:
            assert f"`{field}`" in section, f"docs/events.md: {name} lacks `{field}`"


def test_every_cli_command_is_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    missing = [name for name in main.commands if f"coopledger {name}" not in text]
    assert missing == []


def test_published_command_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "schema" / "commands.schema.json").read_text())
    assert published == command_schema(), (
        "regenerate: coopledger schema > docs/schema/commands.schema.json")


def test_every_web_hook_is_documented_with_its_signature() -> None:
    import inspect  # noqa: PLC0415

    from coopweb import hookspecs  # noqa: PLC0415

    text = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [n for n in dir(hookspecs) if n.startswith("coopweb_")]
    assert hooks
    for name in hooks:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### {name}({params})" in text, f"docs/plugins.md lacks {name}({params})"
