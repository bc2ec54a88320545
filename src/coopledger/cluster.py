"""The cluster: neighbouring groups within one ward, run by their cluster platform.

A :class:`Cluster` is its own event stream (key ``cluster:<code>``): formed with its place,
villages and the households it covers; groups join and leave it with dates. A group belongs
to at most one cluster at a time (the ledger checks the other clusters before admitting it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from coopledger import events as ev
from coopledger.chained import Chained, chained
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.group import CLUSTER_PREFIX, Stamp, _check_code, _text, stream_id
from coopledger.integrity import GENESIS


def cluster_key(code: str) -> str:
    """The stream key of a cluster: ``cluster:<CODE>``."""
    return CLUSTER_PREFIX + code.upper().removeprefix(CLUSTER_PREFIX)


class Cluster(Chained):
    """A cluster's stream and the state its rules need (formation date, member groups)."""

    @classmethod
    def form(cls, *, code: str, name: str, division: str, district: str, upazila: str,
             union: str, ward: str, villages: list[str], households: int, partner: str,
             on: date, stamp: Stamp) -> Cluster:
        code = _check_code(code)
        if on > stamp.today:
            raise InvalidInput("date", on, f"is in the future (today is {stamp.today})")
        if not villages or not all(isinstance(v, str) and v.strip() for v in villages):
            raise InvalidInput("villages", villages, "name at least one village")
        if isinstance(households, bool) or not isinstance(households, int) or households < 0:
            raise InvalidInput("households", households, "must be a whole number, 0 or more")
        sid = stream_id(cluster_key(code))
        fields = {"business_date": on, **stamp.fields(), "originator_topic": get_topic(cls)}
        return cls._create(ev.ClusterFormed, id=sid, **chained(
            ev.ClusterFormed, sid, 1, GENESIS, fields, {
                "code": code, "name": _text("name", name),
                "division": _text("division", division, required=False),
                "district": _text("district", district), "upazila": _text("upazila", upazila),
                "union": _text("union", union, required=False),
                "ward": _text("ward", ward, required=False),
                "villages": [v.strip() for v in villages], "households": households,
                "partner": _text("partner", partner, required=False)}))

    def _on_ClusterFormed(self, e: ev.ClusterFormed) -> None:
        self.code, self.name, self.formed_on = e.code, e.name, e.business_date
        self.groups: dict[str, date] = {}

    def _check_date(self, on: Any, today: date) -> date:
        if not isinstance(on, date):
            raise InvalidInput("date", on, "must be a date (YYYY-MM-DD)")
        if on < self.formed_on:
            raise InvalidInput("date", on, f"is before cluster {self.code} was formed "
                               f"({self.formed_on})")
        if on > today:
            raise InvalidInput("date", on, f"is in the future (today is {today})")
        return on

    def admit(self, *, group: str, group_formed_on: date, on: date, stamp: Stamp) -> None:
        """A group joins (the caller checked that the group exists and is in no other
        cluster)."""
        on = self._check_date(on, stamp.today)
        code = group.upper()
        if code in self.groups:
            raise RuleBroken("group", code, f"is already in cluster {self.code}")
        if on < group_formed_on:
            raise InvalidInput("date", on, f"is before group {code} was formed "
                               f"({group_formed_on})")
        self.trigger_event(ev.GroupJoinedCluster, business_date=on, **stamp.fields(),
                           group=code)

    def _on_GroupJoinedCluster(self, e: ev.GroupJoinedCluster) -> None:
        self.groups[e.group] = e.business_date

    def release(self, *, group: str, reason: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        code = group.upper()
        if code not in self.groups:
            raise RuleBroken("group", code, f"is not in cluster {self.code}")
        if on < self.groups[code]:
            raise InvalidInput("date", on, f"is before {code} joined ({self.groups[code]})")
        self.trigger_event(ev.GroupLeftCluster, business_date=on, **stamp.fields(),
                           group=code, reason=_text("reason", reason))

    def _on_GroupLeftCluster(self, e: ev.GroupLeftCluster) -> None:
        del self.groups[e.group]

    def __deepcopy__(self, memo: dict[int, Any]) -> Cluster:
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._pending_events = list(self._pending_events)
        if hasattr(self, "groups"):
            other.groups = dict(self.groups)
        return other
