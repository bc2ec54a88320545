"""Programme scale: many groups x one year of weekly meetings, then a full rebuild.

    python bench/bench_programme.py [--groups 280,1400,2800] [--weeks 52]
                                    [--backend sqlite|postgres] [--batch 40]

For each size, builds a fresh ledger with the library's own commands (each group formed
with 28 members, as the seeds' programme has 78,000 households in 2,800 groups; then one
meeting a week per group: one event holding about 64 entries), batched with
``ledger.execute_all`` (one transaction per ``--batch`` meetings of as many groups).
Then it measures ``ledger.rebuild_projections()``: seconds, events per second, the peak of Python's
allocations during a second (traced) rebuild, and the process's maximum resident set; and
the size of the SQLite file (or of the PostgreSQL schema). Prints one Markdown row per size.

Each size runs in a child process of its own, so that the maximum resident set of one size
is not carried into the next.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
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


def size_of(db: str, backend: str, ledger: Ledger) -> int:
    if backend == "sqlite":
        return sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*"))
    rows = ledger.db.query(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS n FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'",
        (ledger.db.schema,),
    )
    return int(rows[0]["n"])


def one(groups: int, weeks: int, backend: str, batch: int) -> dict[str, float]:
    """Build one programme and rebuild it; the figures as a dict."""
    with tempfile.TemporaryDirectory() as tmp, store(backend, Path(tmp)) as db:
        ledger = Ledger(db, user="bench")
        clock = FixedClock()
        ledger.clock = clock
        codes = [f"G{i:06d}" for i in range(groups)]
        t0 = time.perf_counter()
        for start in range(0, groups, 8):  # 8 groups (232 commands) per transaction
            ledger.execute_all(
                [c for code in codes[start : start + 8] for c in group_commands(code)]
            )
        for week in range(weeks):
            day: date = START + timedelta(weeks=week)
            assert day <= clock.now.date()
            for start in range(0, groups, batch):
                ledger.execute_all(
                    [meeting(code, week, MEMBERS) for code in codes[start : start + batch]]
                )
        build = time.perf_counter() - t0
        events = int(
            ledger.db.query(f"SELECT COUNT(*) AS n FROM {ledger.db.table(ledger.events_table)}")[0][
                "n"
            ]
        )
        t0 = time.perf_counter()
        count = ledger.rebuild_projections()
        seconds = time.perf_counter() - t0
        tracemalloc.start()  # a second rebuild, traced (tracing slows it down)
        ledger.rebuild_projections()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert count == events
        assert ledger.reports.books.trial_balance().totals["RICE"] == 0
        size = size_of(db, backend, ledger)
        ledger.close()
        return {
            "groups": groups,
            "weeks": weeks,
            "events": events,
            "build_s": build,
            "rebuild_s": seconds,
            "peak_mib": peak / 2**20,
            "rss_mib": rss,
            "size_mib": size / 2**20,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="280,1400,2800", help="sizes, comma-separated")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--batch", type=int, default=40, help="meetings per transaction")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child's size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.weeks, args.backend, args.batch)))
        return
    print(f"machine: {machine()}\n")
    print(
        "| back end | groups x weeks | events | build s | rebuild s | rebuild events/s "
        "| peak Python MiB | max RSS MiB | size MiB | bytes/event |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for groups in [int(g) for g in args.groups.split(",")]:
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(groups),
                "--weeks",
                str(args.weeks),
                "--backend",
                args.backend,
                "--batch",
                str(args.batch),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"| {args.backend} | {r['groups']:,} x {r['weeks']} | {r['events']:,} | "
            f"{r['build_s']:,.0f} | {r['rebuild_s']:,.1f} | "
            f"{r['events'] / r['rebuild_s']:,.0f} | {r['peak_mib']:.1f} | {r['rss_mib']:.0f} | "
            f"{r['size_mib']:,.0f} | {r['size_mib'] * 2**20 / r['events']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
