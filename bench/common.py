"""Shared helpers for the benchmark scripts (not tests: they print tables)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from coopledger import Ledger
from coopledger.commands import CashLine, Deposit, RecordMeeting, Sale

PG_URL = os.environ.get("COOPLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
START = date(2010, 1, 1)  # a Friday


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb // 1024 // 1024} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        pg = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pg = "psql not found"
    import sqlite3  # noqa: PLC0415

    return (
        f"{os.cpu_count()} cores {cpu}{mem}; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}; SQLite {sqlite3.sqlite_version}; {pg}; "
        f"{load()}"
    )


def load() -> str:
    """The load averages now (the machine may be shared with other jobs)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} over 1, 5, 15 min"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 95)


@contextmanager
def store(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh SQLite file or PostgreSQL schema (dropped afterwards)."""
    if backend == "sqlite":
        yield str(tmp / f"bench-{uuid.uuid4().hex[:8]}.db")
        return
    import psycopg  # noqa: PLC0415

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{PG_URL}?schema={schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class FixedClock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def new_group(ledger: Ledger, code: str, members: int = 30) -> None:
    ledger.form_group(
        code,
        name=f"{code} group",
        kind="women",
        meeting_day="friday",
        district="Dinajpur",
        upazila="Chirirbandar",
        village="Mohalbari",
        date=START,
    )
    for i in range(members):
        ledger.join_member(
            code,
            name=f"Member {i + 1}",
            household=f"H{i + 1}",
            gender="female",
            landless=True,
            wellbeing="poor",
            date=START,
        )


def meeting(
    code: str, week: int, members: int = 30, key: str | None = None, *, busy: bool = False
) -> RecordMeeting:
    """A weekly meeting of 64 entries (59 in week 0, before anything is owed): 30
    deposits, 15 sales (5 on credit), 5 payments for rice, 14 cash savings, with the
    attendance. ``busy``: about 105 entries (40 sales, up to 15 payments, every member
    saves cash)."""
    day = START + timedelta(weeks=week)
    everyone = list(range(1, members + 1))
    deposits = [Deposit(member=m, grams=1400 + 10 * ((m * 7 + week) % 11)) for m in everyone]
    total = sum(d.grams for d in deposits)
    sales = []
    n_sales = 40 if busy else 15
    share = total * 9 // 10 // n_sales // 10 * 10
    for i in range(n_sales):
        buyer = everyone[(week + i * 2) % members]
        sales.append(
            Sale(
                buyer=buyer,
                grams=share,
                taka_per_kg=Decimal("32"),
                paid=Decimal("10") if i % 3 == 0 else None,
            )
        )
    payments = []
    if week > 0:
        for i in range(10):
            if i % 2 == 0:
                buyer = everyone[(week - 1 + (i // 2) * 6) % members]
                payments.append(CashLine(member=buyer, taka=Decimal("1")))
    if busy and week > 0:
        payments = [
            CashLine(member=everyone[(week - 1 + i * 2) % members], taka=Decimal("1"))
            for i in range(0, 30, 3)
        ] + payments
        payments = list({p.member: p for p in payments}.values())
    savings = [
        CashLine(member=m, taka=Decimal("10")) for m in (everyone if busy else everyone[:14])
    ]
    return RecordMeeting(
        group=code,
        date=day,
        key=key or f"{code}-{day}",
        attendance=everyone,
        deposits=deposits,
        sales=sales,
        payments=payments,
        savings=savings,
    )
