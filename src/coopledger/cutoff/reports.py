"""The cut-off as a report: the sealed sheet, and whether a date falls before the books
were kept here.

``reports.cutoff.sheet("JOBA")`` (the sealed sheet, or None), ``reports.cutoff.before("JOBA",
D)`` (the cut-off date when D is before it, else None). Reports as of a date before the
cut-off carry that date in their ``before_cutoff`` field (a position, a trial balance, a
passbook), and pages say "before the books were kept here (cut-off D)" instead of zeros.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger.area import Area
from coopledger.i18n import Message, _
from coopledger.kernel.streams import group_id
from coopledger.money import taka


def before_note(cutoff: date) -> Message:
    """What a report as of a day before the cut-off says instead of zeros."""
    return _("before the books were kept here (cut-off {day})", day=cutoff)


@dataclass(frozen=True)
class CarriedIn:
    """A loan carried in from the paper register."""

    loan_no: int
    member_no: int
    outstanding: Decimal
    paper_ref: str
    next_due: date


@dataclass(frozen=True)
class CutOff:
    """A group's sealed cut-off sheet: its totals as the paper books stood on ``cut_off``."""

    group: str
    cut_off: date
    position: int
    approved_by: str
    source: str
    members: int
    cash: Decimal
    rice_stock_grams: int
    group_fund: Decimal
    group_rice_grams: int
    loans: list[CarriedIn]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CutoffReports(Area):
    """The cut-off from paper books."""

    def cut_off(self, code: str) -> date | None:
        """The day the group's books begin here, if it joined with a cut-off."""
        rows = self.query("SELECT cut_off FROM {cutoffs} WHERE group_id = ?", (group_id(code).hex,))
        return date.fromisoformat(rows[0]["cut_off"]) if rows else None

    def before(self, code: str, as_of: date | None) -> date | None:
        """The cut-off date when ``as_of`` is before it (the report would show zeros where
        the paper books had balances), else None."""
        if as_of is None:
            return None
        found = self.cut_off(code)
        return found if found is not None and as_of < found else None

    def sheet(self, code: str) -> CutOff | None:
        """The sealed cut-off sheet of a group, or None."""
        gid = self.gid(code)
        rows = self.query("SELECT * FROM {cutoffs} WHERE group_id = ?", (gid,))
        if not rows:
            return None
        r = rows[0]
        loans = self.query(
            "SELECT l.loan_no, l.member_no, l.principal, c.paper_ref, c.next_due FROM {loans} l "
            "JOIN {cutoff_loans} c ON c.group_id = l.group_id AND c.loan_no = l.loan_no "
            "WHERE l.group_id = ? ORDER BY l.loan_no",
            (gid,),
        )
        return CutOff(
            group=code.upper(),
            cut_off=date.fromisoformat(r["cut_off"]),
            position=r["position"],
            approved_by=r["approved_by"],
            source=r["source"],
            members=r["members"],
            cash=taka(r["cash"]),
            rice_stock_grams=int(r["rice_stock"]),
            group_fund=taka(r["group_fund"]),
            group_rice_grams=int(r["group_rice"]),
            loans=[
                CarriedIn(
                    x["loan_no"],
                    x["member_no"],
                    taka(x["principal"]),
                    x["paper_ref"],
                    date.fromisoformat(x["next_due"]),
                )
                for x in loans
            ],
        )


__all__ = ["CarriedIn", "CutOff", "CutoffReports", "before_note"]
