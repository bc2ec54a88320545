"""``coopledger serve``: the staff web pages and the JSON API (the ``web`` extra)."""

from __future__ import annotations

import os

import click

from coopledger.cli.common import open_ledger, out, refusals


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (about one per core); they share sessions through --store.",
)
@click.option(
    "--store",
    default="ledger",
    show_default=True,
    help="Where sessions and sign-in counters are kept: 'ledger' (the ledger's own "
    "database) or a Redis URL such as redis://127.0.0.1:6379/0.",
)
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
    "--proxy-headers",
    is_flag=True,
    help="Trust X-Forwarded-For from --forwarded-allow-ips (behind a reverse proxy).",
)
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True)
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
    workers: int,
    store: str,
    demo_accounts: bool,
    secure_cookies: bool,
    proxy_headers: bool,
    forwarded_allow_ips: str,
    read_db: str | None,
) -> None:
    """Serve the staff web pages and the JSON API (needs the 'web' extra)."""
    try:
        from coopweb import DEMO_PASSWORD, Accounts  # noqa: PLC0415
        from coopweb import demo_accounts as make_demo_accounts  # noqa: PLC0415
        from coopweb.factory import READ_VAR, SECURE_VAR, STORE_VAR  # noqa: PLC0415
        from coopweb.stores import open_store, shared_secret  # noqa: PLC0415
        from coopweb.workers import check_port_free  # noqa: PLC0415
        from coopweb.workers import serve as serve_workers  # noqa: PLC0415
    except ImportError as e:
        raise click.ClickException(
            f"the web front end is not installed ({e.name}): pip install 'coopledger[web]'"
        ) from None
    from coopledger import demo as demo_module  # noqa: PLC0415

    ledger = open_ledger(ctx)
    if ledger.db.in_memory:
        raise click.UsageError("serve needs a database file or server: each worker opens it")
    # Refuse a bad --store, and create the web tables (cw_*) once, before the workers start
    # (two PostgreSQL sessions creating one table at the same moment can collide).
    open_store(store, ledger.db)
    accounts = Accounts(ledger.db)
    shared_secret(ledger.db, "csrf")
    if read_db:  # each worker opens it too (coopweb.factory), as for --db
        from coopledger.ledger import Ledger  # noqa: PLC0415

        with Ledger(ledger.config.setting, read_db=read_db) as probe:
            out.print(f"Report pages read from {probe.read_db.config.display}")
    if demo_accounts:
        made = make_demo_accounts(accounts, demo_module.PARTNER)
        out.print(
            f"Demo sign-ins (password [bold]{DEMO_PASSWORD}[/]): "
            + ", ".join(f"{u} ({r})" for u, r in made)
        )
    # Every worker opens the ledger itself (coopweb.factory), from these settings.
    os.environ["COOPLEDGER_DB"] = ledger.config.setting
    os.environ[STORE_VAR] = store
    os.environ[SECURE_VAR] = "1" if secure_cookies else "0"
    if read_db:
        os.environ[READ_VAR] = read_db
    try:
        check_port_free(host, port)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror}") from None
    plural = "s" if workers > 1 else ""
    out.print(
        f"Serving {ledger.config.display} on [bold]http://{host}:{port}[/] with {workers} "
        f"worker{plural} (Ctrl+C stops)"
    )
    # With several workers each listens on a socket of its own, so that the system spreads
    # connections over them (coopweb.workers).
    status = serve_workers(
        workers,
        app="coopweb.factory:from_environment",
        factory=True,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="warning",
    )
    if status:
        raise SystemExit(status)
