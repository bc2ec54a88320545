"""Staff pages under concurrent load, 1 against 2 worker processes, on 127.0.0.1.

    python bench/bench_web.py [--clients 1,4,8,16] [--workers 1,2] [--seconds 5]
                              [--keep bench-web.db] [--fava]

Builds (or reuses, with ``--keep``) a SQLite ledger holding three 30-member groups with 1,
5 and 10 years of busy weekly meetings (Y1, Y5, Y10), starts ``coopledger serve --workers
W``, signs in one client per concurrent user and has them all request the same page for
``--seconds`` (after a short warm-up): the group dashboard (every panel) or a passbook
(the latest 150 lines, totals over all). Prints two tables:

1. the ten-year dashboard and passbook at each client count, for each worker count:
   p50, p95 and requests per second;
2. the dashboard and passbook of the 1-, 5- and 10-year groups (one client, one worker):
   p50, p95 and the ratio of each to the one-year group.

``--fava``: also serve the Beancount export of Y10 (``coopledger export --format
beancount``) with Fava (``pip install fava``: not a dependency of coopledger) and load its
balance sheet and the cash account's report the same way.
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
from pathlib import Path

import httpx
from common import FixedClock, machine, meeting, new_group, percentile

from coopledger import Ledger
from coopweb import Accounts

PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account
GROUPS = {"Y1": 1, "Y5": 5, "Y10": 10}
PAGES = {"dashboard": "/groups/{code}", "passbook": "/groups/{code}/members/{member}"}
FAVA_PAGES = {"fava balance sheet": "balance_sheet/", "fava account": "account/Assets:Y10:Cash/"}


def build(db: str) -> None:
    with Ledger(db) as ledger:
        ledger.clock = FixedClock()
        for code, years in GROUPS.items():
            new_group(ledger, code)
            for w in range(52 * years):
                ledger.execute(meeting(code, w, busy=True))
        Accounts(ledger.db).save("bench", role="auditor", password=PASSWORD)


def sign_in(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    c.get("/login")
    r = c.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "_csrf_token": c.cookies.get("csrftoken")},
    )
    r.raise_for_status()
    return c


def same_session(signed_in: httpx.Client, base: str) -> httpx.Client:
    """Another client with the signed-in client's cookies (sign-ins are rate limited)."""
    return httpx.Client(base_url=base, timeout=60, follow_redirects=True, cookies=signed_in.cookies)


def serve(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coopledger",
            "--db",
            db,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def fava(db: str, tmp: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Fava serving the Beancount export of Y10; the server and its ledger's base URL."""
    books = str(Path(tmp) / "y10.beancount")
    subprocess.run(
        [
            *(sys.executable, "-m", "coopledger", "--db", db, "export"),
            *("--format", "beancount", "--group", "Y10", "--out", books),
        ],
        check=True,
        capture_output=True,
    )
    exe = str(Path(sys.executable).with_name("fava"))
    server = subprocess.Popen(
        [exe, books, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/", timeout=5, follow_redirects=True)
            slug = r.url.path.strip("/").split("/")[0]
            return server, f"http://127.0.0.1:{port}/{slug}/"
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("fava did not start")


def load(
    clients: list[httpx.Client], code: str, page: str, seconds: float
) -> tuple[list[float], float]:
    """Every client requests the page in a loop for ``seconds``; latencies and req/s."""
    times: list[float] = []
    lock = threading.Lock()
    pattern = PAGES.get(page) or FAVA_PAGES[page]
    for c in clients:  # warm-up: one request each (templates, caches, connections)
        c.get(pattern.format(code=code, member=1)).raise_for_status()
    start = time.perf_counter()
    stop = start + seconds

    def work(i: int, c: httpx.Client) -> None:
        j = 0
        while time.perf_counter() < stop:
            url = pattern.format(code=code, member=1 + (i + j) % 30)
            t0 = time.perf_counter()
            r = c.get(url)
            elapsed = time.perf_counter() - t0
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
            with lock:
                times.append(elapsed)
            j += 1

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, len(times) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,8,16")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", help="build the ledger in this file once, and reuse it")
    parser.add_argument("--fava", action="store_true", help="also measure Fava (pip install fava)")
    args = parser.parse_args()
    counts = [int(x) for x in args.clients.split(",")]
    worker_counts = [int(x) for x in args.workers.split(",")]
    print(f"machine: {machine()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or str(Path(tmp) / "bench.db")
        if not Path(db).exists():
            t0 = time.perf_counter()
            build(db)
            print(f"built Y1, Y5 and Y10 in {time.perf_counter() - t0:.0f} s\n")
        load_rows = []
        history_rows = []
        for workers in worker_counts:
            server = serve(db, args.port, workers)
            base = f"http://127.0.0.1:{args.port}"
            try:
                first = sign_in(base)
                if workers == worker_counts[0]:
                    for code in GROUPS:
                        for page in PAGES:
                            times, _ = load([first], code, page, args.seconds)
                            history_rows.append((code, page, times))
                for n in counts:
                    clients = [same_session(first, base) for _ in range(n)]
                    for page in PAGES:
                        times, rps = load(clients, "Y10", page, args.seconds)
                        load_rows.append((workers, n, page, times, rps))
                    for c0 in clients:
                        c0.close()
            finally:
                server.terminate()
                server.wait(timeout=30)
        if args.fava:
            load_rows += measure_fava(db, tmp, args.port + 1, counts, args.seconds)
    report(load_rows, history_rows, counts, worker_counts, args.seconds)


def measure_fava(
    db: str, tmp: str, port: int, counts: list[int], seconds: float
) -> list[tuple[int, int, str, list[float], float]]:
    rows = []
    server, base = fava(db, tmp, port)
    try:
        for n in counts:
            clients = [
                httpx.Client(base_url=base, timeout=120, follow_redirects=True) for _ in range(n)
            ]
            for page in FAVA_PAGES:
                times, rps = load(clients, "Y10", page, seconds)
                rows.append((0, n, page, times, rps))
            for c0 in clients:
                c0.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def report(
    load_rows: list[tuple[int, int, str, list[float], float]],
    history_rows: list[tuple[str, str, list[float]]],
    counts: list[int],
    worker_counts: list[int],
    seconds: float,
) -> None:
    print(f"Ten-year group (Y10), {seconds:g} s per cell\n")
    print("| workers (0: Fava) | clients | page | requests | p50 ms | p95 ms | req/s |")
    print("|---|---|---|---|---|---|---|")
    for workers, n, page, times, rps in load_rows:
        print(
            f"| {workers} | {n} | {page} | {len(times)} | {statistics.median(times) * 1000:.1f} "
            f"| {percentile(times, 95) * 1000:.1f} | {rps:.1f} |"
        )
    by = {(w, n, p): rps for w, n, p, _, rps in load_rows}
    for n in counts:
        for page in PAGES:
            if (1, n, page) in by and (2, n, page) in by:
                print(
                    f"\n2 workers / 1 worker, {n} clients, {page}: "
                    f"{by[(2, n, page)] / by[(1, n, page)]:.2f}x req/s",
                    end="",
                )
    p95 = {(w, n, p): percentile(t, 95) for w, n, p, t, _ in load_rows}
    best = max(worker_counts)
    for n in counts:
        for ours, theirs in (("dashboard", "fava balance sheet"), ("passbook", "fava account")):
            if (0, n, theirs) in p95 and (best, n, ours) in p95:
                print(
                    f"\n{n} clients: {theirs} p95 / {ours} p95 ({best} workers): "
                    f"{p95[(0, n, theirs)] / p95[(best, n, ours)]:.1f}x",
                    end="",
                )
    print(f"\n\nHistory: one client, {worker_counts[0]} worker(s)\n")
    print("| group | years | page | p50 ms | p95 ms | p50 / Y1 p50 |")
    print("|---|---|---|---|---|---|")
    base_p50 = {p: statistics.median(t) for c, p, t in history_rows if c == "Y1"}
    for code, page, times in history_rows:
        p50 = statistics.median(times)
        print(
            f"| {code} | {GROUPS[code]} | {page} | {p50 * 1000:.1f} | "
            f"{percentile(times, 95) * 1000:.1f} | {p50 / base_p50[page]:.2f} |"
        )


if __name__ == "__main__":
    main()
