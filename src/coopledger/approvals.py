"""The second signature (maker-checker): entries a group's rules say need approval are set
aside as waiting, and take effect only when a different person approves them.

Events: ``ApprovalRulesSet`` (which commands need a second signature, by name, and the loan
limit above which a loan does), ``ApprovalRequested`` (the command as sent, waiting, with
its maker), ``EntryApproved`` (the checker; the command's own events are recorded in the
same save, decided then, by the rules on the books that day), ``EntryRejected`` (with a
reason). Commands: ``set_approval_rules``, ``approve_entry``, ``reject_entry``. Table:
``approvals``. Modelled on Apache Fineract's maker-checker (see ``docs/approvals.md``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from coopledger.area import Area
from coopledger.errors import InvalidInput, RuleBroken, UnknownGroup
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel import unit as units
from coopledger.kernel.commands import (
    COMMANDS,
    Command,
    GroupCommand,
    Number,
    TakaOrZero,
    Text,
    parse_command,
)
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.reports import area

table(
    "approvals",
    """group_id TEXT NOT NULL, entry_no INTEGER NOT NULL, position INTEGER NOT NULL,
      command_name TEXT NOT NULL, command TEXT NOT NULL, maker TEXT NOT NULL,
      asked_on TEXT NOT NULL, asked_at TEXT NOT NULL, status TEXT NOT NULL,
      checker TEXT NOT NULL, decided_on TEXT, decided_at TEXT, decided_position INTEGER,
      first_position INTEGER, last_position INTEGER, reason TEXT NOT NULL""",
    ["group_id", "entry_no"],
)

#: The commands a group's rules may name beside the registered ones: commands that other
#: parts of the books add later (the cycle's share-out), so a rule set today covers them.
LATER = frozenset({"close_cycle"})
#: What ``set_approval_rules`` lists when it is not told: lending above the limit, writing
#: off, rescheduling, correcting a sealed meeting, sharing out at the cycle's close.
DEFAULT_COMMANDS = ("disburse_loan", "write_off_loan", "reschedule_loan", "correct_entry")
DEFAULT_COMMANDS_LATER = ("close_cycle",)
#: The loan limit when it is not told: a loan of more than this needs a second signature.
DEFAULT_LOAN_LIMIT = Decimal("5000.00")
#: Commands that never wait (they are the second signature, or there is no group yet).
NEVER = frozenset({"form_group", "set_approval_rules", "approve_entry", "reject_entry"})


def _needs_loan(command: Any, _group: Group, rules: dict[str, Any]) -> bool:
    limit = rules.get("loan_limit")
    return limit is None or command.principal > Decimal(limit)


def _needs_correction(command: Any, group: Group, _rules: dict[str, Any]) -> bool:
    """A correction of an entry in a sealed meeting (a meeting is one event, sealed)."""
    return any(int(held[0]) == command.target for held in group.meetings.values())


#: When a command the rules name needs a second signature (by command name; always, if not
#: listed here). A capability that adds a command may add its condition.
CONDITIONS: dict[str, Callable[[Any, Group, dict[str, Any]], bool]] = {
    "disburse_loan": _needs_loan,
    "correct_entry": _needs_correction,
}


def rules_of(group: Group) -> dict[str, Any] | None:
    found: dict[str, Any] | None = getattr(group, "approval_rules", None)
    return found


def entries_of(group: Group) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] | None = getattr(group, "approval_entries", None)
    if found is None:
        found = group.approval_entries = {}  # type: ignore[attr-defined]
    return found


# ---------------------------------------------------------------------- the rules
class ApprovalRulesSet(NoMoney, LedgerEvent):
    """Which commands need a second signature in this group (a new set replaces the old)."""

    commands: list[str]
    loan_limit: Decimal | None

    def apply(self, group: Group) -> None:
        group.approval_rules = {  # type: ignore[attr-defined]
            "commands": list(self.commands),
            "loan_limit": self.loan_limit,
        }

    def project(self, rows: Rows) -> None:
        """The rules are read from the group's events; no table of their own."""

    def describe(self) -> Message:
        if not self.commands:
            return _("Second signature rules: no entry needs one")
        if self.loan_limit is None:
            return _(
                "Second signature rules: {commands} need one",
                commands=", ".join(self.commands),
            )
        return _(
            "Second signature rules: {commands} need one (loans above {limit})",
            commands=", ".join(self.commands),
            limit=taka(self.loan_limit),
        )


class SetApprovalRules(GroupCommand):
    """Which entries need a second signature (loans above ``loan_limit``; none: every loan)."""

    command: Literal["set_approval_rules"] = "set_approval_rules"
    commands: list[str] = Field(default=[*DEFAULT_COMMANDS, *DEFAULT_COMMANDS_LATER], max_length=50)
    loan_limit: TakaOrZero | None = DEFAULT_LOAN_LIMIT

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        names: list[str] = []
        for i, name in enumerate(self.commands):
            if name in NEVER or (name not in COMMANDS and name not in LATER):
                raise InvalidInput(
                    f"commands[{i}]", name, _("is not a command that can wait for approval")
                )
            if name not in names:
                names.append(name)
        group.record(ApprovalRulesSet, on, unit.stamp, commands=names, loan_limit=self.loan_limit)
        return None


# ---------------------------------------------------------------------- waiting
class ApprovalRequested(NoMoney, LedgerEvent):
    """A command set aside until a second person approves it (``recorded_by``: its maker);
    ``command`` is what was sent, as JSON values."""

    entry_no: int
    command_name: str
    command: dict[str, Any]

    def apply(self, group: Group) -> None:
        entries_of(group)[str(self.entry_no)] = {
            "command": dict(self.command),
            "maker": self.recorded_by,
            "asked_on": self.business_date,
            "status": "waiting",
            "checker": "",
        }

    def project(self, rows: Rows) -> None:
        rows.insert(
            "approvals",
            group_id=self.originator_id.hex,
            entry_no=self.entry_no,
            position=self.position,
            command_name=self.command_name,
            command=json.dumps(self.command, sort_keys=True, ensure_ascii=False),
            maker=self.recorded_by,
            asked_on=self.business_date.isoformat(),
            asked_at=self.timestamp.isoformat(),
            status="waiting",
            checker="",
            decided_on=None,
            decided_at=None,
            decided_position=None,
            first_position=None,
            last_position=None,
            reason="",
        )

    def describe(self) -> Message:
        return _(
            "{command} made by {maker} waits for a second signature (number {no})",
            command=self.command_name,
            maker=self.recorded_by,
            no=self.entry_no,
        )

    def result(self) -> Any:
        return {"waiting": self.entry_no}


def set_aside(unit: Unit, command: Command) -> bool:
    """The gate every command passes before it is decided (``kernel.unit.GATES``): a group
    command its group's rules say needs a second signature is checked now (by the same
    rules, on a copy of the state; nothing of it is kept) and recorded as waiting."""
    if not isinstance(command, GroupCommand) or command.command_name in NEVER:
        return False
    try:
        group = unit.group(command.group)
    except UnknownGroup:
        return False  # the command itself says so
    rules = rules_of(group)
    if not rules or command.command_name not in rules["commands"]:
        return False
    needs = CONDITIONS.get(command.command_name)
    if needs is not None and not needs(command, group, rules):
        return False
    _trial(unit, group, command)
    on = group.check_date(command.date, unit.stamp.today)
    group.record(
        ApprovalRequested,
        on,
        unit.stamp,
        entry_no=len(entries_of(group)) + 1,
        command_name=command.command_name,
        command=command.model_dump(mode="json", exclude={"key", "recorded_by"}),
    )
    return True


def _trial(unit: Unit, group: Group, command: Command) -> None:
    """Decide ``command`` on a copy of the group (and the streams as stored), so a command
    the rules refuse is refused now, not when the checker comes."""
    trial = Unit(unit.streams, unit.stamp, extra=unit.extra)
    trial.writes[group.id] = copy.deepcopy(group)
    trial.base[group.id] = unit.base.get(group.id, 0)
    try:
        command.handle(trial)
    finally:
        for sid in [*trial.writes, *trial.reads]:
            if sid != group.id:
                trial.streams.evict(sid)


units.GATES.append(set_aside)


# ---------------------------------------------------------------------- deciding
def _waiting(group: Group, no: int, field: str = "entry") -> dict[str, Any]:
    item = entries_of(group).get(str(no))
    if item is None:
        raise InvalidInput(
            field, no, _("group {code} has no entry waiting with this number", code=group.code)
        )
    if item["status"] == "approved":
        raise RuleBroken(field, no, _("is already approved by {who}", who=item["checker"]))
    if item["status"] == "rejected":
        raise RuleBroken(field, no, _("is already rejected by {who}", who=item["checker"]))
    return item


class EntryApproved(NoMoney, LedgerEvent):
    """A second person (``recorded_by``: the checker) approved a waiting entry; the events
    at ``first``..``last`` are what it recorded, decided at that moment."""

    entry_no: int
    command_name: str
    maker: str
    first: int
    last: int

    def apply(self, group: Group) -> None:
        item = entries_of(group)[str(self.entry_no)]
        item["status"], item["checker"] = "approved", self.recorded_by

    def project(self, rows: Rows) -> None:
        gid = self.originator_id.hex
        rows.update(
            "approvals",
            {"group_id": gid, "entry_no": self.entry_no},
            status="approved",
            checker=self.recorded_by,
            decided_on=self.business_date.isoformat(),
            decided_at=self.timestamp.isoformat(),
            decided_position=self.position,
            first_position=self.first,
            last_position=self.last,
        )
        rows.execute(
            "UPDATE {loans} SET approved_by = ? WHERE group_id = ? AND position BETWEEN ? AND ?",
            self.recorded_by,
            gid,
            self.first,
            self.last,
        )

    def describe(self) -> Message:
        return _(
            "{checker} approved entry {no} ({command}) made by {maker}",
            checker=self.recorded_by,
            no=self.entry_no,
            command=self.command_name,
            maker=self.maker,
        )


class ApproveEntry(GroupCommand):
    """Approve an entry waiting for a second signature: it is recorded now, by the rules on
    the books now; the maker herself may not approve it."""

    command: Literal["approve_entry"] = "approve_entry"
    entry: Number
    #: The web asks for this right on the group (``coopweb_permission``), not "write".
    action: ClassVar[str] = "approve"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        checker = unit.stamp.recorded_by
        item = _waiting(group, self.entry)
        if checker == item["maker"]:
            raise RuleBroken(
                "recorded_by",
                checker,
                _(
                    "made entry {no} herself: a different person must approve it",
                    no=self.entry,
                ),
            )
        if on < item["asked_on"]:
            raise InvalidInput(
                "date", on, _("is before the entry was made ({day})", day=item["asked_on"])
            )
        made = parse_command(item["command"])
        first = group.version + 1
        made.handle(unit)
        if unit.group(self.group) is not group:  # pragma: no cover - a command's own stream
            raise RuntimeError("an approved command wrote to another group")
        group.record(
            EntryApproved,
            on,
            unit.stamp,
            entry_no=self.entry,
            command_name=made.command_name,
            maker=item["maker"],
            first=first,
            last=group.version,
        )
        return None


class EntryRejected(NoMoney, LedgerEvent):
    """A waiting entry was rejected (``recorded_by``: who rejected it), with a reason;
    nothing of it is recorded."""

    entry_no: int
    command_name: str
    maker: str
    reason: str

    def apply(self, group: Group) -> None:
        item = entries_of(group)[str(self.entry_no)]
        item["status"], item["checker"] = "rejected", self.recorded_by

    def project(self, rows: Rows) -> None:
        rows.update(
            "approvals",
            {"group_id": self.originator_id.hex, "entry_no": self.entry_no},
            status="rejected",
            checker=self.recorded_by,
            decided_on=self.business_date.isoformat(),
            decided_at=self.timestamp.isoformat(),
            decided_position=self.position,
            reason=self.reason,
        )

    def describe(self) -> Message:
        return _(
            "{checker} rejected entry {no} ({command}) made by {maker}: {reason}",
            checker=self.recorded_by,
            no=self.entry_no,
            command=self.command_name,
            maker=self.maker,
            reason=self.reason,
        )


class RejectEntry(GroupCommand):
    """Reject an entry waiting for a second signature, with a reason (its maker may
    withdraw her own this way)."""

    command: Literal["reject_entry"] = "reject_entry"
    entry: Number
    reason: Text
    action: ClassVar[str] = "approve"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        item = _waiting(group, self.entry)
        group.record(
            EntryRejected,
            on,
            unit.stamp,
            entry_no=self.entry,
            command_name=item["command"]["command"],
            maker=item["maker"],
            reason=self.reason,
        )
        return None


# ---------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Approval:
    """One entry that waited (or waits) for a second signature."""

    entry_no: int
    position: int
    command_name: str
    command: dict[str, Any]
    maker: str
    asked_on: date
    asked_at: datetime
    status: str  # waiting, approved, rejected
    checker: str
    decided_on: date | None
    decided_at: datetime | None
    decided_position: int | None
    first_position: int | None
    last_position: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _approval(row: dict[str, Any]) -> Approval:
    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    asked_at = when(row["asked_at"])
    assert asked_at is not None  # noqa: S101 - the column is NOT NULL
    return Approval(
        entry_no=row["entry_no"],
        position=row["position"],
        command_name=row["command_name"],
        command=json.loads(row["command"]),
        maker=row["maker"],
        asked_on=date.fromisoformat(row["asked_on"]),
        asked_at=asked_at,
        status=row["status"],
        checker=row["checker"],
        decided_on=date.fromisoformat(row["decided_on"]) if row["decided_on"] else None,
        decided_at=when(row["decided_at"]),
        decided_position=row["decided_position"],
        first_position=row["first_position"],
        last_position=row["last_position"],
        reason=row["reason"],
    )


class ApprovalReports(Area):
    """Entries waiting for a second signature, and those decided (``ledger.reports.approvals``)."""

    STATUSES: ClassVar[tuple[str, ...]] = ("waiting", "approved", "rejected")

    def entries(self, code: str, *, status: str | None = None) -> list[Approval]:
        """A group's entries that needed a second signature, newest first (``status``:
        only the waiting, approved or rejected ones)."""
        gid = self.gid(code)
        if status is not None and status not in self.STATUSES:
            raise InvalidInput(
                "status", status, _("must be one of {choices}", choices=", ".join(self.STATUSES))
            )
        sql = "SELECT * FROM {approvals} WHERE group_id = ?"
        params: list[Any] = [gid]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        return [_approval(r) for r in self.query(sql + " ORDER BY entry_no DESC", params)]

    def waiting(self, code: str) -> list[Approval]:
        """A group's entries waiting for a second signature, oldest first."""
        return list(reversed(self.entries(code, status="waiting")))

    def signatures(self, code: str) -> dict[int, tuple[str, str]]:
        """For each position an approved entry recorded: (maker, checker); for history."""
        out: dict[int, tuple[str, str]] = {}
        for a in self.entries(code, status="approved"):
            for position in range(a.first_position or 0, (a.last_position or -1) + 1):
                out[position] = (a.maker, a.checker)
        return out


area("approvals", ApprovalReports)


__all__ = [
    "CONDITIONS",
    "DEFAULT_COMMANDS",
    "DEFAULT_COMMANDS_LATER",
    "DEFAULT_LOAN_LIMIT",
    "LATER",
    "Approval",
    "ApprovalReports",
    "ApprovalRequested",
    "ApprovalRulesSet",
    "ApproveEntry",
    "EntryApproved",
    "EntryRejected",
    "RejectEntry",
    "SetApprovalRules",
]


def demo(ledger: Any, at: Callable[[date], None]) -> None:
    """The demo's second signatures (``coopledger.demo``): JOBA's members ask that loans above
    2,000 Tk, write-offs, reschedules and corrections of a sealed meeting get a second
    signature; a loan made by the animator is approved by the partner's manager, a
    reschedule is rejected with a reason, and one loan is left waiting (for the page).
    ``at(day)`` sets the demo's clock to that evening."""
    from coopledger.kernel.commands import validated  # noqa: PLC0415

    code, animator, manager = "JOBA", "animator.shirin", "manager.sustain"
    # The group's latest business day over all its events: entries back-dated after this
    # part of the demo (guests, welfare) must not move it when the demo is built again.
    day = max(e.business_date for e in ledger.events(code))
    at(day)

    def run(model: type[Command], key: str, by: str, **fields: Any) -> Any:
        command = validated(model, group=code, date=day, key=f"{code}-2nd-{key}", **fields)
        return ledger.execute(command.model_copy(update={"recorded_by": by})).result

    run(SetApprovalRules, "rules", animator, loan_limit=Decimal("2000"))
    loans = COMMANDS["disburse_loan"]
    lent = run(
        loans,
        "loan-1",
        animator,
        member=1,
        principal=Decimal("2500"),
        instalments=5,
        purpose="a goat",
    )
    entries = {a.entry_no: a for a in ledger.reports.approvals.entries(code)}
    if isinstance(lent, dict) and entries[lent["waiting"]].status == "waiting":
        run(ApproveEntry, "approve-1", manager, entry=lent["waiting"])
    asked = run(
        COMMANDS["reschedule_loan"],
        "reschedule-1",
        animator,
        loan=2,
        instalments=8,
        reason="her husband is ill",
    )
    if isinstance(asked, dict) and entries.get(asked["waiting"]) is None:
        run(
            RejectEntry,
            "reject-1",
            manager,
            entry=asked["waiting"],
            reason="the members want to hear her at the next meeting first",
        )
    run(
        loans,
        "loan-2",
        animator,
        member=2,
        principal=Decimal("3000"),
        instalments=6,
        purpose="paddy husking",
    )
