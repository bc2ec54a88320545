"""``coopledger audit``, ``verify``, ``replay`` and ``export``: the auditor's commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from coopledger.cli.common import err, open_ledger, out, refusals, words
from coopledger.i18n import _
from coopledger.kernel.integrity import seal


def _progress(description: str) -> Progress:
    """A progress bar on a terminal; nothing when piped."""
    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )


def _run(
    ctx: click.Context,
    what: str,
    code: str | None,
    seal_code: str | None = None,
    *,
    chains: bool = True,
    projections: bool = True,
) -> Any:
    from coopledger.audit import audit as check  # noqa: PLC0415

    ledger = open_ledger(ctx)
    with _progress(what) as bar:
        task = bar.add_task(what, total=None)
        return check(
            ledger,
            code,
            chains=chains,
            projections=projections,
            seal_code=seal_code,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
        )


def _report_chains(ctx: click.Context, result: Any) -> None:
    tag_tampered, tag_snapshot = words(ctx, _("TAMPERED")), words(ctx, _("SNAPSHOT"))
    tag_unknown_types, tag_rules_broken = (
        words(ctx, _("UNKNOWN TYPES")),
        words(ctx, _("RULES BROKEN")),
    )
    for s in result.streams:
        check = s.chain
        if check.finding is not None:
            out.print(f"[bold red]{tag_tampered}[/] {check.finding}")
        elif result.chains:
            out.print(
                words(
                    ctx,
                    _(
                        "{group}: {n} events, chain intact, head seal {seal}",
                        group=check.group,
                        n=check.events,
                        seal=seal(check.head),
                    ),
                )
            )
        if s.snapshot:
            out.print(f"[bold red]{tag_snapshot}[/] {check.group}: {s.snapshot}")
        if s.unknown:
            out.print(
                f"[bold red]{tag_unknown_types}[/] "
                + words(
                    ctx,
                    _(
                        "{group}: events of types this installation does not know: {types}. "
                        "Install the plugin that defines them (see 'coopledger plugins'); "
                        "their projections were not compared.",
                        group=check.group,
                        types=", ".join(s.unknown),
                    ),
                )
            )
        for problem in s.rules:
            out.print(f"[bold red]{tag_rules_broken}[/] {problem}")
    if result.seal:
        if result.sealed_position is not None:
            out.print(
                words(
                    ctx,
                    _(
                        "seal {seal}: {group}, position {position}: nothing recorded up to "
                        "there has changed.",
                        seal=result.seal,
                        group=result.sealed_group,
                        position=result.sealed_position,
                    ),
                )
            )
        else:
            out.print(
                "[bold red]"
                + words(
                    ctx,
                    _(
                        "seal {seal} matches no event: the history up to the sealed point was "
                        "changed, or the seal was copied wrongly.",
                        seal=result.seal,
                    ),
                )
                + "[/]"
            )


def _report_differences(ctx: click.Context, result: Any) -> None:
    differences = result.differences
    if not differences:
        out.print(words(ctx, _("{n} events replayed: every projection matches.", n=result.events)))
        return
    out.print(
        "[bold red]"
        + words(
            ctx,
            _(
                "{n} events replayed: {d} projection row(s) differ",
                n=result.events,
                d=len(differences),
            ),
        )
        + "[/]"
    )
    for d in differences[:50]:
        out.print(f"  {d.table} ({d.side}): {d.row}")
    if len(differences) > 50:
        out.print("  " + words(ctx, _("... and {n} more", n=len(differences) - 50)))


@click.command()
@click.option("--group", "code", help="One group (or CLUSTER:<code>); default every stream.")
@click.option("--seal", "seal_code", help="A seal from the paper minutes to prove.")
@click.pass_context
@refusals
def audit(ctx: click.Context, code: str | None, seal_code: str | None) -> None:
    """Everything in one pass: the hash chains (and a seal), the projections against a
    replay, the snapshots, and the rules (no cash box or savings below zero on any day)."""
    result = _run(ctx, "auditing", code, seal_code)
    _report_chains(ctx, result)
    _report_differences(ctx, result)
    if not result.ok:
        sys.exit(1)


@click.command()
@click.option("--group", "code", help="One group (or CLUSTER:<code>); default every stream.")
@click.option("--seal", "seal_code", help="A seal from the paper minutes to prove.")
@click.pass_context
@refusals
def verify(ctx: click.Context, code: str | None, seal_code: str | None) -> None:
    """Re-walk the hash chains; report the first event changed, removed, reordered or
    inserted. With --seal, prove that nothing up to the sealed point changed."""
    result = _run(ctx, "verifying", code, seal_code, projections=False)
    _report_chains(ctx, result)
    if seal_code and result.sealed_position is None:
        from coopledger.field import seal_news  # noqa: PLC0415
        from coopledger.kernel.integrity import normalise_seal  # noqa: PLC0415

        news = seal_news(open_ledger(ctx), normalise_seal(seal_code))
        if news is not None:  # recorded in the field: re-recorded, or held for a manager
            out.print(words(ctx, news))
    if not result.ok:
        sys.exit(1)


@click.command()
@click.option("--group", "code", help="One group (or CLUSTER:<code>); default every stream.")
@click.pass_context
@refusals
def replay(ctx: click.Context, code: str | None) -> None:
    """Replay the events into a private database and compare with the live projections."""
    result = _run(ctx, "replaying", code, chains=False)
    _report_differences(ctx, result)
    if result.differences:
        sys.exit(1)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "beancount"]), required=True)
@click.option("--group", "code", help="One group (default: every group).")
@click.option(
    "--out",
    "target",
    type=click.Path(path_type=Path),
    default=None,
    help="File (jsonl, beancount; default: standard output) or folder (csv).",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="CSV reports as of this business date.",
)
@click.pass_context
@refusals
def export(ctx: click.Context, fmt: str, code: str | None, target: Path | None, as_of: Any) -> None:
    """Export the event log (jsonl), every report (csv) or the postings (beancount)."""
    from coopledger.audit import exports  # noqa: PLC0415

    ledger = open_ledger(ctx)
    if code is not None:
        ledger.load(code)  # refuses an unknown group
    if fmt == "csv":
        folder = target or Path("coopledger-reports")
        files = exports.export_csv(ledger, folder, as_of=as_of.date() if as_of else None)
        err.print(
            words(ctx, _("{n} CSV files written to {folder}/", n=len(files), folder=str(folder)))
        )
        return
    handle = target.open("w", encoding="utf-8") if target else sys.stdout
    try:
        if fmt == "jsonl":
            heads = exports.export_jsonl(ledger, handle, code)
            for group, head in sorted(heads.items()):
                err.print(words(ctx, _("{group}: head seal {seal}", group=group, seal=head)))
        else:
            exports.export_beancount(ledger, handle, code)
    finally:
        if target:
            handle.close()
