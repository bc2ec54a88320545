"""Backing up a ledger into one file, and restoring it.

>>> from coopledger.backup import backup, restore

``backup(config, path)`` copies the whole ledger (events, snapshots, projections, settings)
into one file while the office keeps working:

* **SQLite**: SQLite's online backup API (:meth:`sqlite3.Connection.backup`), which copies
  the database as one consistent snapshot (in WAL mode writers are not held off), into a
  file beside ``path`` that is renamed over it when complete. The copy is a plain
  single-file SQLite database (no ``-wal`` file to forget).
* **PostgreSQL**: ``pg_dump`` in its custom format (``-Fc``, compressed) of the ledger's
  schema, which reads one consistent snapshot without blocking writers. ``pg_dump`` and
  ``pg_restore`` are found in the folder ``pg_config --bindir`` prints, else on ``PATH``.

``restore(config, path, force=False)`` puts a backup back. It refuses to overwrite a ledger
that holds any event unless ``force`` is given, and refuses a file that is not a coopledger
backup of the same kind of store. A SQLite backup goes back through the same online backup
API (page by page into the ledger's file); a PostgreSQL backup through ``pg_restore`` in one
transaction (all of it or nothing), into the schema it was taken from. Afterwards open the
ledger and verify its chains (``coopledger restore`` does, and prints every stream's head
seal, to compare with the paper minutes).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.kernel.storage import StoreConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
#: The events table eventsourcing names for the ledger's application, by store.
EVENTS_TABLES = {"sqlite": "stored_events", "postgres": "coopledger_events"}
EVENTS_TABLE = EVENTS_TABLES["sqlite"]
PG_EVENTS = EVENTS_TABLES["postgres"]
#: The longest a dump or restore may take before it is stopped (seconds).
TIMEOUT = 6 * 3600


@dataclass(frozen=True)
class BackupFile:
    """What a backup holds (counted in the file itself)."""

    path: Path
    kind: str  # "sqlite" or "postgres"
    size: int
    events: int | None  # None: a PostgreSQL archive (counted only once restored)
    schema: str = ""


# ---------------------------------------------------------------------- backing up
def backup(config: StoreConfig, path: str | os.PathLike[str], *, force: bool = False) -> BackupFile:
    """Copy the ledger at ``config`` into the file ``path`` (refused if it exists, unless
    ``force``)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInput("file", str(target), _("is a folder: name a file"))
    if not target.parent.is_dir():
        raise InvalidInput(
            "file", str(target), _("folder {folder} does not exist", folder=str(target.parent))
        )
    if target.exists() and not force:
        raise InvalidInput(
            "file", str(target), _("exists already: choose another name, or give --force")
        )
    if config.dialect == "sqlite":
        return _backup_sqlite(config, target)
    return _backup_postgres(config, target)


def _sqlite_path(config: StoreConfig) -> str:
    name = config.env["SQLITE_DBNAME"]
    if "mode=memory" in name:
        raise InvalidInput("db", config.display, _("an in-memory ledger has no file to copy"))
    return name


def _backup_sqlite(config: StoreConfig, target: Path) -> BackupFile:
    source_path = _sqlite_path(config)
    if not _has_events_table(source_path):
        raise InvalidInput("db", config.display, _("holds no ledger"))
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # every page in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
            events = int(copy.execute(f"SELECT COUNT(*) FROM {EVENTS_TABLE}").fetchone()[0])
        finally:
            copy.close()
    finally:
        source.close()
    if problem != "ok":  # pragma: no cover - a disk failing under the copy
        partial.unlink(missing_ok=True)
        raise InvalidInput(
            "file", str(target), _("the copy is damaged: {problem}", problem=problem)
        )
    os.replace(partial, target)
    return BackupFile(target, "sqlite", target.stat().st_size, events)


def pg_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``: in ``pg_config --bindir``, else on PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            folder = subprocess.run(  # noqa: S603 - pg_config, found on PATH
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            folder = ""
        candidate = Path(folder) / name
        if folder and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise InvalidInput(
            "db",
            name,
            _(
                "{tool} is not installed: install the PostgreSQL client tools "
                "(Debian: apt-get install postgresql-client)",
                tool=name,
            ),
        )
    return found


def _pg_args(config: StoreConfig) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL tools; the password goes in the environment
    (never on a command line that ``ps`` shows)."""
    c = config.connect_args()
    env = {**os.environ, "PGPASSWORD": c["password"]} if c["password"] else dict(os.environ)
    env["PGCONNECT_TIMEOUT"] = "10"
    return ["-h", c["host"], "-p", str(c["port"]), "-U", c["user"], "-d", c["dbname"]], env


def _run(command: Sequence[str], env: dict[str, str], what: str, value: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - our own arguments, no shell
            list(command), capture_output=True, text=True, env=env, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise InvalidInput(what, value, _("took longer than six hours: stopped")) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = " / ".join(lines[-3:]) or f"exit status {done.returncode}"
        raise InvalidInput(
            what, value, _("{tool} failed: {detail}", tool=Path(command[0]).name, detail=detail)
        )
    return done.stdout


def _schema(config: StoreConfig) -> str:
    return config.schema or "public"


def _backup_postgres(config: StoreConfig, target: Path) -> BackupFile:
    args, env = _pg_args(config)
    schema = _schema(config)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _run(
            [pg_tool("pg_dump"), *args, "--format=custom", "--schema", schema, "-f", str(partial)],
            env,
            "db",
            config.display,
        )
        found = archive_schema(partial)
        if found != schema:
            raise InvalidInput("db", config.display, _("holds no ledger"))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return BackupFile(target, "postgres", target.stat().st_size, None, schema)


# ---------------------------------------------------------------------- restoring
def kind_of(path: Path) -> str:
    """``"sqlite"`` or ``"postgres"``: what kind of backup the file is (refusing others)."""
    if not path.is_file():
        raise InvalidInput("file", str(path), _("no such file"))
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgres"
    raise InvalidInput(
        "file", str(path), _("is not a coopledger backup (neither SQLite nor pg_dump's format)")
    )


def _has_events_table(path: str, *, uri: bool = False) -> bool:
    conn = sqlite3.connect(path, uri=uri, timeout=30)
    try:
        return bool(
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (EVENTS_TABLE,)
            ).fetchone()
        )
    finally:
        conn.close()


_TABLE_LINE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


def archive_schema(path: Path) -> str:
    """The schema whose events table a pg_dump archive holds (refusing any other archive)."""
    listing = _run([pg_tool("pg_restore"), "-l", str(path)], dict(os.environ), "file", str(path))
    for line in listing.splitlines():
        m = _TABLE_LINE.match(line)
        if m and m.group(2) == PG_EVENTS:
            return m.group(1)
    raise InvalidInput("file", str(path), _("holds no ledger"))


def events_in(config: StoreConfig) -> int:
    """How many events the ledger at ``config`` holds (0 when it has no tables yet)."""
    if config.dialect == "sqlite":
        path = _sqlite_path(config)
        if not Path(path).exists() or not _has_events_table(path):
            return 0
        conn = sqlite3.connect(path, timeout=30)
        try:
            return int(conn.execute(f"SELECT COUNT(*) FROM {EVENTS_TABLE}").fetchone()[0])
        finally:
            conn.close()
    import psycopg  # noqa: PLC0415 - the 'postgres' extra

    with psycopg.connect(**config.connect_args(), autocommit=True) as pg:
        table = f'"{_schema(config)}".{PG_EVENTS}'
        row = pg.execute("SELECT to_regclass(%s)", (table,)).fetchone()
        if row is None or row[0] is None:
            return 0
        counted = pg.execute(f"SELECT COUNT(*) FROM {table}")
        got = counted.fetchone()
        return int(got[0]) if got else 0


def restore(
    config: StoreConfig, path: str | os.PathLike[str], *, force: bool = False
) -> BackupFile:
    """Put the backup ``path`` back into the ledger at ``config``.

    Refused (nothing changed) when the file is not a backup of this kind of store, when a
    PostgreSQL backup was taken from another schema, or when the ledger holds events and
    ``force`` is not given."""
    source = Path(path).expanduser()
    kind = kind_of(source)
    if kind != config.dialect:
        raise InvalidInput(
            "file",
            str(source),
            _(
                "is a {kind} backup: restore it into a {kind} ledger (--db)",
                kind="SQLite" if kind == "sqlite" else "PostgreSQL",
            ),
        )
    if kind == "sqlite":
        return _restore_sqlite(config, source, force)
    return _restore_postgres(config, source, force)


def _refuse_non_empty(config: StoreConfig, force: bool) -> None:
    held = events_in(config)
    if held and not force:
        raise InvalidInput(
            "db",
            config.display,
            _(
                "holds {n} events: restoring would replace them. Restore into a new ledger, "
                "or give --force to replace it",
                n=held,
            ),
        )


def _restore_sqlite(config: StoreConfig, source: Path, force: bool) -> BackupFile:
    target = _sqlite_path(config)
    uri = f"file:{source.resolve()}?mode=ro"
    try:
        ok = _has_events_table(uri, uri=True)
        conn = sqlite3.connect(uri, uri=True)
        try:
            problem = conn.execute("PRAGMA quick_check").fetchone()[0]
            events = (
                int(conn.execute(f"SELECT COUNT(*) FROM {EVENTS_TABLE}").fetchone()[0]) if ok else 0
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise InvalidInput("file", str(source), _("cannot be read: {e}", e=str(e))) from None
    if not ok:
        raise InvalidInput("file", str(source), _("holds no ledger"))
    if problem != "ok":
        raise InvalidInput("file", str(source), _("is damaged: {problem}", problem=problem))
    _refuse_non_empty(config, force)
    src = sqlite3.connect(uri, uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)  # page by page into the ledger's file, under SQLite's locks
        finally:
            dst.close()
    finally:
        src.close()
    return BackupFile(source, "sqlite", source.stat().st_size, events)


def _restore_postgres(config: StoreConfig, source: Path, force: bool) -> BackupFile:
    schema = _schema(config)
    dumped = archive_schema(source)
    if dumped != schema:
        raise InvalidInput(
            "file",
            str(source),
            _(
                "holds the ledger of schema {dumped}: restore it into a URL ending "
                "?schema={dumped} (the schema may be in another database)",
                dumped=dumped,
            ),
        )
    _refuse_non_empty(config, force)
    import psycopg  # noqa: PLC0415 - the 'postgres' extra

    restore_tool = pg_tool("pg_restore")
    args, env = _pg_args(config)
    listing = _run([restore_tool, "-l", str(source)], env, "file", str(source))
    # The schema is made here if missing; its own entry would fail on one that exists.
    kept = [line for line in listing.splitlines() if " SCHEMA - " not in line]
    with tempfile.TemporaryDirectory() as tmp:
        chosen = Path(tmp) / "list"
        chosen.write_text("\n".join(kept) + "\n")
        with psycopg.connect(**config.connect_args(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        _run(
            [
                restore_tool,
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "-L",
                str(chosen),
                str(source),
            ],
            env,
            "file",
            str(source),
        )
    _drop_stale_tables(config, _archive_tables(listing, schema))
    return BackupFile(source, "postgres", source.stat().st_size, events_in(config), schema)


def _archive_tables(listing: str, schema: str) -> set[str]:
    found = set()
    for line in listing.splitlines():
        m = _TABLE_LINE.match(line)
        if m and m.group(1) == schema:
            found.add(m.group(2))
    return found


def _drop_stale_tables(config: StoreConfig, restored: set[str]) -> None:
    """Drop the ledger's tables the backup did not hold (a projection a newer plugin made):
    left, they would hold rows of the history that was replaced."""
    import psycopg  # noqa: PLC0415

    schema = _schema(config)
    with psycopg.connect(**config.connect_args(), autocommit=True) as conn:
        rows: list[Any] = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND (table_name LIKE 'cl\\_%%' OR table_name LIKE 'coopledger\\_%%')",
            (schema,),
        ).fetchall()
        for (name,) in rows:
            if name not in restored:
                conn.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}" CASCADE')


__all__ = ["BackupFile", "archive_schema", "backup", "events_in", "kind_of", "pg_tool", "restore"]
