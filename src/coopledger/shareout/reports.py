"""Share-out sheets: what each member had, got and carries into the new cycle, from a close
recorded (``reports.shareout.sheet("JOBA")``) or previewed (:func:`sheet_of`).

A sheet is read from the close's own event content (kept whole in the ``cycles`` table), so
a preview and the recorded close print the same sheet.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger.area import Area
from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.kernel.integrity import canonical

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MemberShare:
    """One member's line on a share-out sheet (taka as Decimals, rice in grams)."""

    member_no: int
    name: str
    cash_before: Decimal
    rice_before: int
    percent: Decimal
    surplus: Decimal
    rice_grams: int
    rice_taka: Decimal
    loan_owed: Decimal
    loan_repaid: Decimal = ZERO

    @property
    def cash_after(self) -> Decimal:
        """Her cash savings carried into the new cycle (less a loan repaid from them)."""
        return self.cash_before + self.surplus + self.rice_taka - self.loan_repaid

    @property
    def rice_after(self) -> int:
        """Her rice savings carried into the new cycle (the rice still in the sack)."""
        return self.rice_before - self.rice_grams

    @property
    def received(self) -> Decimal:
        """What the close credited to her, in taka."""
        return self.surplus + self.rice_taka


@dataclass(frozen=True)
class ShareOutSheet:
    """A cycle's close: the surplus by its parts, and every member's share."""

    group: str
    name: str
    cycle_no: int
    started_on: date
    closed_on: date
    weighting: str
    loans: str
    service_charge: Decimal
    activities: dict[str, Decimal]
    other_income: Decimal
    expenses: dict[str, Decimal]
    write_offs: Decimal
    grants: Decimal
    surplus: Decimal
    rice_sold_grams: int
    rice_sold_taka: Decimal
    members: list[MemberShare]
    reversed_on: date | None = None

    @property
    def shared(self) -> Decimal:
        """The members' surplus shares added up: the surplus, to the paisa."""
        return sum((m.surplus for m in self.members), ZERO)

    @property
    def loans_carried(self) -> Decimal:
        return sum((m.loan_owed for m in self.members), ZERO)

    @property
    def loans_repaid(self) -> Decimal:
        """Loans repaid from the borrowers' savings at the close (``loans="deduct"``)."""
        return sum((m.loan_repaid for m in self.members), ZERO)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for row, m in zip(out["members"], self.members, strict=True):
            row.update(cash_after=m.cash_after, rice_after=m.rice_after, received=m.received)
        out.update(
            shared=self.shared, loans_carried=self.loans_carried, loans_repaid=self.loans_repaid
        )
        return out


def sheet_of(
    content: dict[str, Any],
    group: str,
    name: str,
    names: dict[int, str],
    reversed_on: date | None = None,
) -> ShareOutSheet:
    """A sheet from a ``CycleClosed`` event's content (recorded, or a preview's event)."""
    data = json.loads(canonical(content))

    def amount(value: Any) -> Decimal:
        return Decimal(str(value)).quantize(Decimal("0.01"))

    return ShareOutSheet(
        group=group,
        name=name,
        cycle_no=data["cycle_no"],
        started_on=date.fromisoformat(data["started_on"]),
        closed_on=date.fromisoformat(data["closed_on"]),
        weighting=data["weighting"],
        loans=data["loans"],
        service_charge=amount(data["service_charge"]),
        activities={k: amount(v) for k, v in data["activities"].items()},
        other_income=amount(data["other_income"]),
        expenses={k: amount(v) for k, v in data["expenses"].items()},
        write_offs=amount(data["write_offs"]),
        grants=amount(data["grants"]),
        surplus=amount(data["surplus"]),
        rice_sold_grams=int(data["rice_sold_grams"]),
        rice_sold_taka=amount(data["rice_sold_taka"]),
        members=[
            MemberShare(
                member_no=s["member_no"],
                name=names.get(s["member_no"], ""),
                cash_before=amount(s["cash_before"]),
                rice_before=int(s["rice_before"]),
                percent=amount(s["percent"]),
                surplus=amount(s["surplus"]),
                rice_grams=int(s["rice_grams"]),
                rice_taka=amount(s["rice_taka"]),
                loan_owed=amount(s["loan_owed"]),
                loan_repaid=amount(s.get("loan_repaid", "0")),
            )
            for s in data["shares"]
        ],
        reversed_on=reversed_on,
    )


@dataclass(frozen=True)
class CycleSummary:
    """One close of a group's cycle, as listed."""

    cycle_no: int
    position: int
    started_on: date
    closed_on: date
    surplus: Decimal
    rice_sold_grams: int
    reversed_on: date | None


class ShareOutReports(Area):
    """A group's closed cycles and their share-out sheets."""

    def cycles(self, code: str) -> list[CycleSummary]:
        """Every close of the group's cycles, reversed ones included, in order."""
        rows = self.query(
            "SELECT * FROM {cycles} WHERE group_id = ? ORDER BY position", (self.gid(code),)
        )
        return [
            CycleSummary(
                r["cycle_no"],
                r["position"],
                date.fromisoformat(r["started_on"]),
                date.fromisoformat(r["closed_on"]),
                (Decimal(r["surplus"]) / 100).quantize(Decimal("0.01")),
                int(r["rice_sold_grams"]),
                date.fromisoformat(r["reversed_on"]) if r["reversed_on"] else None,
            )
            for r in rows
        ]

    def names(self, code: str) -> dict[int, str]:
        return {m.member_no: m.name for m in self.reports.groups.members(code)}

    def sheet(self, code: str, cycle: int | None = None) -> ShareOutSheet:
        """The share-out sheet of cycle ``cycle`` (its close not reversed, else the last
        reversed one), or of the last close; refuses a group with no such close."""
        gid = self.gid(code)
        rows = self.query(
            "SELECT * FROM {cycles} WHERE group_id = ? ORDER BY position DESC", (gid,)
        )
        if cycle is not None:
            matching = [r for r in rows if r["cycle_no"] == cycle]
            rows = [r for r in matching if not r["reversed_on"]] or matching
        if not rows:
            raise InvalidInput(
                "cycle", cycle, _("group {code} has no closed cycle like this", code=code.upper())
            )
        row = rows[0]
        group = self.reports.groups.group(code)
        return sheet_of(
            json.loads(row["sheet"]),
            group.code,
            group.name,
            self.names(code),
            date.fromisoformat(row["reversed_on"]) if row["reversed_on"] else None,
        )
