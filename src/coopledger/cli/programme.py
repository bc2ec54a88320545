"""``coopledger report attendance``, ``report work-plan``, ``report welfare`` and ``report
programme-loans``: who came to meetings, a new group's work plan, the welfare fund, and the
programme's loans by place (see docs/reports.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from coopledger.cli.common import Shown, as_of_day, dated, out, reader, refusals, words
from coopledger.cli.common import table as print_table
from coopledger.errors import InvalidInput
from coopledger.i18n import _, number
from coopledger.reports import to_json


def _since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("since", value, _("must be a date (YYYY-MM-DD)")) from None


@click.command()
@click.option("--group", "code", default=None, help="Group code (its weekly meetings).")
@click.option("--cluster", default=None, help="Cluster code (its platform meetings).")
@click.option("--since", default=None, metavar="D", help="Only meetings on or after D.")
@dated
@click.pass_context
@refusals
def attendance(
    ctx: click.Context,
    code: str | None,
    cluster: str | None,
    since: str | None,
    as_of: Any,
    recorded: str | None,
    fmt: str,
) -> None:
    """Attendance of meetings: members and guests, by gender."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    area = _reports(ctx, recorded).attendance
    if (code is None) == (cluster is None):
        raise InvalidInput("group", code, _("name a group (--group) or a cluster (--cluster)"))
    day = as_of_day(as_of)
    a = (
        area.weekly(code, since=_since(since), as_of=day)
        if code
        else area.platform(str(cluster), since=_since(since), as_of=day)
    )
    if fmt == "json":
        click.echo(to_json(a))
        return
    s = Shown(reader(ctx))
    rows = [*a.meetings, *a.trainings, a.totals]
    print_table(
        ctx,
        _("Attendance: {stream}", stream=a.stream),
        [
            _("date"),
            _("meeting"),
            _("women members"),
            _("men members"),
            _("absent"),
            _("women guests"),
            _("men guests"),
            _("other guests"),
            _("total"),
        ],
        [
            [
                s.day(r.meeting_date) if r.meeting_date else "",
                words(ctx, _("total")) if r.what == "total" else r.what,
                s.n(r.members["female"]),
                s.n(r.members["male"] + r.members["other"]),
                "" if r.absent is None else s.n(r.absent),
                s.n(r.guests["female"]),
                s.n(r.guests["male"]),
                s.n(r.guests["other"]),
                s.n(r.total),
            ]
            for r in rows
        ],
        right=range(2, 9),
    )
    if a.women_share is not None:
        out.print(words(ctx, _("Women among all present: {share} %", share=a.women_share)))


@click.command("work-plan")
@click.option("--group", "code", required=True, help="Group code.")
@click.option("--start", default=None, metavar="YYYY-MM", help="The plan's first month.")
@dated
@click.pass_context
@refusals
def work_plan(
    ctx: click.Context, code: str, start: str | None, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """A new group's three-month work plan and how far each task got."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415
    from coopledger.plans.work_plan import status_name  # noqa: PLC0415

    plan = _reports(ctx, recorded).work_plans.plan(code, start, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(plan))
        return
    if plan is None:
        out.print(words(ctx, _("No work plan yet.")))
        return
    print_table(
        ctx,
        _("Work plan of {code} from {start}", code=plan.group, start=plan.start),
        [_("No."), _("task"), _("responsible"), _("month"), _("status"), _("note")],
        [
            [str(t.no), t.task, t.responsible, t.month, words(ctx, status_name(t.status)), t.note]
            for t in plan.tasks
        ],
    )
    out.print(words(ctx, _("{done} of {n} tasks done", done=plan.done, n=len(plan.tasks))))


@click.command()
@click.option("--group", "code", required=True, help="Group code.")
@dated
@click.pass_context
@refusals
def welfare(ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str) -> None:
    """The welfare fund: gifts, what it paid for, what it holds."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415
    from coopledger.welfare import use_name  # noqa: PLC0415

    fund = _reports(ctx, recorded).welfare.fund(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(fund))
        return
    s = Shown(reader(ctx))
    print_table(
        ctx,
        _("Welfare fund of {code}", code=fund.group),
        [_("date"), _("entry"), _("for or from"), _("taka")],
        [
            [
                s.day(e.entry_date),
                words(ctx, use_name(e.use)) if e.kind == "use" else words(ctx, _("gift")),
                e.source or " ".join(x for x in (str(e.member_no or ""), e.name, e.household) if x),
                s.tk(e.taka),
            ]
            for e in fund.entries
        ],
        right=[3],
    )
    out.print(
        words(
            ctx,
            _(
                "Gifts {gifts}, paid out {paid}, the fund holds {balance}",
                gifts=s.tk(fund.gifts),
                paid=s.tk(fund.paid),
                balance=s.tk(fund.balance),
            ),
        )
    )


@click.command("programme-loans")
@click.option(
    "--by",
    type=click.Choice(["district", "upazila", "union", "cluster"]),
    default="district",
    help="Group the figures by place or cluster.",
)
@dated
@click.pass_context
@refusals
def programme_loans(
    ctx: click.Context, by: str, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """Loans from the groups' funds by place or cluster: out, recovered, overdue, PAR30."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    report = _reports(ctx, recorded).programme.loans(by=by, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(report))
        return
    s = Shown(reader(ctx))
    print_table(
        ctx,
        _("Loans by {by}", by=by),
        [
            by,
            _("groups"),
            _("loans"),
            _("disbursed"),
            _("recovered"),
            _("outstanding"),
            _("overdue"),
            _("PAR30 %"),
        ],
        [
            [
                r.name or words(ctx, _("total")),
                s.n(r.groups),
                s.n(r.loans),
                s.tk(r.disbursed),
                s.tk(r.recovered),
                s.tk(r.outstanding),
                s.tk(r.overdue),
                number(r.par30, reader(ctx), places=2),
            ]
            for r in [*report.rows, report.total]
        ],
        right=range(1, 8),
    )
