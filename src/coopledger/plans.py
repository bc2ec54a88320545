"""Annual plans of operation (APO) and joint reviews, for a group or a cluster.

A plan has the six parts of the field report: well-being analysis and member categories,
livelihood constraints and opportunities, prioritised micro-projects, initiatives for the
extreme poor, activities under each micro-project (budget, responsible party) and their
schedule (start and end months). A cluster plan can take up its groups' activities as joint
activities (``adopted_from`` keeps the link). Once a year a joint review records, for each
planned activity, what was achieved and the money the ledger booked against it over its
schedule; for each MoU commitment, kept, partly kept or not; significant changes;
recommendations (some carried into next year's plan); who facilitated; who attended; and the
seals of the books at that moment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger import events as ev
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.money import to_taka

STATUSES = ("done", "partly", "not")
COMMITMENT_STATUSES = ("kept", "partly", "not")
FACILITATORS = ("group-leader", "field-facilitator")


def _month(field: str, value: Any) -> str:
    try:
        year, month = (int(p) for p in str(value).split("-"))
        return date(year, month, 1).strftime("%Y-%m")
    except ValueError:
        raise InvalidInput(field, value, "give a month as YYYY-MM") from None


def _texts(field: str, values: Any, *, required: bool = False) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip()
                                               for v in values):
        raise InvalidInput(field, values, "give a list of texts")
    if required and not values:
        raise InvalidInput(field, values, "must not be empty")
    return [v.strip() for v in values]


def check_plan(year: Any, wellbeing: Any, constraints: Any, opportunities: Any,
               micro_projects: Any, ep_initiatives: Any, activities: Any,
               joint: set[tuple[str, int, str]] | None) -> dict[str, Any]:
    """A plan's six parts, checked and normalised (``joint``: the group activities a
    cluster plan may adopt, as (group, year, id); None for a group's own plan)."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput("year", year, "give the plan's year, e.g. 2016")
    if not isinstance(wellbeing, dict) or not isinstance(wellbeing.get("categories"), dict):
        raise InvalidInput("wellbeing", wellbeing,
                           "give the households per well-being category")
    for category, n in wellbeing["categories"].items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInput(f"wellbeing.categories.{category}", n,
                               "must be a number of households, 0 or more")
    projects = micro_projects if isinstance(micro_projects, list) else []
    if not projects or [p.get("no") for p in projects] != list(range(1, len(projects) + 1)):
        raise InvalidInput("micro_projects", micro_projects,
                           "number the micro-projects 1, 2, 3 ... in order of priority")
    for i, p in enumerate(projects):
        _texts(f"micro_projects[{i}].name", [p.get("name", "")])
    ids: set[str] = set()
    out_activities = []
    for i, a in enumerate(activities if isinstance(activities, list) else []):
        activity_id = str(a.get("id", "")).strip()
        if not activity_id or activity_id in ids:
            raise InvalidInput(f"activities[{i}].id", a.get("id"), "give each activity its "
                               "own id")
        ids.add(activity_id)
        if a.get("micro_project") not in range(1, len(projects) + 1):
            raise InvalidInput(f"activities[{i}].micro_project", a.get("micro_project"),
                               "is not one of the micro-projects")
        start, end = _month(f"activities[{i}].start", a.get("start")), _month(
            f"activities[{i}].end", a.get("end"))
        if end < start:
            raise InvalidInput(f"activities[{i}].end", end, "ends before it starts")
        budget = to_taka(a.get("budget", 0), f"activities[{i}].budget")
        if budget < 0:
            raise InvalidInput(f"activities[{i}].budget", budget, "cannot be negative")
        slug = a.get("activity") or None
        if slug is not None:
            acc.check_slug(f"activities[{i}].activity", slug)
        adopted = a.get("adopted_from") or None
        if adopted is not None:
            link = (str(adopted.get("group", "")).upper(), adopted.get("year"),
                    str(adopted.get("id", "")))
            if joint is None or link not in joint:
                raise InvalidInput(f"activities[{i}].adopted_from", adopted,
                                   "is not an activity of a member group's plan")
            adopted = {"group": link[0], "year": link[1], "id": link[2]}
        out_activities.append({
            "id": activity_id, "micro_project": a["micro_project"],
            "name": _texts(f"activities[{i}].name", [a.get("name", "")])[0],
            "activity": slug, "budget": budget,
            "responsible": _texts(f"activities[{i}].responsible", [a.get("responsible", "")])[0],
            "start": start, "end": end, "adopted_from": adopted})
    if not out_activities:
        raise InvalidInput("activities", activities, "plan at least one activity")
    return {"year": year,
            "wellbeing": {"categories": dict(wellbeing["categories"]),
                          "notes": str(wellbeing.get("notes", ""))},
            "constraints": _texts("constraints", constraints),
            "opportunities": _texts("opportunities", opportunities),
            "micro_projects": [{"no": p["no"], "name": p["name"].strip()} for p in projects],
            "ep_initiatives": _texts("ep_initiatives", ep_initiatives),
            "activities": out_activities}


class Planning:
    """Plans and reviews (mixed into :class:`~coopledger.group.Group` and
    :class:`~coopledger.cluster.Cluster`); state: ``plans`` (year -> activity ids) and
    ``reviewed`` (years)."""

    def adopt_plan(self: Any, *, plan: dict[str, Any], on: date, stamp: Any) -> None:
        on = self._check_date(on, stamp.today)
        if str(plan["year"]) in getattr(self, "plans", {}):
            raise RuleBroken("year", plan["year"], "already has a plan; review it, then "
                             "plan the next year")
        self.trigger_event(ev.PlanAdopted, business_date=on, **stamp.fields(), **plan)

    def _on_PlanAdopted(self: Any, e: ev.PlanAdopted) -> None:
        self.plans = {**getattr(self, "plans", {}),
                      str(e.year): [a["id"] for a in e.activities]}

    def hold_review(self: Any, *, year: int, facilitator: str, facilitator_role: str,
                    attendance: dict[str, int], activities: list[dict[str, Any]],
                    booked: dict[str, tuple[Decimal, Decimal]], mou: dict[str, Any] | None,
                    commitments: list[dict[str, Any]], changes: list[str],
                    recommendations: list[dict[str, Any]], group_seals: dict[str, str],
                    on: date, stamp: Any) -> None:
        on = self._check_date(on, stamp.today)
        planned = getattr(self, "plans", {}).get(str(year))
        if planned is None:
            raise RuleBroken("year", year, "has no plan to review")
        if year in getattr(self, "reviewed", []):
            raise RuleBroken("year", year, "was already reviewed")
        if facilitator_role not in FACILITATORS:
            raise InvalidInput("facilitator_role", facilitator_role,
                               "a group leader facilitates; a field facilitator only in "
                               "exceptional cases")
        out = []
        for i, a in enumerate(activities):
            if a.get("id") not in planned:
                raise InvalidInput(f"activities[{i}].id", a.get("id"),
                                   f"is not an activity of the {year} plan")
            if a.get("status") not in STATUSES:
                raise InvalidInput(f"activities[{i}].status", a.get("status"),
                                   "must be done, partly or not")
            costs, revenue = booked.get(a["id"], (Decimal("0.00"), Decimal("0.00")))
            out.append({"id": a["id"], "status": a["status"],
                        "achieved": str(a.get("achieved", "")).strip(),
                        "costs": costs, "revenue": revenue})
        missing = [x for x in planned if x not in {a["id"] for a in out}]
        if missing:
            raise InvalidInput("activities", missing, "review every planned activity")
        numbers = {c["no"] for c in (mou or {}).get("commitments", [])}
        for i, c in enumerate(commitments):
            if c.get("no") not in numbers:
                raise InvalidInput(f"commitments[{i}].no", c.get("no"),
                                   "is not a commitment of the MoU")
            if c.get("status") not in COMMITMENT_STATUSES:
                raise InvalidInput(f"commitments[{i}].status", c.get("status"),
                                   "must be kept, partly or not")
        counts = {}
        for key in ("members_female", "members_male", "others_female", "others_male"):
            n = attendance.get(key, 0)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise InvalidInput(f"attendance.{key}", n, "must be a whole number")
            counts[key] = n
        self.trigger_event(
            ev.ReviewHeld, business_date=on, **stamp.fields(), year=year,
            facilitator=_texts("facilitator", [facilitator])[0],
            facilitator_role=facilitator_role, attendance=counts, activities=out,
            mou_version=(mou or {}).get("version"),
            commitments=[{"no": c["no"], "status": c["status"],
                          "note": str(c.get("note", ""))} for c in commitments],
            changes=_texts("changes", changes),
            recommendations=[{"text": _texts(f"recommendations[{i}].text",
                                             [r.get("text", "")])[0],
                              "carry": bool(r.get("carry", False))}
                             for i, r in enumerate(recommendations)],
            group_seals=dict(group_seals))

    def _on_ReviewHeld(self: Any, e: ev.ReviewHeld) -> None:
        self.reviewed = [*getattr(self, "reviewed", []), e.year]
