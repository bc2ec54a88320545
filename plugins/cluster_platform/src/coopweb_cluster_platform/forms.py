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


def number(field: str, text: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise InvalidInput(field, text, say("is not a whole number"))
    return int(text)


def command(name: str, form: dict[str, str], multi: dict[str, list[str]]) -> dict[str, Any]:
    """The command a platform form asks for (``multi``: checkbox lists): the monthly meeting
    (its representatives ticked) and the joint review (its plan's activities and MoU
    commitments); the other platform commands are the core's entry forms."""
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
