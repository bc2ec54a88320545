"""Reports on groups: the directory (filtered by place, kind or cluster) and the members.

``reports.groups.directory(district="Dinajpur")``, ``reports.groups.group("JOBA")``,
``reports.groups.members("JOBA", as_of=...)``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from coopledger.area import Area, day_of
from coopledger.errors import UnknownGroup
from coopledger.kernel.streams import CLUSTER_PREFIX, group_id


@dataclass(frozen=True)
class GroupInfo:
    """A group in the directory, with the cluster it belongs to now."""

    group_id: str
    code: str
    name: str
    kind: str
    meeting_day: str
    division: str
    district: str
    upazila: str
    union_name: str
    ward: str
    village: str
    partner: str
    animator: str
    formed_on: str
    cluster: str
    events: int
    last_recorded_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MemberInfo:
    """A member as of a date: ``active`` tells if she was still in the group then."""

    member_no: int
    name: str
    household: str
    gender: str
    community: str
    landless: bool
    wellbeing: str
    joined_on: str
    left_on: str | None
    active: bool
    roles: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_DIRECTORY = (
    "SELECT g.*, COALESCE(c.code, '') AS cluster, s.version AS events, "
    "s.recorded_at AS last_recorded_at FROM {groups} g JOIN {streams} s ON "
    "s.stream_id = g.group_id LEFT JOIN {cluster_groups} m ON m.group_code = g.code AND "
    "m.left_on IS NULL LEFT JOIN {clusters} c ON c.cluster_id = m.cluster_id"
)
_FILTERS = ("district", "upazila", "union_name", "village", "kind")


class GroupReports(Area):
    """The directory of groups and their members."""

    def directory(self, **filters: str) -> list[GroupInfo]:
        """Groups, optionally filtered by district, upazila, union_name, village, kind or
        cluster (a cluster's code: the groups in it now)."""
        where, params = [], []
        for name in _FILTERS:
            if filters.get(name):
                where.append(f"g.{name} = ?")
                params.append(filters[name])
        if filters.get("cluster"):
            self.cid(filters["cluster"])  # refusing an unknown cluster
            where.append("c.code = ?")
            params.append(filters["cluster"].upper().removeprefix(CLUSTER_PREFIX))
        sql = _DIRECTORY + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.query(sql + " ORDER BY g.district, g.upazila, g.village, g.code", params)
        return [GroupInfo(**r) for r in rows]

    def group(self, code: str) -> GroupInfo:
        """One group (one indexed query), refusing an unknown code."""
        rows = self.query(_DIRECTORY + " WHERE g.group_id = ?", (group_id(code).hex,))
        if not rows:
            raise UnknownGroup(code.upper())
        return GroupInfo(**rows[0])

    def members(self, code: str, *, as_of: date | None = None) -> list[MemberInfo]:
        """Members who had joined by ``as_of``, with the roles they held that day."""
        gid, day = self.gid(code), day_of(as_of)
        rows = self.query(
            "SELECT * FROM {members} WHERE group_id = ? AND joined_on <= ? ORDER BY member_no",
            (gid, day),
        )
        roles = self.query(
            "SELECT member_no, role FROM {roles} WHERE group_id = ? AND since <= ? AND "
            "(until IS NULL OR until > ?) ORDER BY position",
            (gid, day, day),
        )
        held: dict[int, list[str]] = defaultdict(list)
        for r in roles:
            held[r["member_no"]].append(r["role"])
        return [
            MemberInfo(
                member_no=r["member_no"],
                name=r["name"],
                household=r["household"],
                gender=r["gender"],
                community=r["community"],
                landless=bool(r["landless"]),
                wellbeing=r["wellbeing"],
                joined_on=r["joined_on"],
                left_on=r["left_on"] if r["left_on"] and r["left_on"] <= day else None,
                active=r["left_on"] is None or r["left_on"] > day,
                roles=held[r["member_no"]],
            )
            for r in rows
        ]
