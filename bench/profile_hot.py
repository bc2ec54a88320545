"""cProfile of the two hot paths, top ten by cumulative and by own time.

    python bench/profile_hot.py meeting [--meetings 200]
    python bench/profile_hot.py audit [--years 10] [--shape new|old] [--keep PATH]
    python bench/profile_hot.py rebuild --keep PATH [--memory]

``meeting``: ``ledger.execute(RecordMeeting(...))`` of a 64-entry meeting (the same meetings
as ``bench_meetings.py``), after as many meetings unprofiled, on SQLite. ``audit``:
``audit.audit(ledger, "LONG")`` of the ten-year group of ``bench_audit.py`` (stored as one
event per meeting, ``new``, or one event per entry as 0.1.0 stored it, ``old``), in a fresh
``Ledger`` (as ``coopledger audit`` opens it); ``--keep`` keeps the built file to profile
again without building. ``rebuild``: ``ledger.rebuild_projections()`` of a store built by
``bench_programme.py --build PATH``; with ``--memory``, instead of profiling, the peak of
Python's allocations (``tracemalloc``) and the largest allocation sites at that peak.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from common import FixedClock, meeting, new_group

from coopledger import Ledger


def top(profile: cProfile.Profile, n: int = 10) -> None:
    stats = pstats.Stats(profile)
    stats.strip_dirs()
    for key, title in (("cumulative", "cumulative"), ("tottime", "own time")):
        print(f"\ntop {n} by {title}:")
        stats.sort_stats(key).print_stats(n)


def profile_meetings(count: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Ledger(str(Path(tmp) / "m.db"), clock=FixedClock(), user="bench") as ledger,
    ):
        new_group(ledger, "BENCH")
        commands = [meeting("BENCH", w) for w in range(2 * count)]
        for c in commands[:count]:
            ledger.execute(c)
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        for c in commands[count:]:
            ledger.execute(c)
        profile.disable()
        elapsed = time.perf_counter() - t0
    print(f"{count} meetings, {elapsed / count * 1000:.2f} ms each under the profiler")
    top(profile)


def profile_audit(years: int, shape: str, keep: str | None) -> None:
    from bench_audit import build  # noqa: PLC0415

    from coopledger import audit  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        db = keep or str(Path(tmp) / f"{shape}.db")
        if not Path(db).exists():
            build(db, "LONG", years, shape)
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        with Ledger(db) as ledger:
            result = audit.audit(ledger, "LONG")
        profile.disable()
        elapsed = time.perf_counter() - t0
    assert result.ok, result.findings()
    print(f"audit of {result.events:,} events ({shape}): {elapsed:.2f} s under the profiler")
    top(profile)


def profile_rebuild(db: str, memory: bool) -> None:
    with Ledger(db) as ledger:
        if memory:
            import tracemalloc  # noqa: PLC0415

            tracemalloc.start(3)
            peak: list[tuple[int, tracemalloc.Snapshot | None]] = [(0, None)]

            def note(_count: int) -> None:
                size = tracemalloc.get_traced_memory()[0]
                if size > peak[0][0]:
                    peak[0] = (size, tracemalloc.take_snapshot())

            count = ledger.rebuild_projections(progress=note)
            top_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{count:,} events; traced peak {top_peak / 2**20:.1f} MiB")
            size, snapshot = peak[0]
            print(f"largest traced size at a batch's end: {size / 2**20:.1f} MiB; top sites:")
            if snapshot is not None:
                for stat in snapshot.statistics("lineno")[:12]:
                    print(f"  {stat.size / 2**20:8.1f} MiB {stat.count:>9,}  {stat.traceback}")
            return
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        count = ledger.rebuild_projections()
        profile.disable()
        elapsed = time.perf_counter() - t0
    print(f"rebuild of {count:,} events: {elapsed:.2f} s under the profiler")
    top(profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["meeting", "audit", "rebuild"])
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--shape", choices=["new", "old"], default="new")
    parser.add_argument("--keep", help="a SQLite file to build once and profile again")
    parser.add_argument("--memory", action="store_true", help="rebuild: trace allocations")
    args = parser.parse_args()
    if args.what == "meeting":
        profile_meetings(args.meetings)
    elif args.what == "rebuild":
        profile_rebuild(args.keep, args.memory)
    else:
        profile_audit(args.years, args.shape, args.keep)


if __name__ == "__main__":
    main()
