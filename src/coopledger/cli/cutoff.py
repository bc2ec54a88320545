"""``coopledger cutoff seal|show``: a group that kept paper books joins with a cut-off
sheet (``docs/cutoff.md``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coopledger.cli.common import Shown, open_ledger, out, reader, refusals, table, words
from coopledger.i18n import _


@click.group()
def cutoff() -> None:
    """A group's paper books brought in as opening balances."""


@cutoff.command()
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Check that the sheet adds up; write nothing.")
@click.pass_context
@refusals
def seal(ctx: click.Context, code: str, file: Path, check: bool) -> None:
    """Seal the cut-off sheet in FILE (.csv or .xlsx) for group CODE (once per group)."""
    from coopledger.cutoff.files import seal_sheet  # noqa: PLC0415

    ledger = open_ledger(ctx)
    seal_sheet(ledger, code, file.read_bytes(), file.name, check=check)
    if check:
        out.print(words(ctx, _("The sheet adds up; nothing was written.")))
        return
    found = ledger.reports.cutoff.sheet(code)
    if found is None:  # sealed earlier under another key: the refusal said why
        return
    out.print(
        words(
            ctx,
            _(
                "Cut-off of {group} sealed on {day}: its books are kept here from that day.",
                group=found.group,
                day=found.cut_off,
            ),
        )
    )


@cutoff.command()
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@refusals
def show(ctx: click.Context, code: str, fmt: str) -> None:
    """Show group CODE's sealed cut-off sheet: its totals and the loans carried in."""
    from coopledger.reports import plain  # noqa: PLC0415

    found = open_ledger(ctx).reports.cutoff.sheet(code)
    if fmt == "json":
        out.print_json(json.dumps(plain(found)))
        return
    if found is None:
        out.print(words(ctx, _("{group} has no cut-off: its books began here.", group=code)))
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        _("Cut-off of {group} on {day}", group=found.group, day=found.cut_off),
        [_("Item"), _("Amount")],
        [
            [s.text(_("Cash")), s.tk(found.cash)],
            [s.text(_("Rice stock")), s.kg(found.rice_stock_grams)],
            [s.text(_("The group's fund")), s.tk(found.group_fund)],
            [s.text(_("The group's rice")), s.kg(found.group_rice_grams)],
            [s.text(_("Members on the sheet")), s.n(found.members)],
            [s.text(_("Approved by")), found.approved_by],
        ],
        right=(1,),
    )
    if found.loans:
        table(
            ctx,
            _("Loans carried in"),
            [_("Loan"), _("Member"), _("Outstanding"), _("Paper register"), _("Next due")],
            [
                [
                    s.n(x.loan_no),
                    s.n(x.member_no),
                    s.tk(x.outstanding),
                    x.paper_ref,
                    s.day(x.next_due),
                ]
                for x in found.loans
            ],
            right=(0, 1, 2),
        )
