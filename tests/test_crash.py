"""A writer killed at random moments loses nothing it acknowledged and leaves nothing half
written: a child process records meetings, noting each receipt after the ledger returns
it; the test kills it with SIGKILL again and again, and after each kill checks that every
acknowledged meeting is in the books exactly once and that the chains, the projections and
the rules all check out."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from coopledger import Ledger, audit
from coopledger.testing import D1, fixed_clock, seed_group

FORK = multiprocessing.get_context("fork")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "books.db")
    return str(request.getfixturevalue("pg_url"))


def _record_meetings(url: str, acks: str, start: int) -> None:
    """Record one meeting a week from ``start`` on, acknowledging each in ``acks``."""
    with Ledger(url, clock=fixed_clock, user="field") as ledger, open(acks, "a") as out:
        week = start
        while week < start + 1000:
            day = D1 + timedelta(weeks=week % 30)
            key = f"meeting-{week}"
            try:
                ledger.add_to_meeting(
                    "JOBA",
                    date=day,
                    key=key,
                    deposits=[{"member": m, "grams": 1000 + week} for m in (1, 2, 3)],
                ) if week >= 30 else ledger.record_meeting(
                    "JOBA",
                    date=day,
                    key=key,
                    attendance=[1, 2, 3],
                    deposits=[{"member": m, "grams": 1000 + week} for m in (1, 2, 3)],
                    savings=[{"member": 1, "taka": "5"}],
                )
            except Exception:  # noqa: BLE001 - a refusal is not an acknowledgement
                break
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
            week += 1


def _acknowledged(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line.startswith("meeting-")]


def _check(url: str, acked: list[str]) -> int:
    with Ledger(url, clock=fixed_clock) as ledger:
        keys = [
            r["idempotency_key"]
            for r in ledger.db.query(
                f"SELECT idempotency_key FROM {ledger.projector.t('commands')}"
            )
        ]
        recorded = [k for k in keys if k.startswith("meeting-")]
        assert len(recorded) == len(set(recorded))
        assert set(acked) <= set(recorded)
        events = [e for e in ledger.events("JOBA") if e.idempotency_key.startswith("meeting-")]
        assert len(events) == len(recorded)  # one event per meeting: never half of one
        result = audit.audit(ledger)
        assert result.ok, (result.findings(), result.differences[:3])
        return len(recorded)


def test_a_writer_killed_at_random_moments_loses_and_doubles_nothing(
    url: str, tmp_path: Path
) -> None:
    with Ledger(url, clock=fixed_clock) as ledger:
        seed_group(ledger)
    acks = tmp_path / "acks.txt"
    rng = random.Random(20161125)
    kills = 24 if url.endswith(".db") else 12
    deadline = time.monotonic() + 90
    recorded = 0
    for _ in range(kills):
        if time.monotonic() > deadline:
            break
        child: Any = FORK.Process(target=_record_meetings, args=(url, str(acks), recorded))
        child.start()
        # Kill it at a random moment after it has recorded something (however loaded the
        # machine is): mid-way through the next meeting, or between two.
        before, wait = len(_acknowledged(acks)), time.monotonic() + 15
        while len(_acknowledged(acks)) == before and child.is_alive():
            if time.monotonic() > wait:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        recorded = _check(url, _acknowledged(acks))
    assert recorded > 10  # the writer got somewhere between the kills
