"""Reading the platform forms into commands (text into fields; no rules of the books)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coopledger.errors import InvalidInput
from coopledger.i18n import messages

#: The plugin's catalog (the same as ``CATALOG`` in the package).
say = messages("coopweb_cluster_platform", Path(__file__).parent / "locale")


def lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def parts(field: str, line: str, n: int) -> list[str]:
    cells = [c.strip() for c in line.split("|")]
    if len(cells) < n:
        raise InvalidInput(field, line, say("give {n} parts separated by |", n=n))
    return cells


def number(field: str, text: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise InvalidInput(field, text, say("is not a whole number"))
    return int(text)


def command(name: str, form: dict[str, str], multi: dict[str, list[str]]) -> dict[str, Any]:  # noqa: C901
    """The command a platform form asks for (``multi``: checkbox lists)."""
    f = {k: v.strip() for k, v in form.items()}
    base: dict[str, Any] = {"command": name, "date": f.get("date", ""), "key": f.get("key") or None}
    if name == "record_platform_meeting":
        attendance = []
        for item in multi.get("present", []):
            group, _, member = item.partition("/")
            attendance.append({"group": group, "member": number("attendance", member)})
        return {
            **base,
            "attendance": attendance,
            "chair": f.get("chair") or None,
            "host": f.get("host") or None,
            "decisions": lines(f.get("decisions", "")),
        }
    if name == "name_representative":
        return {
            **base,
            "group": f.get("group", ""),
            "member": number("member", f.get("member", "")),
        }
    if name == "sign_mou":
        parties = [
            dict(zip(("party", "role", "signed_by"), parts("parties", ln, 3), strict=False))
            for ln in lines(f.get("parties", ""))
        ]
        commitments = []
        for i, ln in enumerate(lines(f.get("commitments", ""))):
            party, _, text = ln.partition(":")
            commitments.append({"no": i + 1, "party": party.strip(), "text": text.strip()})
        return {**base, "parties": parties, "commitments": commitments}
    if name == "list_extreme_poor":
        return {
            **base,
            **{
                k: f.get(k, "") for k in ("household", "head", "village", "reason", "identified_by")
            },
        }
    if name == "apply_safety_net":
        return {
            **base,
            "household_entry": number("household_entry", f.get("household_entry", "")),
            "scheme": f.get("scheme", ""),
            "applied_to": f.get("applied_to", ""),
        }
    if name == "decide_safety_net":
        return {
            **base,
            "application": number("application", f.get("application", "")),
            "outcome": f.get("outcome", ""),
            "value": f.get("value") or None,
            "note": f.get("note", ""),
        }
    if name == "hold_training":
        counts = {
            k: number(k, f.get(k) or "0")
            for k in ("members_female", "members_male", "others_female", "others_male")
        }
        return {
            **base,
            "title": f.get("title", ""),
            "kind": f.get("kind", "training"),
            "facilitator": f.get("facilitator", ""),
            **counts,
        }
    if name == "count_platform_guests":
        counts = {k: number(k, f.get(k) or "0") for k in ("female", "male", "other")}
        return {**base, **counts, "note": f.get("note", "")}
    if name == "adopt_cluster_plan":
        categories = {}
        for item in f.get("categories", "").split(","):
            if item.strip():
                key, _, value = item.partition("=")
                categories[key.strip()] = number(f"wellbeing.{key.strip()}", value)
        activities = []
        for ln in lines(f.get("activities", "")):
            cells = parts("activities", ln, 8)
            activity: dict[str, Any] = {
                "id": cells[0],
                "micro_project": number("micro_project", cells[1]),
                "name": cells[2],
                "activity": cells[3] or None,
                "budget": cells[4] or "0",
                "responsible": cells[5],
                "start": cells[6],
                "end": cells[7],
            }
            if len(cells) > 8 and cells[8]:
                group, year, activity_id = (c.strip() for c in [*cells[8].split(":"), "", ""][:3])
                activity["adopted_from"] = {
                    "group": group,
                    "year": number("year", year),
                    "id": activity_id,
                }
            activities.append(activity)
        return {
            **base,
            "year": number("year", f.get("year", "")),
            "wellbeing": {"categories": categories, "notes": f.get("notes", "")},
            "constraints": lines(f.get("constraints", "")),
            "opportunities": lines(f.get("opportunities", "")),
            "micro_projects": [
                {"no": i + 1, "name": n} for i, n in enumerate(lines(f.get("micro_projects", "")))
            ],
            "ep_initiatives": lines(f.get("ep_initiatives", "")),
            "activities": activities,
        }
    if name == "hold_cluster_review":
        activities = [
            {
                "id": key.removeprefix("status_"),
                "status": value,
                "achieved": f.get("achieved_" + key.removeprefix("status_"), ""),
            }
            for key, value in f.items()
            if key.startswith("status_")
        ]
        commitments = [
            {"no": number("commitment", key.removeprefix("kept_")), "status": value}
            for key, value in f.items()
            if key.startswith("kept_") and value
        ]
        recommendations = [
            {"text": ln.removeprefix("+").strip(), "carry": ln.startswith("+")}
            for ln in lines(f.get("recommendations", ""))
        ]
        counts = {
            k: number(k, f.get(k) or "0")
            for k in ("members_female", "members_male", "others_female", "others_male")
        }
        return {
            **base,
            "year": number("year", f.get("year", "")),
            "facilitator": f.get("facilitator", ""),
            "facilitator_role": f.get("facilitator_role", "group-leader"),
            **counts,
            "activities": activities,
            "commitments": commitments,
            "changes": lines(f.get("changes", "")),
            "recommendations": recommendations,
        }
    raise InvalidInput("command", name, say("is not a platform form"))
