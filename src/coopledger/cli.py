"""The ``coopledger`` command line: demo, reports, import, rebuild.

Every command takes ``--db`` (a path or a ``postgresql://`` URL; default ``COOPLEDGER_DB``,
else ``coopledger.db``). A refused command prints what was wrong, naming the field and the
value, and exits with status 2; nothing is written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from coopledger import audit, exports
from coopledger import demo as demo_module
from coopledger.commands import command_schema
from coopledger.errors import LedgerError
from coopledger.importer import import_file
from coopledger.integrity import seal
from coopledger.ledger import DHAKA, BatchRefused, Ledger
from coopledger.money import format_grams, format_taka
from coopledger.reports import to_json

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
# Piped output (CI logs, files) gets a wide page instead of rich's 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False)


def refusals(func: F) -> F:
    """Turn the ledger's refusals into a readable message and exit status 2."""
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BatchRefused as e:
            err.print(f"[bold red]refused[/]: {len(e.errors)} problem(s); nothing was written")
            for line, problem in e.errors:
                err.print(f"  line {line + 1}: {problem}")
            sys.exit(2)
        except LedgerError as e:
            err.print(f"[bold red]refused[/]: {e}; nothing was written")
            sys.exit(2)
    return wrapper  # type: ignore[return-value]


def _open(ctx: click.Context) -> Ledger:
    obj = ctx.ensure_object(dict)
    if "ledger" not in obj:
        obj["ledger"] = Ledger(obj.get("db"), user=obj.get("user"))
        ctx.call_on_close(obj["ledger"].close)
    return obj["ledger"]  # type: ignore[no-any-return]


@click.group()
@click.option("--db", envvar="COOPLEDGER_DB", default=None, metavar="PATH|URL",
              help="SQLite file or postgresql:// URL (default: coopledger.db).")
@click.option("--user", envvar="COOPLEDGER_USER", default=None,
              help="Who is recording (default: your login name).")
@click.version_option(package_name="coopledger")
@click.pass_context
def main(ctx: click.Context, db: str | None, user: str | None) -> None:
    """coopledger: books of savings groups and cluster platforms, kept as events."""
    ctx.ensure_object(dict).update(db=db, user=user)


@main.command()
@click.option("--fresh", is_flag=True, help="Delete an existing SQLite file first.")
@click.pass_context
@refusals
def demo(ctx: click.Context, fresh: bool) -> None:
    """Build the demo ledger (four Chirirbandar groups, a year of Friday meetings)."""
    db = ctx.obj.get("db")
    if fresh and not (db or "").startswith("postgres"):
        path = Path(db or "coopledger.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    ledger = _open(ctx)
    with out.status("Recording a year of weekly meetings ...") as status:
        counts = demo_module.build(ledger, progress=lambda c: status.update(f"{c} recorded"))
    clusters = sum(1 for s in counts if s.startswith("cluster:"))
    out.print(f"Demo ledger in [bold]{ledger.config.display}[/]: "
              f"{sum(counts.values()):,} events in {len(counts) - clusters} groups and "
              f"{clusters} clusters.\n")
    _positions_table(ledger, None)


def _positions_table(ledger: Ledger, as_of: date | None) -> None:
    table = Table(title="Group positions" + (f" as of {as_of}" if as_of else ""))
    for col in ("group", "village", "members", "rice stock", "cash in hand (Tk)",
                "owed for rice (Tk)", "cash savings (Tk)", "rice saved", "IGA margin (Tk)"):
        table.add_column(col, justify="left" if col in ("group", "village") else "right")
    for g in ledger.reports.groups():
        p = ledger.reports.position(g["code"], as_of=as_of)
        margin = sum((a.margin for a in p.activities), Decimal(0))
        table.add_row(f"{p.group} {p.name}", g["village"], str(p.members),
                      format_grams(p.rice_stock_grams), format_taka(p.cash),
                      format_taka(p.receivables), format_taka(p.cash_savings_owed),
                      format_grams(p.rice_savings_grams), format_taka(margin))
    out.print(table)


@main.command()
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
    rows = _open(ctx).reports.groups(**{k: v for k, v in filters.items() if v})
    if fmt == "json":
        click.echo(to_json(rows))
        return
    table = Table(title="Groups")
    for col in ("code", "name", "village", "union", "upazila", "district", "cluster",
                "formed", "events"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["code"], r["name"], r["village"], r["union_name"], r["upazila"],
                      r["district"], r["cluster"], r["formed_on"], str(r["events"]))
    out.print(table)


@main.command()
@click.argument("kind", type=click.Choice(["passbook", "group", "trial-balance",
                                           "reconciliation", "members", "clusters",
                                           "platform", "programme", "loans",
                                           "portfolio", "bank-loans"]))
@click.option("--group", "code", help="Group code (all groups when omitted, where allowed).")
@click.option("--cluster", "cluster_code", help="Cluster code (the platform report).")
@click.option("--by", type=click.Choice(["district", "upazila", "union", "cluster"]),
              default="district", help="How the programme report is broken down.")
@click.option("--upazila", default=None, help="Loan portfolio of one upazila's groups.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Loan portfolio: what was collected since this date.")
@click.option("--clusters", "cluster_set", default="",
              help="Programme report for these clusters only (codes, comma-separated).")
@click.option("--member", type=int, help="Member number (passbook).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Business date YYYY-MM-DD (default: everything recorded).")
@click.option("--as-recorded", "recorded", default=None, metavar="TIME",
              help="Only what was recorded by this time (ISO 8601, e.g. 2016-03-01T18:00+06:00).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@refusals
def report(ctx: click.Context, kind: str, code: str | None, cluster_code: str | None,
           by: str, upazila: str | None, since: Any, cluster_set: str, member: int | None,
           as_of: Any, recorded: str | None, fmt: str) -> None:
    """Print a report as of a business date (and, with --as-recorded, as the books stood
    at a recording time)."""
    ledger = _open(ctx)
    day = as_of.date() if as_of else None
    if recorded is not None:
        view = audit.as_recorded(ledger, _recording_time(recorded))
        ctx.call_on_close(view.close)
        ledger = _View(ledger, view)  # type: ignore[assignment]
    if kind == "passbook":
        _passbook(ledger, _need(code, "--group"), _need(member, "--member"), day, fmt)
    elif kind == "group":
        if code is None:
            if fmt == "json":
                click.echo(to_json([ledger.reports.position(g["code"], as_of=day).as_dict()
                                    for g in ledger.reports.groups()]))
            else:
                _positions_table(ledger, day)
            return
        _position(ledger, code, day, fmt)
    elif kind == "trial-balance":
        _trial_balance(ledger, code, day, fmt)
    elif kind == "bank-loans":
        report = ledger.reports.bank_loans(_need(cluster_code, "--cluster"), as_of=day)
        if fmt == "json":
            click.echo(to_json(report))
            return
        table = Table(title=f"Bank loans guaranteed by {report['cluster']}")
        for col in ("no", "lender", "borrower", "group", "principal", "collected",
                    "owes the bank", "arrears", "days late", "guarantors"):
            table.add_column(col)
        for x in report["loans"]:
            table.add_row(str(x["bank_loan_no"]), x["lender"], x["borrower"], x["group"],
                          format_taka(x["principal"]), format_taka(x["collected"]),
                          format_taka(x["outstanding"]), format_taka(x["arrears"]),
                          str(x["days_overdue"]), ", ".join(
                              f"{g['group']}/{g['member_no']}" for g in x["guarantors"]))
        out.print(table)
        out.print("Held for the banks: " + ", ".join(
            f"{k} {format_taka(v)} Tk" for k, v in report["held_for_banks"].items())
            + "; paid over: " + ", ".join(
            f"{k} {format_taka(v)} Tk" for k, v in report["paid_to_banks"].items()))
    elif kind == "portfolio":
        if code:
            codes = [code.upper()]
        elif cluster_code:
            codes = ledger.reports.platform(cluster_code)["groups"]
        else:
            codes = [g["code"] for g in ledger.reports.groups(upazila=upazila or "")]
        _portfolio(ledger, codes, day, since.date() if since else None, fmt)
    elif kind == "loans":
        _loans(ledger, code, member, day, fmt)
    elif kind == "programme":
        rows = ledger.reports.programme(
            by=by, as_of=day, clusters=[c for c in cluster_set.split(",") if c] or None)
        if fmt == "json":
            click.echo(to_json(rows))
            return
        table = Table(title=f"Programme by {by}" + (f" as of {day}" if day else ""))
        for col in (by, "clusters", "groups/cluster", "households", "members", "women %",
                    "extreme poor %", "applied %", "received %", "representatives",
                    "plan done %"):
            table.add_column(col)
        for r in rows:
            reps = ", ".join(f"{k} {v}" for k, v in {**r["representatives_by_gender"],
                                                   **r["representatives_by_wellbeing"]}.items())
            table.add_row(str(r[by]), str(r["clusters"]), str(r["groups_per_cluster"]),
                          str(r["households"]), str(r["members"]), str(r["women_share"]),
                          str(r["extreme_poor_share"]), str(r["applied_share"]),
                          str(r["received_share"]), reps, str(r["plan_completion"] or ""))
        out.print(table)
    elif kind == "platform":
        _platform(ledger, _need(cluster_code, "--cluster"), day, fmt)
    elif kind == "clusters":
        rows = ledger.reports.clusters(as_of=day)
        if fmt == "json":
            click.echo(to_json(rows))
            return
        table = Table(title="Clusters" + (f" as of {day}" if day else ""))
        for col in ("code", "name", "ward", "union", "upazila", "district", "villages",
                    "households", "groups"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["code"], r["name"], r["ward"], r["union_name"], r["upazila"],
                          r["district"], ", ".join(r["villages"]), str(r["households"]),
                          ", ".join(r["groups"]))
        out.print(table)
    elif kind == "members":
        code = _need(code, "--group")
        rows = ledger.reports.members(code, as_of=day)
        if fmt == "json":
            click.echo(to_json(rows))
            return
        table = Table(title=f"Members of {code.upper()}")
        for col in ("no", "name", "household", "community", "well-being", "joined", "left",
                    "roles"):
            table.add_column(col)
        for r in rows:
            table.add_row(str(r["member_no"]), r["name"], r["household"], r["community"],
                          r["wellbeing"], r["joined_on"], r["left_on"] or "",
                          ", ".join(r["roles"]))
        out.print(table)
    else:
        _reconciliation(ledger, _need(code, "--group"), day, fmt)


class _View:
    """A ledger whose reports come from an as-recorded copy."""

    def __init__(self, ledger: Ledger, reports: Any) -> None:
        self.config = ledger.config
        self.reports = reports


def _recording_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"as-recorded={text!r}: give an ISO 8601 time, e.g. "
                          "2016-03-01T18:00+06:00", field="as-recorded", value=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=DHAKA)


def _portfolio(ledger: Any, codes: list[str], day: date | None, since: date | None,
               fmt: str) -> None:
    p = ledger.reports.portfolio(codes, as_of=day, since=since)
    if fmt == "json":
        click.echo(to_json(p))
        return
    out.print(f"Groups {', '.join(codes)}: {p['loans']} loans ({p['open']} open), outstanding "
              f"{format_taka(p['outstanding'])} Tk, overdue {format_taka(p['overdue'])} Tk, "
              f"PAR30 {p['par30']} %, collected {format_taka(p['collected'])} Tk, written "
              f"off {format_taka(p['written_off'])} Tk")


def _loans(ledger: Any, code: str | None, member: int | None, day: date | None,
           fmt: str) -> None:
    rows = ledger.reports.loans(_need(code, "--group"), as_of=day, member=member)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    table = Table(title=f"Loans of {code}" + (f" as of {day}" if day else ""))
    for col in ("loan", "member", "disbursed", "principal", "paid", "charge paid",
                "outstanding", "arrears", "days late", "status"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["loan_no"]), str(r["member_no"]), r["disbursed_on"],
                      format_taka(r["principal"]), format_taka(r["principal_paid"]),
                      format_taka(r["charge_paid"]), format_taka(r["outstanding"]),
                      format_taka(r["arrears"]), str(r["days_overdue"]), r["status"])
    out.print(table)


def _platform(ledger: Any, code: str, day: date | None, fmt: str) -> None:
    p = ledger.reports.platform(code, as_of=day)
    if fmt == "json":
        click.echo(to_json(p))
        return
    out.print(f"[bold]{p['name']}[/] ({p['code']}), ward {p['ward']}, {p['upazila']}: "
              f"groups {', '.join(p['groups'])}; {p['households']} households")
    table = Table(title="Representatives")
    for col in ("group", "member", "name", "gender", "well-being", "since"):
        table.add_column(col)
    for r in p["representatives"]:
        table.add_row(r["group_code"], str(r["member_no"]), r["name"], r["gender"],
                      r["wellbeing"], r["since"])
    out.print(table)
    out.print("By gender: " + ", ".join(f"{k} {v}" for k, v in
                                        p["representatives_by_gender"].items())
              + "; by well-being: " + ", ".join(f"{k} {v}" for k, v in
                                                 p["representatives_by_wellbeing"].items()))
    if p["mou"]:
        out.print(f"MoU version {p['mou']['version']} signed {p['mou']['signed_on']} by "
                  + ", ".join(x["party"] for x in p["mou"]["parties"]) + ":")
        for c in p["mou"]["commitments"]:
            out.print(f"  {c['no']}. ({c['party']}) {c['text']}")
    out.print(f"Extreme-poor register: {len(p['extreme_poor'])} households; safety nets: "
              f"{p['safety_nets_applied']} applied, {p['safety_nets_granted']} granted")
    for t in p["trainings"]:
        members = t["members_female"] + t["members_male"]
        others = t["others_female"] + t["others_male"]
        out.print(f"Training {t['held_on']}: {t['title']}: {members + others} participants "
                  f"({members} from the groups, {others} from the community; "
                  f"{t['members_female'] + t['others_female']} women)")
    meetings = Table(title="Platform meetings")
    for col in ("date", "chair", "host", "present", "decisions"):
        meetings.add_column(col)
    for m in p["meetings"]:
        meetings.add_row(m["meeting_date"], m["chair"], m["host"], str(m["attended"]),
                         "; ".join(m["decisions"]))
    out.print(meetings)


def _need(value: T | None, option: str) -> T:
    if value is None:
        raise click.UsageError(f"this report needs {option}")
    return value


def _passbook(ledger: Ledger, code: str, member: int, day: date | None, fmt: str) -> None:
    book = ledger.reports.passbook(code, member, as_of=day)
    if fmt == "json":
        click.echo(to_json(book.as_dict()))
        return
    table = Table(title=f"Passbook of {book.name} (member {member}, {book.group})"
                  + (f" as of {day}" if day else ""))
    for col in ("date", "#", "entry", "rice saved", "rice bought", "value", "paid", "owed",
                "cash saved", "savings", "memo"):
        table.add_column(col, justify="right" if col not in ("date", "entry", "memo")
                         else "left")
    for ln in book.lines:
        table.add_row(str(ln.business_date), str(ln.position), ln.entry,
                      format_grams(ln.rice_saved_grams) if ln.rice_saved_grams else "",
                      format_grams(ln.rice_bought_grams) if ln.rice_bought_grams else "",
                      format_taka(ln.bought_value) if ln.bought_value else "",
                      format_taka(ln.paid) if ln.paid else "", format_taka(ln.owed),
                      format_taka(ln.cash_saved) if ln.cash_saved else "",
                      format_taka(ln.cash_savings), ln.memo)
    out.print(table)
    out.print(f"Rice saved {format_grams(book.rice_saved_grams)}; rice bought "
              f"{format_grams(book.rice_bought_grams)} for {format_taka(book.bought_value)} "
              f"Tk, paid {format_taka(book.paid)}, owes {format_taka(book.owed)} Tk; "
              f"cash savings {format_taka(book.cash_savings)} Tk.")


def _position(ledger: Ledger, code: str, day: date | None, fmt: str) -> None:
    p = ledger.reports.position(code, as_of=day)
    if fmt == "json":
        click.echo(to_json(p.as_dict()))
        return
    table = Table(title=f"{p.group} {p.name}" + (f" as of {day}" if day else ""),
                  show_header=False)
    table.add_column("what")
    table.add_column("amount", justify="right")
    for label, value in (
            ("members", str(p.members)), ("rice in stock", format_grams(p.rice_stock_grams)),
            ("cash in hand (Tk)", format_taka(p.cash)),
            ("owed by members for rice (Tk)", format_taka(p.receivables)),
            ("cash savings owed to members (Tk)", format_taka(p.cash_savings_owed)),
            ("rice savings of members", format_grams(p.rice_savings_grams)),
            ("rice sold", format_grams(p.rice_sold_grams)),
            ("rice sales (Tk)", format_taka(p.rice_sales)),
            ("grants and donations (Tk)", format_taka(p.grants))):
        table.add_row(label, value)
    for name, amount in p.expenses.items():
        table.add_row(f"expense: {name} (Tk)", format_taka(amount))
    for a in p.activities:
        table.add_row(f"{a.name}: costs / revenue / margin (Tk)",
                      f"{format_taka(a.costs)} / {format_taka(a.revenue)} / "
                      f"{format_taka(a.margin)}")
    out.print(table)


def _trial_balance(ledger: Ledger, code: str | None, day: date | None, fmt: str) -> None:
    tb = ledger.reports.trial_balance(code, as_of=day)
    if fmt == "json":
        click.echo(to_json(tb.as_dict()))
        return
    table = Table(title=f"Trial balance {tb.group}" + (f" as of {day}" if day else ""))
    table.add_column("account")
    table.add_column("BDT", justify="right")
    table.add_column("RICE (g)", justify="right")
    for row in tb.rows:
        bdt = format_taka(row.balance) if row.commodity == "BDT" else ""
        rice = f"{row.balance:,}" if row.commodity == "RICE" else ""
        table.add_row(row.account, bdt, rice)
    table.add_row("[bold]total[/]", format_taka(tb.totals["BDT"]), f"{tb.totals['RICE']:,}")
    out.print(table)


def _reconciliation(ledger: Ledger, code: str, day: date | None, fmt: str) -> None:
    rec = ledger.reports.reconciliation(code, as_of=day)
    if fmt == "json":
        click.echo(to_json(rec.as_dict()))
        return
    table = Table(title=f"Meeting counts against the books, {rec.group}")
    for col in ("meeting", "attended", "cash counted", "cash in books", "difference",
                "rice counted", "rice in books", "difference", "seal", ""):
        table.add_column(col, justify="right")
    for m in rec.meetings:
        table.add_row(
            str(m.meeting_date), str(m.attended),
            "" if m.counted_cash is None else format_taka(m.counted_cash),
            format_taka(m.book_cash),
            "" if m.cash_difference is None else format_taka(m.cash_difference),
            "" if m.counted_rice_grams is None else format_grams(m.counted_rice_grams),
            format_grams(m.book_rice_grams),
            "" if m.rice_difference_grams is None else format_grams(m.rice_difference_grams),
            m.seal, "" if m.matches else "[bold red]CHECK[/]")
    out.print(table)
    out.print(f"{len(rec.flagged)} of {len(rec.meetings)} meetings differ from the books.")


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@refusals
def import_(ctx: click.Context, file: Path) -> None:
    """Record the commands in a JSON Lines FILE (all checked first; all or nothing)."""
    receipts = import_file(_open(ctx), file)
    new = sum(1 for r in receipts if not r.replayed)
    out.print(f"{len(receipts)} command(s) read: {new} recorded, "
              f"{len(receipts) - new} already recorded before (same key and content).")


@main.command()
@click.pass_context
@refusals
def rebuild(ctx: click.Context) -> None:
    """Rebuild every projection from the first event."""
    ledger = _open(ctx)
    with out.status("Replaying events ..."):
        count = ledger.rebuild_projections()
    out.print(f"Rebuilt the projections from {count:,} events.")


def _progress(description: str) -> Progress:
    """A progress bar on a terminal; nothing when piped."""
    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, disable=not err.is_terminal,
                    transient=True)


@main.command()
@click.option("--group", "code", help="Replay one group (default: every group).")
@click.pass_context
@refusals
def replay(ctx: click.Context, code: str | None) -> None:
    """Rebuild the projections from the first event into scratch tables and compare."""
    ledger = _open(ctx)
    with _progress("replaying") as bar:
        task = bar.add_task("replay", total=None)
        result = audit.replay(ledger, code, progress=lambda n, total: bar.update(
            task, completed=n, total=total))
    if result.ok:
        out.print(f"{result.events:,} events replayed: every projection matches.")
        return
    out.print(f"{result.events:,} events replayed: [bold red]{len(result.differences)} "
              "projection row(s) differ[/]")
    for d in result.differences[:50]:
        out.print(f"  {d.table} ({d.side}): {d.row}")
    if len(result.differences) > 50:
        out.print(f"  ... and {len(result.differences) - 50} more")
    sys.exit(1)


@main.command()
@click.option("--group", "code", help="Verify one group (default: every group).")
@click.option("--seal", "seal_code", help="A seal from the paper minutes to prove.")
@click.pass_context
@refusals
def verify(ctx: click.Context, code: str | None, seal_code: str | None) -> None:
    """Re-walk the hash chains; report the first event changed, removed, reordered or
    inserted. With --seal, prove that nothing up to the sealed point changed."""
    ledger = _open(ctx)
    with _progress("verifying") as bar:
        task = bar.add_task("verify", total=None)
        result = audit.verify(ledger, code, seal_code, progress=lambda n, total: bar.update(
            task, completed=n, total=total))
    for check in result.checks:
        if check.ok:
            out.print(f"group {check.group}: {check.events:,} events, chain intact, "
                      f"head seal {seal(check.head)}")
        else:
            out.print(f"[bold red]TAMPERED[/] {check.finding}")
    if result.seal:
        if result.sealed_position is not None:
            out.print(f"seal {result.seal}: group {result.sealed_group}, position "
                      f"{result.sealed_position}: nothing recorded up to there has changed.")
        else:
            out.print(f"[bold red]seal {result.seal} matches no event[/]: the history up "
                      "to the sealed point was changed, or the seal was copied wrongly.")
    if not result.ok:
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "beancount"]),
              required=True)
@click.option("--group", "code", help="One group (default: every group).")
@click.option("--out", "target", type=click.Path(path_type=Path), default=None,
              help="File (jsonl, beancount; default: standard output) or folder (csv).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="CSV reports as of this business date.")
@click.pass_context
@refusals
def export(ctx: click.Context, fmt: str, code: str | None, target: Path | None,
           as_of: Any) -> None:
    """Export the event log (jsonl), every report (csv) or the postings (beancount)."""
    ledger = _open(ctx)
    if code is not None:
        ledger.load(code)  # refuses an unknown group
    if fmt == "csv":
        folder = target or Path("coopledger-reports")
        files = exports.export_csv(ledger, folder, as_of=as_of.date() if as_of else None)
        err.print(f"{len(files)} CSV files written to {folder}/")
        return
    handle = target.open("w", encoding="utf-8") if target else sys.stdout
    try:
        if fmt == "jsonl":
            heads = exports.export_jsonl(ledger, handle, code)
            for group, head in sorted(heads.items()):
                err.print(f"group {group}: head seal {head}")
        else:
            exports.export_beancount(ledger, handle, code)
    finally:
        if target:
            handle.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo-accounts", is_flag=True,
              help="Create one sign-in per role for the demo groups, and print them.")
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (when served over HTTPS behind a proxy).")
@click.pass_context
@refusals
def serve(ctx: click.Context, host: str, port: int, demo_accounts: bool,
          secure_cookies: bool) -> None:
    """Serve the staff web pages and the JSON API (needs the 'web' extra)."""
    try:
        import uvicorn  # noqa: PLC0415

        from coopweb import DEMO_PASSWORD, create_app  # noqa: PLC0415
        from coopweb import demo_accounts as make_demo_accounts  # noqa: PLC0415
    except ImportError as e:
        raise click.ClickException(f"the web front end is not installed ({e.name}): "
                                   "pip install 'coopledger[web]'") from None
    ledger = _open(ctx)
    app = create_app(ledger, secure_cookies=secure_cookies)
    if demo_accounts:
        made = make_demo_accounts(app.state.accounts, demo_module.PARTNER)
        out.print(f"Demo sign-ins (password [bold]{DEMO_PASSWORD}[/]): "
                  + ", ".join(f"{u} ({r})" for u, r in made))
    out.print(f"Serving {ledger.config.display} on [bold]http://{host}:{port}[/] "
              "(Ctrl+C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
def schema() -> None:
    """Print the JSON Schema of one line of an import file."""
    click.echo(json.dumps(command_schema(), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
