"""``coopledger shareout ...``: close a group's savings cycle (or preview the close), print a
cycle's share-out sheet, reverse a close (``docs/shareout.md``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from coopledger.cli.common import Shown, open_ledger, out, reader, refusals, table, words
from coopledger.i18n import _, number

if TYPE_CHECKING:
    from coopledger.shareout.reports import ShareOutSheet


def show_sheet(ctx: click.Context, sheet: ShareOutSheet, fmt: str) -> None:
    """A sheet as a table in the reader's language, or as JSON."""
    if fmt == "json":
        from coopledger.reports import to_json  # noqa: PLC0415

        out.print_json(to_json(sheet))
        return
    from coopledger.shareout.cycle import LOAN_RULES, WEIGHTINGS  # noqa: PLC0415

    s = Shown(reader(ctx))
    out.print(
        words(
            ctx,
            _(
                "{group}: savings cycle {cycle}, {first} to {last}; shared by {weighting}; {loans}",
                group=f"{sheet.group} {sheet.name}",
                cycle=sheet.cycle_no,
                first=s.day(sheet.started_on),
                last=s.day(sheet.closed_on),
                weighting=s.text(WEIGHTINGS[sheet.weighting]),
                loans=s.text(LOAN_RULES[sheet.loans]),
            ),
        )
    )
    if sheet.reversed_on is not None:
        out.print(words(ctx, _("This close was reversed on {day}.", day=s.day(sheet.reversed_on))))
    parts: list[tuple[Any, str]] = [(_("Service charge"), s.tk(sheet.service_charge))]
    parts += [(_("Activity {name}", name=n), s.tk(v)) for n, v in sheet.activities.items()]
    parts += [(_("Other income"), s.tk(sheet.other_income))]
    parts += [(_("Expense {name}", name=n), s.tk(-v)) for n, v in sheet.expenses.items()]
    parts += [
        (_("Loans written off"), s.tk(-sheet.write_offs)),
        (_("Surplus shared out"), s.tk(sheet.surplus)),
        (_("Grants (kept in the group fund)"), s.tk(sheet.grants)),
        (_("Rice sold, settled to its savers"), s.kg(sheet.rice_sold_grams)),
        (_("What that rice fetched"), s.tk(sheet.rice_sold_taka)),
    ]
    table(ctx, _("The cycle's books"), ["", _("Amount")], [[words(ctx, a), b] for a, b in parts],
          right=[1])  # fmt: skip
    table(
        ctx,
        _("Share-out sheet"),
        [
            _("No."),
            _("Name"),
            _("Cash savings"),
            _("Rice savings"),
            _("Weight (per 100)"),
            _("Surplus share"),
            _("Rice settled"),
            _("For her rice sold"),
            _("Cash savings carried"),
            _("Rice savings carried"),
            _("Loan repaid from savings"),
            _("Loan carried"),
        ],
        [
            [
                s.n(m.member_no),
                m.name,
                s.tk(m.cash_before),
                s.kg(m.rice_before),
                number(m.percent, s.who, places=2),
                s.tk(m.surplus),
                s.kg(m.rice_grams),
                s.tk(m.rice_taka),
                s.tk(m.cash_after),
                s.kg(m.rice_after),
                s.tk(m.loan_repaid),
                s.tk(m.loan_owed),
            ]
            for m in sheet.members
        ],
        right=[0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    )


@click.group()
def shareout() -> None:
    """Close a group's savings cycle and share out its surplus."""


DATE = click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
    help="Business date YYYY-MM-DD.",
)  # fmt: skip
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")


@shareout.command()
@click.argument("group")
@DATE
@click.option("--weighting", default="savings_days", help="savings_days (default) or savings.")
@click.option("--loans", default="carry", help="carry (default), settle or deduct.")
@click.option("--surplus", default=None, help="The surplus the group counted (checked).")
@click.option("--key", default=None, help="Idempotency key.")
@click.option("--preview", is_flag=True, help="Show what the close would do; write nothing.")
@FORMAT
@click.pass_context
@refusals
def close(
    ctx: click.Context,
    group: str,
    day: datetime,
    weighting: str,
    loans: str,
    surplus: str | None,
    key: str | None,
    preview: bool,
    fmt: str,
) -> None:
    """Close GROUP's savings cycle on --date and print its share-out sheet."""
    from coopledger.kernel.commands import validated  # noqa: PLC0415
    from coopledger.shareout.cycle import CloseCycle  # noqa: PLC0415
    from coopledger.shareout.reports import sheet_of  # noqa: PLC0415

    ledger = open_ledger(ctx)
    fields: dict[str, Any] = {"group": group, "date": day.date(), "weighting": weighting}
    fields.update(loans=loans, surplus=surplus, key=key)
    command = validated(CloseCycle, **fields)
    if preview:
        [event] = ledger.preview(command)
        info = ledger.reports.groups.group(group)
        sheet = sheet_of(
            {**event.content(), "closed_on": event.business_date},
            info.code,
            info.name,
            ledger.reports.shareout.names(group),
        )
        out.print(words(ctx, _("Preview: nothing was written.")))
        show_sheet(ctx, sheet, fmt)
        return
    receipt = ledger.execute(command)
    show_sheet(ctx, ledger.reports.shareout.sheet(group, receipt.result), fmt)


@shareout.command()
@click.argument("group")
@click.option("--cycle", type=int, default=None, help="The cycle's number (default: the last).")
@FORMAT
@click.pass_context
@refusals
def sheet(ctx: click.Context, group: str, cycle: int | None, fmt: str) -> None:
    """Print the share-out sheet of one of GROUP's closed cycles."""
    show_sheet(ctx, open_ledger(ctx).reports.shareout.sheet(group, cycle), fmt)


@shareout.command()
@click.argument("group")
@click.option("--cycle", type=int, required=True, help="The cycle whose close to reverse.")
@click.option("--reason", required=True, help="Why the close is reversed.")
@DATE
@click.pass_context
@refusals
def reverse(ctx: click.Context, group: str, cycle: int, reason: str, day: datetime) -> None:
    """Reverse the close of GROUP's last closed cycle (every share taken back)."""
    ledger = open_ledger(ctx)
    ledger.reverse_cycle_close(group, cycle=cycle, reason=reason, date=day.date())
    out.print(words(ctx, _("The close of cycle {cycle} was reversed.", cycle=cycle)))
