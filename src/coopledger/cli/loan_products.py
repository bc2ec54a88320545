"""``coopledger report loan-products``: a group's loan products and the fines charged and
paid on its loans."""

from __future__ import annotations

from typing import Any

import click

from coopledger.cli.common import Shown, as_of_day, dated, reader, refusals
from coopledger.cli.common import table as print_table
from coopledger.i18n import _, number
from coopledger.loans.lending import FREQUENCIES, METHODS
from coopledger.loans.products import fine_words
from coopledger.reports import to_json


@click.command(name="loan-products")
@click.option("--group", "code", required=True, help="Group code.")
@dated
@click.pass_context
@refusals
def loan_products(
    ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """A group's loan products (limits, rate, method, frequency, fine) and its fines."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    reports = _reports(ctx, recorded).loans
    day = as_of_day(as_of)
    products, fines = reports.products(code, as_of=day), reports.fines(code, as_of=day)
    if fmt == "json":
        click.echo(to_json({"products": products, "fines": fines}))
        return
    s = Shown(reader(ctx))
    print_table(
        ctx,
        _("Loan products of {group}", group=code.upper()),
        [
            _("name"),
            _("smallest"),
            _("largest"),
            _("rate"),
            _("method"),
            _("paid"),
            _("instalments"),
            _("fine"),
        ],
        [
            [
                p.name,
                s.tk(p.min_principal),
                s.tk(p.max_principal),
                f"{number(p.rate, s.who, places=2)} %",
                s.text(METHODS.get(p.method, p.method)),
                s.text(FREQUENCIES.get(p.frequency, p.frequency)),
                f"{s.n(p.min_instalments)}-{s.n(p.max_instalments)}",
                s.text(fine_words(p.fine)),
            ]
            for p in products
        ],
        right=range(1, 4),
    )
    print_table(
        ctx,
        _("Fines of {group}", group=code.upper()),
        [_("day"), _("loan"), _("member"), _("instalment due"), _("fined"), _("paid")],
        [
            [
                s.day(f.on),
                s.n(f.loan_no),
                s.n(f.member_no),
                s.day(f.due) if f.due else "",
                s.tk(f.taka) if f.kind == "fine" else "",
                s.tk(f.taka) if f.kind == "paid" else "",
            ]
            for f in fines
        ],
        right=range(4, 6),
    )
