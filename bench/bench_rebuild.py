"""Full projection rebuild: the demo ledger, and optionally a long synthetic history.

    python bench/bench_rebuild.py [--backend sqlite|postgres|both] [--years 0]

Builds the demo ledger (and, with --years N, one 30-member group with N years of weekly
meetings), then rebuilds every projection from the first event. Prints events, seconds,
events per second and peak memory (Python allocations during the rebuild, via tracemalloc,
and the process's maximum resident set).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import FixedClock, load, machine, meeting, new_group, store

from coopledger import Ledger, demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--years", type=int, default=0)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"machine: {machine()}\n")
    print("| back end | ledger | events | rebuild s | events/s | peak Python MiB | max RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with store(backend, Path(tmp)) as db:
                ledger = Ledger(db)
                demo.build(ledger)
                label = "demo (4 groups, 1 year)"
                if args.years:
                    ledger.clock = FixedClock()
                    ledger.pin_today(None)  # the demo pins its last day as 'today'
                    new_group(ledger, "LONG")
                    for w in range(52 * args.years):
                        ledger.execute(meeting("LONG", w))
                    label += f" + 1 group x {args.years} years"
                t0 = time.perf_counter()
                count = ledger.rebuild_projections()
                seconds = time.perf_counter() - t0
                tracemalloc.start()  # a second rebuild, traced (tracing slows it down)
                ledger.rebuild_projections()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                assert ledger.reports.books.trial_balance().totals["RICE"] == 0
                ledger.close()
                print(
                    f"| {backend} | {label} | {count:,} | {seconds:.2f} | "
                    f"{count / seconds:,.0f} | {peak / 2**20:.1f} | {rss:.0f} |"
                )

    print(f"\n{load()} at the end")


if __name__ == "__main__":
    main()
