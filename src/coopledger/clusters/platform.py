"""The platform's monthly meeting and the rotation of its chair and host among the groups.

Events: ``RotationPlanned`` (who chairs and who hosts, month by month), ``PlatformMeetingHeld``
(who chaired and hosted, which representatives came, what was decided). Commands:
``plan_rotation`` (a fair rotation over the groups in the cluster now, see
:func:`fair_rotation`), ``record_platform_meeting`` (chair and host default to the
rotation's). Tables: ``cluster_rotation`` (every plan's months, kept with the plan's date,
so a report as of a past day shows the rotation as it was planned then),
``cluster_meetings``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from coopledger.clusters.aggregate import Cluster
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.i18n import Message, _, ngettext_
from coopledger.kernel.commands import ClusterCommand, Code, MemberNo, Month, Row
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit

table(
    "cluster_rotation",
    """cluster_id TEXT NOT NULL, month TEXT NOT NULL,
      position INTEGER NOT NULL, planned_on TEXT NOT NULL, chair TEXT NOT NULL,
      host TEXT NOT NULL""",
    ["cluster_id", "month", "position"],
)
table(
    "cluster_meetings",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      meeting_date TEXT NOT NULL, chair TEXT NOT NULL, host TEXT NOT NULL,
      attended INTEGER NOT NULL, attendance TEXT NOT NULL, decisions TEXT NOT NULL""",
    ["cluster_id", "position"],
    "(cluster_id, meeting_date)",
)


def fair_rotation(groups: list[str], start: str, months: int) -> list[dict[str, str]]:
    """Chair and host for each month from ``start`` (``YYYY-MM``), taking the groups in
    turn so that no group chairs or hosts more than once more than any other; the host is
    never that month's chair (with two groups or more)."""
    year, month = (int(p) for p in start.split("-"))
    n = len(groups)
    slots = []
    for i in range(months):
        y, m = divmod(month - 1 + i, 12)
        slots.append(
            {
                "month": f"{year + y:04d}-{m + 1:02d}",
                "chair": groups[i % n],
                "host": groups[(i + 1) % n] if n > 1 else groups[0],
            }
        )
    return slots


# ---------------------------------------------------------------------- the rotation
class RotationPlanned(NoMoney, LedgerEvent):
    """Who chairs and who hosts the monthly platform meetings, month by month.

    ``slots``: ``{"month": "YYYY-MM", "chair": group, "host": group}``; a later plan
    replaces the months it covers from its own date on.
    """

    slots: list[dict[str, str]]

    def apply(self, cluster: Cluster) -> None:
        for s in self.slots:
            cluster.rotation[s["month"]] = [s["chair"], s["host"]]

    def project(self, rows: Rows) -> None:
        for s in self.slots:
            rows.insert(
                "cluster_rotation",
                cluster_id=self.originator_id.hex,
                month=s["month"],
                position=self.position,
                planned_on=self.business_date.isoformat(),
                chair=s["chair"],
                host=s["host"],
            )

    def describe(self) -> Message:
        first, last = self.slots[0]["month"], self.slots[-1]["month"]
        return _("Chair and host rotation planned from {first} to {last}", first=first, last=last)


class PlanRotation(ClusterCommand):
    """Plan who chairs and who hosts the monthly meetings, fairly, from ``start``."""

    command: Literal["plan_rotation"] = "plan_rotation"
    start: Annotated[Month, Field(description="first month, YYYY-MM")]
    months: Annotated[int, Field(ge=1, le=36, strict=True)]

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        year, month = (int(p) for p in self.start.split("-"))
        if not 1 <= month <= 12:
            raise InvalidInput("start", self.start, _("give the first month as YYYY-MM"))
        if not cluster.groups:
            raise RuleBroken("cluster", cluster.code, _("has no groups to rotate among"))
        ordered = sorted(cluster.groups, key=lambda g: (cluster.groups[g], g))
        cluster.record(
            RotationPlanned,
            on,
            unit.stamp,
            slots=fair_rotation(ordered, f"{year:04d}-{month:02d}", self.months),
        )
        return cluster.version


# ---------------------------------------------------------------------- the meeting
class PlatformMeetingHeld(NoMoney, LedgerEvent):
    """The monthly platform meeting: who chaired, who hosted, which representatives came
    (``{"group", "member_no"}``), and what was decided."""

    chair: str
    host: str
    attendance: list[dict[str, Any]]
    decisions: list[str]

    def apply(self, cluster: Cluster) -> None:
        """The rules read only the days the platform met (guests are counted at a meeting)."""
        if not hasattr(cluster, "met_on"):
            cluster.met_on = []
        cluster.met_on.append(self.business_date.isoformat())

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_meetings",
            cluster_id=self.originator_id.hex,
            position=self.position,
            meeting_date=self.business_date.isoformat(),
            chair=self.chair,
            host=self.host,
            attended=len(self.attendance),
            attendance=json.dumps(list(self.attendance), ensure_ascii=False),
            decisions=json.dumps(list(self.decisions), ensure_ascii=False),
        )

    def describe(self) -> Message:
        return ngettext_(
            "Platform meeting chaired by {chair}, hosted by {host}: {n} representative came",
            "Platform meeting chaired by {chair}, hosted by {host}: {n} representatives came",
            len(self.attendance),
            chair=self.chair,
            host=self.host,
        )


class Attendee(Row):
    """A representative present at a platform meeting."""

    group: Code
    member: MemberNo


Decision = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RecordPlatformMeeting(ClusterCommand):
    """The monthly platform meeting; chair and host default to the planned rotation."""

    command: Literal["record_platform_meeting"] = "record_platform_meeting"
    attendance: list[Attendee] = []
    chair: Code | None = None
    host: Code | None = None
    decisions: list[Decision] = []

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        planned = cluster.rotation.get(on.strftime("%Y-%m"))
        chair = self.chair or (planned[0] if planned else None)
        host = self.host or (planned[1] if planned else None)
        if chair is None or host is None:
            raise InvalidInput(
                "chair",
                chair,
                _("no rotation covers this month: name the chair and the host group"),
            )
        chair = cluster.member_group("chair", chair)
        host = cluster.member_group("host", host)
        cluster.record(
            PlatformMeetingHeld,
            on,
            unit.stamp,
            chair=chair,
            host=host,
            attendance=_attendance(cluster, self.attendance),
            decisions=list(self.decisions),
        )
        return cluster.version


def _attendance(cluster: Cluster, attendance: list[Attendee]) -> list[dict[str, Any]]:
    """The representatives present, each one seated on the platform now and listed once."""
    seen: set[tuple[str, int]] = set()
    for i, a in enumerate(attendance):
        who = f"{a.group}/{a.member}"
        if not cluster.is_representative(a.group, a.member):
            raise RuleBroken(f"attendance[{i}]", who, _("is not a representative on the platform"))
        if (a.group, a.member) in seen:
            raise InvalidInput(f"attendance[{i}]", who, _("is listed twice"))
        seen.add((a.group, a.member))
    return [{"group": a.group, "member_no": a.member} for a in attendance]


__all__ = [
    "Attendee",
    "PlanRotation",
    "PlatformMeetingHeld",
    "RecordPlatformMeeting",
    "RotationPlanned",
    "fair_rotation",
]
