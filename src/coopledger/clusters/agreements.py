"""Standing agreements of a cluster platform, recorded once, and what falls due under them.

Two kinds (``docs/agreements.md``):

- a **payment** agreement: the platform pays a party a fixed amount a month from a start
  date (a guard paid 400 Tk a month to protect saplings). Month 1 runs from the start to
  the day before the same date a month later, and its amount falls due on its last day;
  each month that has begun by the end date is due in full. What is due on any date, paid
  or not, is derived from the terms (:func:`months`, :func:`dues`), never stored;
- a **share** agreement: income from a joint asset is split between parties in fixed
  shares (a roadside plantation's income split 4 to 1 between the cluster members and the
  union council after 15 years). The split is computed when income is booked, to the
  paisa, by largest remainder (:func:`split`).

Events: ``AgreementMade``, ``AgreementEnded``, ``AgreementPaid``, ``AgreementIncomeBooked``,
``PlatformFundsReceived``. Commands: ``make_agreement``, ``end_agreement``,
``pay_under_agreement``, ``book_agreement_income``, ``receive_platform_funds``. Tables:
``cluster_agreements``, ``cluster_agreement_payments``, ``cluster_agreement_income``,
``cluster_platform_funds``.

Accounts: a payment is ``Expenses:Agreements:A<no>`` against the platform's cash; income
is cash against, for each share, ``Income:Agreements:A<no>`` (a party not in the partner
register: the cluster members) or ``Liabilities:DueToPartner:P<no>`` (partner ``no``'s
share, owed until the platform pays it over). Cash and what is owed to a partner are
guarded: neither may go below zero on the day or any later day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from datetime import date as Date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from coopledger import accounts as acc
from coopledger.clusters.aggregate import Cluster
from coopledger.clusters.partners import partner
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import ClusterCommand, Number, OptionalText, Row, Taka, Text
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.integrity import canonical
from coopledger.kernel.postings import Posting, money
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.schedule import add_periods
from coopledger.money import paisa
from coopledger.money import taka as from_paisa

table(
    "cluster_agreements",
    """cluster_id TEXT NOT NULL, agreement_no INTEGER NOT NULL,
      position INTEGER NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
      party TEXT NOT NULL, partner_no INTEGER, monthly BIGINT, starts_on TEXT NOT NULL,
      ends_on TEXT, shares TEXT NOT NULL, term_years INTEGER NOT NULL,
      split_from TEXT NOT NULL, before_term TEXT NOT NULL, made_on TEXT NOT NULL,
      ended_on TEXT, end_reason TEXT NOT NULL""",
    ["cluster_id", "agreement_no"],
)
table(
    "cluster_agreement_payments",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      agreement_no INTEGER NOT NULL, paid_on TEXT NOT NULL, taka BIGINT NOT NULL,
      partner_no INTEGER, account TEXT NOT NULL""",
    ["cluster_id", "position"],
)
table(
    "cluster_agreement_income",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      agreement_no INTEGER NOT NULL, booked_on TEXT NOT NULL, taka BIGINT NOT NULL,
      source TEXT NOT NULL, rule TEXT NOT NULL, split TEXT NOT NULL""",
    ["cluster_id", "position"],
)
table(
    "cluster_platform_funds",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      received_on TEXT NOT NULL, source TEXT NOT NULL, partner_no INTEGER,
      taka BIGINT NOT NULL, note TEXT NOT NULL""",
    ["cluster_id", "position"],
)

AGREEMENT_EXPENSES = "Expenses:Agreements"
AGREEMENT_INCOME = "Income:Agreements"
#: What happens to a share agreement's income booked before its term is over.
BEFORE_TERM = ("first-party", "split", "refused")


def expense_account(agreement_no: int) -> str:
    return f"{AGREEMENT_EXPENSES}:A{agreement_no}"


def income_account(agreement_no: int) -> str:
    return f"{AGREEMENT_INCOME}:A{agreement_no}"


# ---------------------------------------------------------------------- what falls due
@dataclass(frozen=True)
class Month:
    """One month of a payment agreement: its period, when it falls due, its amount, and
    (as of a date) what was paid towards it, oldest month first."""

    no: int
    starts_on: date
    due_on: date
    amount: Decimal
    paid: Decimal
    status: str  # "paid", "partly paid", "unpaid" (due and not paid), "not due yet"

    @property
    def owed(self) -> Decimal:
        return self.amount - self.paid


def months(starts_on: date, monthly: Decimal, ends_on: date | None, until: date) -> list[Month]:
    """The months that have begun by ``until`` (and by ``ends_on``), unpaid."""
    last = min(until, ends_on) if ends_on else until
    out: list[Month] = []
    n = 0
    while True:
        start = add_periods(starts_on, "monthly", n)
        if start > last:
            return out
        due = add_periods(starts_on, "monthly", n + 1) - timedelta(days=1)
        out.append(Month(n + 1, start, due, monthly, Decimal("0.00"), "not due yet"))
        n += 1


def dues(plan: list[Month], paid: Decimal, on: date) -> list[Month]:
    """The months with ``paid`` (everything paid by ``on``) set against them, oldest first."""
    left = paid
    out = []
    for m in plan:
        part = min(left, m.amount)
        left -= part
        if part == m.amount:
            status = "paid"
        elif part > 0:
            status = "partly paid"
        else:
            status = "unpaid" if m.due_on <= on else "not due yet"
        out.append(Month(m.no, m.starts_on, m.due_on, m.amount, part, status))
    return out


def split(amount: Decimal, shares: list[dict[str, Any]]) -> list[Decimal]:
    """``amount`` split by the shares' weights, to the paisa: each part is rounded down,
    and the paisa left over go one each to the parts that lost most in rounding (on a tie,
    the party listed first). The parts sum to ``amount`` exactly."""
    total, weights = paisa(amount), [int(s["share"]) for s in shares]
    whole = sum(weights)
    exact = [total * w for w in weights]
    parts = [e // whole for e in exact]
    left = total - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return [from_paisa(p) for p in parts]


# ---------------------------------------------------------------------- making one
class AgreementMade(NoMoney, LedgerEvent):
    """The platform made a standing agreement (``kind`` ``payment``: ``monthly`` taka a
    month to ``party``; ``share``: income split by ``shares``, each ``{"party", "share",
    "partner_no"}``, from ``split_from`` on, and before that as ``before_term`` says)."""

    agreement_no: int
    kind: str
    title: str
    party: str
    partner_no: int | None
    monthly: Decimal | None
    starts_on: date
    ends_on: date | None
    shares: list[dict[str, Any]]
    term_years: int
    split_from: date
    before_term: str

    def apply(self, cluster: Cluster) -> None:
        cluster.agreements[str(self.agreement_no)] = {
            "kind": self.kind,
            "title": self.title,
            "monthly": self.monthly,
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "shares": list(self.shares),
            "split_from": self.split_from,
            "before_term": self.before_term,
            "paid": Decimal("0.00"),
        }

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_agreements",
            cluster_id=self.originator_id.hex,
            agreement_no=self.agreement_no,
            position=self.position,
            kind=self.kind,
            title=self.title,
            party=self.party,
            partner_no=self.partner_no,
            monthly=None if self.monthly is None else paisa(Decimal(self.monthly)),
            starts_on=self.starts_on.isoformat(),
            ends_on=self.ends_on.isoformat() if self.ends_on else None,
            shares=canonical(list(self.shares)),
            term_years=self.term_years,
            split_from=self.split_from.isoformat(),
            before_term=self.before_term,
            made_on=self.business_date.isoformat(),
            ended_on=None,
            end_reason="",
        )

    def describe(self) -> Message:
        if self.kind == "payment":
            return _(
                "Agreement {no} made: {title}, {amount} a month to {party} from {day}",
                no=self.agreement_no,
                title=self.title,
                amount=taka(Decimal(self.monthly or 0)),
                party=self.party,
                day=self.starts_on,
            )
        return _(
            "Agreement {no} made: {title}, income shared {shares} from {day}",
            no=self.agreement_no,
            title=self.title,
            shares=" : ".join(f"{s['party']} {s['share']}" for s in self.shares),
            day=self.split_from,
        )

    def result(self) -> Any:
        return self.agreement_no


class Share(Row):
    """One party's share of a share agreement's income (``partner``: its number in the
    partner register; none for the cluster members themselves)."""

    party: Text
    share: Annotated[int, Field(ge=1, le=1000, strict=True)]
    partner: Number | None = None


class MakeAgreement(ClusterCommand):
    """Record a standing agreement: a monthly payment, or a split of income."""

    command: Literal["make_agreement"] = "make_agreement"
    kind: Literal["payment", "share"]
    title: Text
    party: Annotated[Text, Field(description="who the platform agreed with")]
    partner: Number | None = None
    monthly: Annotated[Taka | None, Field(description="payment: taka a month")] = None
    starts_on: Date
    ends_on: Date | None = None
    shares: list[Share] = []
    term_years: Annotated[int, Field(ge=0, le=99, strict=True)] = 0
    before_term: Literal["first-party", "split", "refused"] = "first-party"

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        if self.partner is not None:
            partner(cluster, "partner", self.partner)
        if self.starts_on < cluster.formed_on:
            raise InvalidInput(
                "starts_on",
                self.starts_on,
                _("is before {code} was formed ({day})", code=cluster.code, day=cluster.formed_on),
            )
        if self.ends_on is not None and self.ends_on <= self.starts_on:
            raise InvalidInput(
                "ends_on", self.ends_on, _("is not after the start ({day})", day=self.starts_on)
            )
        self._check_kind()
        shares = []
        for i, s in enumerate(self.shares):
            if s.partner is not None:
                partner(cluster, f"shares[{i}].partner", s.partner)
            shares.append({"party": s.party, "share": s.share, "partner_no": s.partner})
        number = len(cluster.agreements) + 1
        cluster.record(
            AgreementMade,
            on,
            unit.stamp,
            agreement_no=number,
            kind=self.kind,
            title=self.title,
            party=self.party,
            partner_no=self.partner,
            monthly=self.monthly,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            shares=shares,
            term_years=self.term_years,
            split_from=add_periods(self.starts_on, "monthly", 12 * self.term_years),
            before_term=self.before_term,
        )
        return number

    def _check_kind(self) -> None:
        if self.kind == "payment":
            if self.monthly is None:
                raise InvalidInput("monthly", None, _("a payment agreement needs taka a month"))
            if self.shares:
                raise InvalidInput(
                    "shares", len(self.shares), _("shares are for a share agreement")
                )
            return
        if self.monthly is not None:
            raise InvalidInput("monthly", self.monthly, _("taka a month are for a payment"))
        if len(self.shares) < 2:
            raise InvalidInput(
                "shares", len(self.shares), _("a share agreement needs two parties or more")
            )
        names = [s.party.casefold() for s in self.shares]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise InvalidInput(f"shares[{i}].party", self.shares[i].party, _("is listed twice"))


def last_day(terms: dict[str, Any]) -> date | None:
    """The agreement's last day: its end date, or the day it was ended if earlier."""
    ends = [d for d in (terms.get("ends_on"), terms.get("ended_on")) if d is not None]
    return min(ends) if ends else None


def _agreement(cluster: Cluster, number: int, on: date) -> dict[str, Any]:
    found = cluster.agreements.get(str(number))
    if found is None:
        raise InvalidInput("agreement", number, _("is not an agreement of this platform"))
    ended = found.get("ended_on")
    if ended is not None and on > ended:
        raise RuleBroken("agreement", number, _("ended on {day}", day=ended))
    return found


# ---------------------------------------------------------------------- ending one
class AgreementEnded(NoMoney, LedgerEvent):
    """A standing agreement ended on the event's business date: no month that begins
    after it falls due."""

    agreement_no: int
    reason: str

    def apply(self, cluster: Cluster) -> None:
        cluster.agreements[str(self.agreement_no)]["ended_on"] = self.business_date

    def project(self, rows: Rows) -> None:
        rows.update(
            "cluster_agreements",
            {"cluster_id": self.originator_id.hex, "agreement_no": self.agreement_no},
            ended_on=self.business_date.isoformat(),
            end_reason=self.reason,
        )

    def describe(self) -> Message:
        return _("Agreement {no} ended", no=self.agreement_no)


class EndAgreement(ClusterCommand):
    """End a standing agreement on the date (no month that begins later falls due)."""

    command: Literal["end_agreement"] = "end_agreement"
    agreement: Number
    reason: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        found = _agreement(cluster, self.agreement, on)
        if found.get("ended_on") is not None:
            raise RuleBroken("agreement", self.agreement, _("has already ended"))
        if on < found["starts_on"]:
            raise InvalidInput(
                "date", on, _("is before the agreement starts ({day})", day=found["starts_on"])
            )
        cluster.record(
            AgreementEnded, on, unit.stamp, agreement_no=self.agreement, reason=self.reason
        )
        return cluster.version


# ---------------------------------------------------------------------- paying
class AgreementPaid(LedgerEvent):
    """The platform paid under an agreement: a month's amount (or part of it) to the party
    of a payment agreement, or part of what it owes a partner under a share agreement."""

    agreement_no: int
    taka: Decimal
    partner_no: int | None
    account: str

    def postings(self) -> list[Posting]:
        return [money(self.account, self.taka), money(acc.CASH, -self.taka)]

    def apply(self, cluster: Cluster) -> None:
        cluster.post(self.postings(), self.business_date)
        terms = cluster.agreements[str(self.agreement_no)]
        if terms["kind"] == "payment":
            terms["paid"] = Decimal(terms["paid"]) + Decimal(self.taka)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_agreement_payments",
            cluster_id=self.originator_id.hex,
            position=self.position,
            agreement_no=self.agreement_no,
            paid_on=self.business_date.isoformat(),
            taka=paisa(Decimal(self.taka)),
            partner_no=self.partner_no,
            account=self.account,
        )

    def describe(self) -> Message:
        return _("Paid {amount} under agreement {no}", amount=taka(self.taka), no=self.agreement_no)


class PayUnderAgreement(ClusterCommand):
    """Pay under an agreement: the party of a payment agreement (at most what is owed for
    the months begun by the date), or a partner its share of booked income."""

    command: Literal["pay_under_agreement"] = "pay_under_agreement"
    agreement: Number
    taka: Taka
    partner: Annotated[Number | None, Field(description="share agreement: who is paid")] = None

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        terms = _agreement(cluster, self.agreement, on)
        if terms["kind"] == "payment":
            account = expense_account(self.agreement)
            self._check_owed(terms, on)
        else:
            account = self._partner_account(cluster, terms, on)
        legs = [money(account, self.taka), money(acc.CASH, -self.taka)]
        cluster.check_balances(legs, on, "taka", self.taka)
        cluster.record(
            AgreementPaid,
            on,
            unit.stamp,
            agreement_no=self.agreement,
            taka=self.taka,
            partner_no=self.partner if terms["kind"] == "share" else None,
            account=account,
        )
        return cluster.version

    def _check_owed(self, terms: dict[str, Any], on: date) -> None:
        if self.partner is not None:
            raise InvalidInput("partner", self.partner, _("is for a share agreement"))
        if on < terms["starts_on"]:
            raise InvalidInput(
                "date", on, _("is before the agreement starts ({day})", day=terms["starts_on"])
            )
        begun = months(terms["starts_on"], Decimal(terms["monthly"]), last_day(terms), on)
        owed = sum((m.amount for m in begun), Decimal("0.00")) - Decimal(terms["paid"])
        if self.taka > owed:
            raise RuleBroken(
                "taka",
                self.taka,
                _(
                    "is more than is owed for the months begun by {day}: at most {amount}",
                    day=on,
                    amount=taka(max(owed, Decimal("0.00"))),
                ),
            )

    def _partner_account(self, cluster: Cluster, terms: dict[str, Any], on: date) -> str:
        numbers = [s["partner_no"] for s in terms["shares"] if s["partner_no"] is not None]
        if self.partner is None or self.partner not in numbers:
            raise InvalidInput(
                "partner",
                self.partner,
                _("name the partner of a share: {numbers}", numbers=", ".join(map(str, numbers))),
            )
        account = acc.due_to_partner(self.partner)
        owed = cluster.lowest(account, on)
        if paisa(self.taka) > owed:
            raise RuleBroken(
                "taka",
                self.taka,
                _(
                    "the platform owes partner {no} only {amount} from {day} on",
                    no=self.partner,
                    amount=taka(from_paisa(max(owed, 0))),
                    day=on,
                ),
            )
        return account


# ---------------------------------------------------------------------- income
class AgreementIncomeBooked(LedgerEvent):
    """Income under a share agreement came in, split as the agreement says on the day
    (``split``: ``{"party", "partner_no", "taka"}``; ``rule``: ``"split"`` or
    ``"first-party"`` before the term)."""

    agreement_no: int
    taka: Decimal
    source: str
    rule: str
    split: list[dict[str, Any]]

    def postings(self) -> list[Posting]:
        legs = [money(acc.CASH, self.taka)]
        for part in self.split:
            if Decimal(part["taka"]):
                no = part["partner_no"]
                account = (
                    income_account(self.agreement_no) if no is None else acc.due_to_partner(no)
                )
                legs.append(money(account, -Decimal(part["taka"])))
        return legs

    def apply(self, cluster: Cluster) -> None:
        cluster.post(self.postings(), self.business_date)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_agreement_income",
            cluster_id=self.originator_id.hex,
            position=self.position,
            agreement_no=self.agreement_no,
            booked_on=self.business_date.isoformat(),
            taka=paisa(Decimal(self.taka)),
            source=self.source,
            rule=self.rule,
            split=canonical(list(self.split)),
        )

    def describe(self) -> Message:
        return _(
            "Income of {amount} under agreement {no} ({source}): {split}",
            amount=taka(self.taka),
            no=self.agreement_no,
            source=self.source,
            split=", ".join(f"{p['party']} {p['taka']}" for p in self.split),
        )


class BookAgreementIncome(ClusterCommand):
    """Book income under a share agreement, split as the agreement says on the date."""

    command: Literal["book_agreement_income"] = "book_agreement_income"
    agreement: Number
    taka: Taka
    source: Text

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        terms = _agreement(cluster, self.agreement, on)
        if terms["kind"] != "share":
            raise RuleBroken("agreement", self.agreement, _("is not a share agreement"))
        shares = list(terms["shares"])
        rule = "split"
        if on < terms["split_from"] and terms["before_term"] != "split":
            if terms["before_term"] == "refused":
                raise RuleBroken(
                    "date",
                    on,
                    _("the agreement shares income only from {day}", day=terms["split_from"]),
                )
            rule = "first-party"
            shares = [{**s, "share": 1 if i == 0 else 0} for i, s in enumerate(shares)]
        parts = split(self.taka, shares)
        cluster.record(
            AgreementIncomeBooked,
            on,
            unit.stamp,
            agreement_no=self.agreement,
            taka=self.taka,
            source=self.source,
            rule=rule,
            split=[
                {"party": s["party"], "partner_no": s["partner_no"], "taka": str(p)}
                for s, p in zip(shares, parts, strict=True)
            ],
        )
        return cluster.version


# ---------------------------------------------------------------------- funds
class PlatformFundsReceived(LedgerEvent):
    """Money came into the platform's cash for its agreements: its groups' contributions,
    a donor's grant (``partner_no``, when the giver is in the partner register)."""

    source: str
    partner_no: int | None
    taka: Decimal
    note: str

    def postings(self) -> list[Posting]:
        return [money(acc.CASH, self.taka), money(acc.GRANTS, -self.taka)]

    def apply(self, cluster: Cluster) -> None:
        cluster.post(self.postings(), self.business_date)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_platform_funds",
            cluster_id=self.originator_id.hex,
            position=self.position,
            received_on=self.business_date.isoformat(),
            source=self.source,
            partner_no=self.partner_no,
            taka=paisa(Decimal(self.taka)),
            note=self.note,
        )

    def describe(self) -> Message:
        return _(
            "The platform received {amount} from {source}",
            amount=taka(self.taka),
            source=self.source,
        )


class ReceivePlatformFunds(ClusterCommand):
    """Money into the platform's cash: its groups' contributions, a donor's grant."""

    command: Literal["receive_platform_funds"] = "receive_platform_funds"
    source: Text
    partner: Number | None = None
    taka: Taka
    note: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        if self.partner is not None:
            partner(cluster, "partner", self.partner)
        cluster.record(
            PlatformFundsReceived,
            on,
            unit.stamp,
            source=self.source,
            partner_no=self.partner,
            taka=self.taka,
            note=self.note,
        )
        return cluster.version


__all__ = [
    "BEFORE_TERM",
    "AgreementEnded",
    "AgreementIncomeBooked",
    "AgreementMade",
    "AgreementPaid",
    "BookAgreementIncome",
    "EndAgreement",
    "MakeAgreement",
    "Month",
    "PayUnderAgreement",
    "PlatformFundsReceived",
    "ReceivePlatformFunds",
    "Share",
    "dues",
    "months",
    "split",
]
