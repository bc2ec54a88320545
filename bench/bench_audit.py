"""Replay plus verify of one group with years of weekly meetings, against Beancount loading
and checking the exported file of the same history.

    python bench/bench_audit.py [--years 10] [--backend sqlite|postgres]

One 30-member group, weekly meetings of about 115 entries (10 years: about 60,000
events). Prints the time to replay the group's projections and compare them, to verify its
hash chain, and for Beancount (``beancount.loader.load_file``: parse, book, validate,
including every balance assertion) to load the Beancount export; and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from beancount import loader
from common import FixedClock, machine, meeting, new_group, store

from coopledger import Ledger, audit
from coopledger.exports import export_beancount


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    print(f"machine: {machine()}\n")
    with tempfile.TemporaryDirectory() as tmp, store(args.backend, Path(tmp)) as db:
        ledger = Ledger(db, clock=FixedClock(), user="bench")
        new_group(ledger, "LONG")
        t0 = time.perf_counter()
        for w in range(52 * args.years):
            c = meeting("LONG", w, busy=True)
            counted = {"counted_rice_grams": 0, "counted_cash": Decimal(0)}
            ledger.execute(c.model_copy(update=counted))
        build = time.perf_counter() - t0
        events = ledger.load("LONG").version
        ledger.close()
        ledger = Ledger(db, user="bench")  # a fresh process's view: nothing cached

        t0 = time.perf_counter()
        replayed = audit.replay(ledger, "LONG")
        replay_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        verified = audit.verify(ledger, "LONG")
        verify_s = time.perf_counter() - t0
        assert replayed.ok and verified.ok

        path = Path(tmp) / "long.beancount"
        t0 = time.perf_counter()
        with path.open("w", encoding="utf-8") as f:
            export_beancount(ledger, f, "LONG")
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, errors, _ = loader.load_file(str(path))
        bean_s = time.perf_counter() - t0
        assert not errors, errors[:3]
        ledger.close()

    ours = replay_s + verify_s
    print(f"{args.backend}: one group, {args.years} years of weekly meetings, "
          f"{events:,} events (recorded in {build:.1f} s)\n")
    print("| step | seconds | events/s |")
    print("|---|---|---|")
    for name, s in (("replay (rebuild projections, compare)", replay_s),
                    ("verify (hash chain)", verify_s),
                    ("replay + verify", ours),
                    ("export to Beancount", export_s),
                    ("Beancount load_file (parse, book, check)", bean_s)):
        print(f"| {name} | {s:.2f} | {events / s:,.0f} |")
    print(f"\nBeancount / (replay + verify) = {bean_s / ours:.2f}")


if __name__ == "__main__":
    main()
