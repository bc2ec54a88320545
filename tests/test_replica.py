"""Reports from a streaming-replication read replica: a real PostgreSQL 15 primary and hot
standby that this test starts itself in a temporary folder on spare ports, with the
machine's PostgreSQL server binaries (``pg_config --bindir``), as the ``postgres`` user
(the server refuses root). Each step has a time limit; both servers are stopped and their
folder removed afterwards. The machine's own server is not touched.

Without the binaries the tests skip with a one-line reason, except under ``CI=true``, where
they must run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from coopledger import Ledger
from coopledger.cli import main
from coopledger.errors import InvalidInput
from coopledger.testing import D1, D2, fixed_clock, seed_group

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "a-long-password"
STEP = 120  # seconds any one step (initdb, start, base backup, stop) may take


def _bindir() -> tuple[Path | None, str]:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None, "pg_config is not installed (Debian: postgresql-15)"
    folder = Path(
        subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    )
    missing = [t for t in ("initdb", "pg_ctl", "pg_basebackup") if not (folder / t).is_file()]
    if missing:
        return None, f"no PostgreSQL server binaries in {folder}: {', '.join(missing)}"
    try:
        import psycopg  # noqa: F401, PLC0415
    except ImportError:
        return None, "psycopg is not installed (pip install -e '.[postgres]')"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return None, "running as root without runuser to become postgres"
    return folder, ""


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Pair:
    primary: str  # URL of the temporary primary's database
    replica: str  # URL of the same database on the streaming replica
    folder: Path
    as_postgres: Callable[..., subprocess.CompletedProcess[str]]

    def psql(self, url: str, statement: str) -> Any:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            return conn.execute(statement).fetchone()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    folder, reason = _bindir()
    if folder is None:
        if IN_CI:
            pytest.fail(f"CI=true but a replica cannot be started: {reason}")
        pytest.skip(reason)
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*user, *args], capture_output=True, text=True, timeout=STEP, check=False
        )
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"
        return done

    base = Path(tempfile.mkdtemp(prefix="coopledger-replica-"))
    if user:
        shutil.chown(base, "postgres", "postgres")
    primary, replica = base / "primary", base / "replica"
    ports = _spare_port(), _spare_port()
    while ports[1] == ports[0]:
        ports = ports[0], _spare_port()
    started: list[Path] = []

    def start(data: Path, port: int) -> None:
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(
            str(folder / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / f"{data.name}.log"),
            "-w",
            "-t",
            str(STEP),
            "start",
        )
        started.append(data)

    try:
        as_postgres(str(folder / "initdb"), "-D", str(primary), "-A", "trust", "-U", "postgres")
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\n")
        start(primary, ports[0])
        as_postgres(
            str(folder / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(ports[0]),
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        start(replica, ports[1])
        yield Pair(
            f"postgresql://postgres@127.0.0.1:{ports[0]}/postgres",
            f"postgresql://postgres@127.0.0.1:{ports[1]}/postgres",
            base,
            as_postgres,
        )
    finally:
        for data in reversed(started):
            subprocess.run(
                [*user, str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=STEP,
                check=False,
            )
        shutil.rmtree(base, ignore_errors=True)


def wait_until(ready: Callable[[], bool], what: str, limit: float = 60) -> None:
    """Poll (a bounded wait, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {limit} s")
        time.sleep(0.1)


@pytest.fixture
def ledger(pair: Pair) -> Iterator[Ledger]:
    schema = f"r{time.monotonic_ns()}"
    with Ledger(
        f"{pair.primary}?schema={schema}", clock=fixed_clock, user="tester", read_db=pair.replica
    ) as ledger:
        seed_group(ledger, "JOBA", members=3)
        ledger.record_meeting(
            "JOBA",
            date=D1,
            attendance=[1, 2, 3],
            deposits=[{"member": m, "grams": 1400} for m in (1, 2, 3)],
            sales=[{"buyer": 2, "grams": 1000, "taka_per_kg": "30"}],
        )
        caught_up(ledger)
        yield ledger


def caught_up(ledger: Ledger) -> None:
    def ready() -> bool:
        found = ledger.replica_lag()
        return found is not None and found.up_to_date

    wait_until(ready, "the replica catching up")


def rice_of(ledger: Ledger, member: int) -> int:
    return ledger.reports.savings.passbook("JOBA", member).rice_saved_grams


def test_the_pair_is_a_primary_and_a_streaming_replica(pair: Pair) -> None:
    assert pair.psql(pair.primary, "SELECT pg_is_in_recovery()")[0] is False
    assert pair.psql(pair.replica, "SELECT pg_is_in_recovery()")[0] is True
    assert pair.psql(pair.primary, "SELECT count(*) FROM pg_stat_replication")[0] == 1


def test_reports_read_the_replica_and_writes_go_to_the_primary(ledger: Ledger) -> None:
    assert ledger.replica
    assert ledger.reports.db.query("SELECT pg_is_in_recovery() AS r")[0]["r"] is True
    assert ledger.primary_reports.db.query("SELECT pg_is_in_recovery() AS r")[0]["r"] is False
    assert ledger.reports.books.trial_balance("JOBA").rows == (
        ledger.primary_reports.books.trial_balance("JOBA").rows
    )
    before = rice_of(ledger, 1)

    # Replay paused on the replica: the primary has the deposit, the replica's report not
    ledger.read_db.query("SELECT pg_wal_replay_pause()")
    try:
        ledger.deposit_rice("JOBA", member=1, grams=500, date=D2)
        lagging = ledger.replica_lag()
        assert lagging is not None and lagging.replica and not lagging.up_to_date
        assert lagging.behind_bytes is not None and lagging.behind_bytes > 0
        assert "bytes of changes behind the primary" in str(lagging.describe().msgid)
        assert rice_of(ledger, 1) == before
        primary_book = ledger.primary_reports.savings.passbook("JOBA", 1)
        assert primary_book.rice_saved_grams == before + 500
    finally:
        ledger.read_db.query("SELECT pg_wal_replay_resume()")
    caught_up(ledger)
    assert rice_of(ledger, 1) == before + 500
    assert ledger.replica_lag().as_dict()["up_to_date"] is True  # type: ignore[union-attr]


def test_commands_decide_on_the_primary_while_the_replica_lags(ledger: Ledger) -> None:
    """A withdrawal needs the savings just recorded: the rules read the primary, not the
    paused replica."""
    ledger.read_db.query("SELECT pg_wal_replay_pause()")
    try:
        ledger.save_cash("JOBA", member=3, taka="50", date=D2)
        ledger.withdraw_cash("JOBA", member=3, taka="50", date=D2)
        assert ledger.primary_reports.savings.passbook("JOBA", 3).cash_savings == 0
    finally:
        ledger.read_db.query("SELECT pg_wal_replay_resume()")


def test_the_report_command_reads_the_replica_and_shows_its_lag(ledger: Ledger, pair: Pair) -> None:
    runner = CliRunner()
    db = ledger.config.setting
    done = runner.invoke(
        main,
        ["--db", db, "report", "--read-db", pair.replica, "trial-balance", "--group", "JOBA"],
    )
    assert done.exit_code == 0, done.output
    assert "reports read from the replica: up to date with the primary" in done.output

    ledger.read_db.query("SELECT pg_wal_replay_pause()")
    try:
        ledger.deposit_rice("JOBA", member=2, grams=700, date=D2)
        done = runner.invoke(
            main,
            [
                "--db",
                db,
                "report",
                "--read-db",
                pair.replica,
                "passbook",
                "--group",
                "JOBA",
                "--member",
                "2",
                "--format",
                "json",
            ],
        )
        assert done.exit_code == 0, done.output
        book = json.loads(done.stdout)  # the footer is on standard error
        assert book["rice_saved_grams"] == 1400
        assert "bytes of changes behind the primary" in done.stderr
    finally:
        ledger.read_db.query("SELECT pg_wal_replay_resume()")


def test_the_report_pages_read_the_replica_and_show_its_lag(ledger: Ledger) -> None:
    pytest.importorskip("litestar")
    from litestar.testing import TestClient  # noqa: PLC0415

    from coopweb import create_app  # noqa: PLC0415

    with Ledger(ledger.config.setting, clock=fixed_clock) as primary:
        app = create_app(primary, load_entry_points=False, secure_cookies=False, read_ledger=ledger)
        app.state.accounts.save("audit", role="auditor", password=PASSWORD)
        with TestClient(app) as client:
            client.get("/login")
            client.post(
                "/login",
                data={
                    "username": "audit",
                    "password": PASSWORD,
                    "_csrf_token": client.cookies.get("csrftoken"),
                },
            )
            page = client.get("/groups/JOBA/reports")
            assert page.status_code == 200
            assert "reports read from the replica: up to date" in page.text
            ledger.read_db.query("SELECT pg_wal_replay_pause()")
            try:
                primary.deposit_rice("JOBA", member=3, grams=900, date=D2)
                page = client.get("/groups/JOBA/members/3")
                assert page.status_code == 200
                assert "bytes of changes behind the primary" in page.text
                csv = client.get("/groups/JOBA/reports/trial-balance.csv").text
                assert "RICE" in csv
            finally:
                ledger.read_db.query("SELECT pg_wal_replay_resume()")
            # a page that does not read the replica shows no lag
            assert "replica" not in client.get("/groups").text


def test_a_read_database_that_is_not_a_replica_says_so(pair: Pair) -> None:
    with Ledger(f"{pair.primary}?schema=plain", read_db=pair.primary) as ledger:
        found = ledger.replica_lag()
        assert found is not None and not found.replica and not found.up_to_date
        assert "not a streaming replica" in str(found.describe().msgid)


def test_a_replica_is_refused_for_sqlite_and_for_another_schema(pair: Pair, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        Ledger(str(tmp_path / "x.db"), read_db=pair.replica)
    assert refused.value.field == "read_db"
    with pytest.raises(InvalidInput) as refused:
        Ledger(f"{pair.primary}?schema=one", read_db=f"{pair.replica}?schema=two")
    assert refused.value.field == "read_db" and "schema" in str(refused.value)
    with pytest.raises(InvalidInput) as refused:
        Ledger(f"{pair.primary}?schema=one", read_db="replica.db")
    assert refused.value.field == "read_db"
