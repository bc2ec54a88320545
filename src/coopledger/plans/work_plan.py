"""A new group's three-month work plan, and its review item by item.

A group newly formed plans its first three months before it has an annual plan of operation
(APO): a few tasks (open a savings book, choose a cashier, visit the union council), each
with who is responsible, the month it is due and what counts as done. Later the members
review it: each task done, partly done or not, with a note.

Events: ``WorkPlanAdopted``, ``WorkPlanReviewed``. Commands: ``adopt_work_plan``,
``review_work_plan``. Tables: ``work_plans``, ``work_plan_reviews``. Report area:
``reports.work_plans.plan("JOBA", start="2025-01", as_of=D)``.

A plan is named by its first month; adopting a plan for the same month again revises it
(the latest version stands, earlier ones stay in the stream). A review may be held more than
once (each month, say); for each task the latest review on or before D is shown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from coopledger.area import Area, day_of, share
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, ngettext_
from coopledger.kernel.commands import GroupCommand, Month, Number, OptionalText, Row, Text
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.plans.reports import next_month
from coopledger.reports import area

table(
    "work_plans",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, start TEXT NOT NULL,
      adopted_on TEXT NOT NULL, items TEXT NOT NULL""",
    ["group_id", "position"],
)
table(
    "work_plan_reviews",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, start TEXT NOT NULL,
      reviewed_on TEXT NOT NULL, items TEXT NOT NULL""",
    ["group_id", "position"],
)

MONTHS = 3
Status = Literal["done", "partly", "not"]


def plan_months(start: str) -> list[str]:
    """The plan's three months from ``start``."""
    months = [start]
    while len(months) < MONTHS:
        months.append(next_month(months[-1]))
    return months


def _known_plans(group: Group) -> dict[str, list[int]]:
    if not hasattr(group, "work_plans"):
        group.work_plans = {}  # type: ignore[attr-defined]
    found: dict[str, list[int]] = group.work_plans  # type: ignore[attr-defined]
    return found


class WorkPlanAdopted(NoMoney, LedgerEvent):
    """A group's work plan for three months from ``start``: ``items`` numbered from 1, each
    ``{"no", "task", "responsible", "month", "done_when"}``."""

    start: str
    items: list[dict[str, Any]]

    def apply(self, group: Group) -> None:
        _known_plans(group)[self.start] = [int(i["no"]) for i in self.items]

    def project(self, rows: Rows) -> None:
        rows.insert(
            "work_plans",
            group_id=self.originator_id.hex,
            position=self.position,
            start=self.start,
            adopted_on=self.business_date.isoformat(),
            items=json.dumps(self.items, ensure_ascii=False),
        )

    def describe(self) -> Message:
        return ngettext_(
            "Work plan from {start} adopted: {n} task",
            "Work plan from {start} adopted: {n} tasks",
            len(self.items),
            start=self.start,
        )


class WorkPlanReviewed(NoMoney, LedgerEvent):
    """The members reviewed their work plan: ``items`` ``{"no", "status", "note"}``."""

    start: str
    items: list[dict[str, Any]]

    def apply(self, group: Group) -> None:
        """A review changes nothing the rules read."""

    def project(self, rows: Rows) -> None:
        rows.insert(
            "work_plan_reviews",
            group_id=self.originator_id.hex,
            position=self.position,
            start=self.start,
            reviewed_on=self.business_date.isoformat(),
            items=json.dumps(self.items, ensure_ascii=False),
        )

    def describe(self) -> Message:
        done = sum(1 for i in self.items if i["status"] == "done")
        return ngettext_(
            "Work plan from {start} reviewed: {done} of {n} task done",
            "Work plan from {start} reviewed: {done} of {n} tasks done",
            len(self.items),
            start=self.start,
            done=done,
        )


class WorkItem(Row):
    """A task of the work plan: what, who is responsible, the month it is due."""

    task: Text
    responsible: Text
    month: Month
    done_when: OptionalText = ""


class ItemReview(Row):
    """How far one task of the plan got."""

    no: Number
    status: Status
    note: OptionalText = ""


def _month(field: str, value: str) -> str:
    if not 1 <= int(value[5:]) <= 12:
        raise InvalidInput(field, value, _("give the month as YYYY-MM"))
    return value


class AdoptWorkPlan(GroupCommand):
    """A new group's work plan for three months from ``start`` (a month, YYYY-MM)."""

    command: Literal["adopt_work_plan"] = "adopt_work_plan"
    start: Annotated[Month, Field(description="first month, YYYY-MM")]
    items: Annotated[list[WorkItem], Field(min_length=1, max_length=30)]

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        start = _month("start", self.start)
        if start < group.formed_on.isoformat()[:7]:
            raise InvalidInput(
                "start",
                start,
                _("is before {code} was formed ({day})", code=group.code, day=group.formed_on),
            )
        months = plan_months(start)
        for i, item in enumerate(self.items):
            if _month(f"items[{i}].month", item.month) not in months:
                raise InvalidInput(
                    f"items[{i}].month",
                    item.month,
                    _(
                        "is not one of the plan's three months ({first} to {last})",
                        first=months[0],
                        last=months[-1],
                    ),
                )
        items = [{"no": i + 1, **item.model_dump()} for i, item in enumerate(self.items)]
        return group.record(WorkPlanAdopted, on, unit.stamp, start=start, items=items)


class ReviewWorkPlan(GroupCommand):
    """The members review their work plan from ``start``, task by task."""

    command: Literal["review_work_plan"] = "review_work_plan"
    start: Annotated[Month, Field(description="the plan's first month, YYYY-MM")]
    items: Annotated[list[ItemReview], Field(min_length=1, max_length=30)]

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        planned = _known_plans(group).get(self.start)
        if planned is None:
            raise RuleBroken("start", self.start, _("no work plan starts in this month"))
        seen: set[int] = set()
        for i, item in enumerate(self.items):
            if item.no not in planned:
                raise InvalidInput(
                    f"items[{i}].no", item.no, _("the plan has no task with this number")
                )
            if item.no in seen:
                raise InvalidInput(f"items[{i}].no", item.no, _("is listed twice"))
            seen.add(item.no)
        items = [item.model_dump() for item in self.items]
        return group.record(WorkPlanReviewed, on, unit.stamp, start=self.start, items=items)


_STATUS_NAMES = {"done": _("done"), "partly": _("partly done"), "not": _("not done")}


def status_name(status: str | None) -> Message | str:
    """A task's status in words (``-``: not reviewed yet)."""
    return _STATUS_NAMES.get(status or "", "-")


# ---------------------------------------------------------------------- the report
@dataclass(frozen=True)
class PlannedTask:
    """A task of a work plan and, if it was reviewed, its latest status."""

    no: int
    task: str
    responsible: str
    month: str
    done_when: str
    status: str | None  # "done", "partly", "not", None: not reviewed yet
    note: str
    reviewed_on: date | None


@dataclass(frozen=True)
class WorkPlan:
    """A group's work plan as of a date (``completion``: the share of tasks done)."""

    group: str
    start: str
    months: list[str]
    adopted_on: date
    as_of: date | None
    tasks: list[PlannedTask] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.status == "done")

    @property
    def completion(self) -> Decimal | None:
        return share(self.done, len(self.tasks))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "done": self.done, "completion": self.completion}


class WorkPlanReports(Area):
    """Work plans of new groups."""

    def starts(self, code: str, *, as_of: date | None = None) -> list[str]:
        """The first months of the group's work plans adopted by ``as_of``."""
        rows = self.query(
            "SELECT DISTINCT start FROM {work_plans} WHERE group_id = ? AND adopted_on <= ? "
            "ORDER BY start",
            (self.gid(code), day_of(as_of)),
        )
        return [r["start"] for r in rows]

    def plan(
        self, code: str, start: str | None = None, *, as_of: date | None = None
    ) -> WorkPlan | None:
        """The work plan from ``start`` (the latest plan when None) as of a date, each task
        with its latest review on or before it."""
        gid, day = self.gid(code), day_of(as_of)
        start = start or next(iter(self.starts(code, as_of=as_of)[::-1]), None)
        if start is None:
            return None
        found = self.query(
            "SELECT * FROM {work_plans} WHERE group_id = ? AND start = ? AND adopted_on <= ? "
            "ORDER BY adopted_on DESC, position DESC LIMIT 1",
            (gid, start, day),
        )
        if not found:
            return None
        latest: dict[int, tuple[dict[str, Any], str]] = {}
        for r in self.query(
            "SELECT reviewed_on, items FROM {work_plan_reviews} WHERE group_id = ? AND start = ? "
            "AND reviewed_on <= ? ORDER BY reviewed_on, position",
            (gid, start, day),
        ):
            for item in json.loads(r["items"]):
                latest[int(item["no"])] = (item, r["reviewed_on"])
        tasks = []
        for item in json.loads(found[0]["items"]):
            review, on = latest.get(int(item["no"]), ({}, ""))
            tasks.append(
                PlannedTask(
                    no=int(item["no"]),
                    task=item["task"],
                    responsible=item["responsible"],
                    month=item["month"],
                    done_when=item.get("done_when", ""),
                    status=review.get("status"),
                    note=review.get("note", ""),
                    reviewed_on=date.fromisoformat(on) if on else None,
                )
            )
        return WorkPlan(
            group=code.upper(),
            start=start,
            months=plan_months(start),
            adopted_on=date.fromisoformat(found[0]["adopted_on"]),
            as_of=as_of,
            tasks=tasks,
        )


area("work_plans", WorkPlanReports)

__all__ = [
    "AdoptWorkPlan",
    "ItemReview",
    "PlannedTask",
    "ReviewWorkPlan",
    "WorkItem",
    "WorkPlan",
    "WorkPlanAdopted",
    "WorkPlanReports",
    "WorkPlanReviewed",
    "plan_months",
    "status_name",
]
