"""Recording weekly meetings of a 30-member group (one command of 64 entries each) against
plain eventsourcing saving one event per entry, in the same run, alternating.

    python bench/bench_meetings.py [--meetings 200] [--backend sqlite|postgres|both]

Three writers, each durable (SQLite in WAL mode with ``synchronous=FULL``, as eventsourcing
opens it for the ledger; PostgreSQL committing each transaction with its default
``synchronous_commit=on``), each writing one meeting per transaction into its own store:

* **coopledger**: ``ledger.execute(RecordMeeting(...))``: the idempotency look-up, the rules,
  the one ``MeetingRecorded`` event, its chain hash, its projection rows (passbook lines,
  postings summed by day, month and account, the meeting, the key, the stream's head), one
  transaction; the command objects are built before timing (as a web form or an import
  would have parsed them);
* **plain eventsourcing**: an aggregate saving one event per entry of the meeting (64 events
  per save), each with a payload like one entry's, no rules, no projections (the anchor:
  ratio 1.00);
* **raw floor**: the same number of rows as coopledger's transaction writes (one as large
  as its stored event, the others as large as a passbook row), inserted with
  ``executemany`` by the driver (``sqlite3`` or psycopg) into one keyed table, and the
  commit.

The writers take turns meeting by meeting, the order reversed every other meeting (A B C,
C B A, ...), so that the noise of a shared machine falls on all of them alike. Prints the
per-meeting latency (median, p95), meetings per second, each writer's ratio of meetings
per second (and of median latency) to the anchor's, and the median CPU time the benchmark's
own process spent per meeting (for SQLite, all the work but the disk's; for PostgreSQL, the
client's share).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from common import FixedClock, load, machine, meeting, new_group, store, summary
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from coopledger import Ledger
from coopledger.kernel import unit as unit_module
from coopledger.kernel.storage import StoreConfig, schema_lock


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
        self.commands: dict[int, Any] = {}
        self.rows = 0
        self.event_bytes = 0
        self.entries = 0

    def prepare(self, weeks: int) -> None:
        """Build the commands; record weeks 0 and 1 (untimed), counting the rows of week 1
        (a full meeting: week 0 has no payments for rice bought earlier)."""
        self.commands = {w: meeting("BENCH", w) for w in range(weeks)}
        c: Any = self.commands[1]
        self.entries = sum(
            len(getattr(c, s))
            for s in ("deposits", "sales", "payments", "savings", "withdrawals", "loan_repayments")
        )
        self.write(0)

        def count(unit: Any) -> None:
            events = unit.pending()
            rows = self.ledger.projector.rows(events)
            self.rows = len(events) + sum(len(p) for _, p in rows.statements())
            self.event_bytes = sum(
                len(self.ledger.app.mapper.to_stored_event(e).state) for e in events
            )
            unit_module.BEFORE_SAVE.remove(count)

        unit_module.BEFORE_SAVE.append(count)
        self.write(1)

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


class RawFloor(Writer):
    """The same number of rows as a meeting's transaction, one as large as its stored
    event, the others as large as a passbook row, inserted into one keyed table."""

    name = "raw floor"

    def __init__(self, db: str, rows: int, event_bytes: int) -> None:
        self.config = StoreConfig.parse(db)
        self.rows, self.big, self.small = rows, b"x" * event_bytes, b"x" * 120
        if self.config.dialect == "sqlite":
            self.name = "raw SQLite floor"
            self.conn: Any = sqlite3.connect(self.config.env["SQLITE_DBNAME"], isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.table = "raw_floor"
        else:
            import psycopg  # noqa: PLC0415

            self.name = "raw PostgreSQL floor"
            with schema_lock(self.config):
                pass  # creates the schema the URL names
            self.conn = psycopg.connect(**self.config.connect_args(), autocommit=True)
            self.table = f'"{self.config.schema}".raw_floor'
        self.conn.execute(
            f"CREATE TABLE {self.table} (a TEXT, b INTEGER, c INTEGER, d BYTEA, "
            "PRIMARY KEY (a, b, c))"
        )
        mark = "?" if self.config.dialect == "sqlite" else "%s"
        self.insert = f"INSERT INTO {self.table} VALUES ({mark}, {mark}, {mark}, {mark})"

    def write(self, week: int) -> None:
        params = [("s", week, i, self.big if i == 0 else self.small) for i in range(self.rows)]
        if self.config.dialect == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(self.insert, params)
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction(), self.conn.cursor() as c:
                c.executemany(self.insert, params)

    def close(self) -> None:
        self.conn.close()


def race(writers: list[Writer], first: int, meetings: int) -> dict[str, list[float]]:
    """Each writer records weeks ``first`` .. ``meetings - 1``, taking turns meeting by
    meeting, the order reversed every other meeting. Also the CPU time this process spent
    on each (``<name> cpu``): not the database server's, nor waiting for the disk."""
    times: dict[str, list[float]] = {w.name: [] for w in writers}
    for w in writers:
        times[w.name + " cpu"] = []
    for k in range(first, meetings):
        for w in writers if k % 2 == 0 else writers[::-1]:
            c0, t0 = time.process_time(), time.perf_counter()
            w.write(k)
            times[w.name].append(time.perf_counter() - t0)
            times[w.name + " cpu"].append(time.process_time() - c0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"machine: {machine()}")
    print(
        f"{args.meetings - 2} timed meetings of a 30-member group, 64 entries each, one "
        "transaction each\n"
    )
    print(
        "| back end | writer | events/meeting | rows/meeting | p50 ms | p95 ms | meetings/s | "
        "throughput ratio | p50 ratio | client CPU p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with (
                store(backend, Path(tmp)) as db,
                store(backend, Path(tmp)) as db2,
                store(backend, Path(tmp)) as db3,
            ):
                ours = Coopledger(db)
                ours.prepare(args.meetings)
                plain = PlainEventsourcing(db2, ours.entries)
                raw = RawFloor(db3, ours.rows, ours.event_bytes)
                writers: list[Writer] = [ours, plain, raw]
                times = race(writers, 2, args.meetings)
                for w in writers:
                    w.close()
            anchor = len(times[plain.name]) / sum(times[plain.name])
            anchor_p50 = summary(times[plain.name])[0]
            for w in writers:
                t = times[w.name]
                rate = len(t) / sum(t)
                med, p95 = summary(t)
                events = {ours.name: 1, plain.name: ours.entries}.get(w.name, 0)
                rows = ours.entries if w is plain else ours.rows
                print(
                    f"| {backend} | {w.name} | {events or '-'} | {rows} | {med * 1000:.2f} | "
                    f"{p95 * 1000:.2f} | {rate:,.0f} | {rate / anchor:.2f} | "
                    f"{anchor_p50 / med:.2f} | {summary(times[w.name + ' cpu'])[0] * 1000:.2f} |"
                )

    print(f"\n{load()} at the end")


if __name__ == "__main__":
    main()
