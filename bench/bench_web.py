"""Latency of the staff pages under a concurrent load generator on 127.0.0.1.

    python bench/bench_web.py [--years 10] [--workers 8] [--requests 40]

Builds the demo ledger and one 30-member group with ``--years`` of weekly meetings in a
temporary SQLite file, starts ``coopledger serve`` in another process, signs in one client
per worker and has them all request, at the same time: the group dashboard, a passbook, and
a meeting submission (htmx, one transaction). Prints p50 and p95 per page and group.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
from common import FixedClock, machine, meeting, new_group, percentile

from coopledger import Ledger, demo
from coopweb import Accounts

PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account


def build(db: str, years: int) -> None:
    ledger = Ledger(db)
    demo.build(ledger)
    if years:
        ledger.clock = FixedClock()
        new_group(ledger, "LONG")
        for w in range(52 * years):
            ledger.execute(meeting("LONG", w, busy=True))
    accounts = Accounts(ledger.db)
    accounts.save("bench", role="manager", password=PASSWORD, partner=demo.PARTNER)
    with ledger.db.cursor(commit=True) as c:
        c.execute("UPDATE cl_groups SET partner = ? WHERE code = 'LONG'", (demo.PARTNER,))
    ledger.close()


def client(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    c.get("/login")
    r = c.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "_csrf_token": c.cookies.get("csrftoken")},
    )
    r.raise_for_status()
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--requests", type=int, default=40, help="per worker and page")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    print(f"machine: {machine()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        build(db, args.years)
        print(
            f"built the demo ledger and LONG ({args.years} years) in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "coopledger", "--db", db, "serve", "--port", str(args.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        base = f"http://127.0.0.1:{args.port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    httpx.get(base + "/login", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            rows = []
            for code in ("SHAPLA", "LONG") if args.years else ("SHAPLA",):
                clients = [client(base) for _ in range(args.workers)]
                for page in ("dashboard", "passbook", "meeting"):
                    times = run(clients, code, page, args.requests)
                    rows.append((code, page, times))
                for c in clients:
                    c.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"\n{args.workers} concurrent clients, {args.requests} requests each per page\n")
    print("| group | page | requests | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for code, page, times in rows:
        print(
            f"| {code} | {page} | {len(times)} | {statistics.median(times) * 1000:.1f} | "
            f"{percentile(times, 95) * 1000:.1f} | {max(times) * 1000:.1f} |"
        )


def run(clients: list[httpx.Client], code: str, page: str, n: int) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    today = date.today()

    def work(i: int, c: httpx.Client) -> None:
        for j in range(n):
            if page == "dashboard":
                url, data = f"/groups/{code}", None
            elif page == "passbook":
                url, data = f"/groups/{code}/members/{1 + (i + j) % 12}", None
            else:
                url = f"/groups/{code}/meetings"
                data = {
                    "date": str(today - timedelta(days=(i * n + j) % 300)),
                    "key": uuid.uuid4().hex,
                    "grams_1": "1400",
                    "grams_2": "1300",
                    "grams_3": "1500",
                    "present_1": "on",
                    "present_2": "on",
                }
            t0 = time.perf_counter()
            if data is None:
                r = c.get(url)
            else:
                r = c.post(
                    url,
                    data=data,
                    headers={"hx-request": "true", "x-csrftoken": c.cookies.get("csrftoken") or ""},
                )
            elapsed = time.perf_counter() - t0
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
            with lock:
                times.append(elapsed)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


if __name__ == "__main__":
    main()
