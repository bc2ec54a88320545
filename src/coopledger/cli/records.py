"""``coopledger demo``, ``import``, ``rebuild`` and ``schema``: filling the books and keeping
their projections."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coopledger.cli.common import open_ledger, out, refusals, words
from coopledger.i18n import _


@click.command()
@click.option("--fresh", is_flag=True, help="Delete an existing SQLite file first.")
@click.pass_context
@refusals
def demo(ctx: click.Context, fresh: bool) -> None:
    """Build the demo ledger (four Chirirbandar groups, a year of Friday meetings, their
    cluster platform and two more clusters)."""
    from coopledger import demo as demo_module  # noqa: PLC0415

    db = ctx.find_root().obj.get("db")
    if fresh and not (db or "").startswith("postgres"):
        path = Path(db or "coopledger.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    ledger = open_ledger(ctx)
    with out.status(words(ctx, _("Recording a year of weekly meetings ..."))) as status:
        counts = demo_module.build(ledger, progress=status.update)
    clusters = sum(1 for s in counts if s.startswith("CLUSTER:"))
    out.print(
        words(
            ctx,
            _(
                "Demo ledger in {db}: {events} events in {groups} groups and {clusters} clusters; "
                "its 'today' is {today}.",
                db=ledger.config.display,
                events=sum(counts.values()),
                groups=len(counts) - clusters,
                clusters=clusters,
                today=ledger.today(),
            ),
        )
    )
    from coopledger.cli.reports import group  # noqa: PLC0415

    ctx.invoke(group, code=None, as_of=None, recorded=None, fmt="table")


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@refusals
def import_(ctx: click.Context, file: Path) -> None:
    """Record the commands in a JSON Lines FILE: all checked first, all in one transaction;
    running it again records nothing twice."""
    from coopledger.importer import import_file  # noqa: PLC0415

    receipts = import_file(open_ledger(ctx), file)
    new = sum(1 for r in receipts if not r.replayed)
    out.print(
        words(
            ctx,
            _(
                "{n} command(s) read: {new} recorded, {old} already recorded before "
                "(same key and content).",
                n=len(receipts),
                new=new,
                old=len(receipts) - new,
            ),
        )
    )


@click.command()
@click.pass_context
@refusals
def rebuild(ctx: click.Context) -> None:
    """Rebuild every projection from the first event (beside the live tables, swapped in at
    the end: writers may go on)."""
    ledger = open_ledger(ctx)
    with out.status(words(ctx, _("Replaying events ..."))):
        count = ledger.rebuild_projections()
    out.print(words(ctx, _("Rebuilt the projections from {n} events.", n=count)))


@click.command()
@click.option(
    "--core",
    "core_only",
    is_flag=True,
    help="Only coopledger's own commands (as docs/schema/commands.schema.json publishes).",
)
def schema(core_only: bool) -> None:
    """Print the JSON Schema of one line of an import file (plugins' commands included)."""
    import coopledger.capabilities  # noqa: F401, PLC0415
    from coopledger.kernel.commands import command_schema  # noqa: PLC0415

    click.echo(json.dumps(command_schema(core_only=core_only), indent=2))
