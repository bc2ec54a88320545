"""An auditor's check of ten years of one group, as whole processes, against Beancount's
``bean-check`` of the same books; and the command line's start-up.

    python bench/bench_audit.py [--years 10] [--runs 5] [--backend sqlite|postgres|both]
                                [--small-years 3]

One 30-member group with weekly meetings of about 105 entries each, stored two ways:
**new** (a meeting is one ``MeetingRecorded`` event, as this version records it) and
**old** (a meeting is one event per entry plus ``MeetingHeld`` with its count, all under the
meeting's one idempotency key, as release 0.1.0 stored it and as any ledger upgraded from it
holds; see :class:`RecordMeetingTheOldWay`). For each, as whole processes, the order
alternating from run to run (A B, B A, ...), ``--runs`` times:

* ``coopledger audit --group LONG``: chains, replay and compare, snapshots, rules, one pass;
* ``bean-check --no-cache`` on the Beancount export of the same group (cold: Beancount 3
  keeps a pickle cache next to the file unless told not to).

Prints the median, the fastest and the slowest seconds of each, the ratio of the medians and
the range of the ratios of the runs (each run's ``bean-check`` over the same run's audit).

Then the start-up of the command line on a small group (``coopledger --help``, a report) and,
on a ``--small-years`` group, ``coopledger verify`` and ``coopledger replay`` as two
processes (an auditor running them one after the other) against ``bean-check`` of the same
books, alternating the same way.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple

from common import FixedClock, load, machine, meeting, new_group, store

from coopledger import Ledger
from coopledger.audit.exports import export_beancount
from coopledger.groups.aggregate import Group
from coopledger.kernel.commands import GroupCommand
from coopledger.kernel.lines import Line
from coopledger.meetings.meeting import MeetingHeld, RecordMeeting
from coopledger.savings.cash import CashSaved, SavingLine
from coopledger.savings.rice import (
    DepositLine,
    RiceDeposited,
    RicePaymentLine,
    RicePaymentReceived,
    RiceSold,
    SaleLine,
)

BIN = Path(sys.executable).parent


class RecordMeetingTheOldWay(GroupCommand):
    """Bench only: a meeting as release 0.1.0 stored it: one event per entry
    (``RiceDeposited``, ``RiceSold``, ``RicePaymentReceived``, ``CashSaved``), then
    ``MeetingHeld`` with the count, all in one command, so they share its idempotency key
    and command hash (``tests/data/ledger-0.1.0.db.gz`` holds meetings of this shape)."""

    command: Literal["bench_record_meeting_old_way"] = "bench_record_meeting_old_way"
    meeting: RecordMeeting

    def handle(self, unit: Any) -> Any:
        m = self.meeting
        group: Group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        entries: list[tuple[Any, Line]] = [
            (RiceDeposited, DepositLine(d.member, d.grams)) for d in m.deposits
        ]
        entries += [
            (RiceSold, SaleLine(s.buyer, s.grams, s.taka_per_kg, paid=s.paid)) for s in m.sales
        ]
        entries += [(RicePaymentReceived, RicePaymentLine(p.member, p.taka)) for p in m.payments]
        entries += [(CashSaved, SavingLine(s.member, s.taka)) for s in m.savings]
        for event_class, line in entries:
            group.enter(event_class, line, on, unit.stamp)
        group.record(
            MeetingHeld,
            on,
            unit.stamp,
            attendance=sorted(m.attendance),
            counted_cash=m.counted_cash,
            counted_rice_grams=m.counted_rice_grams,
            notes="",
        )
        return group.version


def build(db: str, code: str, years: int, shape: str) -> int:
    """A group with ``years`` of weekly meetings stored in ``shape``; its length."""
    with Ledger(db, clock=FixedClock(), user="bench") as ledger:
        new_group(ledger, code)
        for w in range(52 * years):
            c = meeting(code, w, busy=True).model_copy(
                update={"counted_rice_grams": 0, "counted_cash": Decimal(0)}
            )
            if shape == "new":
                ledger.execute(c)
            else:
                ledger.execute(
                    RecordMeetingTheOldWay(group=code, date=c.date, key=c.key, meeting=c)
                )
        return int(ledger.load(code).version)


def export(db: str, code: str, path: Path) -> int:
    """Write the group's Beancount export; its number of lines."""
    with Ledger(db) as ledger, path.open("w", encoding="utf-8") as f:
        export_beancount(ledger, f, code)
    with path.open(encoding="utf-8") as f:
        return sum(1 for _ in f)


class Timing(NamedTuple):
    """A whole process: wall-clock seconds, and CPU seconds (user + system) it used."""

    wall: float
    cpu: float


def timed(argv: list[str]) -> Timing:
    """Time a whole process (it must succeed). CPU time is what the process itself used:
    on a machine shared with other jobs it varies much less than the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Timing(elapsed, cpu)


def both(first: Timing, second: Timing) -> Timing:
    return Timing(first.wall + second.wall, first.cpu + second.cpu)


def alternate(steps: dict[str, Callable[[], Timing]], runs: int) -> dict[str, list[Timing]]:
    """Each step ``runs`` times, in order on even runs and in reverse order on odd ones."""
    times: dict[str, list[Timing]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(runs):
        for name in names if r % 2 == 0 else names[::-1]:
            times[name].append(steps[name]())
    return times


def spread(timings: list[Timing]) -> str:
    """Median wall seconds (fastest-slowest); median CPU seconds (fastest-slowest)."""
    out = []
    for values in ([t.wall for t in timings], [t.cpu for t in timings]):
        out.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
    return " | ".join(out)


def ratios(bean: list[Timing], ours: list[Timing]) -> str:
    """The ratio of the medians (and the range of each run's ratio), wall then CPU."""
    out = []
    for kind in ("wall", "cpu"):
        b = [getattr(t, kind) for t in bean]
        o = [getattr(t, kind) for t in ours]
        each = [x / y for x, y in zip(b, o, strict=True)]
        out.append(
            f"**{statistics.median(b) / statistics.median(o):.1f}** "
            f"({min(each):.1f}-{max(each):.1f})"
        )
    return " | ".join(out)


def ten_years(backend: str, tmp: Path, years: int, runs: int, coop: str, bean: str) -> None:
    """Both shapes in one run: the two audits and the bean-checks of both exports alternate
    (a meeting's export is one transaction per event, so the new shape's export is one
    transaction per meeting, the old shape's one per entry: same accounts and balances)."""
    with store(backend, tmp) as new_db, store(backend, tmp) as old_db:
        dbs = {"new": new_db, "old": old_db}
        events, lines, books = {}, {}, {}
        for shape, db in dbs.items():
            t0 = time.perf_counter()
            events[shape] = build(db, "LONG", years, shape)
            print(f"built {shape} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            books[shape] = tmp / f"{backend}-{shape}.beancount"
            lines[shape] = export(db, "LONG", books[shape])
        steps: dict[str, Callable[[], Timing]] = {}
        for shape, db in dbs.items():
            steps[f"audit {shape}"] = lambda db=db: timed(
                [coop, "--db", db, "audit", "--group", "LONG"]
            )
            steps[f"bean {shape}"] = lambda b=books[shape]: timed([bean, "--no-cache", str(b)])
        times = alternate(steps, runs)
    for shape in dbs:
        audit = times[f"audit {shape}"]
        print(
            f"| {backend} | {shape} | {events[shape]:,} | {spread(audit)} | "
            f"{lines[shape]:,} | {spread(times[f'bean {shape}'])} | "
            f"{ratios(times[f'bean {shape}'], audit)} | {ratios(times['bean old'], audit)} |",
            flush=True,
        )


def startup(backend: str, tmp: Path, years: int, runs: int, coop: str, bean: str) -> None:
    with (
        store(backend, tmp) as small,
        store(backend, tmp) as mid,
        store(backend, tmp) as mid_old,
    ):
        with Ledger(small, clock=FixedClock(), user="bench") as ledger:
            new_group(ledger, "SMALL")
            ledger.execute(meeting("SMALL", 0))
        events = build(mid, "MID", years, "new")
        books = tmp / f"{backend}-mid.beancount"
        export(mid, "MID", books)
        build(mid_old, "MID", years, "old")
        per_entry = tmp / f"{backend}-mid-old.beancount"
        export(mid_old, "MID", per_entry)
        help_and_report = alternate(
            {
                "help": lambda: timed([coop, "--help"]),
                "report": lambda: timed(
                    [coop, "--db", small, "report", "group", "--group", "SMALL"]
                ),
            },
            runs,
        )
        auditor = alternate(
            {
                "verify": lambda: timed([coop, "--db", mid, "verify", "--group", "MID"]),
                "replay": lambda: timed([coop, "--db", mid, "replay", "--group", "MID"]),
                "audit": lambda: timed([coop, "--db", mid, "audit", "--group", "MID"]),
                "bean": lambda: timed([bean, "--no-cache", str(books)]),
                "bean per entry": lambda: timed([bean, "--no-cache", str(per_entry)]),
            },
            runs,
        )
    two = [both(v, r) for v, r in zip(auditor["verify"], auditor["replay"], strict=True)]
    rows = [
        ("`coopledger --help`", help_and_report["help"], None),
        ("`coopledger report group` (one meeting)", help_and_report["report"], None),
        (f"`coopledger verify` ({years}-year group, {events:,} events)", auditor["verify"], None),
        ("`coopledger replay` (same group)", auditor["replay"], None),
        ("verify + replay, two processes", two, two),
        ("`coopledger audit` (same group, one process)", auditor["audit"], auditor["audit"]),
        ("`bean-check --no-cache` (its export: a transaction a meeting)", auditor["bean"], None),
        (
            "`bean-check --no-cache` (the per-entry export of the same meetings)",
            auditor["bean per entry"],
            None,
        ),
    ]
    for name, values, against in rows:
        ratio = " | " if against is None else ratios(auditor["bean"], against)
        if against is not None:
            ratio += " | " + ratios(auditor["bean per entry"], against)
        else:
            ratio += " | | "
        print(f"| {backend} | {name} | {spread(values)} | {ratio} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--small-years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--skip-long", action="store_true", help="only the start-up table")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    coop = str(BIN / "coopledger")
    bean = shutil.which("bean-check", path=str(BIN)) or "bean-check"
    print(f"machine: {machine()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_long:
            print(
                f"one 30-member group, {args.years} years of weekly meetings of about 105 "
                f"entries; seconds: median (fastest-slowest) of {args.runs} runs, each a new "
                "process, alternating; wall clock and CPU (user + system) of the process\n"
            )
            print(
                "| back end | stored | events | audit wall s | audit CPU s | lines of its "
                "Beancount export | bean-check wall s | bean-check CPU s | bean-check / audit, "
                "wall | CPU | bean-check of the per-entry export / audit, wall | CPU |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for backend in backends:
                ten_years(backend, Path(tmp), args.years, args.runs, coop, bean)
        print(
            f"\ncommand line; seconds: median (fastest-slowest) of {args.runs} runs, alternating\n"
        )
        print(
            "| back end | command | wall s | CPU s | bean-check / it, wall | CPU | "
            "bean-check of the per-entry export / it, wall | CPU |\n"
            "|---|---|---|---|---|---|---|---|"
        )
        for backend in backends:
            startup(backend, Path(tmp), args.small_years, args.runs, coop, bean)

    print(f"\n{load()} at the end")


if __name__ == "__main__":
    main()
