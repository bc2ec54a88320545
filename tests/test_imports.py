"""The shape of the imports: no cycle between the web layer's modules, each of them imports
on its own in a fresh interpreter, and plugins use only coopweb's public names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, package: str) -> set[str]:
    """The modules of ``package`` that ``path`` imports, anywhere in it (at the top, in a
    function, under TYPE_CHECKING): ``from coopweb.x import y`` is coopweb.x, or coopweb.x.y
    when that is a module (``from coopweb import hookspecs`` does not run ``coopweb``'s
    ``__init__`` again, it is under way)."""
    here = module_name(path)
    modules = {module_name(p) for p in (SRC / package).rglob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative
                parent = here.split(".")[: -node.level or None]
                base = ".".join([*parent, base] if base else parent)
            submodules = {f"{base}.{a.name}" for a in node.names} & modules
            found |= submodules
            if len(submodules) < len(node.names):  # a name defined in the module itself
                found.add(base)
    return {m for m in found if m in modules and m != here}


def graph(package: str) -> dict[str, set[str]]:
    return {module_name(p): imported(p, package) for p in sorted((SRC / package).rglob("*.py"))}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from where it closes)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            walk(start, [start])
    return found


def test_the_web_layer_has_no_import_cycle() -> None:
    edges = graph("coopweb")
    assert "coopweb.application" in edges["coopweb.api"]
    assert cycles(edges) == []
    # The check can fail: the cycle this module once had (app and api importing each other).
    mutual = cycles({**edges, "coopweb.api": {*edges["coopweb.api"], "coopweb.app"}})
    assert [sorted(set(c)) for c in mutual] == [["coopweb.api", "coopweb.app"]]


@pytest.mark.parametrize("module", sorted(graph("coopweb")))
def test_each_web_module_imports_on_its_own(module: str) -> None:
    """In a fresh interpreter, so that no other module imported first hides a cycle."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def coopweb_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import of coopweb in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("coopweb")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "coopweb":
            out.append((node.lineno, node.module or "", [a.name for a in node.names]))
    return out


def private_uses(path: Path, public: set[str]) -> list[str]:
    """Imports in ``path`` reaching past ``coopweb``'s public names."""
    return [
        f"{path.name}:{line}: {module} {names}"
        for line, module, names in coopweb_imports(path)
        if module != "coopweb" or not set(names) <= public
    ]


def test_plugins_import_only_coopwebs_public_names(tmp_path: Path) -> None:
    import coopweb  # noqa: PLC0415

    public = set(coopweb.__all__)
    assert {"Coopweb", "Resource", "Panel", "hookimpl"} <= public
    sources = sorted(ROOT.glob("plugins/*/src/**/*.py"))
    assert len({p.parts[len(ROOT.parts) + 1] for p in sources}) == 3  # every plugin looked at
    assert [u for p in sources for u in private_uses(p, public)] == []
    # The check can fail: what the plugins did before this contract.
    old = tmp_path / "old_style.py"
    old.write_text("from coopweb import Panel\nfrom coopweb.app import page, readable_group\n")
    assert private_uses(old, public) == ["old_style.py:2: coopweb.app ['page', 'readable_group']"]
