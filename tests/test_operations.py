"""Backup and restore, on SQLite and on PostgreSQL: the restored ledger verifies to the same
seals and answers the same reports; a non-empty ledger is not overwritten without --force;
a backup taken while a writer records is consistent."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PG_URL, require_postgres
from coopledger import Ledger, audit
from coopledger.backup import EVENTS_TABLES, backup, events_in, restore
from coopledger.cli import main
from coopledger.errors import InvalidInput
from coopledger.kernel.storage import StoreConfig
from coopledger.kernel.streams import group_id
from coopledger.testing import D1, D2, dump, fixed_clock, seed_group


def books(ledger: Ledger, code: str = "JOBA") -> None:
    seed_group(ledger, code, members=3)
    for day in (D1, D2):
        ledger.record_meeting(
            code,
            date=day,
            attendance=[1, 2, 3],
            deposits=[{"member": m, "grams": 1400 + 10 * m} for m in (1, 2, 3)],
            sales=[{"buyer": 2, "grams": 1000, "taka_per_kg": "30"}],
            savings=[{"member": 1, "taka": "10"}],
        )
    ledger.deposit_rice(code, member=3, grams=250, date=D2)


def heads(ledger: Ledger) -> dict[str, str]:
    result = audit.verify(ledger)
    assert result.ok, result.findings()
    return result.heads()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# ---------------------------------------------------------------------- SQLite
@pytest.fixture
def source(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(str(tmp_path / "office.db"), clock=fixed_clock, user="tester") as ledger:
        books(ledger, "JOBA")
        books(ledger, "SHAPLA")
        yield ledger


def test_the_events_tables_are_the_ledgers(source: Ledger) -> None:
    assert source.events_table == EVENTS_TABLES["sqlite"]


def test_a_restored_sqlite_ledger_verifies_to_the_same_seals(
    source: Ledger, tmp_path: Path
) -> None:
    made = backup(source.config, tmp_path / "office.bak")
    assert made.kind == "sqlite"
    assert made.events == events_in(source.config) > 0
    # one self-contained file: no write-ahead log beside it, not in WAL mode
    assert not (tmp_path / "office.bak-wal").exists()
    conn = sqlite3.connect(tmp_path / "office.bak")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()

    target = StoreConfig.parse(str(tmp_path / "restored.db"))
    restore(target, made.path)
    with Ledger(str(tmp_path / "restored.db"), clock=fixed_clock) as restored:
        assert heads(restored) == heads(source)
        assert len(heads(restored)) == 2
        assert dump(restored) == dump(source)
        assert restored.reports.books.trial_balance().rows == (
            source.reports.books.trial_balance().rows
        )
        assert audit.replay(restored).differences == []


def test_restore_refuses_a_ledger_with_events_unless_forced(source: Ledger, tmp_path: Path) -> None:
    made = backup(source.config, tmp_path / "office.bak")
    with Ledger(str(tmp_path / "other.db"), clock=fixed_clock) as other:
        books(other, "KAMINI")
        before = heads(other)
        with pytest.raises(InvalidInput) as refused:
            restore(other.config, made.path)
        assert refused.value.field == "db"
        assert "holds" in str(refused.value) and "--force" in str(refused.value)
        assert heads(other) == before  # untouched
        other.close()
    restore(StoreConfig.parse(str(tmp_path / "other.db")), made.path, force=True)
    with Ledger(str(tmp_path / "other.db"), clock=fixed_clock) as replaced:
        assert heads(replaced) == heads(source)  # KAMINI is gone, the backup is there


def test_backup_refuses_to_overwrite_a_file_unless_forced(source: Ledger, tmp_path: Path) -> None:
    there = tmp_path / "office.bak"
    there.write_text("keep me")
    with pytest.raises(InvalidInput) as refused:
        backup(source.config, there)
    assert refused.value.field == "file" and there.read_text() == "keep me"
    backup(source.config, there, force=True)
    assert there.read_bytes().startswith(b"SQLite format 3")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        (b"name,amount\nRahima,10\n", "not a coopledger backup"),
        (b"PGDMP" + b"\0" * 64, "PostgreSQL backup"),
    ],
)
def test_restore_refuses_what_is_not_a_backup_of_this_store(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    file = tmp_path / "file.bak"
    if content is not None:
        file.write_bytes(content)
    target = StoreConfig.parse(str(tmp_path / "new.db"))
    with pytest.raises(InvalidInput) as refused:
        restore(target, file)
    assert refused.value.field == "file" and reason in str(refused.value)
    assert events_in(target) == 0


def test_restore_refuses_a_sqlite_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(InvalidInput, match="holds no ledger"):
        restore(StoreConfig.parse(str(tmp_path / "new.db")), other)


def test_an_in_memory_ledger_cannot_be_backed_up(tmp_path: Path) -> None:
    with Ledger(":memory:") as ledger, pytest.raises(InvalidInput) as refused:
        backup(ledger.config, tmp_path / "x.bak")
    assert refused.value.field == "db"


def test_a_backup_taken_while_a_writer_records_is_consistent(
    source: Ledger, tmp_path: Path
) -> None:
    """Another connection records deposits all the while: every copy is a consistent
    snapshot (its chains verify, its projections equal a replay of its events)."""
    stop = threading.Event()
    written: list[int] = []
    problems: list[BaseException] = []

    def writer() -> None:
        try:
            with Ledger(source.config.setting, clock=fixed_clock, user="clerk") as other:
                while not stop.is_set():
                    other.deposit_rice("JOBA", member=1, grams=10, date=D2)
                    written.append(1)
        except BaseException as e:  # noqa: BLE001 - reported below
            problems.append(e)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = []
        for i in range(4):
            while len(written) < 5 * (i + 1) and thread.is_alive():
                threading.Event().wait(0.01)
            copies.append(backup(source.config, tmp_path / f"copy{i}.bak"))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not problems, problems
    counts = [c.events for c in copies]
    assert counts == sorted(counts) and counts[0] is not None and counts[-1] != counts[0]
    for i, c in enumerate(copies):
        restore(StoreConfig.parse(str(tmp_path / f"r{i}.db")), c.path)
        with Ledger(str(tmp_path / f"r{i}.db"), clock=fixed_clock) as restored:
            result = audit.audit(restored)
            assert result.ok, (result.findings(), result.differences[:3])
            assert result.events == c.events


def test_a_tampered_backup_is_caught_on_restore(source: Ledger, tmp_path: Path) -> None:
    """Someone raises a deposit in the backup file: the restore's verification says so."""
    made = backup(source.config, tmp_path / "office.bak")
    with Ledger(str(made.path)) as copy:
        position = next(
            e.position for e in copy.events("JOBA") if type(e).__name__ == "RiceDeposited"
        )
        coder = copy.app.mapper.transcoder
        with copy.db.cursor(commit=True) as c:
            c.execute(
                "SELECT state FROM stored_events WHERE originator_id = ? "
                "AND originator_version = ?",
                (group_id("JOBA").hex, position),
            )
            state = coder.decode(bytes(c.fetchone()["state"]))
            assert state["grams"] == 250
            state["grams"] = 2500
            c.execute(
                "UPDATE stored_events SET state = ? WHERE originator_id = ? "
                "AND originator_version = ?",
                (coder.encode(state), group_id("JOBA").hex, position),
            )
    code, out = run("--db", str(tmp_path / "restored.db"), "restore", str(made.path))
    assert code == 1
    assert "TAMPERED" in out and "does NOT verify" in out


def test_the_commands_back_up_restore_and_print_the_seals(source: Ledger, tmp_path: Path) -> None:
    bak = tmp_path / "office.bak"
    code, out = run("--db", source.config.setting, "backup", str(bak))
    assert code == 0 and "copied to" in out and bak.exists()
    code, out = run("--db", source.config.setting, "backup", str(bak))
    assert code == 2 and "exists already" in out

    new = str(tmp_path / "new.db")
    code, out = run("--db", new, "restore", str(bak))
    assert code == 0, out
    for group, head in heads(source).items():
        assert f"{group}: " in out and f"head seal {head}" in out
    assert "2 streams" in out and "every chain intact" in out

    code, out = run("--db", new, "restore", str(bak))
    assert code == 2 and "refused:" in out and "holds 14 events" in out and "--force" in out
    code, out = run("--db", new, "restore", "--force", str(bak))
    assert code == 0 and "every chain intact" in out


# ---------------------------------------------------------------------- PostgreSQL
@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test server (a unique name; dropped afterwards)."""
    require_postgres()
    import psycopg  # noqa: PLC0415

    name = f"cl_restore_{uuid.uuid4().hex[:12]}"
    server = PG_URL.split("?")[0].rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_restored_postgres_ledger_verifies_to_the_same_seals(
    pg_ledger: Ledger, fresh_database: str, tmp_path: Path
) -> None:
    assert pg_ledger.events_table == EVENTS_TABLES["postgres"]
    books(pg_ledger, "JOBA")
    books(pg_ledger, "SHAPLA")
    schema = pg_ledger.config.schema
    bak = tmp_path / "office.dump"
    code, out = run("--db", pg_ledger.config.setting, "backup", str(bak))
    assert code == 0, out
    assert bak.read_bytes().startswith(b"PGDMP")

    target = f"{fresh_database}?schema={schema}"
    code, out = run("--db", target, "restore", str(bak))
    assert code == 0, out
    expected = heads(pg_ledger)
    for head in expected.values():
        assert f"head seal {head}" in out
    with Ledger(target, clock=fixed_clock) as restored:
        assert heads(restored) == expected
        assert dump(restored) == dump(pg_ledger)
        assert audit.replay(restored).differences == []

        # a second restore is refused; with --force it replaces what is there
        books(restored, "KAMINI")
        code, out = run("--db", target, "restore", str(bak))
        assert code == 2 and "--force" in out
        assert "KAMINI" in heads(restored)
    code, out = run("--db", target, "restore", "--force", str(bak))
    assert code == 0, out
    with Ledger(target, clock=fixed_clock) as replaced:
        assert heads(replaced) == expected


@pytest.mark.postgres
def test_a_postgres_backup_goes_back_only_into_its_schema(
    pg_ledger: Ledger, fresh_database: str, tmp_path: Path
) -> None:
    books(pg_ledger)
    made = backup(pg_ledger.config, tmp_path / "office.dump")
    assert made.kind == "postgres" and made.schema == pg_ledger.config.schema
    elsewhere = StoreConfig.parse(f"{fresh_database}?schema=another")
    with pytest.raises(InvalidInput) as refused:
        restore(elsewhere, made.path)
    assert refused.value.field == "file"
    assert f"?schema={pg_ledger.config.schema}" in str(refused.value)
    # and a PostgreSQL archive is refused by a SQLite ledger
    with pytest.raises(InvalidInput, match="PostgreSQL backup"):
        restore(StoreConfig.parse(str(tmp_path / "x.db")), made.path)


@pytest.mark.postgres
def test_a_slow_rebuild_batch_is_not_cut_off_by_the_idle_transaction_timeout(
    pg_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the programme-scale benchmark: decoding and projecting 5,000 meeting sheets
    on a busy machine took longer than PostgreSQL's idle-in-transaction timeout (5 s here),
    with the rebuild's transaction already open, and the server cut it off. The rows are
    now made before the transaction opens."""
    books(pg_ledger)
    before = dump(pg_ledger)
    slow = Ledger._decode

    def decode_slowly(self: Ledger, notes: list[object]) -> list[object]:
        time.sleep(5.5)  # a batch that takes longer than the timeout to decode
        return slow(self, notes)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "_decode", decode_slowly)
    assert pg_ledger.rebuild_projections() == events_in(pg_ledger.config)
    assert dump(pg_ledger) == before
