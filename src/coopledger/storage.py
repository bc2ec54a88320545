"""Where the books live: an embedded SQLite file by default, PostgreSQL by URL.

One setting chooses the store: a path (``coopledger.db``), ``sqlite:///path``, ``:memory:``
or ``postgresql://user:password@host:port/dbname?schema=name``. It comes from the ``db``
argument, else ``COOPLEDGER_DB``, else ``coopledger.db`` in the working directory.

Events are kept by eventsourcing. The recorders here add one thing: the projection rows a
save implies are written by the same database transaction that inserts the events, so the
projections can never disagree with the log.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

from eventsourcing.persistence import StoredEvent, Transcoding
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from coopledger.errors import InvalidInput

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


class ProjectionWrite(Protocol):
    """What a save hands the recorder to write beside its events."""

    def write(self, cursor: Any) -> None: ...


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    """Inserts events and their projection rows in one SQLite transaction."""

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        projection: ProjectionWrite | None = kwargs.get("projection")
        if projection is not None:
            projection.write(c)
        return ids


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    """Inserts events and their projection rows in one PostgreSQL transaction."""

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        projection: ProjectionWrite | None = kwargs.get("projection")
        if projection is not None:
            projection.write(curs)


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
                raise InvalidInput("db", setting, f"folder {parent} does not exist")
            path = str(Path(path).expanduser())
        else:
            # A private in-memory database per Ledger (shared by its own connections).
            path = f"file:coopledger-{uuid.uuid4().hex}?mode=memory&cache=shared"
        return cls("sqlite", {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "coopledger.storage:SQLiteLedgerRecorder",
        }, display=setting, setting=setting)

    @classmethod
    def _postgres(cls, url: str) -> StoreConfig:
        parts = urlparse(url)
        query = parse_qs(parts.query)
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise InvalidInput("db", url, "name the database: postgresql://host/dbname")
        schema = query.get("schema", [""])[0]
        if schema and not schema.replace("_", "").isalnum():
            raise InvalidInput("db", url, "schema names are letters, digits and _")
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
            "APPLICATION_RECORDER_TOPIC": "coopledger.storage:PostgresLedgerRecorder",
        }
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
        return cls("postgres", env, schema=schema, display=shown, setting=url)


def prepare(config: StoreConfig) -> None:
    """Create the PostgreSQL schema a URL names, before eventsourcing creates its tables."""
    if config.dialect != "postgres" or not config.schema:
        return
    import psycopg  # noqa: PLC0415 - only needed for PostgreSQL (the 'postgres' extra)

    env = config.env
    with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                         port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                         password=env["POSTGRES_PASSWORD"], autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{config.schema}"')


class Database:
    """Plain SQL on the same connection pool as the event store (projection tables)."""

    def __init__(self, config: StoreConfig, datastore: Any) -> None:
        self.config = config
        self.dialect = config.dialect
        self.datastore = datastore
        self.schema = config.schema or ("public" if self.dialect == "postgres" else "")

    def table(self, name: str) -> str:
        return f"{self.schema}.{name}" if self.dialect == "postgres" else name

    def sql(self, statement: str) -> str:
        """Statements are written with ``?``; psycopg wants ``%s``."""
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    @contextmanager
    def cursor(self, *, commit: bool = False) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.cursor() as c:
            c.execute(self.sql(statement), tuple(params))
            return [dict(row) for row in c.fetchall()]

    def execute(self, statements: Sequence[str]) -> None:
        with self.cursor(commit=True) as c:
            for s in statements:
                c.execute(self.sql(s))
