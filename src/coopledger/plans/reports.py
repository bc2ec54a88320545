"""Plans and joint reviews as of a date, and the money the books hold against an activity.

``reports.plans.plan("JOBA", 2016)`` or ``plan("cluster:RAJAGAON", 2016, as_of=D)`` (with
its completion once reviewed), ``reports.plans.review(...)`` (with the seal of the books at
the review), ``reports.plans.group_plan_activities(["JOBA"])``,
``reports.plans.activity_money(["JOBA"], "vermicompost", "2016-01", "2016-06")``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.money import taka

#: How much each status counts towards a plan's completion (percent).
SCORE = {"done": Decimal(100), "partly": Decimal(50), "not": Decimal(0)}


@dataclass(frozen=True)
class MicroProject:
    no: int
    name: str


@dataclass(frozen=True)
class Adopted:
    """The group plan's activity a cluster plan took up."""

    group: str
    year: int
    id: str


@dataclass(frozen=True)
class PlannedActivity:
    id: str
    micro_project: int
    name: str
    activity: str | None  # the income-generating activity whose money the books hold
    budget: Decimal
    responsible: str
    start: str  # YYYY-MM
    end: str
    adopted_from: Adopted | None


@dataclass(frozen=True)
class Plan:
    """A year's plan of a group or a cluster, in its six parts; ``completion`` (percent of
    activities done, partly done counting half) once reviewed."""

    stream: str
    year: int
    adopted_on: str
    wellbeing: dict[str, int]
    wellbeing_notes: str
    constraints: list[str]
    opportunities: list[str]
    micro_projects: list[MicroProject]
    ep_initiatives: list[str]
    activities: list[PlannedActivity]
    completion: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReviewedActivity:
    id: str
    status: str  # done, partly, not
    achieved: str
    costs: Decimal
    revenue: Decimal


@dataclass(frozen=True)
class ReviewedCommitment:
    no: int
    status: str  # kept, partly, not
    note: str


@dataclass(frozen=True)
class Recommendation:
    text: str
    carry: bool


@dataclass(frozen=True)
class Review:
    """A joint review, with the seal of the reviewed stream's books at the review and (for
    a platform) of each group's."""

    stream: str
    year: int
    held_on: str
    seal: str
    facilitator: str
    facilitator_role: str
    attendance: dict[str, int]
    activities: list[ReviewedActivity]
    mou_version: int | None
    commitments: list[ReviewedCommitment]
    changes: list[str]
    recommendations: list[Recommendation]
    group_seals: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Booked:
    """Costs and revenue the books hold against an activity."""

    costs: Decimal
    revenue: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.costs


def next_month(month: str) -> str:
    """``'2016-12'`` -> ``'2017-01'``."""
    year, m = int(month[:4]), int(month[5:])
    return f"{year + m // 12:04d}-{m % 12 + 1:02d}"


def _adopted(data: dict[str, Any] | None) -> Adopted | None:
    return Adopted(data["group"], int(data["year"]), data["id"]) if data else None


class PlanReports(Area):
    """Annual plans of operation and joint reviews."""

    def plan(self, stream: str, year: int, *, as_of: date | None = None) -> Plan | None:
        """A group's (``JOBA``) or a cluster's (``cluster:CODE``) plan for a year, as
        adopted by ``as_of``, with its completion if it was reviewed by then (an unknown
        group or cluster is refused; None when it had no plan for the year)."""
        sid = self.sid(stream)
        rows = self.query(
            "SELECT adopted_on, body FROM {plans} WHERE stream_id = ? AND year = ? AND "
            "adopted_on <= ?",
            (sid, year, day_of(as_of)),
        )
        if not rows:
            return None
        body = json.loads(rows[0]["body"])
        review = self._review(sid, stream, year, as_of)
        completion = None
        if review is not None and review.activities:
            total = sum((SCORE[a.status] for a in review.activities), Decimal(0))
            completion = (total / len(review.activities)).quantize(Decimal("0.1"))
        return Plan(
            stream=stream.upper(),
            year=year,
            adopted_on=rows[0]["adopted_on"],
            wellbeing=dict(body["wellbeing"]["categories"]),
            wellbeing_notes=str(body["wellbeing"].get("notes", "")),
            constraints=body["constraints"],
            opportunities=body["opportunities"],
            micro_projects=[MicroProject(p["no"], p["name"]) for p in body["micro_projects"]],
            ep_initiatives=body["ep_initiatives"],
            activities=[
                PlannedActivity(
                    id=a["id"],
                    micro_project=a["micro_project"],
                    name=a["name"],
                    activity=a.get("activity"),
                    budget=Decimal(a["budget"]),
                    responsible=a["responsible"],
                    start=a["start"],
                    end=a["end"],
                    adopted_from=_adopted(a.get("adopted_from")),
                )
                for a in body["activities"]
            ],
            completion=completion,
        )

    def review(self, stream: str, year: int, *, as_of: date | None = None) -> Review | None:
        """The joint review of a year's plan, if it was held by ``as_of`` (an unknown group
        or cluster is refused)."""
        return self._review(self.sid(stream), stream, year, as_of)

    def _review(self, sid: str, stream: str, year: int, as_of: date | None) -> Review | None:
        rows = self.query(
            "SELECT held_on, body, seal FROM {reviews} WHERE stream_id = ? AND year = ? AND "
            "held_on <= ?",
            (sid, year, day_of(as_of)),
        )
        if not rows:
            return None
        body = json.loads(rows[0]["body"])
        return Review(
            stream=stream.upper(),
            year=year,
            held_on=rows[0]["held_on"],
            seal=rows[0]["seal"],
            facilitator=body["facilitator"],
            facilitator_role=body["facilitator_role"],
            attendance=dict(body["attendance"]),
            activities=[
                ReviewedActivity(
                    a["id"],
                    a["status"],
                    a.get("achieved", ""),
                    Decimal(a["costs"]),
                    Decimal(a["revenue"]),
                )
                for a in body["activities"]
            ],
            mou_version=body.get("mou_version"),
            commitments=[
                ReviewedCommitment(c["no"], c["status"], c.get("note", ""))
                for c in body["commitments"]
            ],
            changes=body["changes"],
            recommendations=[
                Recommendation(r["text"], bool(r.get("carry"))) for r in body["recommendations"]
            ],
            group_seals=dict(body.get("group_seals") or {}),
        )

    def years(self, stream: str) -> list[int]:
        """The years a group or a cluster has a plan for."""
        rows = self.query(
            "SELECT year FROM {plans} WHERE stream_id = ? ORDER BY year", (self.sid(stream),)
        )
        return [int(r["year"]) for r in rows]

    def group_plan_activities(self, groups: list[str]) -> set[tuple[str, int, str]]:
        """(group, year, activity id) of every activity in these groups' plans."""
        out: set[tuple[str, int, str]] = set()
        for code, gid in [(code, self.gid(code)) for code in groups]:
            for row in self.query("SELECT year, body FROM {plans} WHERE stream_id = ?", (gid,)):
                out |= {
                    (code.upper(), int(row["year"]), a["id"])
                    for a in json.loads(row["body"])["activities"]
                }
        return out

    def activity_money(self, groups: list[str], activity: str, start: str, end: str) -> Booked:
        """Costs and revenue these groups booked against an activity from the first day
        of month ``start`` to the last day of month ``end`` (``YYYY-MM``)."""
        costs = revenue = 0
        names = (acc.activity_costs(activity), acc.activity_income(activity))
        for gid in [self.gid(code) for code in groups]:
            rows = self.query(
                "SELECT account, SUM(amount) AS total FROM {movements} WHERE stream_id = ? "
                "AND account IN (?, ?) AND business_date >= ? AND business_date < ? "
                "GROUP BY account",
                (gid, *names, f"{start}-01", f"{next_month(end)}-01"),
            )
            for r in rows:
                if r["account"] == names[0]:
                    costs += int(r["total"])
                else:
                    revenue -= int(r["total"])
        return Booked(taka(costs), taka(revenue))
