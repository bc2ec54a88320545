"""An auditor's check of ten years of one group, as whole processes, against Beancount's
``bean-check`` of the same books.

    python bench/bench_audit.py [--years 10] [--runs 3] [--backend sqlite|postgres]

One 30-member group with weekly meetings of about 115 entries each, stored two ways:
**new** (a meeting is one event, as this version records it) and **old** (a meeting is one
event per entry plus its count, as release 0.1 stored it and as any ledger upgraded from it
holds). For each, as separate processes, alternating, ``--runs`` times:

* ``coopledger audit --group LONG`` (chains, replay and compare, snapshots, rules: one pass);
* ``coopledger verify`` then ``coopledger replay``, two processes, as an auditor running them
  one after the other;
* ``bean-check`` on the Beancount export of the same group (cold: a new process each time;
  Beancount 3 keeps no cache).

Prints the median seconds of each and the ratio of ``bean-check`` to each of ours; also the
start-up of the command line (``coopledger --help`` and a small report).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from common import FixedClock, machine, meeting, new_group, store

from coopledger import Ledger
from coopledger.audit.exports import export_beancount
from coopledger.commands import DepositRice, ReceivePayment, SaveCash, SellRice
from coopledger.kernel.commands import GroupCommand
from coopledger.meetings.meeting import MeetingHeld

BIN = Path(sys.executable).parent


class HoldMeetingTheOldWay(GroupCommand):
    """Bench only: a meeting's count as release 0.1 stored it (its entries were events of
    their own)."""

    command: Literal["bench_hold_meeting_old_way"] = "bench_hold_meeting_old_way"
    attendance: list[int]

    def handle(self, unit: Any) -> None:
        group = unit.group(self.group)
        group.record(
            MeetingHeld,
            self.date,
            unit.stamp,
            attendance=list(self.attendance),
            counted_cash=Decimal(0),
            counted_rice_grams=0,
            notes="",
        )


def old_way(command: Any) -> list[Any]:
    """One meeting as 0.1 stored it: one command (and event) per entry, then the count."""
    common = {"group": command.group, "date": command.date}
    out: list[Any] = [
        DepositRice(member=d.member, grams=d.grams, **common) for d in command.deposits
    ]
    out += [
        SellRice(buyer=s.buyer, grams=s.grams, taka_per_kg=s.taka_per_kg, paid=s.paid, **common)
        for s in command.sales
    ]
    out += [ReceivePayment(member=p.member, taka=p.taka, **common) for p in command.payments]
    out += [SaveCash(member=s.member, taka=s.taka, **common) for s in command.savings]
    out.append(HoldMeetingTheOldWay(attendance=list(command.attendance), **common))
    return out


def build(db: str, years: int, shape: str) -> int:
    with Ledger(db, clock=FixedClock(), user="bench") as ledger:
        new_group(ledger, "LONG")
        for w in range(52 * years):
            c = meeting("LONG", w, busy=True).model_copy(
                update={"counted_rice_grams": 0, "counted_cash": Decimal(0)}
            )
            if shape == "new":
                ledger.execute(c)
            else:
                ledger.execute_all(old_way(c))
        return ledger.load("LONG").version


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    coop, bean = str(BIN / "coopledger"), shutil.which("bean-check") or str(BIN / "bean-check")
    print(f"machine: {machine()}\n")
    print(
        f"one 30-member group, {args.years} years of weekly meetings of about 115 entries; "
        f"{args.backend}; medians of {args.runs} runs, each a new process, alternating\n"
    )
    print(
        "| stored | events | coopledger audit s | verify + replay s | bean-check s | "
        "bean-check / audit | bean-check / (verify + replay) |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("new", "old"):
            with store(args.backend, Path(tmp)) as db:
                events = build(db, args.years, shape)
                books = Path(tmp) / f"{shape}.beancount"
                with Ledger(db) as ledger, books.open("w", encoding="utf-8") as f:
                    export_beancount(ledger, f, "LONG")
                env = {**os.environ, "COOPLEDGER_DB": db}
                os.environ.update(env)
                runs: dict[str, list[float]] = {"audit": [], "two": [], "bean": []}
                for r in range(args.runs):
                    steps = [
                        ("audit", lambda: timed([coop, "audit", "--group", "LONG"])),
                        (
                            "two",
                            lambda: (
                                timed([coop, "verify", "--group", "LONG"])
                                + timed([coop, "replay", "--group", "LONG"])
                            ),
                        ),
                        ("bean", lambda books=books: timed([bean, str(books)])),
                    ]
                    for name, step in steps if r % 2 == 0 else steps[::-1]:
                        runs[name].append(step())
            audit_s, two_s, bean_s = (statistics.median(runs[k]) for k in ("audit", "two", "bean"))
            print(
                f"| {shape} | {events:,} | {audit_s:.2f} | {two_s:.2f} | {bean_s:.2f} | "
                f"{bean_s / audit_s:.1f} | {bean_s / two_s:.1f} |"
            )
        startup(coop, Path(tmp))


def startup(coop: str, tmp: Path) -> None:
    db = str(tmp / "small.db")
    with Ledger(db, clock=FixedClock(), user="bench") as ledger:
        new_group(ledger, "SMALL")
        ledger.execute(meeting("SMALL", 0))
    print("\n| command line | median s of 5 |\n|---|---|")
    for argv in (
        [coop, "--help"],
        [coop, "--db", db, "report", "group", "--group", "SMALL"],
        [coop, "--db", db, "verify"],
    ):
        print(
            f"| `{' '.join(a if a != coop else 'coopledger' for a in argv[0:1] + argv[1:])}`"
            f" | {statistics.median(timed(argv) for _ in range(5)):.2f} |"
        )


if __name__ == "__main__":
    main()
