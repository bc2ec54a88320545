"""Two versions of the code rebuilding the same stores, whole processes taking turns: what
a change did to ``ledger.rebuild_projections()``, its CPU time and its memory.

    git archive main src | tar -x -C /tmp/before          # the code before, once
    python bench/bench_programme.py --build /tmp/p100.db --n 100 --weeks 52   # a store
    python bench/compare_rebuild.py --before /tmp/before/src /tmp/p100.db [more stores]
        [--runs 2]

Each run copies the store and rebuilds the copy in a fresh process (the code in
``--before`` first on the import path, or the installed code), the order reversed every
other run; prints each run's wall-clock and CPU seconds and the process's maximum resident
set, and the machine's load before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import machine

CHILD = """
import json, resource, sys, time
from coopledger import Ledger
ledger = Ledger(sys.argv[1], user="bench")
t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
count = ledger.rebuild_projections()
r1 = resource.getrusage(resource.RUSAGE_SELF)
ledger.close()
print(json.dumps({"events": count, "wall": time.perf_counter() - t0,
    "cpu": r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime,
    "rss_mib": r1.ru_maxrss / 1024}))
"""


def rebuild(store: str, env: dict[str, str], tmp: Path) -> dict[str, float]:
    copy = tmp / "copy.db"
    shutil.copyfile(store, copy)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(copy)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="a folder holding the old coopledger")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("stores", nargs="+", help="SQLite files (bench_programme.py --build)")
    args = parser.parse_args()
    envs = {
        "before": {**os.environ, "PYTHONPATH": args.before},
        "after": {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    }
    print(f"machine: {machine()}\n")
    print("| store | run | code | events | wall s | CPU s | events / CPU s | max RSS MiB |")
    print("|---|---|---|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.runs):
            for store in args.stores:
                for name in list(envs) if r % 2 == 0 else list(envs)[::-1]:
                    f = rebuild(store, envs[name], Path(tmp))
                    print(
                        f"| {Path(store).name} | {r + 1} | {name} | {f['events']:,.0f} | "
                        f"{f['wall']:.1f} | {f['cpu']:.1f} | {f['events'] / f['cpu']:,.0f} | "
                        f"{f['rss_mib']:.0f} |",
                        flush=True,
                    )
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
