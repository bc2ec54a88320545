"""Reports from a PostgreSQL streaming-replication read replica (the ``postgres`` extra).

``Ledger(primary_url, read_db=replica_url)`` writes to the primary and reads every report
from the replica: a hot standby kept by PostgreSQL's own streaming replication, which holds
the same schema and tables, a moment behind. This module opens the replica's connection
pool and measures how far behind it is:

* **bytes**: the primary's current WAL position (``pg_current_wal_lsn()``) minus what the
  replica has replayed (``pg_last_wal_replay_lsn()``): zero means every committed change
  the primary had when asked is in the reports;
* **seconds**: when behind, how long ago the replica replayed its last transaction
  (``now() - pg_last_xact_replay_timestamp()``), an upper bound of the staleness.

A read database that is not in recovery (``pg_is_in_recovery()`` false) is not a streaming
replica: its lag is reported as unknown, never as "up to date".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from coopledger.errors import InvalidInput
from coopledger.i18n import Message, _
from coopledger.kernel.storage import Database, StoreConfig

if TYPE_CHECKING:
    from collections.abc import Mapping


def replica_config(primary: StoreConfig, read_db: str) -> StoreConfig:
    """The replica's setting, checked: a ``postgresql://`` URL for a PostgreSQL ledger, in
    the primary's schema (taken from the primary when the URL names none)."""
    if primary.dialect != "postgres":
        raise InvalidInput(
            "read_db",
            read_db,
            _("a read replica needs a PostgreSQL ledger (--db postgresql://...)"),
        )
    if not read_db.startswith(("postgresql://", "postgres://")):
        raise InvalidInput("read_db", read_db, _("give the replica as a postgresql:// URL"))
    found = StoreConfig.parse(read_db)
    if found.schema and found.schema != primary.schema:
        raise InvalidInput(
            "read_db",
            found.display,
            _(
                "names schema {schema}, but the ledger is in schema {ledger}",
                schema=found.schema,
                ledger=primary.schema or "public",
            ),
        )
    if primary.schema and not found.schema:
        env = {**found.env, "POSTGRES_SCHEMA": primary.schema}
        return StoreConfig(found.dialect, env, primary.schema, found.display, found.setting)
    return found


def open_replica(config: StoreConfig) -> Database:
    """A :class:`Database` over a connection pool to the replica (read-only transactions)."""
    from eventsourcing.postgres import PostgresDatastore  # noqa: PLC0415

    env: Mapping[str, str] = config.env
    datastore = PostgresDatastore(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        pool_size=int(env.get("POSTGRES_POOL_SIZE", "4")),
        max_overflow=int(env.get("POSTGRES_MAX_OVERFLOW", "4")),
        schema=config.schema,
        connect_timeout=10,
    )
    return Database(config, datastore)


@dataclass(frozen=True)
class ReplicaLag:
    """How far the replica the reports read is behind the primary."""

    replica: bool  # the read database is a standby in recovery
    behind_bytes: int | None  # WAL written on the primary and not yet replayed
    seconds: Decimal | None  # when behind: since the last transaction replayed

    @property
    def up_to_date(self) -> bool:
        return self.replica and self.behind_bytes == 0

    def describe(self) -> Message:
        if not self.replica:
            return _(
                "reports read from a database that is not a streaming replica "
                "(not in recovery): its lag is unknown"
            )
        if self.up_to_date:
            return _("reports read from the replica: up to date with the primary")
        if self.seconds is None:
            return _(
                "reports read from the replica: {n} bytes of changes behind the primary",
                n=self.behind_bytes,
            )
        return _(
            "reports read from the replica: {n} bytes of changes behind the primary; "
            "last change replayed {s} s ago",
            n=self.behind_bytes,
            s=self.seconds,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "replica": self.replica,
            "behind_bytes": self.behind_bytes,
            "seconds": None if self.seconds is None else str(self.seconds),
            "up_to_date": self.up_to_date,
        }


def lag(primary: Database, replica: Database) -> ReplicaLag:
    """Measure the replica's lag now (two small queries, one on each server)."""
    position = primary.query("SELECT pg_current_wal_lsn()::text AS lsn")[0]["lsn"]
    row = replica.query(
        "SELECT pg_is_in_recovery() AS standby, "
        "pg_wal_lsn_diff(?::pg_lsn, pg_last_wal_replay_lsn()) AS behind, "
        "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) AS seconds",
        (position,),
    )[0]
    if not row["standby"]:
        return ReplicaLag(False, None, None)
    behind = max(0, int(row["behind"])) if row["behind"] is not None else None
    seconds = row["seconds"]
    if behind == 0 or seconds is None:
        return ReplicaLag(True, behind, None)
    return ReplicaLag(True, behind, Decimal(seconds).quantize(Decimal("0.1")))


__all__ = ["ReplicaLag", "lag", "open_replica", "replica_config"]
