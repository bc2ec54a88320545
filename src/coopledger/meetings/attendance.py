"""Who came to meetings: members and representatives by gender, and guests (people who are
not members: husbands, neighbours, a union council member) counted by gender.

Event: ``GuestsAttended`` (in a group's stream, for its weekly meeting; in a cluster's, for
its platform meeting). Commands: ``count_guests``, ``count_platform_guests``. Table:
``meeting_guests``. Report area: ``reports.attendance.weekly("JOBA", since=..., as_of=D)``
and ``reports.attendance.platform("cluster:CODE", ...)`` (the platform's trainings, whose
attendance is recorded by member and non-member and by gender, are listed with it).

Members present are those the meeting's minutes list, each with the gender she gave when
she joined; guests are counted, not named. A later count for the same meeting replaces the
earlier one (a recount), and both stay in the stream.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coopledger.area import Area, day_of, share
from coopledger.clusters.aggregate import Cluster
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _
from coopledger.kernel.commands import ClusterCommand, Count, GroupCommand, OptionalText
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.reports import area

table(
    "meeting_guests",
    """stream_id TEXT NOT NULL, position INTEGER NOT NULL, meeting_date TEXT NOT NULL,
      female INTEGER NOT NULL, male INTEGER NOT NULL, other INTEGER NOT NULL,
      note TEXT NOT NULL""",
    ["stream_id", "position"],
    "(stream_id, meeting_date)",
)

GENDERS = ("female", "male", "other")


class GuestsAttended(NoMoney, LedgerEvent):
    """People who are not members came to a meeting: how many women, men and others."""

    female: int
    male: int
    other: int
    note: str

    def apply(self, stream: Group | Cluster) -> None:
        """Guests change nothing the rules read."""

    def project(self, rows: Rows) -> None:
        rows.insert(
            "meeting_guests",
            stream_id=self.originator_id.hex,
            position=self.position,
            meeting_date=self.business_date.isoformat(),
            female=self.female,
            male=self.male,
            other=self.other,
            note=self.note,
        )

    def describe(self) -> Message:
        return _(
            "Guests at the meeting: {female} women, {male} men, {other} others",
            female=self.female,
            male=self.male,
            other=self.other,
        )


class GuestCounts(BaseModel):
    """How many guests came, by gender."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    female: Count = 0
    male: Count = 0
    other: Count = 0
    note: OptionalText = ""

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {g: getattr(self, g) for g in GENDERS}
        if not sum(counts.values()):
            raise InvalidInput("female", 0, _("nobody to count: give how many guests came"))
        return {**counts, "note": self.note}


class CountGuests(GroupCommand, GuestCounts):
    """Guests (not members) at the group's weekly meeting of that day, by gender."""

    command: Literal["count_guests"] = "count_guests"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        counts = self.counts()
        if on.isoformat() not in group.meetings:
            raise RuleBroken(
                "date", on, _("no meeting of {day} is recorded; record the meeting first", day=on)
            )
        return group.record(GuestsAttended, on, unit.stamp, **counts)


class CountPlatformGuests(ClusterCommand, GuestCounts):
    """Guests (not representatives) at the platform's meeting of that day, by gender."""

    command: Literal["count_platform_guests"] = "count_platform_guests"

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        counts = self.counts()
        if on.isoformat() not in getattr(cluster, "met_on", []):
            raise RuleBroken(
                "date",
                on,
                _("no platform meeting of {day} is recorded; record the meeting first", day=on),
            )
        return cluster.record(GuestsAttended, on, unit.stamp, **counts)


# ---------------------------------------------------------------------- the report
@dataclass(frozen=True)
class Attended:
    """One meeting (or training): members present by gender, members absent, guests by
    gender. ``what``: ``weekly``, ``platform``, or a training's title."""

    meeting_date: date | None
    what: str
    members: dict[str, int]
    absent: int | None
    guests: dict[str, int]

    @property
    def present(self) -> int:
        return sum(self.members.values())

    @property
    def total(self) -> int:
        return self.present + sum(self.guests.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "present": self.present, "total": self.total}


@dataclass(frozen=True)
class MemberAttendance:
    """How often one member (or representative) came, over the meetings held while she was
    one."""

    who: str
    name: str
    gender: str
    held: int
    attended: int
    share: Decimal | None


@dataclass(frozen=True)
class Attendance:
    """Meetings of a group or a platform over a period: each meeting, the totals (members by
    gender, guests by gender), the share of women among all present, each member's rate."""

    stream: str
    since: date | None
    as_of: date | None
    meetings: list[Attended]
    totals: Attended
    women_share: Decimal | None
    members: list[MemberAttendance] = field(default_factory=list)
    trainings: list[Attended] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["meetings"] = [m.as_dict() for m in self.meetings]
        out["trainings"] = [t.as_dict() for t in self.trainings]
        out["totals"] = self.totals.as_dict()
        return out


def _sum(rows: list[Attended]) -> Attended:
    members: Counter[str] = Counter(dict.fromkeys(GENDERS, 0))
    guests: Counter[str] = Counter(dict.fromkeys(GENDERS, 0))
    absent = 0
    for r in rows:
        members.update(r.members)
        guests.update(r.guests)
        absent += r.absent or 0
    return Attended(None, "total", dict(members), absent, dict(guests))


def _by_gender(genders: list[str]) -> dict[str, int]:
    counted = Counter(genders)
    return {g: counted.get(g, 0) for g in GENDERS}


def _active(since: str, until: str | None, day: str) -> bool:
    return since <= day and (until is None or until > day)


class AttendanceReports(Area):
    """Attendance of weekly and platform meetings."""

    def _guests(self, sid: str, start: str, day: str) -> dict[str, dict[str, int]]:
        """The latest count of guests per meeting day."""
        found: dict[str, dict[str, int]] = {}
        for r in self.query(
            "SELECT * FROM {meeting_guests} WHERE stream_id = ? AND meeting_date >= ? AND "
            "meeting_date <= ? ORDER BY position",
            (sid, start, day),
        ):
            found[r["meeting_date"]] = {g: int(r[g]) for g in GENDERS}
        return found

    def weekly(
        self, code: str, *, since: date | None = None, as_of: date | None = None
    ) -> Attendance:
        """The group's weekly meetings from ``since`` to ``as_of``: who came by gender."""
        gid, day, start = self.gid(code), day_of(as_of), since.isoformat() if since else ""
        people = self.query(
            "SELECT member_no, name, gender, joined_on, left_on FROM {members} WHERE group_id = ? "
            "AND joined_on <= ? ORDER BY member_no",
            (gid, day),
        )
        by_no = {int(p["member_no"]): p for p in people}
        guests = self._guests(gid, start, day)
        rows, came = [], Counter[int]()
        for m in self.query(
            "SELECT meeting_date, attendance FROM {meetings} WHERE group_id = ? AND "
            "meeting_date >= ? AND meeting_date <= ? ORDER BY meeting_date",
            (gid, start, day),
        ):
            d = m["meeting_date"]
            present = [int(n) for n in json.loads(m["attendance"])]
            came.update(present)
            members = [p for p in people if _active(p["joined_on"], p["left_on"], d)]
            rows.append(
                Attended(
                    date.fromisoformat(d),
                    "weekly",
                    _by_gender([by_no[n]["gender"] for n in present if n in by_no]),
                    len(members) - len(present),
                    guests.get(d, _by_gender([])),
                )
            )
        rates = []
        for p in people:
            held = sum(
                1
                for r in rows
                if r.meeting_date
                and _active(p["joined_on"], p["left_on"], r.meeting_date.isoformat())
            )
            n = int(p["member_no"])
            rates.append(
                MemberAttendance(
                    str(n), p["name"], p["gender"], held, came[n], share(came[n], held)
                )
            )
        return self._result(code.upper(), since, as_of, rows, rates, [])

    def platform(
        self, cluster: str, *, since: date | None = None, as_of: date | None = None
    ) -> Attendance:
        """The platform's monthly meetings from ``since`` to ``as_of``: representatives by
        gender, guests by gender; and its trainings, members and others by gender."""
        cid, day, start = self.cid(cluster), day_of(as_of), since.isoformat() if since else ""
        seats = self.query(
            "SELECT group_code, member_no, name, gender, since, until FROM "
            "{cluster_representatives} WHERE cluster_id = ? AND since <= ? ORDER BY position",
            (cid, day),
        )
        guests = self._guests(cid, start, day)
        rows, came = [], Counter[str]()
        for m in self.query(
            "SELECT meeting_date, attendance FROM {cluster_meetings} WHERE cluster_id = ? AND "
            "meeting_date >= ? AND meeting_date <= ? ORDER BY meeting_date",
            (cid, start, day),
        ):
            d = m["meeting_date"]
            sitting = [s for s in seats if _active(s["since"], s["until"], d)]
            gender = {f"{s['group_code']}/{s['member_no']}": s["gender"] for s in sitting}
            present = [f"{a['group']}/{a['member_no']}" for a in json.loads(m["attendance"])]
            came.update(present)
            rows.append(
                Attended(
                    date.fromisoformat(d),
                    "platform",
                    _by_gender([gender.get(p, "other") for p in present]),
                    len(sitting) - len(present),
                    guests.get(d, _by_gender([])),
                )
            )
        trainings = [
            Attended(
                date.fromisoformat(t["held_on"]),
                t["title"],
                {"female": t["members_female"], "male": t["members_male"], "other": 0},
                None,
                {"female": t["others_female"], "male": t["others_male"], "other": 0},
            )
            for t in self.query(
                "SELECT * FROM {cluster_trainings} WHERE cluster_id = ? AND held_on >= ? AND "
                "held_on <= ? ORDER BY held_on, position",
                (cid, start, day),
            )
        ]
        rates = []
        for s in seats:
            who = f"{s['group_code']}/{s['member_no']}"
            held = sum(
                1
                for r in rows
                if r.meeting_date and _active(s["since"], s["until"], r.meeting_date.isoformat())
            )
            rates.append(
                MemberAttendance(
                    who, s["name"], s["gender"], held, came[who], share(came[who], held)
                )
            )
        return self._result(cluster.upper(), since, as_of, rows, rates, trainings)

    @staticmethod
    def _result(
        stream: str,
        since: date | None,
        as_of: date | None,
        rows: list[Attended],
        rates: list[MemberAttendance],
        trainings: list[Attended],
    ) -> Attendance:
        totals = _sum(rows)
        women = totals.members["female"] + totals.guests["female"]
        return Attendance(
            stream, since, as_of, rows, totals, share(women, totals.total), rates, trainings
        )


area("attendance", AttendanceReports)

__all__ = [
    "Attendance",
    "AttendanceReports",
    "Attended",
    "CountGuests",
    "CountPlatformGuests",
    "GuestsAttended",
    "MemberAttendance",
]
