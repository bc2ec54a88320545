"""The PostgreSQL recorder, in a module of its own so that a SQLite ledger never imports
psycopg (the ``postgres`` extra). See :mod:`coopledger.kernel.storage` for what a save
writes and in which order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder

from coopledger.kernel.storage import ProjectionWrite, check_reads


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    """Inserts events and their projection rows in one PostgreSQL transaction, after the
    table lock every writer takes."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        table = f'"{self.datastore.schema}"."{self.events_table_name}"'
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            reads: Mapping[UUID, int] = kwargs.get("reads") or {}
            if reads:
                check_reads(curs, table, reads, "postgres")
            PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events)
            ids = [row["notification_id"] for row in curs.fetchall()]
            projection: ProjectionWrite | None = kwargs.get("projection")
            if projection is not None:
                projection.write(curs)
            self._notify_channel(curs)
            return ids
