"""Annual plans of operation (APO) and joint reviews, for a group or a cluster platform.

A plan has the six parts of the field report: the well-being analysis (households per
category), livelihood constraints and opportunities, prioritised micro-projects, initiatives
for the extreme poor, activities under each micro-project (budget, who is responsible) and
their schedule (start and end months). A cluster plan can take up its groups' activities as
joint activities (``adopted_from`` keeps the link). Once a year a joint review records, for
each planned activity, what was achieved and the money the books hold against it over its
months; for each commitment of the cluster's MoU, kept, partly kept or not; significant
changes; recommendations (some carried into next year's plan); who facilitated and who
attended; and, for a platform's review, the seals of its groups' books at that moment.

Events (the same types in a group's stream and in a cluster's): ``PlanAdopted``,
``ReviewHeld``. Commands: ``adopt_plan``, ``adopt_cluster_plan``, ``hold_review``,
``hold_cluster_review``. Tables: ``plans``, ``reviews``.

Rules that read other streams read them through the unit of work, so the save checks that
nobody changed them: the group plans a cluster plan adopts from, the cluster whose MoU a
group's review speaks of, and the groups whose books a review counts and seals.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from coopledger import accounts as acc
from coopledger.clusters.aggregate import Cluster
from coopledger.clusters.membership import cluster_of
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, ngettext_
from coopledger.kernel.commands import (
    ClusterCommand,
    Code,
    Count,
    GroupCommand,
    LongText,
    Month,
    Number,
    Row,
    Slug,
    TakaOrZero,
    Text,
)
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.integrity import canonical, seal
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.money import taka
from coopledger.plans.reports import next_month

table(
    "plans",
    """stream_id TEXT NOT NULL, year INTEGER NOT NULL, position INTEGER NOT NULL,
      adopted_on TEXT NOT NULL, body TEXT NOT NULL""",
    ["stream_id", "year"],
)
table(
    "reviews",
    """stream_id TEXT NOT NULL, year INTEGER NOT NULL, position INTEGER NOT NULL,
      held_on TEXT NOT NULL, body TEXT NOT NULL, seal TEXT NOT NULL""",
    ["stream_id", "year"],
)

Stream = Group | Cluster
Year = Annotated[int, Field(ge=2000, le=2100, strict=True, description="the plan's year")]
ActivityId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
ATTENDANCE = ("members_female", "members_male", "others_female", "others_male")
ZERO = Decimal("0.00")


# ---------------------------------------------------------------------- events
class PlanAdopted(NoMoney, LedgerEvent):
    """A group's or a cluster's annual plan of operation (APO), in its six parts.

    ``wellbeing``: households by well-being category, with the analysis's notes
    (``{"categories", "notes"}``); ``constraints`` and ``opportunities``: the livelihood
    analysis; ``micro_projects``: ``{"no", "name"}`` in order of priority;
    ``ep_initiatives``: initiatives for the extreme poor; ``activities``: ``{"id",
    "micro_project", "name", "activity", "budget", "responsible", "start", "end",
    "adopted_from"}`` (``activity``: the income-generating activity whose money the books
    hold, if any; ``start``/``end``: months, the schedule; ``adopted_from``: for a cluster
    plan, the group plan's activity it takes up as a joint activity, ``{"group", "year",
    "id"}``).
    """

    year: int
    wellbeing: dict[str, Any]
    constraints: list[str]
    opportunities: list[str]
    micro_projects: list[dict[str, Any]]
    ep_initiatives: list[str]
    activities: list[dict[str, Any]]

    def apply(self, stream: Stream) -> None:
        stream.plans[str(self.year)] = [
            {
                "id": a["id"],
                "activity": a.get("activity"),
                "start": a["start"],
                "end": a["end"],
                "from": (a.get("adopted_from") or {}).get("group"),
            }
            for a in self.activities
        ]

    def project(self, rows: Rows) -> None:
        body = {k: v for k, v in self.content().items() if k != "year"}
        rows.insert(
            "plans",
            stream_id=self.originator_id.hex,
            year=self.year,
            position=self.position,
            adopted_on=self.business_date.isoformat(),
            body=canonical(body),
        )

    def describe(self) -> Message:
        return ngettext_(
            "Plan for {year} adopted: {n} activity",
            "Plan for {year} adopted: {n} activities",
            len(self.activities),
            year=self.year,
        )


class ReviewHeld(NoMoney, LedgerEvent):
    """The yearly joint review of a plan and of the MoU commitments.

    ``activities``: per planned activity ``{"id", "status": done|partly|not, "achieved",
    "costs", "revenue"}`` with the money the books held against it over its months;
    ``commitments``: ``{"no", "status": kept|partly|not, "note"}`` for the MoU version
    ``mou_version``; ``group_seals``: the seals of the groups' books at the review (a
    platform's review).
    """

    year: int
    facilitator: str
    facilitator_role: str
    attendance: dict[str, int]
    activities: list[dict[str, Any]]
    mou_version: int | None
    commitments: list[dict[str, Any]]
    changes: list[str]
    recommendations: list[dict[str, Any]]
    group_seals: dict[str, str]

    def apply(self, stream: Stream) -> None:
        stream.reviewed.append(self.year)

    def project(self, rows: Rows) -> None:
        body = {k: v for k, v in self.content().items() if k != "year"}
        rows.insert(
            "reviews",
            stream_id=self.originator_id.hex,
            year=self.year,
            position=self.position,
            held_on=self.business_date.isoformat(),
            body=canonical(body),
            seal=seal(self.chain_hash),
        )

    def describe(self) -> Message:
        done = sum(1 for a in self.activities if a["status"] == "done")
        return ngettext_(
            "Joint review of the {year} plan, facilitated by {name}: {done} of {n} activity done",
            "Joint review of the {year} plan, facilitated by {name}: {done} of {n} activities done",
            len(self.activities),
            year=self.year,
            name=self.facilitator,
            done=done,
        )


# ---------------------------------------------------------------------- a plan's parts
class Wellbeing(Row):
    """Part 1: households per well-being category, from the group's own analysis."""

    categories: Annotated[dict[Text, Count], Field(min_length=1)]
    notes: LongText = ""


class MicroProject(Row):
    """Part 3: a micro-project, numbered in order of priority."""

    no: Number
    name: Text


class AdoptedFrom(Row):
    """The group plan's activity a cluster plan takes up as a joint activity."""

    group: Code
    year: Year
    id: ActivityId


class PlannedActivity(Row):
    """Parts 5 and 6: an activity under a micro-project, and its months."""

    id: ActivityId
    micro_project: Number
    name: Text
    activity: Slug | None = Field(
        default=None,
        description="income-generating activity whose money the books hold (vermicompost)",
    )
    budget: TakaOrZero = ZERO
    responsible: Text
    start: Month
    end: Month
    adopted_from: AdoptedFrom | None = None


class PlanParts(BaseModel):
    """The six parts of an annual plan of operation (APO)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: Year
    wellbeing: Annotated[
        Wellbeing, Field(description='{"categories": {"extreme-poor": 4, ...}, "notes": "..."}')
    ]
    constraints: list[Text] = []
    opportunities: list[Text] = []
    micro_projects: Annotated[list[MicroProject], Field(min_length=1)]
    ep_initiatives: list[Text] = []
    activities: Annotated[list[PlannedActivity], Field(min_length=1)]


Link = tuple[str, int, str]


def check_plan(plan: PlanParts, joint: set[Link] | None) -> dict[str, Any]:
    """A plan's six parts checked and normalised, as ``PlanAdopted`` stores them
    (``joint``: the group activities a cluster plan may adopt, as (group, year, id); None
    for a group's own plan)."""
    numbers = [p.no for p in plan.micro_projects]
    if numbers != list(range(1, len(numbers) + 1)):
        raise InvalidInput(
            "micro_projects",
            numbers,
            _("number the micro-projects 1, 2, 3 ... in order of priority"),
        )
    ids: set[str] = set()
    activities = [_activity(i, a, len(numbers), joint, ids) for i, a in enumerate(plan.activities)]
    return {
        "year": plan.year,
        "wellbeing": plan.wellbeing.model_dump(),
        "constraints": list(plan.constraints),
        "opportunities": list(plan.opportunities),
        "micro_projects": [p.model_dump() for p in plan.micro_projects],
        "ep_initiatives": list(plan.ep_initiatives),
        "activities": activities,
    }


def _activity(
    i: int, a: PlannedActivity, projects: int, joint: set[Link] | None, ids: set[str]
) -> dict[str, Any]:
    at = f"activities[{i}]."
    if a.id in ids:
        raise InvalidInput(at + "id", a.id, _("give each activity its own id"))
    ids.add(a.id)
    if not 1 <= a.micro_project <= projects:
        raise InvalidInput(
            at + "micro_project", a.micro_project, _("is not one of the micro-projects")
        )
    start, end = _month(at + "start", a.start), _month(at + "end", a.end)
    if end < start:
        raise InvalidInput(at + "end", end, _("ends before it starts"))
    adopted = a.adopted_from
    if adopted is not None and (
        joint is None or (adopted.group, adopted.year, adopted.id) not in joint
    ):
        raise InvalidInput(
            at + "adopted_from",
            adopted.model_dump(),
            _("is not an activity of a member group's plan"),
        )
    return {**a.model_dump(), "adopted_from": adopted.model_dump() if adopted else None}


def _month(field: str, value: str) -> str:
    if not 1 <= int(value[5:]) <= 12:
        raise InvalidInput(field, value, _("give a month as YYYY-MM"))
    return value


def _adopt(stream: Stream, plan: dict[str, Any], on: Any, unit: Unit) -> None:
    if str(plan["year"]) in stream.plans:
        raise RuleBroken(
            "year", plan["year"], _("already has a plan; review it, then plan the next year")
        )
    stream.record(PlanAdopted, on, unit.stamp, **plan)


class AdoptPlan(GroupCommand, PlanParts):
    """A group adopts its annual plan of operation."""

    command: Literal["adopt_plan"] = "adopt_plan"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        _adopt(group, check_plan(self, None), on, unit)
        return group.version


class AdoptClusterPlan(ClusterCommand, PlanParts):
    """A cluster platform adopts its combined plan (joint activities may take up its
    groups' activities)."""

    command: Literal["adopt_cluster_plan"] = "adopt_cluster_plan"

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        _adopt(cluster, check_plan(self, _adoptable(unit, cluster, self.activities)), on, unit)
        return cluster.version


def _adoptable(unit: Unit, cluster: Cluster, activities: list[PlannedActivity]) -> set[Link]:
    """The activities of the plans of the groups these activities adopt from (groups of
    the cluster, read so the save checks their plans did not change)."""
    joint: set[Link] = set()
    for code in sorted({a.adopted_from.group for a in activities if a.adopted_from}):
        if code not in cluster.groups:
            continue
        plans = unit.group(code, write=False).plans
        joint |= {(code, int(year), a["id"]) for year, acts in plans.items() for a in acts}
    return joint


# ---------------------------------------------------------------------- a review
class ReviewedActivity(Row):
    """What came of one planned activity."""

    id: ActivityId
    status: Literal["done", "partly", "not"]
    achieved: LongText = ""


class ReviewedCommitment(Row):
    """Whether a party kept one commitment of the MoU."""

    no: Number
    status: Literal["kept", "partly", "not"]
    note: LongText = ""


class Recommendation(Row):
    """A recommendation, perhaps carried into next year's plan."""

    text: Text
    carry: bool = Field(default=False, description="carry into next year's plan")


class ReviewParts(BaseModel):
    """A joint review of a year's plan and of the MoU commitments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: Year
    facilitator: Text
    facilitator_role: Annotated[
        Literal["group-leader", "field-facilitator"],
        Field(
            description="a group leader facilitates; a field facilitator only in exceptional cases"
        ),
    ] = "group-leader"
    members_female: Count = 0
    members_male: Count = 0
    others_female: Count = 0
    others_male: Count = 0
    activities: list[ReviewedActivity]
    commitments: list[ReviewedCommitment] = []
    changes: list[Text] = []
    recommendations: list[Recommendation] = []


#: What the books held against one planned activity: (costs, revenue).
Booked = Callable[[dict[str, Any]], tuple[Decimal, Decimal]]


def _review(
    unit: Unit,
    stream: Stream,
    review: ReviewParts,
    on: Any,
    *,
    booked: Booked,
    mou: Cluster | None,
    seals: dict[str, str],
) -> None:
    planned = stream.plans.get(str(review.year))
    if planned is None:
        raise RuleBroken("year", review.year, _("has no plan to review"))
    if review.year in stream.reviewed:
        raise RuleBroken("year", review.year, _("was already reviewed"))
    activities = _reviewed(review, planned, booked)
    numbers = mou.mou_commitments if mou is not None else []
    for i, c in enumerate(review.commitments):
        if c.no not in numbers:
            raise InvalidInput(f"commitments[{i}].no", c.no, _("is not a commitment of the MoU"))
    stream.record(
        ReviewHeld,
        on,
        unit.stamp,
        year=review.year,
        facilitator=review.facilitator,
        facilitator_role=review.facilitator_role,
        attendance={k: getattr(review, k) for k in ATTENDANCE},
        activities=activities,
        mou_version=(mou.mou_version or None) if mou is not None else None,
        commitments=[c.model_dump() for c in review.commitments],
        changes=list(review.changes),
        recommendations=[r.model_dump() for r in review.recommendations],
        group_seals=seals,
    )


def _reviewed(
    review: ReviewParts, planned: list[dict[str, Any]], booked: Booked
) -> list[dict[str, Any]]:
    """Every planned activity reviewed once, with the money booked against it."""
    plan = {a["id"]: a for a in planned}
    out: list[dict[str, Any]] = []
    for i, a in enumerate(review.activities):
        if a.id not in plan:
            raise InvalidInput(
                f"activities[{i}].id",
                a.id,
                _("is not an activity of the {year} plan", year=review.year),
            )
        if any(x["id"] == a.id for x in out):
            raise InvalidInput(f"activities[{i}].id", a.id, _("is reviewed twice"))
        costs, revenue = booked(plan[a.id]) if plan[a.id]["activity"] else (ZERO, ZERO)
        out.append(
            {
                "id": a.id,
                "status": a.status,
                "achieved": a.achieved,
                "costs": costs,
                "revenue": revenue,
            }
        )
    missing = [x for x in plan if x not in {a["id"] for a in out}]
    if missing:
        raise InvalidInput("activities", missing, _("review every planned activity"))
    return out


def _booked(unit: Unit, sources: Callable[[dict[str, Any]], list[str]]) -> Booked:
    """Costs and revenue the source groups' books hold against an activity over its
    months, from their state as this unit sees it: entries earlier in the same batch count,
    and each group is read through the unit, so the save checks nobody changed it."""

    def money(activity: dict[str, Any]) -> tuple[Decimal, Decimal]:
        first, before = f"{activity['start']}-01", f"{next_month(activity['end'])}-01"
        costs, income = (
            acc.activity_costs(activity["activity"]),
            acc.activity_income(activity["activity"]),
        )
        spent = earned = 0
        for code in sources(activity):
            group = unit.group(code, write=False)
            spent += group.moved(costs, first, before)
            earned -= group.moved(income, first, before)
        return taka(spent), taka(earned)

    return money


class HoldReview(GroupCommand, ReviewParts):
    """A group's yearly joint review (of its plan, and of its cluster's MoU)."""

    command: Literal["hold_review"] = "hold_review"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        code = cluster_of(unit, group)
        _review(
            unit,
            group,
            self,
            on,
            booked=_booked(unit, lambda _a: [group.code]),
            mou=unit.cluster(code, write=False) if code else None,
            seals={},
        )
        return group.version


class HoldClusterReview(ClusterCommand, ReviewParts):
    """A cluster platform's yearly joint review, with the seals of its groups' books."""

    command: Literal["hold_cluster_review"] = "hold_cluster_review"

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        groups = sorted(cluster.groups)
        seals = {code: seal(unit.group(code, write=False).chain_head) for code in groups}

        def sources(activity: dict[str, Any]) -> list[str]:
            return [activity["from"]] if activity["from"] else groups

        _review(unit, cluster, self, on, booked=_booked(unit, sources), mou=cluster, seals=seals)
        return cluster.version


__all__ = [
    "AdoptClusterPlan",
    "AdoptPlan",
    "AdoptedFrom",
    "HoldClusterReview",
    "HoldReview",
    "MicroProject",
    "PlanAdopted",
    "PlanParts",
    "PlannedActivity",
    "Recommendation",
    "ReviewHeld",
    "ReviewParts",
    "ReviewedActivity",
    "ReviewedCommitment",
    "Wellbeing",
    "check_plan",
]
