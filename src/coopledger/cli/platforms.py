"""``coopledger report platform``, ``report bank-loans`` and ``report programme``: a cluster
platform's year, the bank loans it guarantees, and the programme's headline figures."""

from __future__ import annotations

from typing import Any

import click

from coopledger.cli.common import Shown, as_of_day, dated, out, reader, refusals, words
from coopledger.cli.common import table as print_table
from coopledger.i18n import _
from coopledger.reports import to_json


@click.command()
@click.option("--cluster", "code", required=True, help="Cluster code.")
@dated
@click.pass_context
@refusals
def platform(ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str) -> None:
    """A cluster platform: groups, representatives, MoU, register, safety nets, trainings,
    meetings."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    p = _reports(ctx, recorded).clusters.platform(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(p))
        return
    s = Shown(reader(ctx))
    c = p.cluster
    out.print(
        words(
            ctx,
            _(
                "{name} ({code}), ward {ward}, {upazila}: groups {groups}; {households} households",
                name=c.name,
                code=c.code,
                ward=c.ward,
                upazila=c.upazila,
                groups=", ".join(c.groups),
                households=c.households,
            ),
        )
    )
    print_table(
        ctx,
        _("Representatives"),
        [_("group"), _("member"), _("name"), _("gender"), _("well-being"), _("since")],
        [
            [r.group_code, str(r.member_no), r.name, r.gender, r.wellbeing, s.day(r.since)]
            for r in p.representatives
        ],
    )
    out.print(
        words(
            ctx,
            _(
                "By gender: {gender}; by well-being: {wellbeing}",
                gender=", ".join(f"{k} {v}" for k, v in p.representatives_by_gender.items()),
                wellbeing=", ".join(f"{k} {v}" for k, v in p.representatives_by_wellbeing.items()),
            ),
        )
    )
    if p.mou:
        out.print(
            words(
                ctx,
                _(
                    "MoU version {version} signed {day} by {parties}:",
                    version=p.mou.version,
                    day=s.day(p.mou.signed_on),
                    parties=", ".join(x.party for x in p.mou.parties),
                ),
            )
        )
        for commitment in p.mou.commitments:
            out.print(f"  {commitment.no}. ({commitment.party}) {commitment.text}")
    out.print(
        words(
            ctx,
            _(
                "Extreme-poor register: {n} households; safety nets: {applied} "
                "applied, {granted} granted",
                n=len(p.extreme_poor),
                applied=p.safety_nets_applied,
                granted=p.safety_nets_granted,
            ),
        )
    )
    for t in p.trainings:
        members = t.members_female + t.members_male
        others = t.others_female + t.others_male
        out.print(
            words(
                ctx,
                _(
                    "Training {day}: {title}: {n} participants ({members} from the groups, "
                    "{others} from the community; {women} women)",
                    day=s.day(t.held_on),
                    title=t.title,
                    n=members + others,
                    members=members,
                    others=others,
                    women=t.members_female + t.others_female,
                ),
            )
        )
    print_table(
        ctx,
        _("Platform meetings"),
        [_("date"), _("chair"), _("host"), _("present"), _("decisions")],
        [
            [s.day(m.meeting_date), m.chair, m.host, str(m.attended), "; ".join(m.decisions)]
            for m in p.meetings
        ],
    )


@click.command(name="bank-loans")
@click.option("--cluster", "code", required=True, help="Cluster code.")
@dated
@click.pass_context
@refusals
def bank_loans(ctx: click.Context, code: str, as_of: Any, recorded: str | None, fmt: str) -> None:
    """Bank loans the platform guarantees: each borrower's debt, guarantors, what is held."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    report = _reports(ctx, recorded).clusters.bank_loans(code, as_of=as_of_day(as_of))
    if fmt == "json":
        click.echo(to_json(report))
        return
    s = Shown(reader(ctx))
    print_table(
        ctx,
        _("Bank loans guaranteed by {cluster}", cluster=report.cluster),
        [
            _("no"),
            _("lender"),
            _("borrower"),
            _("group"),
            _("principal"),
            _("collected"),
            _("paid over"),
            _("owes the bank"),
            _("bank not yet paid"),
            _("arrears"),
            _("days late"),
            _("guarantors"),
        ],
        [
            [
                str(x.bank_loan_no),
                x.lender,
                x.borrower,
                x.group,
                s.tk(x.principal),
                s.tk(x.collected),
                s.tk(x.paid_over),
                s.tk(x.outstanding),
                s.tk(x.owed_to_bank),
                s.tk(x.arrears),
                s.n(x.days_overdue),
                ", ".join(f"{g.group}/{g.member_no}" for g in x.guarantors),
            ]
            for x in report.loans
        ],
        right=range(4, 11),
    )
    out.print(
        words(
            ctx,
            _(
                "Held for the banks: {held}; paid over: {paid}",
                held=", ".join(f"{k} {s.tk(v)}" for k, v in report.held_for_banks.items()) or "-",
                paid=", ".join(f"{k} {s.tk(v)}" for k, v in report.paid_to_banks.items()) or "-",
            ),
        )
    )


@click.command()
@click.option(
    "--by",
    type=click.Choice(["district", "upazila", "union", "cluster"]),
    default="district",
    help="How the figures are broken down.",
)
@click.option(
    "--clusters", "cluster_set", default="", help="Only these clusters (codes, comma-separated)."
)
@dated
@click.pass_context
@refusals
def programme(
    ctx: click.Context, by: str, cluster_set: str, as_of: Any, recorded: str | None, fmt: str
) -> None:
    """The programme's headline figures by district, upazila, union or cluster."""
    from coopledger.cli.reports import _reports  # noqa: PLC0415

    rows = _reports(ctx, recorded).clusters.programme(
        by=by, as_of=as_of_day(as_of), clusters=[c for c in cluster_set.split(",") if c] or None
    )
    if fmt == "json":
        click.echo(to_json(rows))
        return
    data: list[Any] = [r.as_dict() if hasattr(r, "as_dict") else r for r in rows]
    print_table(
        ctx,
        _("Programme by {by}", by=by),
        [
            by,
            _("clusters"),
            _("groups"),
            _("households"),
            _("members"),
            _("women %"),
            _("extreme poor %"),
            _("applied %"),
            _("received %"),
        ],
        [
            [
                str(d.get("name")),
                str(d.get("clusters")),
                str(d.get("groups")),
                str(d.get("households")),
                str(d.get("members")),
                str(d.get("women_share") or ""),
                str(d.get("extreme_poor_share") or ""),
                str(d.get("applied_share") or ""),
                str(d.get("received_share") or ""),
            ]
            for d in data
        ],
    )
