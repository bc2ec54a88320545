"""Recording weekly meetings of a 30-member group, each one transaction of ~70 events,
against plain eventsourcing saving the same number of events in the same batches.

    python bench/bench_meetings.py [--meetings 200] [--backend sqlite|postgres|both]

Prints per-meeting latency (median, p95) and throughput, and the ratio to plain
eventsourcing on the same back end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import FixedClock, machine, meeting, new_group, store, summary
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from coopledger import Ledger
from coopledger.storage import StoreConfig, prepare


class Plain(Aggregate):
    """The baseline: an aggregate whose events carry a similar payload."""

    @event("Recorded")
    def record(self, member_no: int, grams: int, taka: str, business_date: str,
               recorded_by: str, idempotency_key: str) -> None:
        pass


def plain_eventsourcing(db: str, meetings: int, batch: int) -> tuple[list[float], int]:
    config = StoreConfig.parse(db)
    prepare(config)
    env = dict(config.env)
    env.pop("APPLICATION_RECORDER_TOPIC")
    app = Application(env=env)
    agg = Plain()
    app.save(agg)
    times = []
    for w in range(meetings):
        t0 = time.perf_counter()
        for i in range(batch):
            agg.record(member_no=i % 30 + 1, grams=1400, taka="10.00",
                       business_date="2016-01-01", recorded_by="bench",
                       idempotency_key=f"k{w}")
        app.save(agg)
        times.append(time.perf_counter() - t0)
    app.close()
    return times, meetings * batch


def coopledger_meetings(db: str, meetings: int) -> tuple[list[float], int]:
    ledger = Ledger(db, clock=FixedClock(), user="bench")
    new_group(ledger, "BENCH")
    start = ledger.load("BENCH").version
    times = []
    for w in range(meetings):
        command = meeting("BENCH", w)
        t0 = time.perf_counter()
        ledger.execute(command)
        times.append(time.perf_counter() - t0)
    events = ledger.load("BENCH").version - start
    ledger.close()
    return times, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"machine: {machine()}")
    print(f"{args.meetings} meetings of a 30-member group\n")
    print("| back end | what | events/meeting | median ms | p95 ms | events/s | ratio |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with store(backend, Path(tmp)) as db:
                times, events = coopledger_meetings(db, args.meetings)
            per = events // args.meetings
            with store(backend, Path(tmp)) as db:
                base, base_events = plain_eventsourcing(db, args.meetings, per)
            rate, base_rate = events / sum(times), base_events / sum(base)
            for name, t, r, ratio in (("coopledger meeting", times, rate, rate / base_rate),
                                      ("plain eventsourcing", base, base_rate, 1.0)):
                med, p95 = summary(t)
                print(f"| {backend} | {name} | {per} | {med * 1000:.1f} | {p95 * 1000:.1f} | "
                      f"{r:,.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
