"""``coopledger approvals``: a group's entries waiting for a second signature, approving
and rejecting them (as ``--user``), and the group's rules for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from coopledger.cli.common import Shown, open_ledger, out, reader, refusals, words
from coopledger.cli.common import table as print_table
from coopledger.i18n import _
from coopledger.reports import to_json

#: How each status reads.
STATUSES = {"waiting": _("waiting"), "approved": _("approved"), "rejected": _("rejected")}


def _day(value: datetime | None, ledger: Any) -> Any:
    return value.date() if value else ledger.today()


@click.group()
def approvals() -> None:
    """Entries waiting for a second signature (maker-checker)."""


@approvals.command(name="list")
@click.argument("group")
@click.option(
    "--status",
    type=click.Choice(["waiting", "approved", "rejected"]),
    default=None,
    help="Only these (default: every entry that needed a second signature).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@refusals
def list_(ctx: click.Context, group: str, status: str | None, fmt: str) -> None:
    """A group's entries that needed a second signature, newest first."""
    found = open_ledger(ctx).reports.approvals.entries(group, status=status)
    if fmt == "json":
        click.echo(to_json(found))
        return
    s = Shown(reader(ctx))
    print_table(
        ctx,
        _("Second signatures"),
        [
            _("entry"),
            _("command"),
            _("made by"),
            _("dated"),
            _("status"),
            _("decided by"),
            _("reason"),
        ],
        [
            [
                s.n(a.entry_no),
                a.command_name,
                a.maker,
                s.day(a.asked_on),
                words(ctx, STATUSES.get(a.status, a.status)),
                a.checker,
                a.reason,
            ]
            for a in found
        ],
    )


@approvals.command()
@click.argument("group")
@click.argument("entry", type=int)
@click.option(
    "--date",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Business date of the approval (default: today).",
)
@click.option("--key", default=None, help="Idempotency key.")
@click.pass_context
@refusals
def approve(
    ctx: click.Context, group: str, entry: int, on: datetime | None, key: str | None
) -> None:
    """Approve waiting ENTRY as --user (not its maker): it is recorded now."""
    ledger = open_ledger(ctx)
    receipt = ledger.approve_entry(group, entry=entry, date=_day(on, ledger), key=key)
    out.print(
        words(ctx, _("Entry {no} approved and recorded; seal {seal}", no=entry, seal=receipt.seal))
    )


@approvals.command()
@click.argument("group")
@click.argument("entry", type=int)
@click.option("--reason", required=True, help="Why it is rejected.")
@click.option(
    "--date",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Business date of the rejection (default: today).",
)
@click.option("--key", default=None, help="Idempotency key.")
@click.pass_context
@refusals
def reject(
    ctx: click.Context, group: str, entry: int, reason: str, on: datetime | None, key: str | None
) -> None:
    """Reject waiting ENTRY with a reason: nothing of it is recorded."""
    ledger = open_ledger(ctx)
    ledger.reject_entry(group, entry=entry, reason=reason, date=_day(on, ledger), key=key)
    out.print(words(ctx, _("Entry {no} rejected: nothing of it is recorded", no=entry)))


@approvals.command()
@click.argument("group")
@click.option(
    "--command",
    "commands",
    multiple=True,
    help="A command that needs a second signature (repeat; default: the documented list).",
)
@click.option("--none", "nothing", is_flag=True, help="No entry needs a second signature.")
@click.option("--loan-limit", default=None, help="Loans above this (taka) need one.")
@click.option("--every-loan", is_flag=True, help="Every loan needs one, whatever its size.")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.pass_context
@refusals
def rules(
    ctx: click.Context,
    group: str,
    commands: tuple[str, ...],
    nothing: bool,
    loan_limit: str | None,
    every_loan: bool,
    on: datetime | None,
) -> None:
    """Record which entries of GROUP need a second signature."""
    ledger = open_ledger(ctx)
    fields: dict[str, Any] = {"date": _day(on, ledger)}
    if commands or nothing:
        fields["commands"] = list(commands)
    if every_loan:
        fields["loan_limit"] = None
    elif loan_limit is not None:
        fields["loan_limit"] = loan_limit  # read (and refused) by the command
    receipt = ledger.set_approval_rules(group, **fields)
    event = ledger.event(group, receipt.last)
    out.print(words(ctx, event.describe()))
