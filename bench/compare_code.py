"""Two versions of the code on the same store, whole processes taking turns: what a change
did to ``coopledger audit`` (or any other command).

    git archive <commit> src | tar -x -C /tmp/before      # the code before, once
    python bench/compare_code.py --before /tmp/before/src --db FILE [--runs 6] \\
        [-- audit --group LONG]

Runs ``coopledger --db FILE <command>`` with the code in ``--before`` first on the import
path, then with the installed code, alternating (A B, B A, ...), and prints the median
(fastest-slowest) of the wall-clock and CPU seconds of each. Both must succeed and print
the same.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

PROGRAM = "import sys\nfrom coopledger.cli import main\nmain(sys.argv[1:])\n"


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, *argv], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{result.stdout}\n{result.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="a folder holding the old coopledger")
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("command", nargs="*", default=["audit"])
    args = parser.parse_args()
    argv = ["--db", args.db, *args.command]
    envs = {
        "before": {**os.environ, "PYTHONPATH": args.before},
        "after": {k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in envs}
    outputs: dict[str, set[str]] = {name: set() for name in envs}
    names = list(envs)
    for r in range(args.runs):
        for name in names if r % 2 == 0 else names[::-1]:
            wall, cpu, out = run(argv, envs[name])
            times[name].append((wall, cpu))
            outputs[name].add(out)
    if outputs["before"] != outputs["after"]:
        print("the two versions printed different things:", outputs)
    print(f"`coopledger {' '.join(argv)}`, {args.runs} runs each, alternating\n")
    print("| code | wall s | CPU s |\n|---|---|---|")
    for name, pairs in times.items():
        cells = []
        for values in ([w for w, _ in pairs], [c for _, c in pairs]):
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
