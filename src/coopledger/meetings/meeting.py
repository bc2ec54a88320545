"""The weekly meeting, recorded as one fact: one set of minutes, one count of the cash box and
the rice sack, one seal.

Events: ``MeetingRecorded`` (attendance, the lines: deposits, sales, payments for rice, cash
savings, withdrawals, loan repayments; the count; the notes: one event, one chain hash),
``MeetingSupplemented`` (lines added later to a meeting already held), and ``MeetingHeld``
(how release 0.1 stored a meeting's count, its lines being separate events; still read).
Commands: ``record_meeting``, ``add_to_meeting``. Line: ``count``. Table: ``meetings``.

A group holds one meeting a day: a second ``record_meeting`` for the same day (an animator
on a weak connection reloading and sending it again under a new key) is refused, naming the
meeting held and its seal; entries forgotten are added with ``add_to_meeting``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, grams, taka
from coopledger.kernel.commands import (
    Grams,
    GroupCommand,
    LongText,
    MemberNo,
    Number,
    Row,
    Taka,
    TakaOrZero,
)
from coopledger.kernel.events import LedgerEvent, OneLine, cached_lines, giving_lines
from coopledger.kernel.integrity import seal
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.lending import RepaymentLine, repayment_rows
from coopledger.money import paisa
from coopledger.savings.cash import SavingLine, WithdrawalLine
from coopledger.savings.rice import DepositLine, RicePaymentLine, SaleLine

table(
    "meetings",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL,
      meeting_date TEXT NOT NULL, attended INTEGER NOT NULL, attendance TEXT NOT NULL,
      counted_cash BIGINT, counted_rice BIGINT, notes TEXT NOT NULL, recorded_at TEXT NOT NULL,
      seal TEXT NOT NULL""",
    ["group_id", "position"],
    "(group_id, meeting_date)",
)

#: A meeting's sections, in the order their lines are checked and recorded.
SECTIONS: dict[str, type[Line]] = {
    "deposits": DepositLine,
    "sales": SaleLine,
    "payments": RicePaymentLine,
    "savings": SavingLine,
    "withdrawals": WithdrawalLine,
    "repayments": RepaymentLine,
}


# ---------------------------------------------------------------------- the count
@dataclass(frozen=True)
class CountLine(Line):
    """Who attended, what the cash box and the rice sack held when counted, the notes."""

    kind = "count"
    amount_field = "attendance"
    reversible = False
    attendance: list[int]
    counted_cash: Decimal | None
    counted_rice_grams: int | None
    notes: str = ""

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        for i, no in enumerate(self.attendance):
            group.member(f"{prefix}attendance[{i}]", no, on)
        if len(set(self.attendance)) != len(self.attendance):
            raise InvalidInput(prefix + "attendance", self.attendance, _("lists a member twice"))
        return CountLine(
            sorted(self.attendance), self.counted_cash, self.counted_rice_grams, self.notes
        )

    def postings(self) -> list[Posting]:
        return []

    def passbook(self) -> dict[int, Delta]:
        return {}

    def describe(self) -> Message:
        return _(
            "{n} attended; cash box counted {cash}, rice sack {rice}",
            n=len(self.attendance),
            cash=taka(self.counted_cash) if self.counted_cash is not None else "-",
            rice=grams(self.counted_rice_grams) if self.counted_rice_grams is not None else "-",
        )

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Meeting")

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        if now is None:
            return
        target: Any = event
        rows.update(
            "meetings",
            {"group_id": event.originator_id.hex, "position": target.target},
            **_count_columns(now),
        )


def _count_columns(line: Line) -> dict[str, Any]:
    c: Any = line
    return {
        "attended": len(c.attendance),
        "attendance": json.dumps(list(c.attendance)),
        "counted_cash": None if c.counted_cash is None else paisa(Decimal(c.counted_cash)),
        "counted_rice": c.counted_rice_grams,
        "notes": c.notes,
    }


def _meeting_row(rows: Rows, event: LedgerEvent, count: Line) -> None:
    rows.insert(
        "meetings",
        group_id=event.originator_id.hex,
        position=event.position,
        meeting_date=event.business_date.isoformat(),
        recorded_at=event.timestamp.isoformat(),
        seal=seal(event.chain_hash),
        **_count_columns(count),
    )


class _HoldsMeeting:
    """What a meeting event does to its group's state: one meeting a day."""

    def held(self, group: Group) -> None:
        e: Any = self
        group.meetings[e.business_date.isoformat()] = [e.position, e.chain_hash]


# ---------------------------------------------------------------------- 0.1's shape
class MeetingHeld(_HoldsMeeting, OneLine, LedgerEvent):
    """The weekly meeting's count as release 0.1 recorded it (its entries were events of
    their own, with the same idempotency key)."""

    line_type = CountLine
    attendance: list[int]
    counted_cash: Decimal | None
    counted_rice_grams: int | None
    notes: str

    def apply(self, group: Group) -> None:
        self.held(group)

    def project(self, rows: Rows) -> None:
        _meeting_row(rows, self, self.the_line)

    def describe(self) -> Message:
        return _("Meeting held: {count}", count=self.the_line.describe())


# ---------------------------------------------------------------------- one fact
def _lines(event: Any) -> list[tuple[str, Line]]:
    def build() -> Iterator[tuple[str, Line]]:
        for section, line_type in SECTIONS.items():
            for i, data in enumerate(getattr(event, section)):
                yield f"{section}.{i}", line_type.from_data(data)

    return cached_lines(event, build)


class MeetingRecorded(_HoldsMeeting, LedgerEvent):
    """The weekly meeting: who attended, every entry made, the count of the cash box and
    the rice sack, the notes. One fact, one chain hash; each line is still a line of the
    passbooks and the postings, and can be corrected on its own (part ``deposits.3``)."""

    attendance: list[int]
    deposits: list[dict[str, Any]]
    sales: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    savings: list[dict[str, Any]]
    withdrawals: list[dict[str, Any]]
    repayments: list[dict[str, Any]]
    counted_cash: Decimal | None
    counted_rice_grams: int | None
    notes: str

    def count(self) -> CountLine:
        return CountLine(
            list(self.attendance), self.counted_cash, self.counted_rice_grams, self.notes
        )

    def lines(self) -> Iterator[tuple[str, Line]]:
        yield from _lines(self)
        yield "count", self.count()

    def postings(self) -> list[Posting]:
        return [p for _, line in _lines(self) for p in line.legs()]

    def apply(self, group: Group) -> None:
        for _part, line in _lines(self):
            line.apply(group, self.business_date)
        self.held(group)

    def project(self, rows: Rows) -> None:
        _meeting_row(rows, self, self.count())
        for i, data in enumerate(self.repayments):
            repayment_rows(rows, self, f"repayments.{i}", RepaymentLine.from_data(data))

    def describe(self) -> Message:
        entries = sum(len(getattr(self, s)) for s in SECTIONS)
        return _(
            "Weekly meeting: {n} attended, {entries} entries",
            n=len(self.attendance),
            entries=entries,
        )


class MeetingSupplemented(LedgerEvent):
    """Entries added to a meeting already held (``meeting``: its position)."""

    meeting: int
    deposits: list[dict[str, Any]]
    sales: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    savings: list[dict[str, Any]]
    withdrawals: list[dict[str, Any]]
    repayments: list[dict[str, Any]]
    notes: str

    def lines(self) -> Iterator[tuple[str, Line]]:
        return iter(_lines(self))

    def postings(self) -> list[Posting]:
        return [p for _, line in _lines(self) for p in line.legs()]

    def apply(self, group: Group) -> None:
        for _part, line in _lines(self):
            line.apply(group, self.business_date)

    def project(self, rows: Rows) -> None:
        for i, data in enumerate(self.repayments):
            repayment_rows(rows, self, f"repayments.{i}", RepaymentLine.from_data(data))

    def describe(self) -> Message:
        entries = sum(len(getattr(self, s)) for s in SECTIONS)
        return _(
            "{entries} entries added to the meeting of entry {meeting}",
            entries=entries,
            meeting=self.meeting,
        )


# ---------------------------------------------------------------------- commands
class Deposit(Row):
    """One member's rice weighed at a meeting."""

    member: MemberNo
    grams: Grams


class Sale(Row):
    """Rice sold to one member at a meeting."""

    buyer: MemberNo
    grams: Grams
    taka_per_kg: Taka
    paid: TakaOrZero | None = None


class CashLine(Row):
    """A member's payment for rice, saving or withdrawal at a meeting."""

    member: MemberNo
    taka: Taka


class LoanLine(Row):
    """A loan repayment collected at a meeting."""

    loan: Number
    taka: Taka


def _row_lines(command: Any) -> Iterator[tuple[str, int, Line]]:
    """The lines a command's rows stand for, section by section, in order."""
    for i, d in enumerate(command.deposits):
        yield "deposits", i, DepositLine(d.member, d.grams)
    for i, s in enumerate(command.sales):
        yield "sales", i, SaleLine(s.buyer, s.grams, s.taka_per_kg, paid=s.paid)
    for i, p in enumerate(command.payments):
        yield "payments", i, RicePaymentLine(p.member, p.taka)
    for i, s in enumerate(command.savings):
        yield "savings", i, SavingLine(s.member, s.taka)
    for i, w in enumerate(command.withdrawals):
        yield "withdrawals", i, WithdrawalLine(w.member, w.taka)
    for i, r in enumerate(command.loan_repayments):
        yield "loan_repayments", i, RepaymentLine(r.loan, 0, r.taka)


def _checked(
    group: Group, on: date, command: Any
) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, Line]]]:
    """Every row checked in order, each seeing the ones before it: the lines' stored fields
    by section, and the checked lines with their part names, in the order the event's
    ``lines`` gives them (handed to the event: see :func:`giving_lines`)."""
    draft = Draft()
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
    parts: list[tuple[str, Line]] = []
    for part, i, line in _row_lines(command):
        checked = group.check_line(line, on, f"{part}[{i}].", draft)
        section = "repayments" if part == "loan_repayments" else part
        out[section].append(checked.data())
        parts.append((f"{section}.{i}", checked))
    return out, parts


class _MeetingRows(GroupCommand):
    deposits: list[Deposit] = []
    sales: list[Sale] = []
    payments: list[CashLine] = []
    savings: list[CashLine] = []
    withdrawals: list[CashLine] = []
    loan_repayments: list[LoanLine] = []
    notes: LongText = ""


class RecordMeeting(_MeetingRows):
    """A whole weekly meeting, recorded all-or-nothing as one event."""

    command: Literal["record_meeting"] = "record_meeting"
    endpoint: ClassVar[str] = "meetings"
    attendance: list[MemberNo] = []
    counted_cash: TakaOrZero | None = None
    counted_rice_grams: Annotated[int | None, Field(ge=0, le=10_000_000_000, strict=True)] = None

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        held = group.meetings.get(on.isoformat())
        if held is not None:
            raise RuleBroken(
                "date",
                on,
                _(
                    "the meeting of {day} is already recorded (entry {position}, seal {seal}); "
                    "add forgotten entries to it with 'add to meeting'",
                    day=on,
                    position=held[0],
                    seal=seal(held[1]),
                ),
            )
        lines, checked = _checked(group, on, self)
        count = group.check_line(
            CountLine(
                list(self.attendance), self.counted_cash, self.counted_rice_grams, self.notes
            ),
            on,
            "",
            Draft(),
        )
        c: Any = count
        with giving_lines(checked):
            group.record(
                MeetingRecorded,
                on,
                unit.stamp,
                attendance=c.attendance,
                **lines,
                counted_cash=c.counted_cash,
                counted_rice_grams=c.counted_rice_grams,
                notes=c.notes,
            )
        return group.version


class AddToMeeting(_MeetingRows):
    """Entries forgotten at a meeting already recorded, added to it (same day)."""

    command: Literal["add_to_meeting"] = "add_to_meeting"
    endpoint: ClassVar[str] = "meetings"

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        held = group.meetings.get(on.isoformat())
        if held is None:
            raise RuleBroken(
                "date", on, _("no meeting of {day} is recorded; record the meeting first", day=on)
            )
        lines, checked = _checked(group, on, self)
        if not checked:
            raise InvalidInput("deposits", [], _("add at least one entry"))
        with giving_lines(checked):
            group.record(
                MeetingSupplemented, on, unit.stamp, meeting=held[0], **lines, notes=self.notes
            )
        return group.version


__all__ = [
    "SECTIONS",
    "AddToMeeting",
    "CashLine",
    "CountLine",
    "Deposit",
    "LoanLine",
    "MeetingHeld",
    "MeetingRecorded",
    "MeetingSupplemented",
    "RecordMeeting",
    "Sale",
]
