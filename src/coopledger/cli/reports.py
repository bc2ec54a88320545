"""``coopledger groups`` and ``coopledger report ...``: every report, as of a business date
(``--as-of``) or as the books stood at a recording time (``--as-recorded``), as a table in
the reader's language or as JSON."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from coopledger.cli import LazyGroup
from coopledger.cli.common import (
    Shown,
    as_of_day,
    dated,
    err,
    need,
    open_ledger,
    out,
    reader,
    refusals,
    table,
    words,
)
from coopledger.errors import LedgerError
from coopledger.i18n import _
from coopledger.reports import Reports, to_json


def _reports(ctx: click.Context, recorded: str | None) -> Reports:
    ledger = open_ledger(ctx)
    if recorded is None:
        return ledger.reports
    from coopledger.audit import as_recorded  # noqa: PLC0415
    from coopledger.ledger import DHAKA  # noqa: PLC0415

    try:
        moment = datetime.fromisoformat(recorded)
    except ValueError:
        raise LedgerError(
            _("give an ISO 8601 time, e.g. 2016-03-01T18:00+06:00"),
            field="as-recorded",
            value=recorded,
        ) from None
    view = as_recorded(ledger, moment if moment.tzinfo else moment.replace(tzinfo=DHAKA))
    ctx.call_on_close(view.close)
    return view


def _before_cutoff(ctx: click.Context, who: str, cutoff: date | None) -> bool:
    """Say that a report's day is before the group's cut-off from paper books (instead of
    printing zeros); whether it was."""
    if cutoff is None:
        return False
    from coopledger.cutoff.reports import before_note  # noqa: PLC0415

    out.print(f"{who}: {words(ctx, before_note(cutoff))}")
    return True


@click.command()
@click.option("--district")
@click.option("--upazila")
@click.option("--village")
@click.option("--kind")
@click.option("--cluster", help="A cluster's code: the groups in it now.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@refusals
def groups(ctx: click.Context, /, fmt: str, **filters: str) -> None:
    """List groups."""
    rows = open_ledger(ctx).reports.groups.directory(**{k: v for k, v in filters.items() if v})
    if fmt == "json":
        click.echo(to_json(rows))
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        _("Groups"),
        [
            _("code"),
            _("name"),
            _("village"),
            _("union"),
            _("upazila"),
            _("district"),
            _("cluster"),
            _("formed"),
            _("events"),
        ],
        [
            [
                g.code,
                g.name,
                g.village,
                g.union_name,
                g.upazila,
                g.district,
                g.cluster,
                s.day(g.formed_on),
                s.n(g.events),
            ]
            for g in rows
        ],
        right=[8],
    )


#: Reports defined in other modules, imported when asked for (so that ``report group`` does
#: not import the cluster platforms' and the loans' code): name -> (module, command, help).
ELSEWHERE: dict[str, tuple[str, str, str]] = {
    "platform": (
        "coopledger.cli.platforms",
        "platform",
        "A cluster platform: groups, representatives, MoU, register, safety nets, trainings, "
        "meetings.",
    ),
    "bank-loans": (
        "coopledger.cli.platforms",
        "bank_loans",
        "Bank loans the platform guarantees: each borrower's debt, guarantors, what is held.",
    ),
    "programme": (
        "coopledger.cli.platforms",
        "programme",
        "The programme's headline figures by district, upazila, union or cluster.",
    ),
    "attendance": (
        "coopledger.cli.programme",
        "attendance",
        "Attendance of meetings: members and guests, by gender.",
    ),
    "work-plan": (
        "coopledger.cli.programme",
        "work_plan",
        "A new group's three-month work plan and how far each task got.",
    ),
    "welfare": (
        "coopledger.cli.programme",
        "welfare",
        "The welfare fund: gifts, what it paid for, what it holds.",
    ),
    "programme-loans": (
        "coopledger.cli.programme",
        "programme_loans",
        "Loans from the groups' funds by place or cluster: out, recovered, overdue, PAR30.",
    ),
    "loan-products": (
        "coopledger.cli.loan_products",
        "loan_products",
        "A group's loan products (limits, rate, method, frequency, fine) and its fines.",
    ),
    "agreements": (
        "coopledger.cli.agreements",
        "agreements",
        "A platform's standing agreements: each month due, paid or not; income and its split.",
    ),
    "partners": (
        "coopledger.cli.agreements",
        "partners",
        "A platform's partners and service providers, and what refers to each.",
    ),
}


@click.group(cls=LazyGroup, lazy=ELSEWHERE)
@click.option(
    "--read-db",
    envvar="COOPLEDGER_READ_DB",
    default=None,
    metavar="URL",
    help="Read the report from this PostgreSQL streaming replica of --db (its lag is "
    "printed at the foot).",
)
@click.pass_context
def report(ctx: click.Context, read_db: str | None) -> None:
    """Print a report as of a business date (and, with --as-recorded, as the books stood at
    a recording time)."""
    if read_db:
        ctx.find_root().ensure_object(dict)["read_db"] = read_db
        ctx.call_on_close(lambda: _replica_footer(ctx))


def _replica_footer(ctx: click.Context) -> None:
    """At the foot of a report read from a replica: how far behind the primary it is (on
    standard error, so that a JSON report stays plain JSON)."""
    ledger = ctx.find_root().ensure_object(dict).get("ledger")
    if ledger is None:  # refused before the ledger opened
        return
    found = ledger.replica_lag()
    if found is not None:
        err.print(words(ctx, found.describe()))


@report.command()
@click.option("--group", "code", required=True, help="Group code.")
@click.option("--member", type=int, required=True, help="Member number.")
@dated
@click.pass_context
@refusals
def passbook(
    ctx: click.Context, code: str, member: int, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """A member's passbook: rice saved and bought, cash savings, loans."""
    book = _reports(ctx, recorded).savings.passbook(code, member, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(book))
        return
    if _before_cutoff(ctx, f"{book.group} {book.name}", book.before_cutoff):
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        _("Passbook of {name} (member {no}, {group})", name=book.name, no=member, group=book.group),
        [
            _("date"),
            _("#"),
            _("entry"),
            _("rice saved"),
            _("owed for rice"),
            _("cash savings"),
            _("loan owed"),
        ],
        [
            [
                s.day(ln.business_date),
                s.who.digits_of(str(ln.position)),
                s.text(ln.wording),
                s.kg(ln.total_rice_saved_grams),
                s.tk(ln.owed),
                s.tk(ln.cash_savings),
                s.tk(ln.loan_owed),
            ]
            for ln in book.lines
        ],
        right=[1, 3, 4, 5, 6],
    )
    out.print(
        words(
            ctx,
            _(
                "Rice saved {rice}; rice bought {bought} for {value}, paid {paid}, owes {owed}; "
                "cash savings {cash}; loans: taken {lent}, owed {loan}, overdue {overdue}.",
                rice=s.kg(book.rice_saved_grams),
                bought=s.kg(book.rice_bought_grams),
                value=s.tk(book.bought_value),
                paid=s.tk(book.paid),
                owed=s.tk(book.owed),
                cash=s.tk(book.cash_savings),
                lent=s.tk(book.lent),
                loan=s.tk(book.loan_owed),
                overdue=s.tk(book.loan_overdue),
            ),
        )
    )


@report.command()
@click.option("--group", "code", help="Group code (default: every group).")
@dated
@click.pass_context
@refusals
def group(ctx: click.Context, code: str | None, as_of: Any, recorded: str | None, fmt: str) -> None:
    """A group's position (or every group's)."""
    reports = _reports(ctx, recorded)
    day = as_of_day(as_of)
    codes = [code] if code else [g.code for g in reports.groups.directory()]
    positions = [reports.books.position(c, as_of=day) for c in codes]
    if fmt == "json":
        click.echo(to_json(positions if code is None else positions[0]))
        return
    s = Shown(reader(ctx))
    if code is None:
        table(
            ctx,
            _("Group positions"),
            [
                _("group"),
                _("members"),
                _("rice stock"),
                _("cash in hand"),
                _("owed for rice"),
                _("cash savings"),
                _("rice saved"),
                _("lent out"),
                _("IGA margin"),
            ],
            [
                [
                    f"{p.group} {p.name}",
                    s.n(p.members),
                    s.kg(p.rice_stock_grams),
                    s.tk(p.cash),
                    s.tk(p.receivables),
                    s.tk(p.cash_savings_owed),
                    s.kg(p.rice_savings_grams),
                    s.tk(p.loans_outstanding),
                    s.tk(sum((a.margin for a in p.activities), Decimal(0))),
                ]
                for p in positions
            ],
            right=range(1, 9),
        )
        return
    p = positions[0]
    if _before_cutoff(ctx, f"{p.group} {p.name}", p.before_cutoff):
        return
    rows = [
        [words(ctx, _("members")), s.n(p.members)],
        [words(ctx, _("rice in stock")), s.kg(p.rice_stock_grams)],
        [words(ctx, _("cash in hand")), s.tk(p.cash)],
        [words(ctx, _("owed by members for rice")), s.tk(p.receivables)],
        [words(ctx, _("cash savings owed to members")), s.tk(p.cash_savings_owed)],
        [words(ctx, _("rice savings of members")), s.kg(p.rice_savings_grams)],
        [words(ctx, _("rice sold")), s.kg(p.rice_sold_grams)],
        [words(ctx, _("rice sales")), s.tk(p.rice_sales)],
        [words(ctx, _("grants and donations")), s.tk(p.grants)],
        [words(ctx, _("loans outstanding")), s.tk(p.loans_outstanding)],
        [words(ctx, _("service charge earned")), s.tk(p.service_charge)],
    ]
    rows += [[words(ctx, _("expense: {name}", name=n)), s.tk(v)] for n, v in p.expenses.items()]
    rows += [
        [
            words(ctx, _("{name}: costs / revenue / margin", name=a.name)),
            f"{s.tk(a.costs)} / {s.tk(a.revenue)} / {s.tk(a.margin)}",
        ]
        for a in p.activities
    ]
    table(ctx, f"{p.group} {p.name}", [_("what"), _("amount")], rows, right=[1])


@report.command(name="trial-balance")
@click.option("--group", "code", help="Group code (default: every group together).")
@dated
@click.pass_context
@refusals
def trial_balance(
    ctx: click.Context, code: str | None, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """Every account's balance; per commodity they sum to zero."""
    tb = _reports(ctx, recorded).books.trial_balance(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(tb))
        return
    if _before_cutoff(ctx, tb.group, tb.before_cutoff):
        return
    s = Shown(reader(ctx))
    rows = [
        [
            b.account,
            s.tk(b.balance) if b.commodity == "BDT" else "",  # type: ignore[arg-type]
            s.n(b.balance) if b.commodity == "RICE" else "",
        ]
        for b in tb.rows
    ]
    rows.append(
        [
            words(ctx, _("total")),
            s.tk(tb.totals["BDT"]),  # type: ignore[arg-type]
            s.n(tb.totals["RICE"]),
        ]
    )
    table(
        ctx,
        _("Trial balance {group}", group=tb.group),
        [_("account"), "BDT", "RICE (g)"],
        rows,
        right=[1, 2],
    )


@report.command()
@click.option("--group", "code", required=True, help="Group code.")
@dated
@click.pass_context
@refusals
def reconciliation(
    ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """Each meeting's count of cash and rice against the books, with its seal."""
    reports = _reports(ctx, recorded)
    rec = reports.meetings.reconciliation(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(rec))
        return
    if _before_cutoff(ctx, rec.group, reports.cutoff.before(code, as_of_day(as_of))):
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        _("Meeting counts against the books, {group}", group=rec.group),
        [
            _("meeting"),
            _("attended"),
            _("cash counted"),
            _("cash in books"),
            _("difference"),
            _("rice counted"),
            _("rice in books"),
            _("difference"),
            _("seal"),
            "",
        ],
        [
            [
                s.day(m.meeting_date),
                s.n(m.attended),
                s.tk(m.counted_cash),
                s.tk(m.book_cash),
                s.tk(m.cash_difference),
                s.kg(m.counted_rice_grams),
                s.kg(m.book_rice_grams),
                s.kg(m.rice_difference_grams),
                m.seal,
                "" if m.matches else words(ctx, _("CHECK")),
            ]
            for m in rec.meetings
        ],
        right=range(1, 8),
    )
    out.print(
        words(
            ctx,
            _(
                "{flagged} of {n} meetings differ from the books.",
                flagged=len(rec.flagged),
                n=len(rec.meetings),
            ),
        )
    )


@report.command()
@click.option("--group", "code", required=True, help="Group code.")
@dated
@click.pass_context
@refusals
def members(ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str) -> None:
    """A group's members and their roles."""
    rows = _reports(ctx, recorded).groups.members(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(rows))
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        _("Members of {group}", group=code.upper()),
        [
            _("no"),
            _("name"),
            _("household"),
            _("community"),
            _("well-being"),
            _("joined"),
            _("left"),
            _("roles"),
        ],
        [
            [
                s.who.digits_of(str(m.member_no)),
                m.name,
                m.household,
                m.community,
                m.wellbeing,
                s.day(m.joined_on),
                s.day(m.left_on),
                ", ".join(m.roles),
            ]
            for m in rows
        ],
    )


@report.command()
@click.option("--group", "code", required=True, help="Group code.")
@click.option("--member", type=int, help="One member's loans.")
@dated
@click.pass_context
@refusals
def loans(
    ctx: click.Context, code: str, member: int | None, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """A group's loans: paid, outstanding, arrears, days late, status."""
    reports = _reports(ctx, recorded)
    rows = reports.loans.loans(code, as_of=as_of_day(as_of), member=member)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    if _before_cutoff(ctx, code.upper(), reports.cutoff.before(code, as_of_day(as_of))):
        return
    s = Shown(reader(ctx))
    table(
        ctx,
        _("Loans of {group}", group=code.upper()),
        [
            _("loan"),
            _("member"),
            _("disbursed"),
            _("principal"),
            _("paid"),
            _("charge paid"),
            _("outstanding"),
            _("arrears"),
            _("days late"),
            _("fines owed"),
            _("status"),
        ],
        [
            [
                str(x.loan_no),
                str(x.member_no),
                s.day(x.disbursed_on),
                s.tk(x.principal),
                s.tk(x.principal_paid),
                s.tk(x.charge_paid),
                s.tk(x.outstanding),
                s.tk(x.arrears),
                s.n(x.days_overdue),
                s.tk(x.fines_owed),
                x.status,
            ]
            for x in rows
        ],
        right=range(3, 10),
    )


@report.command()
@click.option("--group", "code", help="One group.")
@click.option("--cluster", "cluster_code", help="The groups of a cluster.")
@click.option("--upazila", default=None, help="The groups of an upazila.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="What was collected since this date.",
)
@dated
@click.pass_context
@refusals
def portfolio(
    ctx: click.Context,
    code: str | None,
    cluster_code: str | None,
    upazila: str | None,
    since: Any,
    as_of: Any,
    recorded: str | None,
    fmt: str,
) -> None:
    """Loan portfolio: outstanding, overdue, PAR30, collected, written off."""
    reports = _reports(ctx, recorded)
    if code:
        codes = [code.upper()]
    elif cluster_code:
        found = reports.clusters.cluster(cluster_code)
        codes = list(found.groups) if found else []
    else:
        codes = [g.code for g in reports.groups.directory(upazila=upazila or "")]
    p = reports.loans.portfolio(codes, as_of=as_of_day(as_of), since=as_of_day(since))
    if fmt == "json":
        click.echo(to_json(p))
        return
    s = Shown(reader(ctx))
    out.print(
        words(
            ctx,
            _(
                "Groups {groups}: {loans} loans ({open} open), outstanding {outstanding}, overdue "
                "{overdue}, PAR30 {par} %, collected {collected}, written off {written}",
                groups=", ".join(codes),
                loans=p.loans,
                open=p.open,
                outstanding=s.tk(p.outstanding),
                overdue=s.tk(p.overdue),
                par=p.par30,
                collected=s.tk(p.collected),
                written=s.tk(p.written_off),
            ),
        )
    )


@report.command()
@dated
@click.pass_context
@refusals
def clusters(ctx: click.Context, as_of: Any, recorded: str | None, fmt: str) -> None:
    """Clusters and the groups in them."""
    rows = _reports(ctx, recorded).clusters.clusters(as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(rows))
        return
    table(
        ctx,
        _("Clusters"),
        [
            _("code"),
            _("name"),
            _("ward"),
            _("union"),
            _("upazila"),
            _("district"),
            _("villages"),
            _("households"),
            _("groups"),
        ],
        [
            [
                c.code,
                c.name,
                c.ward,
                c.union_name,
                c.upazila,
                c.district,
                ", ".join(c.villages),
                str(c.households),
                ", ".join(c.groups),
            ]
            for c in rows
        ],
    )


def _need_cluster(code: str | None) -> str:
    return str(need(code, "--cluster"))


__all__ = ["groups", "report"]
