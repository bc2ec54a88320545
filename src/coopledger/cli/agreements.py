"""``coopledger report agreements`` and ``report partners``: a cluster platform's standing
agreements (what fell due month by month, paid or not; income and its split) and its
register of partners and service providers."""

from __future__ import annotations

from typing import Any

import click

from coopledger.cli.common import Shown, as_of_day, dated, out, reader, refusals, words
from coopledger.cli.common import table as print_table
from coopledger.clusters.agreement_reports import Partner
from coopledger.i18n import Message, _
from coopledger.reports import to_json

#: The words the books store as codes, in the reader's language.
WORDS = {
    "paid": _("paid"),
    "partly paid": _("partly paid"),
    "unpaid": _("unpaid"),
    "not due yet": _("not due yet"),
    "split": _("split"),
    "first-party": _("all to the first party"),
    "union-council": _("union council"),
    "bank": _("bank"),
    "line-agency": _("line agency"),
    "service-provider": _("service provider"),
    "ngo": _("NGO"),
    "donor": _("donor"),
    "other": _("other"),
}


def said(code: str) -> Any:
    return WORDS.get(code, code)


@click.command()
@click.option("--cluster", "code", required=True, help="Cluster code.")
@dated
@click.pass_context
@refusals
def agreements(ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str) -> None:
    """A platform's standing agreements: each month due, paid or not; income and its split."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    report = _reports(ctx, recorded).agreements.agreements(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(report))
        return
    s = Shown(reader(ctx))
    for a in report.agreements:
        if a.kind == "payment":
            print_table(
                ctx,
                _(
                    "Agreement {no}: {title}, {amount} a month to {party}",
                    no=a.agreement_no,
                    title=a.title,
                    amount=s.tk(a.monthly),
                    party=a.party,
                ),
                [_("month"), _("from"), _("due on"), _("amount"), _("paid"), _("status")],
                [
                    [
                        s.n(m.no),
                        s.day(m.starts_on),
                        s.day(m.due_on),
                        s.tk(m.amount),
                        s.tk(m.paid),
                        s.text(said(m.status)),
                    ]
                    for m in a.months
                ],
                right=(0, 3, 4),
            )
            out.print(
                words(
                    ctx,
                    _(
                        "Due {due}, paid {paid}, arrears {arrears}",
                        due=s.tk(a.due),
                        paid=s.tk(a.paid),
                        arrears=s.tk(a.arrears),
                    ),
                )
            )
            continue
        print_table(
            ctx,
            _(
                "Agreement {no}: {title}, shared {shares} from {day}",
                no=a.agreement_no,
                title=a.title,
                shares=" : ".join(f"{x['party']} {x['share']}" for x in a.shares),
                day=s.day(a.split_from),
            ),
            [_("booked"), _("source"), _("amount"), _("rule"), _("split")],
            [
                [
                    s.day(i.booked_on),
                    i.source,
                    s.tk(i.taka),
                    s.text(said(i.rule)),
                    ", ".join(f"{p['party']} {s.tk(p['taka'])}" for p in i.split),
                ]
                for i in a.income
            ],
            right=(2,),
        )
    out.print(words(ctx, _("The platform's cash: {cash}", cash=s.tk(report.cash))))


@click.command()
@click.option("--cluster", "code", required=True, help="Cluster code.")
@dated
@click.pass_context
@refusals
def partners(ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str) -> None:
    """A platform's partners and service providers, and what refers to each."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    report = _reports(ctx, recorded).partners.register(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(report))
        return
    s = Shown(reader(ctx))
    print_table(
        ctx,
        _("Partners of {cluster}", cluster=report.cluster),
        [_("no"), _("kind"), _("name"), _("contact"), _("services"), _("linked"), _("owed")],
        [
            [
                s.n(p.partner_no),
                s.text(said(p.kind)),
                p.name,
                p.contact,
                ", ".join(p.services),
                "; ".join(s.text(x) for x in linked(p)),
                s.tk(p.owed),
            ]
            for p in report.partners
        ],
        right=(0, 6),
    )


def linked(p: Partner) -> list[Message]:
    """What refers to a partner, by number: ``bank loans 1, 2; trainings 3``."""
    out = []
    for numbers, label in (
        (p.bank_loans, _("bank loans {numbers}", numbers=", ".join(map(str, p.bank_loans)))),
        (p.safety_nets, _("applications {numbers}", numbers=", ".join(map(str, p.safety_nets)))),
        (p.trainings, _("trainings {numbers}", numbers=", ".join(map(str, p.trainings)))),
        (p.agreements, _("agreements {numbers}", numbers=", ".join(map(str, p.agreements)))),
    ):
        if numbers:
            out.append(label)
    return out
