"""Recording weekly meetings of a 30-member group (one command of about 64 entries each)
against plain eventsourcing saving one event per entry, in the same run, alternating.

    python bench/bench_meetings.py [--meetings 200] [--backend sqlite|postgres|both]

Three writers, each durable (SQLite in WAL mode with synchronous=FULL; PostgreSQL committing
each transaction), each writing one meeting per transaction:

* **coopledger**: ``ledger.execute(RecordMeeting(...))``: the rules, the event, its chain
  hash, its projection rows (passbook lines, postings, the meeting, the key), one transaction;
* **plain eventsourcing**: an aggregate saving one event per entry of the meeting, with a
  similar payload, no rules, no projections (the anchor: ratio 1.00);
* **raw SQLite floor** (SQLite only): the same number of rows coopledger's transaction
  writes, inserted with ``executemany`` by the ``sqlite3`` module, and the commit.

Rounds of 20 meetings alternate which writer goes first. Prints per-meeting latency (median,
p95), meetings per second, and each writer's ratio of meetings per second to the anchor's.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from common import FixedClock, machine, meeting, new_group, store, summary
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from coopledger import Ledger
from coopledger.kernel import unit as unit_module
from coopledger.kernel.storage import StoreConfig, schema_lock

ROUND = 20


class Plain(Aggregate):
    """The anchor: an aggregate whose events carry a similar payload to one entry's."""

    @event("Recorded")
    def record(
        self,
        member_no: int,
        grams: int,
        taka: str,
        business_date: str,
        recorded_by: str,
        idempotency_key: str,
    ) -> None:
        pass


class Writer:
    name = ""

    def write(self, week: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Coopledger(Writer):
    name = "coopledger meeting"

    def __init__(self, db: str) -> None:
        self.ledger = Ledger(db, clock=FixedClock(), user="bench")
        new_group(self.ledger, "BENCH")
        self.commands = {}
        self.rows = 0
        self.entries = 0

    def prepare(self, weeks: int) -> None:
        self.commands = {w: meeting("BENCH", w) for w in range(weeks)}
        c: Any = self.commands[0]
        self.entries = sum(
            len(getattr(c, s))
            for s in ("deposits", "sales", "payments", "savings", "withdrawals", "loan_repayments")
        )

        def count(unit: Any) -> None:
            rows = self.ledger.projector.rows(unit.pending())
            self.rows = len(unit.pending()) + sum(len(p) for _, p in rows.statements())
            unit_module.BEFORE_SAVE.remove(count)

        unit_module.BEFORE_SAVE.append(count)

    def write(self, week: int) -> None:
        self.ledger.execute(self.commands[week])

    def close(self) -> None:
        self.ledger.close()


class PlainEventsourcing(Writer):
    name = "plain eventsourcing"

    def __init__(self, db: str, entries: int) -> None:
        config = StoreConfig.parse(db)
        with schema_lock(config):
            pass  # creates the PostgreSQL schema the URL names
        env = dict(config.env)
        env.pop("APPLICATION_RECORDER_TOPIC")
        self.app = Application[Any](env=env)
        self.agg = Plain()
        self.app.save(self.agg)
        self.entries = entries

    def write(self, week: int) -> None:
        for i in range(self.entries):
            self.agg.record(
                member_no=i % 30 + 1,
                grams=1400,
                taka="10.00",
                business_date="2016-01-01",
                recorded_by="bench",
                idempotency_key=f"k{week}",
            )
        self.app.save(self.agg)

    def close(self) -> None:
        self.app.close()


class RawSQLite(Writer):
    name = "raw SQLite floor"

    def __init__(self, path: str, rows: int) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE t (a TEXT, b INTEGER, c INTEGER, d BLOB, PRIMARY KEY (a, b, c))"
        )
        self.rows = rows
        self.payload = b"x" * 120

    def write(self, week: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?)",
            [("s", week, i, self.payload) for i in range(self.rows)],
        )
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def race(writers: list[Writer], first: int, meetings: int) -> dict[str, list[float]]:
    """Each writer records weeks ``first`` .. ``meetings - 1``, ROUND at a time, the order
    of the writers alternating from round to round."""
    times: dict[str, list[float]] = {w.name: [] for w in writers}
    for n, start in enumerate(range(first, meetings, ROUND)):
        order = writers if n % 2 == 0 else writers[::-1]
        for w in order:
            for k in range(start, min(start + ROUND, meetings)):
                t0 = time.perf_counter()
                w.write(k)
                times[w.name].append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"machine: {machine()}")
    print(f"{args.meetings} meetings of a 30-member group, one transaction each\n")
    print(
        "| back end | writer | entries/meeting | rows/meeting | median ms | p95 ms | "
        "meetings/s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with store(backend, Path(tmp)) as db, store(backend, Path(tmp)) as db2:
                ours = Coopledger(db)
                ours.prepare(args.meetings)
                ours.write(0)  # counts its rows; not timed
                plain = PlainEventsourcing(db2, ours.entries)
                writers: list[Writer] = [ours, plain]
                if backend == "sqlite":
                    writers.append(RawSQLite(str(Path(tmp) / "raw.db"), ours.rows))
                times = race(writers, 1, args.meetings)
                for w in writers:
                    w.close()
            anchor = len(times[plain.name]) / sum(times[plain.name])
            for w in writers:
                t = times[w.name]
                rate = len(t) / sum(t)
                med, p95 = summary(t)
                rows = ours.rows if w is not plain else ours.entries
                print(
                    f"| {backend} | {w.name} | {ours.entries} | {rows} | {med * 1000:.1f} | "
                    f"{p95 * 1000:.1f} | {rate:,.0f} | {rate / anchor:.2f} |"
                )


if __name__ == "__main__":
    main()
