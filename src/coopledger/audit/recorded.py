"""The books as they stood at a recording time: "what did the books say on the day of the
review?", as opposed to reports as of a business date, which include entries back-dated and
corrections recorded later.

``as_recorded(ledger, T)`` projects only the events recorded by T into a private in-memory
database and gives the same :class:`~coopledger.reports.Reports` over it.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from eventsourcing.sqlite import SQLiteDatastore

from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.kernel.projection import Projector
from coopledger.kernel.storage import Database, StoreConfig
from coopledger.reports import Reports

if TYPE_CHECKING:
    from coopledger.ledger import Ledger


class RecordedReports(Reports):
    """Reports over the events recorded by ``recorded_at`` (a private in-memory copy)."""

    def __init__(
        self,
        db: Database,
        projector: Projector,
        at: datetime,
        datastore: SQLiteDatastore,
        ledger: Ledger,
    ) -> None:
        super().__init__(db, projector, today=ledger.today)
        self.recorded_at = at
        self._datastore = datastore

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._datastore.close()

    def __enter__(self) -> RecordedReports:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_recorded(ledger: Ledger, at: datetime, group: str | None = None) -> RecordedReports:
    """Reports as the books stood once recording time ``at`` had passed.

    Every report takes ``as_of`` as usual; events recorded after ``at`` (later entries,
    back-dated entries, corrections) are left out.
    """
    if at.tzinfo is None:
        raise InvalidInput("as_recorded", at, _("give a time with its time zone"))
    import coopledger.capabilities  # noqa: F401, PLC0415 - every kind of event and table

    name = f"file:recorded-{uuid.uuid4().hex}?mode=memory&cache=shared"
    datastore = SQLiteDatastore(name)
    db = Database(StoreConfig("sqlite", {}), datastore)
    projector = Projector(db)
    projector.create_tables()
    source = ledger.events(group) if group else ledger.all_events()
    chosen = [e for e in source if e.timestamp <= at]
    if chosen:
        with db.cursor(commit=True) as c:
            projector.rows(chosen, claim_keys=False).write(c)
    return RecordedReports(db, projector, at, datastore, ledger)
