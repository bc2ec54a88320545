"""Staff pages under concurrent load, 1 against 2 worker processes, on 127.0.0.1.

    python bench/bench_web.py [--clients 1,4,8,16] [--workers 1,2] [--seconds 5]
                              [--keep bench-web.db] [--fava] [--load wrk|python]
                              [--rounds 2] [--before OLD_SRC]

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

``--load wrk`` (default when ``wrk`` is on the PATH): the requests are made by wrk (one
thread, N connections: N clients), which costs the two cores far less than ``--load
python`` (N Python threads with httpx, the earlier bench's client). ``--rounds R``: every
server is started once and they all stay up; each cell (clients x page) is measured on
each server in turn, the order reversed every other round, R rounds; the tables give the
median of the rounds. ``--before OLD_SRC``: also serve the code in ``OLD_SRC/src``
(``git archive <commit> src | tar -x -C OLD_SRC``) with 1 and 2 workers, in the same
rounds; ``--no-cache-too``: also serve this code with ``COOPWEB_PAGE_CACHE=0``. Each
cell also gives the CPU time the server's processes used per request (``/proc``: the
uvicorn processes and their children), wrk's (or this process's) CPU time per request,
and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from common import FixedClock, load, machine, meeting, new_group, percentile

from coopledger import Ledger
from coopweb import Accounts

PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account
GROUPS = {"Y1": 1, "Y5": 5, "Y10": 10}
PAGES = {"dashboard": "/groups/{code}", "passbook": "/groups/{code}/members/{member}"}


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


def serve(
    db: str, port: int, workers: int, src: str | None = None, cache: str | None = None
) -> subprocess.Popen[bytes]:
    """``coopledger serve`` in processes of its own (``src``: that code instead of the
    installed one, through ``PYTHONPATH``; ``cache``: ``COOPWEB_PAGE_CACHE``)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if cache is not None:
        env["COOPWEB_PAGE_CACHE"] = cache
    if src:
        env["PYTHONPATH"] = str(Path(src) / "src")
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
        env=env,
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every process under it (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, p in parents.items():
            if p == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(used.get(p, 0.0) for p in tree)


class Measured:
    """One cell: the page's latencies (p50, p95 in seconds), requests, req/s, the server's
    CPU seconds per request, the load generator's CPU seconds per request, the load."""

    def __init__(
        self,
        p50: float,
        p95: float,
        requests: int,
        rps: float,
        server_cpu: float,
        client_cpu: float,
    ) -> None:
        self.p50, self.p95, self.requests, self.rps = p50, p95, requests, rps
        self.server_cpu, self.client_cpu = server_cpu, client_cpu
        self.load = os.getloadavg()[0]


def load_python(
    clients: list[httpx.Client], url_of: Any, seconds: float
) -> tuple[list[float], float, float]:
    """Every client requests the page in a loop for ``seconds`` (a Python thread each);
    latencies, req/s and this process's CPU seconds."""
    times: list[float] = []
    lock = threading.Lock()
    for c in clients:  # warm-up: one request each (templates, caches, connections)
        c.get(url_of(0)).raise_for_status()
    cpu0 = time.process_time()
    start = time.perf_counter()
    stop = start + seconds

    def work(i: int, c: httpx.Client) -> None:
        j = 0
        while time.perf_counter() < stop:
            url = url_of(i + j)
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
    return times, len(times) / (time.perf_counter() - start), time.process_time() - cpu0


#: wrk's script: the passbook of member 1, 2 ... 30 in turn (like the Python clients), the
#: report as JSON on stderr (latencies in microseconds), non-200 answers counted.
WRK_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  local path = string.gsub(PATTERN, "{member}", tostring(1 + n % 30))
  return wrk.format("GET", path)
end
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.stderr:write(string.format(
    '{"p50": %d, "p95": %d, "requests": %d, "us": %d, "errors": %d, "non200": %d}\\n',
    latency:percentile(50), latency:percentile(95), summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout, bad))
end
"""


def load_wrk(
    base: str, pattern: str, n: int, seconds: float, cookies: dict[str, str], tmp: str
) -> tuple[float, float, int, float, float]:
    """wrk, one thread, ``n`` connections, for ``seconds``: p50 and p95 (seconds), requests,
    req/s, wrk's CPU seconds."""
    script = Path(tmp) / "bench.lua"
    script.write_text(f"PATTERN = {json.dumps(pattern)}\n{WRK_SCRIPT}")
    headers = ["-H", "Accept-Encoding: gzip"]
    if cookies:
        headers += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    first = base.rstrip("/") + pattern.replace("{member}", "1")
    httpx.get(first, cookies=cookies, timeout=60).raise_for_status()  # warm-up
    before = os.times()
    duration = f"-d{max(1, round(seconds))}s"
    command = ["wrk", "-t1", f"-c{n}", duration, "--timeout", "30s", "-s", str(script)]
    done = subprocess.run(
        [*command, *headers, first],
        capture_output=True,
        text=True,
        check=True,
    )
    after = os.times()
    found = json.loads(done.stderr.strip().splitlines()[-1])
    if found["errors"] or found["non200"]:
        raise RuntimeError(f"{first}: {found} {done.stdout}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    rps = found["requests"] / (found["us"] / 1e6)
    return found["p50"] / 1e6, found["p95"] / 1e6, found["requests"], rps, cpu


class Server:
    """A server under test: a label, its base URL, its process, the cookies of a signed-in
    session (none for Fava) and its pages' URL patterns."""

    def __init__(
        self, label: str, base: str, process: subprocess.Popen[bytes], pages: dict[str, str]
    ) -> None:
        self.label, self.base, self.process, self.pages = label, base, process, pages
        self.version, self.workers = "", 0
        self.cookies: dict[str, str] = {}
        self.signed_in: httpx.Client | None = None

    def stop(self) -> None:
        if self.signed_in is not None:
            self.signed_in.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(server: Server, page: str, n: int, seconds: float, how: str, tmp: str) -> Measured:
    pattern = server.pages[page].replace("{code}", "Y10")
    cpu0 = cpu_seconds(server.process.pid)
    if how == "wrk":
        p50, p95, count, rps, client_cpu = load_wrk(
            server.base, pattern, n, seconds, server.cookies, tmp
        )
    else:
        clients = [
            httpx.Client(base_url=server.base, timeout=120, cookies=server.cookies)
            for _ in range(n)
        ]
        try:
            times, rps, client_cpu = load_python(
                clients, lambda k: pattern.replace("{member}", str(1 + k % 30)), seconds
            )
        finally:
            for c in clients:
                c.close()
        p50, p95, count = statistics.median(times), percentile(times, 95), len(times)
    used = cpu_seconds(server.process.pid) - cpu0
    return Measured(p50, p95, count, rps, used / max(count, 1), client_cpu / max(count, 1))


def start_servers(args: argparse.Namespace, db: str, tmp: str) -> list[Server]:
    servers: list[Server] = []
    port = args.port
    pages = dict(PAGES)
    versions: list[tuple[str, str | None, str | None]] = [("now", None, None)]
    if args.no_cache_too:
        versions.append(("now, no page cache", None, "0"))
    if args.before:
        versions.append(("before", args.before, None))
    for version, src, cache in versions:
        for workers in [int(x) for x in args.workers.split(",")]:
            base = f"http://127.0.0.1:{port}"
            label = f"{workers} worker{'s' if workers > 1 else ''}"
            if len(versions) > 1:
                label = f"{version}, {label}"
            server = Server(label, base, serve(db, port, workers, src, cache), pages)
            server.version, server.workers = version, workers
            server.signed_in = sign_in(base)
            server.cookies = dict(server.signed_in.cookies.items())
            servers.append(server)
            port += 1
    if args.fava:
        process, ledger_url = fava(db, tmp, port)
        root = ledger_url.split("/", 3)  # http:, '', host:port, slug/
        pages = {p: f"/{root[3]}{u}" for p, u in FAVA_URLS.items()}
        servers.append(Server("Fava", "/".join(root[:3]), process, pages))
    return servers


#: Fava's two pages under the names of ours they are compared with.
FAVA_URLS = {"dashboard": "balance_sheet/", "passbook": "account/Assets:Y10:Cash/"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,8,16")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", help="build the ledger in this file once, and reuse it")
    parser.add_argument("--fava", action="store_true", help="also measure Fava (pip install fava)")
    parser.add_argument("--load", choices=("wrk", "python"), default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", help="also serve the code of OLD_SRC/src, same rounds")
    parser.add_argument(
        "--no-cache-too", action="store_true", help="also serve with COOPWEB_PAGE_CACHE=0"
    )
    args = parser.parse_args()
    how = args.load or ("wrk" if shutil.which("wrk") else "python")
    counts = [int(x) for x in args.clients.split(",")]
    print(f"machine: {machine()}\nload generator: {how}\n")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or str(Path(tmp) / "bench.db")
        if not Path(db).exists():
            t0 = time.perf_counter()
            build(db)
            print(f"built Y1, Y5 and Y10 in {time.perf_counter() - t0:.0f} s\n")
        servers = start_servers(args, db, tmp)
        try:
            cells: dict[tuple[str, int, str], list[Measured]] = {}
            for r in range(args.rounds):
                order = servers if r % 2 == 0 else servers[::-1]
                print(f"round {r + 1}: {load()}", flush=True)
                for n in counts:
                    for page in PAGES:
                        for server in order:
                            found = measure(server, page, n, args.seconds, how, tmp)
                            cells.setdefault((server.label, n, page), []).append(found)
            print(f"end: {load()}\n")
            history = measure_history(servers[0], args.seconds, how, tmp)
        finally:
            for server in servers:
                server.stop()
    report(cells, history, servers, counts, args.seconds, args.rounds)


def measure_history(
    server: Server, seconds: float, how: str, tmp: str
) -> list[tuple[str, str, Measured]]:
    """The 1-, 5- and 10-year groups' pages, one client, on the first server."""
    rows = []
    for code in GROUPS:
        for page in PAGES:
            pattern = server.pages[page].replace("{code}", code)
            one = Server(server.label, server.base, server.process, {page: pattern})
            one.cookies = server.cookies
            rows.append((code, page, measure(one, page, 1, seconds, how, tmp)))
    return rows


def median_of(found: list[Measured], attr: str) -> float:
    return statistics.median(getattr(m, attr) for m in found)


def report(
    cells: dict[tuple[str, int, str], list[Measured]],
    history: list[tuple[str, str, Measured]],
    servers: list[Server],
    counts: list[int],
    seconds: float,
    rounds: int,
) -> None:
    print(f"Ten-year group (Y10), {seconds:g} s per cell, median of {rounds} rounds\n")
    print(
        "| server | clients | page | requests | p50 ms | p95 ms | req/s "
        "| server CPU ms/request | client CPU ms/request | load (1 min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (label, n, page), found in cells.items():
        shown = page if label != "Fava" else ("balance sheet" if page == "dashboard" else "account")
        print(
            f"| {label} | {n} | {shown} | {sum(m.requests for m in found)} "
            f"| {median_of(found, 'p50') * 1000:.1f} | {median_of(found, 'p95') * 1000:.1f} "
            f"| {median_of(found, 'rps'):.1f} | {median_of(found, 'server_cpu') * 1000:.2f} "
            f"| {median_of(found, 'client_cpu') * 1000:.2f} | {median_of(found, 'load'):.1f} |"
        )
    labels = [s.label for s in servers]
    for version in sorted({s.version for s in servers if s.workers}):
        one = next((s.label for s in servers if (s.version, s.workers) == (version, 1)), "")
        two = next((s.label for s in servers if (s.version, s.workers) == (version, 2)), "")
        if not one or not two:
            continue
        for n in counts:
            for page in PAGES:
                a, b = cells[(one, n, page)], cells[(two, n, page)]
                print(
                    f"\n{two} / {one}, {n} clients, {page}: "
                    f"{median_of(b, 'rps') / median_of(a, 'rps'):.2f}x req/s",
                    end="",
                )
    if "Fava" in labels:
        for label in labels:
            if "worker" not in label:
                continue
            for n in counts:
                for page in PAGES:
                    fava_p95 = median_of(cells[("Fava", n, page)], "p95")
                    ours = median_of(cells[(label, n, page)], "p95")
                    print(
                        f"\n{n} clients, {page}: Fava p95 / {label} p95: {fava_p95 / ours:.1f}x",
                        end="",
                    )
    print(f"\n\nHistory: one client, {servers[0].label}\n")
    print("| group | years | page | p50 ms | p95 ms | p50 / Y1 p50 | server CPU ms/request |")
    print("|---|---|---|---|---|---|---|")
    base = {p: m.p50 for c, p, m in history if c == "Y1"}
    for code, page, m in history:
        print(
            f"| {code} | {GROUPS[code]} | {page} | {m.p50 * 1000:.1f} | {m.p95 * 1000:.1f} "
            f"| {m.p50 / base[page]:.2f} | {m.server_cpu * 1000:.2f} |"
        )


if __name__ == "__main__":
    main()
