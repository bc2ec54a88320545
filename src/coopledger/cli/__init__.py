"""The ``coopledger`` command line: reports, import, audit, exports, the web server.

Every command takes ``--db`` (a path or a ``postgresql://`` URL; default ``COOPLEDGER_DB``,
else ``coopledger.db``) and ``--lang bn|en`` (default ``COOPLEDGER_LANG``, else the
system's ``LANG``) with ``--digits beng|latn``. A refused command prints what was wrong,
naming the field and the value, and exits with status 2; nothing is written.

Commands live in small modules imported only when they run, so ``coopledger --help`` and a
report do not pay for the web, PostgreSQL or export code.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import click

from coopledger import __version__

#: name -> (module, attribute, one-line help): the command line's table of contents.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("coopledger.cli.records", "demo", "Build the demo ledger."),
    "groups": ("coopledger.cli.reports", "groups", "List groups."),
    "report": ("coopledger.cli.reports", "report", "Print a report as of a business date."),
    "import": ("coopledger.cli.records", "import_", "Record a JSON Lines file of commands."),
    "rebuild": ("coopledger.cli.records", "rebuild", "Rebuild every projection."),
    "schema": ("coopledger.cli.records", "schema", "Print the import file's JSON Schema."),
    "approvals": (
        "coopledger.cli.approvals",
        "approvals",
        "Entries waiting for a second signature.",
    ),
    "audit": ("coopledger.cli.audit", "audit", "Check chains, projections, snapshots, rules."),
    "verify": ("coopledger.cli.audit", "verify", "Re-walk the hash chains (prove a seal)."),
    "replay": ("coopledger.cli.audit", "replay", "Replay the events; compare projections."),
    "export": ("coopledger.cli.audit", "export", "Export the log, the reports or Beancount."),
    "serve": ("coopledger.cli.serve", "serve", "Serve the web pages and the JSON API."),
    "field": ("coopledger.cli.field", "field", "Take groups' books to a laptop in the field."),
    "sync": ("coopledger.cli.field", "sync", "Sync a field laptop's books with the office."),
    "plugins": ("coopledger.cli.plugins", "plugins", "List installed plugins and their hooks."),
    "backup": ("coopledger.cli.operations", "backup", "Copy the whole ledger into one file."),
    "restore": ("coopledger.cli.operations", "restore", "Put a backup back; verify; print seals."),
    "shareout": ("coopledger.cli.shareout", "shareout", "Close a savings cycle; share-out sheets."),
    "cutoff": ("coopledger.cli.cutoff", "cutoff", "Bring a group's paper books in (cut-off)."),
}
#: Plugins add commands through entry points in this group (``name = "module:command"``).
ENTRY_POINT_GROUP = "coopledger.cli"


class LazyGroup(click.Group):
    """A group whose commands (some or all) are imported when used, from a table of
    ``name -> (module, attribute, one-line help)``; plugins' commands, when an entry-point
    group is named, are found the same way."""

    def __init__(
        self,
        *args: Any,
        lazy: dict[str, tuple[str, str, str]] | None = None,
        entry_point_group: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}
        self.entry_point_group = entry_point_group

    def _plugins(self, name: str | None = None) -> list[Any]:
        if self.entry_point_group is None:
            return []
        from importlib.metadata import entry_points  # noqa: PLC0415 - only when asked

        if name is None:
            return list(entry_points(group=self.entry_point_group))
        return list(entry_points(group=self.entry_point_group, name=name))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy, *(e.name for e in self._plugins())})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in self.lazy:
            module, attribute, _help = self.lazy[cmd_name]
            found: Any = getattr(importlib.import_module(module), attribute)
            return found  # type: ignore[no-any-return]
        for e in self._plugins(cmd_name):
            loaded: Any = e.load()
            return loaded  # type: ignore[no-any-return]
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        helps = {n: c.get_short_help_str(formatter.width) for n, c in self.commands.items()}
        helps |= {n: h for n, (_m, _a, h) in self.lazy.items()}
        rows = sorted(helps.items())
        rows += [(e.name, f"(plugin {e.value})") for e in self._plugins()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS, entry_point_group=ENTRY_POINT_GROUP)
@click.option(
    "--db",
    envvar="COOPLEDGER_DB",
    default=None,
    metavar="PATH|URL",
    help="SQLite file or postgresql:// URL (default: coopledger.db).",
)
@click.option(
    "--user",
    envvar="COOPLEDGER_USER",
    default=None,
    help="Who is recording (default: your login name).",
)
@click.option(
    "--lang",
    envvar="COOPLEDGER_LANG",
    default=None,
    metavar="bn|en",
    help="The language of reports and messages (default: from LANG).",
)
@click.option(
    "--digits",
    envvar="COOPLEDGER_DIGITS",
    default=None,
    type=click.Choice(["latn", "beng"]),
    help="Latin or Bengali digits.",
)
@click.version_option(__version__, prog_name="coopledger")
@click.pass_context
def main(
    ctx: click.Context, db: str | None, user: str | None, lang: str | None, digits: str | None
) -> None:
    """coopledger: books of savings groups and cluster platforms, kept as events."""
    ctx.ensure_object(dict).update(
        db=db, user=user, lang=lang or os.environ.get("LANG", ""), digits=digits
    )


__all__ = ["COMMANDS", "main"]
