"""``coopledger field ...`` and ``coopledger sync``: a group's books on a laptop in the
village, synced at the office (``docs/sync.md``)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import click

from coopledger.cli.common import err, open_ledger, out, refusals, words
from coopledger.i18n import _

if TYPE_CHECKING:
    from coopledger.sync import Office, Synced


def _office(ctx: click.Context, server: str | None, token: str | None) -> Office:
    from coopledger.sync import Office, office_of  # noqa: PLC0415

    ledger = open_ledger(ctx)
    if server and token:
        return Office(server, token)
    return office_of(ledger, token=token, url=server)


def _print(ctx: click.Context, reports: list[Synced]) -> None:
    for g in reports:
        out.print(
            words(
                ctx,
                _(
                    "{group}: {sent} events sent, {received} received; {events} events, seal "
                    "{seal}",
                    group=g.group,
                    sent=g.sent,
                    received=g.received,
                    events=g.version,
                    seal=g.seal,
                ),
            )
        )
        if g.held is not None:
            err.print(
                words(
                    ctx,
                    _(
                        "{group}: the office no longer holds this group for this laptop; what "
                        "was recorded here is held there for a manager (number {held})",
                        group=g.group,
                        held=g.held,
                    ),
                )
            )
        for w in g.warnings:
            err.print(f"[yellow]{w}[/]")


SERVER = click.option("--server", help="The office's web address (default: as at checkout).")
TOKEN = click.option(
    "--token",
    default=lambda: os.environ.get("COOPLEDGER_TOKEN"),
    help="This animator's API token at the office (default: COOPLEDGER_TOKEN, else as at "
    "checkout).",
)


@click.group()
def field() -> None:
    """A group's books on a laptop in the field."""


@field.command()
@click.option("--server", required=True, help="The office's web address.")
@TOKEN
@click.option("--group", "groups", multiple=True, required=True, help="A group to take.")
@click.pass_context
@refusals
def checkout(ctx: click.Context, server: str, token: str | None, groups: tuple[str, ...]) -> None:
    """Take groups' books from the office into this laptop's ledger."""
    from coopledger.sync import Office  # noqa: PLC0415
    from coopledger.sync import checkout as take  # noqa: PLC0415

    if not token:
        raise click.UsageError("give --token (or COOPLEDGER_TOKEN): the animator's API token")
    ledger = open_ledger(ctx)
    office = Office(server, token)
    _print(ctx, [take(ledger, office, code) for code in groups])


@field.command("return")
@SERVER
@TOKEN
@click.option("--group", "groups", multiple=True, required=True)
@click.pass_context
@refusals
def return_(
    ctx: click.Context, server: str | None, token: str | None, groups: tuple[str, ...]
) -> None:
    """Give groups' books back to the office (and sync them)."""
    from coopledger.sync import give_back  # noqa: PLC0415

    office = _office(ctx, server, token)
    ledger = open_ledger(ctx)
    _print(ctx, [give_back(ledger, code, office) for code in groups])


@field.command()
@click.pass_context
@refusals
def status(ctx: click.Context) -> None:
    """Which groups this ledger holds, and who holds the office's groups."""
    from coopledger.field import version  # noqa: PLC0415
    from coopledger.sync import held_here  # noqa: PLC0415

    ledger = open_ledger(ctx)
    if ledger.in_field:
        out.print(
            words(ctx, _("A field ledger of {office}", office=ledger.setting("field_office")))
        )
        for code in held_here(ledger):
            out.print(f"  {code}: {version(ledger, code)}")
        return
    rows = ledger.db.query(
        f"SELECT g.code, h.holder, h.device, h.since FROM {ledger.projector.t('field_holds')} h "
        f"JOIN {ledger.projector.t('groups')} g ON g.group_id = h.group_id WHERE h.until IS NULL "
        "ORDER BY g.code"
    )
    if not rows:
        out.print(words(ctx, _("Every group's books are at the office.")))
    for r in rows:
        out.print(
            words(
                ctx,
                _(
                    "{group}: in the field with {holder} since {since} (device {device})",
                    group=r["code"],
                    holder=r["holder"],
                    since=r["since"],
                    device=r["device"][:8],
                ),
            )
        )


@field.command()
@click.option("--group", required=True)
@click.option("--reason", required=True, help="Why (a lost laptop ...).")
@click.pass_context
@refusals
def recall(ctx: click.Context, group: str, reason: str) -> None:
    """At the office: take a group's books back from a laptop (lost, broken, away too long)."""
    from coopledger.field import RecallFromField  # noqa: PLC0415

    ledger = open_ledger(ctx)
    receipt = ledger.execute(RecallFromField(group=group, reason=reason, date=ledger.today()))
    out.print(words(ctx, _("Recalled; seal {seal}", seal=receipt.seal)))


@field.command()
@click.pass_context
@refusals
def held(ctx: click.Context) -> None:
    """At the office: entries from recalled laptops, held for a manager."""
    from coopledger.field import HELD_TABLE, plain_tables  # noqa: PLC0415

    ledger = open_ledger(ctx)
    plain_tables(ledger)
    for r in ledger.db.query(
        f"SELECT id, group_code, device, sent_by, received_at, events, status, outcome FROM "
        f"{ledger.db.table(HELD_TABLE)} ORDER BY id"
    ):
        out.print(
            f"#{r['id']} {r['group_code']} {r['status']}: {len(json.loads(r['events']))} "
            f"events from {r['sent_by']} ({r['device'][:8]}), {r['received_at'][:16]} "
            f"{r['outcome']}"
        )


@click.command()
@SERVER
@TOKEN
@click.option("--group", "groups", multiple=True, help="Only these groups.")
@click.pass_context
@refusals
def sync(
    ctx: click.Context, server: str | None, token: str | None, groups: tuple[str, ...]
) -> None:
    """Send what this laptop recorded to the office, and bring back what it lacks."""
    from coopledger.sync import sync as run  # noqa: PLC0415

    ledger = open_ledger(ctx)
    office = _office(ctx, server, token)
    _print(ctx, list(run(ledger, office, list(groups) or None)))
