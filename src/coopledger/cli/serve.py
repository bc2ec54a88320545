"""``coopledger serve``: the staff web pages and the JSON API (the ``web`` extra)."""

from __future__ import annotations

import click

from coopledger.cli.common import open_ledger, out, refusals


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--demo-accounts",
    is_flag=True,
    help="Create one sign-in per role for the demo groups, and print them.",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Mark cookies Secure (when served over HTTPS behind a proxy).",
)
@click.option(
    "--read-db",
    envvar="COOPLEDGER_READ_DB",
    default=None,
    metavar="URL",
    help="Read the report pages from this PostgreSQL streaming replica of --db.",
)
@click.pass_context
@refusals
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    demo_accounts: bool,
    secure_cookies: bool,
    read_db: str | None,
) -> None:
    """Serve the staff web pages and the JSON API (needs the 'web' extra)."""
    try:
        import uvicorn  # noqa: PLC0415

        from coopweb import DEMO_PASSWORD, create_app  # noqa: PLC0415
        from coopweb import demo_accounts as make_demo_accounts  # noqa: PLC0415
    except ImportError as e:
        raise click.ClickException(
            f"the web front end is not installed ({e.name}): pip install 'coopledger[web]'"
        ) from None
    from coopledger import demo as demo_module  # noqa: PLC0415

    ledger = open_ledger(ctx)
    read_ledger = None
    if read_db:
        from coopledger.ledger import Ledger  # noqa: PLC0415

        read_ledger = Ledger(ledger.config.setting, user=ledger.user, read_db=read_db)
        ctx.call_on_close(read_ledger.close)
    app = create_app(ledger, secure_cookies=secure_cookies, read_ledger=read_ledger)
    if demo_accounts:
        made = make_demo_accounts(app.state.accounts, demo_module.PARTNER)
        out.print(
            f"Demo sign-ins (password [bold]{DEMO_PASSWORD}[/]): "
            + ", ".join(f"{u} ({r})" for u, r in made)
        )
    if read_ledger is not None:
        out.print(f"Report pages read from {read_ledger.read_db.config.display}")
    out.print(f"Serving {ledger.config.display} on [bold]http://{host}:{port}[/] (Ctrl+C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
