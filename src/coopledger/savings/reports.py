"""A member's passbook, and every member's totals: rice saved and bought, what she paid and
owes for rice, her cash savings, and her loans (taken, repaid, owed, overdue).

``reports.savings.passbook("JOBA", 3, as_of=D)``, ``reports.savings.member_totals("JOBA")``,
``reports.savings.member_balances("JOBA")``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.errors import UnknownMember
from coopledger.i18n import Message, _
from coopledger.kernel.lines import COLUMNS, WORDS, Delta
from coopledger.money import RICE, TAKA, taka


@dataclass(frozen=True)
class PassbookLine:
    """One passbook line, with her running totals after it."""

    position: int
    part: str
    business_date: date
    recorded_at: str
    entry: str  # the kind of line: deposit, sale, saving, loan, adjustment ...
    rice_saved_grams: int
    rice_bought_grams: int
    bought_value: Decimal
    paid: Decimal
    cash_saved: Decimal
    lent: Decimal
    repaid: Decimal
    charge: Decimal
    written_off: Decimal
    target: int | None
    memo: str
    # running totals after this line
    total_rice_saved_grams: int
    owed: Decimal
    cash_savings: Decimal
    loan_owed: Decimal

    @property
    def delta(self) -> Delta:
        return Delta(
            self.rice_saved_grams,
            self.rice_bought_grams,
            _paisa(self.bought_value),
            _paisa(self.paid),
            _paisa(self.cash_saved),
            _paisa(self.lent),
            _paisa(self.repaid),
            _paisa(self.charge),
            _paisa(self.written_off),
        )

    @property
    def wording(self) -> Message:
        """The line as a sentence, in the reader's language once rendered."""
        words = WORDS.get(self.entry)
        if words is None:  # a process that only reads reports: the wordings come with
            import coopledger.capabilities  # noqa: F401, PLC0415 - the capabilities

            words = WORDS.get(self.entry)
        return words(self.delta, self.target, self.memo) if words else _("Entry")


def _paisa(value: Decimal) -> int:
    return int(value * 100)


@dataclass(frozen=True)
class Passbook:
    group: str
    member_no: int
    name: str
    as_of: date | None
    joined_on: date
    left_on: date | None
    lines: list[PassbookLine]
    rice_saved_grams: int
    rice_bought_grams: int
    bought_value: Decimal
    paid: Decimal
    owed: Decimal
    cash_savings: Decimal
    lent: Decimal = Decimal("0.00")
    repaid: Decimal = Decimal("0.00")
    charge: Decimal = Decimal("0.00")
    written_off: Decimal = Decimal("0.00")
    loan_owed: Decimal = Decimal("0.00")
    loan_overdue: Decimal = Decimal("0.00")
    earlier_lines: int = 0  # lines before the first shown (counted in every total)
    #: The cut-off when ``as_of`` is before it: her passbook was kept on paper then.
    before_cutoff: date | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for row, line in zip(out["lines"], self.lines, strict=True):
            row["wording"] = str(line.wording)
        return out


@dataclass(frozen=True)
class MemberTotals:
    """A member's passbook totals (rice in grams, taka)."""

    member_no: int
    name: str
    rice_saved_grams: int
    rice_bought_grams: int
    bought_value: Decimal
    paid: Decimal
    owed: Decimal
    cash_savings: Decimal
    lent: Decimal
    loan_owed: Decimal


@dataclass(frozen=True)
class MemberBalance:
    """A member's balances from her accounts."""

    member_no: int
    name: str
    active: bool
    rice_saved_grams: int
    cash_savings: Decimal
    owed: Decimal
    loan_owed: Decimal


@dataclass(frozen=True)
class MemberDay:
    """A member on a meeting day: what she brought that day and where she stands after it
    (the pictorial meeting sheet's row)."""

    member_no: int
    name: str
    rice_grams: int  # rice saved that day
    cash: Decimal  # cash saved that day (less withdrawn)
    paid: Decimal  # paid for rice that day
    repaid: Decimal  # loan principal and charge repaid that day
    total_rice_grams: int  # rice saved, all told
    total_cash: Decimal  # cash savings, all told
    owed: Decimal  # still owed for rice
    loan_owed: Decimal


_SUMS = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in COLUMNS)


class SavingsReports(Area):
    """Passbooks and members' totals."""

    def passbook(
        self, code: str, member: int, *, as_of: date | None = None, last: int | None = None
    ) -> Passbook:
        """A member's passbook; ``last``: only the latest lines (the running totals and
        the totals still count every line; ``earlier_lines`` says how many are left out)."""
        gid = self.gid(code)
        found = self.query(
            "SELECT * FROM {members} WHERE group_id = ? AND member_no = ?", (gid, member)
        )
        if not found:
            raise UnknownMember("member", member, code.upper())
        m = found[0]
        rows = self.query(
            "SELECT * FROM {passbook} WHERE group_id = ? AND member_no = ? AND "
            "business_date <= ? ORDER BY business_date DESC, position DESC, part DESC"
            + (f" LIMIT {int(last)}" if last else ""),
            (gid, member, day_of(as_of)),
        )[::-1]
        totals = dict.fromkeys(COLUMNS, 0)
        earlier = 0
        if last and rows:
            first = rows[0]
            before = self.query(
                f"SELECT COUNT(*) AS n, {_SUMS} FROM {{passbook}} WHERE group_id = ? AND "
                "member_no = ? AND (business_date < ? OR (business_date = ? AND (position < ? "
                "OR (position = ? AND part < ?))))",
                (
                    gid,
                    member,
                    first["business_date"],
                    first["business_date"],
                    first["position"],
                    first["position"],
                    first["part"],
                ),
            )[0]
            earlier = int(before.pop("n"))
            totals = {c: int(before[c]) for c in COLUMNS}
        lines = []
        for r in rows:
            for c in COLUMNS:
                totals[c] += int(r[c])
            lines.append(_line(r, totals))
        loans = self.reports.loans.loans(code, as_of=as_of, member=member) if totals["lent"] else []
        return Passbook(
            group=code.upper(),
            member_no=member,
            name=m["name"],
            as_of=as_of,
            joined_on=date.fromisoformat(m["joined_on"]),
            left_on=date.fromisoformat(m["left_on"])
            if m["left_on"] and m["left_on"] <= day_of(as_of)
            else None,
            lines=lines,
            rice_saved_grams=totals["rice_saved"],
            rice_bought_grams=totals["rice_bought"],
            bought_value=taka(totals["bought_value"]),
            paid=taka(totals["paid"]),
            owed=taka(totals["bought_value"] - totals["paid"]),
            cash_savings=taka(totals["cash_saved"]),
            lent=taka(totals["lent"]),
            repaid=taka(totals["repaid"]),
            charge=taka(totals["charge"]),
            written_off=taka(totals["written_off"]),
            loan_owed=taka(_loan_owed(totals)),
            loan_overdue=sum((x.arrears for x in loans), Decimal("0.00")),
            earlier_lines=earlier,
            before_cutoff=self.reports.cutoff.before(code, as_of),
        )

    def member_totals(self, code: str, *, as_of: date | None = None) -> list[MemberTotals]:
        """Every member's passbook totals in one query."""
        gid, day = self.gid(code), day_of(as_of)
        sums = ", ".join(f"COALESCE(SUM(p.{c}), 0) AS {c}" for c in COLUMNS)
        rows = self.query(
            f"SELECT m.member_no, m.name, {sums} FROM {{members}} m LEFT JOIN {{passbook}} p "
            "ON p.group_id = m.group_id AND p.member_no = m.member_no AND p.business_date <= ? "
            "WHERE m.group_id = ? AND m.joined_on <= ? GROUP BY m.member_no, m.name "
            "ORDER BY m.member_no",
            (day, gid, day),
        )
        return [
            MemberTotals(
                member_no=r["member_no"],
                name=r["name"],
                rice_saved_grams=int(r["rice_saved"]),
                rice_bought_grams=int(r["rice_bought"]),
                bought_value=taka(int(r["bought_value"])),
                paid=taka(int(r["paid"])),
                owed=taka(int(r["bought_value"]) - int(r["paid"])),
                cash_savings=taka(int(r["cash_saved"])),
                lent=taka(int(r["lent"])),
                loan_owed=taka(_loan_owed({c: int(r[c]) for c in COLUMNS})),
            )
            for r in rows
        ]

    def meeting_day(self, code: str, day: date) -> list[MemberDay]:
        """Every member of the group on ``day``: that day's entries and her totals after
        them, in one query (the pictorial meeting sheet)."""
        gid, on = self.gid(code), day.isoformat()
        today = ", ".join(
            f"COALESCE(SUM(CASE WHEN p.business_date = ? THEN p.{c} ELSE 0 END), 0) AS d_{c}"
            for c in COLUMNS
        )
        sums = ", ".join(f"COALESCE(SUM(p.{c}), 0) AS {c}" for c in COLUMNS)
        rows = self.query(
            f"SELECT m.member_no, m.name, {today}, {sums} FROM {{members}} m LEFT JOIN "
            "{passbook} p ON p.group_id = m.group_id AND p.member_no = m.member_no AND "
            "p.business_date <= ? WHERE m.group_id = ? AND m.joined_on <= ? AND "
            "(m.left_on IS NULL OR m.left_on > ?) GROUP BY m.member_no, m.name "
            "ORDER BY m.member_no",
            (*[on] * len(COLUMNS), on, gid, on, on),
        )
        out = []
        for r in rows:
            t = {c: int(r[c]) for c in COLUMNS}
            out.append(
                MemberDay(
                    member_no=r["member_no"],
                    name=r["name"],
                    rice_grams=int(r["d_rice_saved"]),
                    cash=taka(int(r["d_cash_saved"])),
                    paid=taka(int(r["d_paid"])),
                    repaid=taka(int(r["d_repaid"]) + int(r["d_charge"])),
                    total_rice_grams=t["rice_saved"],
                    total_cash=taka(t["cash_saved"]),
                    owed=taka(t["bought_value"] - t["paid"]),
                    loan_owed=taka(_loan_owed(t)),
                )
            )
        return out

    def member_balances(self, code: str, *, as_of: date | None = None) -> list[MemberBalance]:
        """Every member's rice savings, cash savings, what she owes for rice and on loans,
        from the account balances."""
        raw = self.reports.books.balances(code, as_of)
        out = []
        for m in self.reports.groups.members(code, as_of=as_of):
            no = m.member_no
            out.append(
                MemberBalance(
                    member_no=no,
                    name=m.name,
                    active=m.active,
                    rice_saved_grams=-raw.get((acc.rice_savings(no), RICE), 0),
                    cash_savings=taka(-raw.get((acc.cash_savings(no), TAKA), 0)),
                    owed=taka(raw.get((acc.receivable(no), TAKA), 0)),
                    loan_owed=taka(raw.get((acc.loan(no), TAKA), 0)),
                )
            )
        return out


def _loan_owed(totals: dict[str, int]) -> int:
    return totals["lent"] - totals["repaid"] - totals["written_off"]


def _line(r: dict[str, Any], totals: dict[str, int]) -> PassbookLine:
    return PassbookLine(
        position=r["position"],
        part=r["part"],
        business_date=date.fromisoformat(r["business_date"]),
        recorded_at=r["recorded_at"],
        entry=r["entry"],
        rice_saved_grams=int(r["rice_saved"]),
        rice_bought_grams=int(r["rice_bought"]),
        bought_value=taka(int(r["bought_value"])),
        paid=taka(int(r["paid"])),
        cash_saved=taka(int(r["cash_saved"])),
        lent=taka(int(r["lent"])),
        repaid=taka(int(r["repaid"])),
        charge=taka(int(r["charge"])),
        written_off=taka(int(r["written_off"])),
        target=r["target"],
        memo=r["memo"],
        total_rice_saved_grams=totals["rice_saved"],
        owed=taka(totals["bought_value"] - totals["paid"]),
        cash_savings=taka(totals["cash_saved"]),
        loan_owed=taka(_loan_owed(totals)),
    )
