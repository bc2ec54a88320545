"""The welfare fund: gifts given for welfare, kept apart from the cash box, and what it paid
for (emergency treatment, winter clothes, a burial), each use for a member or a household.

Lines: ``welfare_gift``, ``welfare_use``. Events: ``WelfareGiftReceived``,
``WelfarePaid``. Commands: ``receive_welfare_gift``, ``pay_welfare``. Table: ``welfare``.
Report area: ``reports.welfare.fund("JOBA", as_of=D)``.

The fund is its own account (``Assets:WelfareFund``), like the social fund a savings group
following the VSLA method keeps in its own bag: a gift for welfare never pays for rice or a
loan, and the fund never pays out more than it holds, on the day of the use or any later
day (a use back-dated before the gift that paid for it is refused).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import GroupCommand, MemberNo, OptionalText, Taka, Text
from coopledger.kernel.events import LedgerEvent, OneLine
from coopledger.kernel.lines import Delta, Draft, Line
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.money import paisa
from coopledger.money import taka as from_paisa
from coopledger.reports import area

table(
    "welfare",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, entry_date TEXT NOT NULL,
      kind TEXT NOT NULL, use_kind TEXT NOT NULL, member_no INTEGER, household TEXT NOT NULL,
      source TEXT NOT NULL, taka BIGINT NOT NULL, memo TEXT NOT NULL, corrected TEXT NOT NULL""",
    ["group_id", "position"],
)

Use = Literal["emergency-treatment", "winter-clothes", "burial", "other"]
#: The uses of the fund, in the order reports show them.
USES: tuple[str, ...] = get_args(Use)


def use_account(use: str) -> str:
    """``'winter-clothes'`` -> ``'Expenses:Welfare:Winter-Clothes'``."""
    return f"{acc.WELFARE_USES}:{acc.component(use)}"


_USE_NAMES = {
    "emergency-treatment": _("emergency treatment"),
    "winter-clothes": _("winter clothes"),
    "burial": _("burial"),
    "other": _("other welfare"),
}


def use_name(use: str) -> Message | str:
    """A use of the fund in words."""
    return _USE_NAMES.get(use, use)


class _WelfareLine(Line):
    """A line of the welfare fund: in no member's passbook (a gift to the group, not
    savings), corrected as a whole."""

    def passbook(self) -> dict[int, Delta]:
        return {}

    @classmethod
    def words(cls, delta: Delta) -> Message:
        return _("Welfare fund")

    def corrected(self, rows: Rows, event: LedgerEvent, part: str, now: Line | None) -> None:
        target: Any = event
        fields: dict[str, Any] = {"corrected": "reversed" if now is None else "adjusted"}
        if now is not None:
            fields["taka"] = paisa(getattr(now, "taka"))  # noqa: B009 - a line's amount
        rows.update(
            "welfare", {"group_id": event.originator_id.hex, "position": target.target}, **fields
        )


@dataclass(frozen=True)
class WelfareGiftLine(_WelfareLine):
    """A gift for welfare put into the welfare fund."""

    kind = "welfare_gift"
    source: str
    taka: Decimal
    memo: str = ""

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        return self

    def postings(self) -> list[Posting]:
        return [money(acc.WELFARE_FUND, self.taka), money(acc.WELFARE_GIFTS, -self.taka)]

    def describe(self) -> Message:
        return _(
            "Gift of {amount} from {source} to the welfare fund",
            amount=taka(self.taka),
            source=self.source,
        )


@dataclass(frozen=True)
class WelfareUseLine(_WelfareLine):
    """The welfare fund paid for a member's or a household's need."""

    kind = "welfare_use"
    use: str
    member_no: int | None
    household: str
    taka: Decimal
    memo: str = ""

    def check(self, group: Group, on: date, prefix: str, draft: Draft) -> Line:
        household = self.household
        if self.member_no is not None:
            m = group.member(prefix + "member", self.member_no, on, settling=True)
            household = household or m["household"]
        if not household:
            raise InvalidInput(
                prefix + "household", "", _("name the member or the household it is for")
            )
        available = group.lowest(acc.WELFARE_FUND, on) + draft.delta(acc.WELFARE_FUND)
        if available < paisa(self.taka):
            raise RuleBroken(
                prefix + "taka",
                self.taka,
                _(
                    "the welfare fund holds only {amount} from {day} on",
                    amount=taka(from_paisa(available)),
                    day=on,
                ),
            )
        return WelfareUseLine(self.use, self.member_no, household, self.taka, self.memo)

    def postings(self) -> list[Posting]:
        return [money(use_account(self.use), self.taka), money(acc.WELFARE_FUND, -self.taka)]

    def describe(self) -> Message:
        return _(
            "Welfare fund paid {amount} for {use} ({household})",
            amount=taka(self.taka),
            use=use_name(self.use),
            household=self.household,
        )


def _welfare_row(rows: Rows, event: Any, **fields: Any) -> None:
    rows.insert(
        "welfare",
        group_id=event.originator_id.hex,
        position=event.position,
        entry_date=event.business_date.isoformat(),
        taka=paisa(event.taka),
        memo=event.memo,
        corrected="",
        **fields,
    )


class WelfareGiftReceived(OneLine, LedgerEvent):
    """A gift for welfare (from a better-off villager, say) put into the welfare fund."""

    line_type = WelfareGiftLine
    source: str
    taka: Decimal
    memo: str

    def project(self, rows: Rows) -> None:
        _welfare_row(
            rows, self, kind="gift", use_kind="", member_no=None, household="", source=self.source
        )


class WelfarePaid(OneLine, LedgerEvent):
    """The welfare fund paid for emergency treatment, winter clothes, a burial ..."""

    line_type = WelfareUseLine
    use: str
    member_no: int | None
    household: str
    taka: Decimal
    memo: str

    def project(self, rows: Rows) -> None:
        _welfare_row(
            rows,
            self,
            kind="use",
            use_kind=self.use,
            member_no=self.member_no,
            household=self.household,
            source="",
        )


class ReceiveWelfareGift(GroupCommand):
    """A gift for welfare, put into the welfare fund (not the cash box)."""

    command: Literal["receive_welfare_gift"] = "receive_welfare_gift"
    source: Text
    taka: Taka
    memo: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        line = WelfareGiftLine(self.source, self.taka, self.memo)
        return group.enter(WelfareGiftReceived, line, on, unit.stamp)


class PayWelfare(GroupCommand):
    """The welfare fund pays for a member's or a household's need (``member``, or
    ``household`` for someone who is not a member)."""

    command: Literal["pay_welfare"] = "pay_welfare"
    use: Use
    member: MemberNo | None = None
    household: OptionalText = ""
    taka: Taka
    memo: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        line = WelfareUseLine(self.use, self.member, self.household, self.taka, self.memo)
        return group.enter(WelfarePaid, line, on, unit.stamp)


# ---------------------------------------------------------------------- the report
@dataclass(frozen=True)
class WelfareEntry:
    """A gift into the fund or a use of it (``corrected``: "", "reversed" or "adjusted")."""

    position: int
    entry_date: date
    kind: str  # "gift" or "use"
    use: str
    member_no: int | None
    name: str
    household: str
    source: str
    taka: Decimal
    memo: str
    corrected: str


@dataclass(frozen=True)
class WelfareFund:
    """A group's welfare fund as of a date: what it holds, what came in, what it paid for."""

    group: str
    as_of: date | None
    balance: Decimal
    gifts: Decimal
    paid: Decimal
    by_use: dict[str, Decimal]
    entries: list[WelfareEntry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WelfareReports(Area):
    """The welfare fund."""

    def fund(self, code: str, *, as_of: date | None = None) -> WelfareFund:
        """The fund's balance as of a date (from the books' postings), its gifts and its uses
        by kind, and every entry (a reversed one shown at nought)."""
        gid, day = self.gid(code), day_of(as_of)
        totals = {
            r["account"]: int(r["total"] or 0)
            for r in self.query(
                "SELECT account, SUM(amount) AS total FROM {movements} WHERE stream_id = ? AND "
                "business_date <= ? AND (account = ? OR account = ? OR account LIKE ?) "
                "GROUP BY account",
                (gid, day, acc.WELFARE_FUND, acc.WELFARE_GIFTS, acc.WELFARE_USES + ":%"),
            )
        }
        by_use = {
            use: from_paisa(totals.get(use_account(use), 0))
            for use in USES
            if totals.get(use_account(use))
        }
        names = {
            int(r["member_no"]): r["name"]
            for r in self.query("SELECT member_no, name FROM {members} WHERE group_id = ?", (gid,))
        }
        entries = [
            WelfareEntry(
                position=r["position"],
                entry_date=date.fromisoformat(r["entry_date"]),
                kind=r["kind"],
                use=r["use_kind"],
                member_no=r["member_no"],
                name=names.get(r["member_no"], "") if r["member_no"] is not None else "",
                household=r["household"],
                source=r["source"],
                taka=from_paisa(0 if r["corrected"] == "reversed" else r["taka"]),
                memo=r["memo"],
                corrected=r["corrected"],
            )
            for r in self.query(
                "SELECT * FROM {welfare} WHERE group_id = ? AND entry_date <= ? "
                "ORDER BY entry_date, position",
                (gid, day),
            )
        ]
        return WelfareFund(
            group=code.upper(),
            as_of=as_of,
            balance=from_paisa(totals.get(acc.WELFARE_FUND, 0)),
            gifts=from_paisa(-totals.get(acc.WELFARE_GIFTS, 0)),
            paid=sum(by_use.values(), Decimal("0.00")),
            by_use=by_use,
            entries=entries,
        )


area("welfare", WelfareReports)

__all__ = [
    "USES",
    "PayWelfare",
    "ReceiveWelfareGift",
    "WelfareEntry",
    "WelfareFund",
    "WelfareGiftLine",
    "WelfareGiftReceived",
    "WelfarePaid",
    "WelfareReports",
    "WelfareUseLine",
    "use_account",
    "use_name",
]
