"""Programme scale: many groups x one year of weekly meetings, then a full rebuild.

    python bench/bench_programme.py [--groups 280,1400,2800] [--weeks 52]
                                    [--backend sqlite|postgres] [--batch 40] [--trace]

For each size, builds a fresh ledger with the library's own commands (each group formed
with 28 members, as the seeds' programme has 78,000 households in 2,800 groups; then one
meeting a week per group: one event holding 62 entries), batched with
``ledger.execute_all`` (one transaction per ``--batch`` meetings of as many groups).
Then, in a fresh process that opens the ledger and does nothing else, it measures
``ledger.rebuild_projections()``: seconds, events per second and the process's maximum
resident set (with ``--trace``, also the peak of Python's allocations during a second,
traced rebuild); and the size of the SQLite file (or of the PostgreSQL schema's tables and
indexes). Wall-clock and CPU seconds (the process's own; on PostgreSQL the server's work
is not in it). Prints one Markdown row per size; each child process also appends its raw
figures to ``coopledger-bench-programme.jsonl`` in the temporary folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from common import START, FixedClock, machine, meeting, store

from coopledger import Ledger
from coopledger.commands import FormGroup, JoinMember

MEMBERS = 28


def group_commands(code: str) -> list[FormGroup | JoinMember]:
    made: list[FormGroup | JoinMember] = [
        FormGroup(
            group=code,
            name=f"{code} group",
            kind="women",
            meeting_day="friday",
            district="Dinajpur",
            upazila="Chirirbandar",
            village=f"Village {code}",
            date=START,
        )
    ]
    made += [
        JoinMember(
            group=code,
            name=f"Member {i + 1}",
            household=f"{code}-H{i + 1}",
            gender="female",
            landless=True,
            wellbeing="poor",
            date=START,
        )
        for i in range(MEMBERS)
    ]
    return made


def size_of(db: str, backend: str) -> int:
    """Bytes on disk: the SQLite file (its log checkpointed into it), or every table and
    index of the PostgreSQL schema."""
    if backend == "sqlite":
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*"))
    import psycopg  # noqa: PLC0415

    url, _, schema = db.partition("?schema=")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchone()
    return int(row[0]) if row else 0


def build(db: str, groups: int, weeks: int, batch: int) -> dict[str, float]:
    """A programme of ``groups`` groups x ``weeks`` weekly meetings, in recording order
    (every group's meeting of week 1, then of week 2 ...)."""
    # every group stays cached while the generator goes round them (an LRU smaller than
    # the round would reload each group from its snapshot at every meeting)
    ledger = Ledger(db, user="bench", cache_size=groups + 8)
    clock = FixedClock()
    ledger.clock = clock
    codes = [f"G{i:06d}" for i in range(groups)]
    t0 = time.perf_counter()
    for start in range(0, groups, 8):  # 8 groups (232 commands) per transaction
        ledger.execute_all([c for code in codes[start : start + 8] for c in group_commands(code)])
    for week in range(weeks):
        assert START + timedelta(weeks=week) <= clock.now.date()
        for start in range(0, groups, batch):
            ledger.execute_all(
                [meeting(code, week, MEMBERS) for code in codes[start : start + batch]]
            )
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds()
    table = ledger.db.table(ledger.events_table)
    events = int(ledger.db.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
    ledger.close()
    return {
        "groups": groups,
        "weeks": weeks,
        "events": events,
        "build_s": seconds,
        "build_cpu_s": cpu,
    }


def rebuild(db: str, trace: bool) -> dict[str, float]:
    """A full rebuild in this (fresh) process: seconds, and its memory."""
    ledger = Ledger(db, user="bench")
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    count = ledger.rebuild_projections()
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak = 0.0
    if trace:  # a second rebuild, traced (tracing slows it down)
        tracemalloc.start()
        ledger.rebuild_projections()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert ledger.reports.books.trial_balance().totals["RICE"] == 0
    ledger.close()
    return {
        "rebuilt": count,
        "rebuild_s": seconds,
        "rebuild_cpu_s": cpu,
        "rss_mib": rss,
        "peak_mib": peak,
    }


def cpu_seconds() -> float:
    """This process's CPU time (user and system): on a machine shared with other work the
    wall-clock time says more about the neighbours than about the ledger."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def child(*args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="280,1400,2800", help="sizes, comma-separated")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--batch", type=int, default=40, help="meetings per transaction")
    parser.add_argument("--trace", action="store_true", help="also trace Python's allocations")
    parser.add_argument("--build", help=argparse.SUPPRESS)  # a child's job: build into DB
    parser.add_argument("--rebuild", help=argparse.SUPPRESS)  # a child's job: rebuild DB
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build or args.rebuild:
        found = (
            build(args.build, args.n, args.weeks, args.batch)
            if args.build
            else rebuild(args.rebuild, args.trace)
        )
        print(json.dumps(found))
        with (Path(tempfile.gettempdir()) / "coopledger-bench-programme.jsonl").open("a") as log:
            log.write(json.dumps({"db": args.build or args.rebuild, **found}) + "\n")
        return
    print(f"machine: {machine()}\n")
    print(
        "| back end | groups x weeks | events | build s (CPU s) | rebuild s (CPU s) "
        "| rebuild events/s (per CPU s) | rebuild max RSS MiB | traced peak MiB | size MiB "
        "| bytes/event |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for groups in [int(g) for g in args.groups.split(",")]:
        with tempfile.TemporaryDirectory() as tmp, store(args.backend, Path(tmp)) as db:
            made = child(
                "--build", db, "--n", str(groups), "--weeks", str(args.weeks),
                "--batch", str(args.batch), "--backend", args.backend,
            )  # fmt: skip
            size = size_of(db, args.backend)
            again = child("--rebuild", db, *(["--trace"] if args.trace else []))
            assert again["rebuilt"] == made["events"]
            traced = f"{again['peak_mib']:.0f}" if args.trace else "-"
            print(
                f"| {args.backend} | {groups:,} x {args.weeks} | {made['events']:,.0f} | "
                f"{made['build_s']:,.0f} ({made['build_cpu_s']:,.0f}) | "
                f"{again['rebuild_s']:,.1f} ({again['rebuild_cpu_s']:,.1f}) | "
                f"{made['events'] / again['rebuild_s']:,.0f} "
                f"({made['events'] / again['rebuild_cpu_s']:,.0f}) | {again['rss_mib']:,.0f} | "
                f"{traced} | {size / 2**20:,.0f} | {size / made['events']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
