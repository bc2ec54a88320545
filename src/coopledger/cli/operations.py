"""``coopledger backup`` and ``coopledger restore``: the office's copy of its books."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from coopledger.cli.common import err, open_ledger, out, refusals, words
from coopledger.i18n import _

if TYPE_CHECKING:
    from coopledger.kernel.storage import StoreConfig


def _store(ctx: click.Context) -> StoreConfig:
    from coopledger.kernel.storage import StoreConfig  # noqa: PLC0415

    return StoreConfig.parse(ctx.find_root().ensure_object(dict).get("db"))


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.pass_context
@refusals
def backup(ctx: click.Context, file: Path, force: bool) -> None:
    """Copy the whole ledger into FILE while the office keeps working (SQLite's online
    backup; pg_dump for PostgreSQL)."""
    from coopledger.backup import backup as make  # noqa: PLC0415

    config = _store(ctx)
    made = make(config, file, force=force)
    size = f"{made.size / 2**20:.1f} MiB"
    if made.events is None:
        out.print(
            words(
                ctx,
                _(
                    "{db} (schema {schema}) copied to {file} ({size}, pg_dump custom format)",
                    db=config.display,
                    schema=made.schema,
                    file=str(made.path),
                    size=size,
                ),
            )
        )
    else:
        out.print(
            words(
                ctx,
                _(
                    "{db} copied to {file} ({size}, {n} events)",
                    db=config.display,
                    file=str(made.path),
                    size=size,
                    n=made.events,
                ),
            )
        )


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a ledger that already holds events.")
@click.pass_context
@refusals
def restore(ctx: click.Context, file: Path, force: bool) -> None:
    """Put the backup FILE back into the ledger (--db), then verify every hash chain and
    print each stream's head seal, to compare with the paper minutes."""
    from coopledger.audit import verify  # noqa: PLC0415
    from coopledger.backup import restore as put_back  # noqa: PLC0415
    from coopledger.cli.audit import _report_chains  # noqa: PLC0415

    config = _store(ctx)
    put_back(config, file, force=force)
    err.print(words(ctx, _("{file} restored into {db}", file=str(file), db=config.display)))
    result = verify(open_ledger(ctx))
    _report_chains(ctx, result)
    if not result.ok:
        out.print("[bold red]" + words(ctx, _("the restored ledger does NOT verify")) + "[/]")
        sys.exit(1)
    out.print(
        words(
            ctx,
            _(
                "{streams} streams, {n} events: every chain intact. Compare the head seals "
                "above with the last seals in the paper minutes.",
                streams=len(result.streams),
                n=result.events,
            ),
        )
    )
