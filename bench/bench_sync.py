"""A year of weekly meetings recorded on a field laptop, synced to the office in one go.

The office is ``coopledger serve`` in its own process on 127.0.0.1 (SQLite); the laptop
takes one 30-member group (``coopledger field checkout``), records 52 weekly meetings of 64
entries with the Python API, and then ``coopledger sync`` runs as a whole process, as an
animator runs it. Prints the sync's wall and CPU seconds (median of ``--runs`` fresh
laptops), the events and bytes sent (the JSON bodies of the requests) and the requests made.

    ../.venv/bin/python bench_sync.py [--weeks 52] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import load, machine, meeting, new_group

from coopledger import Ledger
from coopledger.field import BATCH, version, wire_events
from coopledger.sync import Office, checkout
from coopweb import Accounts

BIN = Path(sys.executable).parent
PASSWORD = "bench-password"  # noqa: S105 - a throwaway account in a temporary office


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db: str, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(BIN / "coopledger"), "--db", db, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the office did not start")


def one_run(tmp: Path, weeks: int, run: int) -> dict[str, float]:
    office_db, laptop_db = str(tmp / f"office{run}.db"), str(tmp / f"laptop{run}.db")
    with Ledger(office_db, user="bench") as office:
        new_group(office, "LONG")
        accounts = Accounts(office.db)
        user = accounts.save("shirin", role="animator", password=PASSWORD, groups=["LONG"])
        token = accounts.issue_token(user).token
    port = free_port()
    server = serve(office_db, port)
    try:
        url = f"http://127.0.0.1:{port}"
        with Ledger(laptop_db, user="animator") as laptop:
            checkout(laptop, Office(url, token), "LONG")
            base = version(laptop, "LONG")
            for week in range(weeks):
                laptop.execute(meeting("LONG", week))
            events = wire_events(laptop, "LONG", after=base, limit=10**6)
            sent = sum(
                len(json.dumps({"events": [e.as_dict() for e in events[i : i + BATCH]]}))
                for i in range(0, len(events), BATCH)
            )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [str(BIN / "coopledger"), "--db", laptop_db, "sync"], check=True, capture_output=True
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with Ledger(office_db) as office:
            assert version(office, "LONG") == base + len(events), "the office lacks events"
        return {
            "wall": wall,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "events": len(events),
            "bytes": sent,
            "requests": -(-len(events) // BATCH) + 1,
        }
    finally:
        server.kill()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}\nload at start: {load()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(Path(tmp), args.weeks, r) for r in range(args.runs)]
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    r = runs[0]
    print("| meetings | events sent | bytes sent | requests | sync wall s | sync CPU s (laptop) |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.weeks} | {r['events']:,} | {r['bytes']:,} | {r['requests']} | {wall:.2f} | "
        f"{cpu:.2f} |"
    )
    print(f"\nload at end: {load()}")


if __name__ == "__main__":
    main()
