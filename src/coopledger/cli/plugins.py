"""``coopledger plugins``: what is installed: the capabilities plugins add to the books
(their event types and commands), the commands they add here, and the web plugins with
the hooks each implements (when the ``web`` extra is installed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from coopledger.cli.common import out, table


def _web() -> tuple[list[dict[str, Any]], str]:
    """The web plugins, as ``/-/plugins.json`` lists them; or why there are none."""
    try:
        from coopweb.app import web_plugins  # noqa: PLC0415 - the web extra is optional
        from coopweb.plugins import inventory  # noqa: PLC0415
    except ImportError as e:
        return [], f"the web extra is not installed ({e.name or e})"
    found: list[dict[str, Any]] = inventory(web_plugins())["web"]
    return found, ""


def _section(
    ctx: click.Context, title: str, columns: list[str], rows: Sequence[Sequence[str]]
) -> None:
    if rows:
        table(ctx, title, columns, rows)
    else:
        out.print(f"{title}: none installed.")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    help="A table for people, or JSON (as /-/plugins.json).",
)
@click.pass_context
def plugins(ctx: click.Context, fmt: str) -> None:
    """List installed plugins: capabilities of the books, commands, and web plugins with
    the hooks each implements."""
    from coopledger.capabilities import installed  # noqa: PLC0415

    listing: dict[str, Any] = dict(installed())
    listing["web"], missing = _web()
    if fmt == "json":
        click.echo(json.dumps(listing, indent=2))
        return
    _section(
        ctx,
        "Capabilities of the books (coopledger.capabilities)",
        ["name", "distribution", "version", "event types", "commands"],
        [
            [
                c["name"],
                c["distribution"],
                c["version"],
                ", ".join(c["events"]),
                f"did not load: {c['error']}" if c["error"] else ", ".join(c["commands"]),
            ]
            for c in listing["capabilities"]
        ],
    )
    _section(
        ctx,
        "Commands (coopledger.cli)",
        ["command", "defined in", "distribution", "version"],
        [[c["name"], c["target"], c["distribution"], c["version"]] for c in listing["commands"]],
    )
    if missing:
        out.print(f"Web plugins: none listed, {missing}.")
        return
    _section(
        ctx,
        "Web plugins (coopweb.plugins) and their hooks",
        ["plugin", "distribution", "version", "hooks"],
        [
            [
                p["name"] + (" (core)" if p["builtin"] else ""),
                p["distribution"],
                p["version"],
                ", ".join(h.removeprefix("coopweb_") for h in p["hooks"]),
            ]
            for p in listing["web"]
        ],
    )


__all__ = ["plugins"]
