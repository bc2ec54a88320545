"""Where a dashboard or passbook request's time goes, in process, through Litestar's
TestClient: SQL statements per request, then cProfile's top ten by own and by cumulative
time (or pyinstrument's tree with ``--pyinstrument``).

    python bench/profile_web.py --db /tmp/serve-bench/bench-web.db [--page dashboard]
                                [--requests 200] [--pyinstrument] [--no-cache]

The ledger is the one ``bench_web.py --keep FILE`` builds (Y1, Y5, Y10; an auditor
``bench``). The session, the CSRF token and the whole middleware stack are those of a
served worker; only the socket is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import cProfile
import logging
import pstats
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bench_web import PAGES, PASSWORD
from common import machine

STATEMENTS: collections.Counter[str] = collections.Counter()
_connect = sqlite3.connect


def _traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    """Every SQLite connection the ledger opens counts its statements."""
    conn = _connect(*args, **kwargs)
    conn.set_trace_callback(lambda s: STATEMENTS.update([" ".join(s.split())[:110]]))
    return conn


class Inline(concurrent.futures.Executor):
    """Runs what Litestar hands to its thread pool in the calling thread, so that one
    profiler sees the whole request (handlers, session store, templates)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed back to the caller
            future.set_exception(e)
        return future


async def _inline(fn: Any, *args: Any, **_: Any) -> Any:
    return fn(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--page", default="dashboard", choices=sorted(PAGES))
    parser.add_argument("--code", default="Y10")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--statements", action="store_true", help="list each statement")
    parser.add_argument("--no-cache", action="store_true", help="COOPWEB_PAGE_CACHE=0")
    args = parser.parse_args()
    sqlite3.connect = _traced  # type: ignore[assignment]
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"machine: {machine()}")
    from litestar.concurrency import set_asyncio_executor  # noqa: PLC0415

    set_asyncio_executor(Inline())
    asyncio.run(run(args))


@asynccontextmanager
async def started(app: Any) -> AsyncIterator[None]:
    """The application's start-up and shutdown hooks around the block (ASGI lifespan)."""
    up, stopping = asyncio.Event(), asyncio.Event()

    async def receive() -> dict[str, str]:
        if not up.is_set():
            return {"type": "lifespan.startup"}
        await stopping.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            up.set()

    lifespan = asyncio.create_task(app({"type": "lifespan"}, receive, send))
    await up.wait()
    try:
        yield
    finally:
        stopping.set()
        await lifespan


async def sign_in(client: Any) -> None:
    await client.get("/login")
    r = await client.post(
        "/login",
        data={
            "username": "bench",
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )
    r.raise_for_status()


async def requests(client: Any, url: str, n: int) -> None:
    for _ in range(n):
        (await client.get(url)).raise_for_status()


async def run(args: argparse.Namespace) -> None:
    import anyio.to_thread  # noqa: PLC0415
    import httpx  # noqa: PLC0415

    from coopledger import Ledger  # noqa: PLC0415
    from coopweb import create_app  # noqa: PLC0415

    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    ledger = Ledger(args.db)
    options = {"page_cache": 0} if args.no_cache else {}
    app = create_app(ledger, secure_cookies=False, **options)
    url = PAGES[args.page].format(code=args.code, member=1)
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver.local"
    async with (
        started(app),
        httpx.AsyncClient(transport=transport, base_url=base, follow_redirects=True) as client,
    ):
        await sign_in(client)
        await requests(client, url, 5)  # warm-up: templates, caches
        STATEMENTS.clear()
        await requests(client, url, 1)
        print(f"\n{url}: {sum(STATEMENTS.values())} SQL statements in one request")
        if args.statements:
            for s, n in STATEMENTS.most_common():
                print(f"  {n:3d}  {s}")
        t0, c0 = time.perf_counter(), time.process_time()
        await requests(client, url, args.requests)
        wall = (time.perf_counter() - t0) / args.requests * 1000
        cpu = (time.process_time() - c0) / args.requests * 1000
        print(f"unprofiled: {wall:.2f} ms wall, {cpu:.2f} ms CPU a request")
        if args.pyinstrument:
            from pyinstrument import Profiler  # noqa: PLC0415

            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
            await requests(client, url, args.requests)
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            profile = cProfile.Profile()
            profile.enable()
            await requests(client, url, args.requests)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.strip_dirs()
            for key in ("tottime", "cumulative"):
                print(f"\ntop by {key}, {args.requests} requests:")
                stats.sort_stats(key).print_stats(15 if key == "tottime" else 60)
    ledger.close()


if __name__ == "__main__":
    main()
