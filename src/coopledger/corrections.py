"""Corrections: a mistake is never edited away; a new event reverses or adjusts one entry.

Event: ``EntryCorrected`` (the entry's position and, inside a meeting, which line; the line as
the books held it, ``was``, and what replaces it, ``now``, or nothing for a reversal).
Command: ``correct_entry``. A correction takes the business date of the entry it corrects,
so reports as of that day show the corrected books; its recording time says when it was
made, and the entry itself stays in the log as it was recorded.

Version 2 of the event added ``part`` (the line inside a meeting, ``""`` for an entry
recorded on its own) and ``kind`` (the kind of line); version 1 events are read with
``part`` empty and the kind of their target's type.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from typing import Any, Literal

from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _
from coopledger.kernel.commands import GroupCommand, Number, Text, unstorable
from coopledger.kernel.events import EVENTS, LedgerEvent
from coopledger.kernel.lines import LINES, Delta, Draft, Line, register_words
from coopledger.kernel.postings import Posting
from coopledger.kernel.projection import Rows
from coopledger.kernel.unit import Unit
from coopledger.money import to_taka

#: Fields of a line kind a correction may not change (they follow from the others).
FIXED = {"sale": {"value"}, "repayment": {"member_no", "charge", "principal", "loan_no"}}


def _kind_of(target_type: str) -> str:
    line_type = getattr(EVENTS.get(target_type), "line_type", None)
    return str(line_type.kind) if line_type is not None else target_type


class EntryCorrected(LedgerEvent):
    """An earlier entry is reversed (``now`` is None) or adjusted (``now`` replaces ``was``).

    ``business_date`` is the corrected entry's own business date, so reports "as of" that
    day change; the event's ``timestamp`` says when the correction was recorded.
    """

    class_version = 2
    target: int
    part: str
    kind: str
    target_type: str
    reason: str
    was: dict[str, Any]
    now: dict[str, Any] | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["part"] = ""
        state["kind"] = _kind_of(state["target_type"])

    def was_line(self) -> Line:
        return LINES[self.kind].from_data(self.was)

    def now_line(self) -> Line | None:
        return None if self.now is None else LINES[self.kind].from_data(self.now)

    def postings(self) -> list[Posting]:
        legs = [p.negated() for p in self.was_line().postings()]
        now = self.now_line()
        return legs + (now.postings() if now is not None else [])

    def apply(self, group: Group) -> None:
        self.was_line().apply(group, self.business_date, -1)
        now = self.now_line()
        if now is not None:
            now.apply(group, self.business_date, 1)
        group.corrected[f"{self.target}/{self.part}"] = self.position

    def project(self, rows: Rows) -> None:
        was, now = self.was_line(), self.now_line()
        net: dict[int, Delta] = defaultdict(Delta)
        for member, delta in was.passbook().items():
            net[member] = net[member].plus(delta.scaled(-1))
        for member, delta in (now.passbook() if now is not None else {}).items():
            net[member] = net[member].plus(delta)
        entry = "reversal" if now is None else "adjustment"
        for member, delta in sorted(net.items()):
            rows.passbook_row(self, "", member, delta, entry, target=self.target, memo=self.reason)
        was.corrected(rows, self, self.part, now)

    def describe(self) -> Message:
        where = f"{self.target}" + (f" ({self.part})" if self.part else "")
        if self.now is None:
            return _("Entry {target} reversed: {reason}", target=where, reason=self.reason)
        return _("Entry {target} adjusted: {reason}", target=where, reason=self.reason)


register_words(
    "reversal",
    lambda d, target, memo: _("Entry {target} reversed: {reason}", target=target, reason=memo),
)
register_words(
    "adjustment",
    lambda d, target, memo: _("Entry {target} adjusted: {reason}", target=target, reason=memo),
)


class CorrectEntry(GroupCommand):
    """Reverse (no ``changes``) or adjust the entry at stream position ``target`` (inside a
    meeting, the line ``part``, e.g. ``deposits.3``; the meeting's count is ``count``).

    ``date`` is ignored for the books (a correction takes its target's business date) but
    kept as the day the correction was decided.
    """

    command: Literal["correct_entry"] = "correct_entry"
    target: Number
    part: str = ""
    reason: Text
    changes: dict[str, Any] | None = None

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        if self.target > group.version:
            raise InvalidInput(
                "target",
                self.target,
                _("group {code} has only {n} events", code=group.code, n=group.version),
            )
        event = unit.event(group.code, self.target)  # perhaps earlier in the same batch
        current = self._current(unit, group, event)
        on = event.business_date
        if self.changes is None:
            if not current.reversible:
                raise InvalidInput(
                    "changes", None, _("a meeting's count is adjusted, not reversed")
                )
            legs = [p.negated() for p in current.postings()]
            group.check_balances(legs, on, "target", self.target)
            current.check_reversal(group, on)
            now = None
        else:
            now = self._adjusted(group, current, on)
        group.record(
            EntryCorrected,
            on,
            unit.stamp,
            target=self.target,
            part=self.part,
            kind=current.kind,
            target_type=event.type_name,
            reason=self.reason,
            was=current.data(),
            now=None if now is None else now.data(),
        )
        return group.version

    def _current(self, unit: Unit, group: Group, event: LedgerEvent) -> Line:
        """The line as the books hold it now (after earlier corrections)."""
        line = event.line(self.part)
        if line is None:
            if not any(True for _ in event.lines()):
                raise InvalidInput(
                    "target",
                    self.target,
                    _(
                        "“{entry}” cannot be corrected: only entries that move taka or rice, "
                        "and meeting counts, can",
                        entry=event.describe(),
                    ),
                )
            raise InvalidInput(
                "part", self.part, _("entry {target} has no such line", target=self.target)
            )
        latest = group.corrected.get(f"{self.target}/{self.part}")
        if latest is None:
            return line
        correction: Any = unit.event(group.code, latest)
        if correction.now is None:
            raise RuleBroken(
                "target", self.target, _("was already reversed; record a new entry instead")
            )
        return LINES[correction.kind].from_data(correction.now)

    def _adjusted(self, group: Group, current: Line, on: Any) -> Line:
        changes = self.changes or {}
        if not isinstance(changes, dict) or not changes:
            raise InvalidInput("changes", changes, _("give the fields to change"))
        names = {f.name for f in fields(current)}  # type: ignore[arg-type]
        for name in changes:
            if name not in names or name in FIXED.get(current.kind, set()):
                raise InvalidInput(
                    f"changes.{name}",
                    changes[name],
                    _("is not a field of this entry that can change"),
                )
        base = current.data()
        if current.kind == "sale" and "paid" not in changes:
            # A sale paid in full stays paid in full at its new value.
            base["paid"] = None if base["paid"] == base["value"] else base["paid"]
        base.update(changes)
        try:
            candidate = type(current).from_data(base)
        except TypeError as e:
            raise InvalidInput("changes", changes, _("does not fit this entry")) from e
        candidate = _normalised(candidate, changes)
        current.apply(group, on, -1)  # the new line is judged as if the old one were not
        try:
            now = candidate.check(group, on, "changes.", Draft())
        finally:
            current.apply(group, on, 1)
        if now == current:
            raise InvalidInput("changes", changes, _("change nothing"))
        field = now.amount_field if now.amount_field in changes else ""
        legs = [p.negated() for p in current.postings()] + now.postings()
        group.check_balances(
            legs, on, f"changes.{field}" if field else "target", changes.get(field, self.target)
        )
        return now


def _normalised(line: Line, changes: dict[str, Any]) -> Line:
    """The line with its changed fields checked for their type: taka (never floats),
    whole grams and member numbers, text, lists of members."""
    types = {f.name: str(f.type) for f in fields(line)}  # type: ignore[arg-type]
    values = line.data()
    for name, value in changes.items():
        values[name] = _value(f"changes.{name}", name, types[name], value)
    return type(line).from_data(values)


def _value(field: str, name: str, kind: str, value: Any) -> Any:
    optional = "None" in kind
    zero_ok = name == "paid" or name.startswith("counted")
    if value is None:
        if optional:
            return None
        raise InvalidInput(field, value, _("is required"))
    if kind.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(field, value, _("must be a whole number"))
        if value < 0 or (value == 0 and not zero_ok) or value > 10_000_000_000:
            raise InvalidInput(field, value, _("must be more than zero"))
        return value
    if kind.startswith("Decimal"):
        amount = to_taka(value, field)
        if amount < 0 or (amount == 0 and not zero_ok):
            raise InvalidInput(field, value, _("must be more than zero"))
        return amount
    if kind.startswith("list"):
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
        ):
            raise InvalidInput(field, value, _("give a list of member numbers"))
        return value
    if not isinstance(value, str) or unstorable(value) is not None or len(value) > 2000:
        raise InvalidInput(field, value, _("must be text"))
    return value.strip()
