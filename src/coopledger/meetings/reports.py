"""Each meeting's count of the cash box and the rice sack, against the books that day.

``reports.meetings.reconciliation("JOBA", as_of=D, last=8)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.money import taka


@dataclass(frozen=True)
class MeetingCheck:
    """A meeting's physical count against the books as of its day."""

    position: int
    meeting_date: date
    attended: int
    counted_cash: Decimal | None
    book_cash: Decimal
    cash_difference: Decimal | None
    counted_rice_grams: int | None
    book_rice_grams: int
    rice_difference_grams: int | None
    seal: str = ""

    @property
    def matches(self) -> bool:
        return not self.cash_difference and not self.rice_difference_grams


@dataclass(frozen=True)
class Reconciliation:
    group: str
    as_of: date | None
    meetings: list[MeetingCheck] = field(default_factory=list)

    @property
    def flagged(self) -> list[MeetingCheck]:
        return [m for m in self.meetings if not m.matches]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for m, check in zip(out["meetings"], self.meetings, strict=True):
            m["matches"] = check.matches
        return out


class MeetingReports(Area):
    """Meetings and their counts."""

    def reconciliation(
        self, code: str, *, as_of: date | None = None, last: int | None = None
    ) -> Reconciliation:
        """Each meeting's count against the books (``last``: only the latest meetings)."""
        gid = self.gid(code)
        meetings = self.query(
            "SELECT * FROM {meetings} WHERE group_id = ? AND meeting_date <= ? "
            "ORDER BY meeting_date DESC, position DESC" + (f" LIMIT {int(last)}" if last else ""),
            (gid, day_of(as_of)),
        )[::-1]
        start = meetings[0]["meeting_date"] if meetings and last else ""
        opening: dict[str, int] = {}
        boxes = (acc.CASH, acc.RICE_STOCK)  # the cash box and the rice sack
        if start:
            # The months before the first meeting shown from their totals, then its month's
            # days before it: not every day since the group began.
            for r in self.query(
                "SELECT account, SUM(amount) AS total FROM {month_movements} WHERE "
                "stream_id = ? AND account IN (?, ?) AND month < ? GROUP BY account "
                "UNION ALL SELECT account, SUM(amount) AS total FROM {movements} WHERE "
                "stream_id = ? AND business_date >= ? AND business_date < ? AND "
                "account IN (?, ?) GROUP BY account",
                (gid, *boxes, start[:7], gid, start[:7] + "-01", start, *boxes),
            ):
                opening[r["account"]] = opening.get(r["account"], 0) + int(r["total"] or 0)
        books = self.query(
            "SELECT account, business_date, amount FROM {movements} WHERE stream_id = ? AND "
            "account IN (?, ?) AND business_date >= ? AND business_date <= ? "
            "ORDER BY business_date",
            (gid, acc.CASH, acc.RICE_STOCK, start, day_of(as_of)),
        )
        checks, i = [], 0
        cash, rice = opening.get(acc.CASH, 0), opening.get(acc.RICE_STOCK, 0)
        for m in meetings:
            while i < len(books) and books[i]["business_date"] <= m["meeting_date"]:
                if books[i]["account"] == acc.CASH:
                    cash += books[i]["amount"]
                else:
                    rice += books[i]["amount"]
                i += 1
            counted_cash = None if m["counted_cash"] is None else taka(m["counted_cash"])
            counted_rice = m["counted_rice"]
            checks.append(
                MeetingCheck(
                    m["position"],
                    date.fromisoformat(m["meeting_date"]),
                    m["attended"],
                    counted_cash,
                    taka(cash),
                    None if counted_cash is None else counted_cash - taka(cash),
                    counted_rice,
                    rice,
                    None if counted_rice is None else counted_rice - rice,
                    m["seal"],
                )
            )
        return Reconciliation(code.upper(), as_of, checks)

    def held_on(self, code: str, day: date) -> dict[str, Any] | None:
        """The meeting held on a day (position, seal), if any."""
        rows = self.query(
            "SELECT position, seal FROM {meetings} WHERE group_id = ? AND meeting_date = ?",
            (self.gid(code), day.isoformat()),
        )
        return rows[0] if rows else None
