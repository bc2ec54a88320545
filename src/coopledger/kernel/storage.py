"""Where the books live: an embedded SQLite file by default, PostgreSQL by URL.

One setting chooses the store: a path (``coopledger.db``), ``sqlite:///path``, ``:memory:``
or ``postgresql://user:password@host:port/dbname?schema=name``. It comes from the ``db``
argument, else ``COOPLEDGER_DB``, else ``coopledger.db`` in the working directory.

Events are kept by eventsourcing. The recorders here write everything one command (or one
batch) implies in **one transaction**, in this order, after taking the write lock (SQLite
``BEGIN IMMEDIATE``; PostgreSQL's ``LOCK TABLE ... IN EXCLUSIVE MODE`` that every writer
takes):

1. check that every stream a rule *read* (without writing it) is still at the version read;
   if another writer moved it, the transaction fails as a conflict and the command is
   re-decided on fresh state;
2. insert the events (a stream's (id, version) key refuses a second writer);
3. write the projection rows, among them the command's idempotency key: a plain ``INSERT``
   into a table whose key is (stream, key), so a key is claimed once, by the transaction
   that records the command.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    PersistenceError,
    StoredEvent,
    Transcoding,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder

from coopledger.errors import InvalidInput
from coopledger.i18n import _

DEFAULT_DB = "coopledger.db"
ENV_VAR = "COOPLEDGER_DB"


class DateAsISO(Transcoding):
    """eventsourcing's JSON transcoder has no ``date``: business dates travel as ISO text."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ReadConflict(IntegrityError):
    """A stream a rule read was changed by another writer before this one could commit."""


class ProjectionWrite(Protocol):
    """What a save hands the recorder to write beside its events."""

    def write(self, cursor: Any) -> None: ...


def _stream_param(stream: UUID, dialect: str) -> Any:
    return stream.hex if dialect == "sqlite" else stream


def check_reads(cursor: Any, table: str, reads: Mapping[UUID, int], dialect: str) -> None:
    """Raise :class:`ReadConflict` when a stream read is no longer at the version read."""
    mark = "?" if dialect == "sqlite" else "%s"
    for stream, version in reads.items():
        cursor.execute(
            f"SELECT MAX(originator_version) AS v FROM {table} WHERE originator_id = {mark}",
            (_stream_param(stream, dialect),),
        )
        row = cursor.fetchone()
        current = (row["v"] if row is not None else None) or 0
        if current != version:
            raise ReadConflict(f"stream {stream} moved from version {version} to {current}")


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    """Inserts events and their projection rows in one ``BEGIN IMMEDIATE`` transaction."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection(commit=True) as conn, immediate(conn) as c:
            reads: Mapping[UUID, int] = kwargs.get("reads") or {}
            if reads:
                check_reads(c, self.events_table_name, reads, "sqlite")
            ids = self._insert_events(c, stored_events)
            projection: ProjectionWrite | None = kwargs.get("projection")
            if projection is not None:
                projection.write(c)
            return ids


@contextmanager
def immediate(conn: Any) -> Iterator[Any]:
    """A SQLite write transaction that takes the database's write lock at once (so a
    reader never has to upgrade to a writer midway), with eventsourcing's errors."""
    cursor = conn.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    except sqlite3.IntegrityError as e:
        raise IntegrityError(e) from e
    except sqlite3.OperationalError as e:
        raise OperationalError(e) from e
    except sqlite3.DatabaseError as e:
        raise DatabaseError(e) from e
    except sqlite3.Error as e:
        raise PersistenceError(e) from e
    finally:
        cursor.sqlite_cursor.close()


@dataclass(frozen=True)
class StoreConfig:
    """A parsed database setting."""

    dialect: str  # "sqlite" or "postgres"
    env: dict[str, str]
    schema: str = ""
    display: str = ""
    setting: str = ""  # as given (may hold a password: never print it)

    @classmethod
    def parse(cls, db: str | os.PathLike[str] | None = None) -> StoreConfig:
        setting = str(db) if db is not None else os.environ.get(ENV_VAR) or DEFAULT_DB
        if setting.startswith(("postgresql://", "postgres://")):
            return cls._postgres(setting)
        path = setting.removeprefix("sqlite:///") if setting.startswith("sqlite:") else setting
        if path != ":memory:":
            parent = Path(path).expanduser().resolve().parent
            if not parent.is_dir():
                raise InvalidInput(
                    "db", setting, _("folder {folder} does not exist", folder=str(parent))
                )
            path = str(Path(path).expanduser())
        else:
            # A private in-memory database per Ledger (shared by its own connections).
            path = f"file:coopledger-{uuid.uuid4().hex}?mode=memory&cache=shared"
        return cls(
            "sqlite",
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": "coopledger.kernel.storage:SQLiteLedgerRecorder",
            },
            display=setting,
            setting=setting,
        )

    @classmethod
    def _postgres(cls, url: str) -> StoreConfig:
        parts = urlparse(url)
        query = parse_qs(parts.query)
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise InvalidInput("db", url, _("name the database: postgresql://host/dbname"))
        schema = query.get("schema", [""])[0]
        if schema and not schema.replace("_", "").isalnum():
            raise InvalidInput("db", url, _("schema names are letters, digits and _"))
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "coopledger.kernel.pg:PostgresLedgerRecorder",
        }
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
        return cls("postgres", env, schema=schema, display=shown, setting=url)

    def connect_args(self) -> dict[str, Any]:
        """psycopg connection arguments (PostgreSQL only)."""
        env = self.env
        return {
            "dbname": env["POSTGRES_DBNAME"],
            "host": env["POSTGRES_HOST"],
            "port": env["POSTGRES_PORT"],
            "user": env["POSTGRES_USER"],
            "password": env["POSTGRES_PASSWORD"],
        }


#: Any number; PostgreSQL advisory locks are keyed by a bigint. "COOPLEDG" in ASCII.
SCHEMA_LOCK = 0x434F4F504C454447


@contextmanager
def schema_lock(config: StoreConfig) -> Iterator[None]:
    """Serialise creating a ledger's tables among processes that open it at once.

    PostgreSQL's ``CREATE ... IF NOT EXISTS`` and ``CREATE OR REPLACE FUNCTION`` race when
    run concurrently ("tuple concurrently updated"); an advisory lock held for the whole
    creation makes the second process wait, then find everything made. SQLite serialises
    table creation by its own database lock, so nothing is needed there.
    """
    if config.dialect != "postgres":
        yield
        return
    import psycopg  # noqa: PLC0415 - only needed for PostgreSQL (the 'postgres' extra)

    with psycopg.connect(**config.connect_args(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            if config.schema:
                exists = conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (config.schema,)
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{config.schema}"')
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


class Database:
    """Plain SQL on the same connection pool as the event store (projection tables)."""

    def __init__(self, config: StoreConfig, datastore: Any) -> None:
        self.config = config
        self.dialect = config.dialect
        self.datastore = datastore
        self.schema = config.schema or ("public" if self.dialect == "postgres" else "")

    @property
    def in_memory(self) -> bool:
        """An in-memory SQLite database (eventsourcing lends no reader a connection to one
        while a write transaction is open)."""
        return "mode=memory" in self.config.env.get("SQLITE_DBNAME", "")

    def table(self, name: str) -> str:
        return f"{self.schema}.{name}" if self.dialect == "postgres" else name

    def sql(self, statement: str) -> str:
        """Statements are written with ``?``; psycopg wants ``%s``."""
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    @contextmanager
    def cursor(self, *, commit: bool = False) -> Iterator[Any]:
        """A transaction; ``commit`` writes (on SQLite it takes the write lock at once)."""
        if commit and self.dialect == "sqlite":
            with self.datastore.get_connection(commit=True) as conn, immediate(conn) as c:
                yield c
            return
        with self.datastore.transaction(commit=commit) as c:
            yield c

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for one statement that reads. On PostgreSQL, outside a transaction (the
        pool's connections commit each statement, and one statement sees one snapshot):
        two round trips fewer than ``BEGIN`` ... ``ROLLBACK``, the same errors."""
        if self.dialect == "sqlite":
            with self.cursor() as c:
                yield c
            return
        with self.datastore.get_connection() as conn, conn.cursor() as c:
            yield c

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.reading() as c:
            c.execute(self.sql(statement), tuple(params))
            return [dict(row) for row in c.fetchall()]

    def tuples(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as plain tuples (much cheaper than dicts when reading many rows)."""
        with self.reading() as c:
            if self.dialect == "sqlite":
                c.sqlite_cursor.row_factory = None
            else:
                from psycopg.rows import tuple_row  # noqa: PLC0415

                c.row_factory = tuple_row
            c.execute(self.sql(statement), tuple(params))
            return list(c.fetchall())

    def execute(self, statements: Sequence[str]) -> None:
        with self.cursor(commit=True) as c:
            for s in statements:
                c.execute(self.sql(s))

    def lock_writers(self, cursor: Any, events_table: str) -> None:
        """Inside a write transaction: hold off every writer until it ends (PostgreSQL's
        table lock that event inserts take; SQLite's ``BEGIN IMMEDIATE`` already does)."""
        if self.dialect == "postgres":
            cursor.execute(f"LOCK TABLE {self.table(events_table)} IN EXCLUSIVE MODE")

    def tables(self) -> set[str]:
        """Names of the tables in the ledger's schema (or SQLite file)."""
        if self.dialect == "sqlite":
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {r["name"] for r in rows}
        rows = self.query(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?",
            (self.schema,),
        )
        return {r["name"] for r in rows}
