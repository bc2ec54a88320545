"""The base of every report module: queries on the projection tables, as of a business date.

Each capability keeps its reports next to its events (``savings/reports.py``,
``loans/reports.py`` ...) as an :class:`Area`; :class:`coopledger.reports.Reports` holds
one of each. Results are dataclasses; taka are :class:`~decimal.Decimal`, rice is grams.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from coopledger.errors import UnknownCluster, UnknownGroup
from coopledger.kernel.streams import CLUSTER_PREFIX, cluster_key, group_id, stream_id

if TYPE_CHECKING:
    from coopledger.kernel.projection import Projector
    from coopledger.kernel.storage import Database
    from coopledger.reports import Reports

FAR_FUTURE = "9999-12-31"


def day_of(as_of: date | None) -> str:
    """``as_of`` as the ISO text the tables hold (no date: every day)."""
    return as_of.isoformat() if as_of else FAR_FUTURE


def share(part: int, whole: int) -> Decimal | None:
    """A percentage to one decimal (None when there is nothing to share)."""
    return (Decimal(part * 100) / whole).quantize(Decimal("0.1")) if whole else None


class Area:
    """One area's queries (``self.t('passbook')`` names a projection table)."""

    def __init__(self, reports: Reports) -> None:
        self.reports = reports
        self.db: Database = reports.db
        self.p: Projector = reports.projector

    @property
    def today(self) -> Callable[[], date]:
        return self.reports.today

    def t(self, name: str) -> str:
        return self.p.t(name)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """``statement`` with ``{name}`` for projection tables and ``?`` for values."""
        return self.db.query(self.p.sql.raw(statement), params)

    def gid(self, code: str) -> str:
        """A group's stream id, refusing an unknown group."""
        gid = group_id(code).hex
        if not self.query("SELECT 1 FROM {groups} WHERE group_id = ?", (gid,)):
            raise UnknownGroup(code.upper())
        return gid

    def cid(self, code: str) -> str:
        """A cluster's stream id (``CODE`` or ``cluster:CODE``), refusing an unknown
        cluster."""
        cid = stream_id(cluster_key(code)).hex
        if not self.query("SELECT 1 FROM {clusters} WHERE cluster_id = ?", (cid,)):
            raise UnknownCluster(code.upper().removeprefix(CLUSTER_PREFIX))
        return cid

    def sid(self, stream: str) -> str:
        """A group's (``JOBA``) or a cluster's (``cluster:CODE``) stream id, refusing an
        unknown one."""
        return self.cid(stream) if stream.upper().startswith(CLUSTER_PREFIX) else self.gid(stream)
