"""``coopledger compost GROUP``: a group's vermicompost month by month, on the command line.

Added to ``coopledger`` through the ``coopledger.cli`` entry point of this distribution:
a plugin's command is an ordinary click command using the library's CLI helpers.
"""

from __future__ import annotations

from datetime import datetime

import click

from coopledger.cli.common import Shown, as_of_day, open_ledger, out, reader, refusals, table
from coopledger.reports import to_json
from coopledger_vermicompost import Activity


@click.command()
@click.argument("code")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Business date YYYY-MM-DD (default: everything recorded).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@refusals
def compost(ctx: click.Context, code: str, as_of: datetime | None, fmt: str) -> None:
    """A group's vermicompost: inputs bought, compost harvested and sold, each month."""
    ledger = open_ledger(ctx)
    act: Activity = ledger.reports.vermicompost.activity(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(act))
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        f"Vermicompost of {act.group}",
        ["month", "inputs", "harvested", "sold", "sales"],
        [
            [m.month, s.tk(m.inputs), s.kg(m.harvested_grams), s.kg(m.sold_grams), s.tk(m.sales)]
            for m in act.months
        ],
        right=(1, 2, 3, 4),
    )
    out.print(
        f"margin {s.tk(act.margin)} Tk, in stock {s.kg(act.stock_grams)} "
        f"({len(act.entries)} entries)"
    )
