"""Closing a savings cycle: the surplus worked out from the books and shared out to the
members, the rice sold during the cycle settled to its savers in taka, the new cycle opened
with the carried balances; and the close reversed by a later event.

Events: ``CycleClosed`` (the whole close, one event: every member's share in it),
``CycleCloseReversed``. Commands: ``close_cycle``, ``reverse_cycle_close``. Tables:
``cycles`` (one row per close, with its sheet), ``cycle_shares`` (one row per member and
close). The rules, the weighting and the rounding are explained in ``docs/shareout.md``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from coopledger import accounts as acc
from coopledger.errors import RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, grams, taka
from coopledger.kernel.commands import GroupCommand, Number, Text, _no_float, _to_paisa
from coopledger.kernel.events import LedgerEvent
from coopledger.kernel.integrity import canonical
from coopledger.kernel.lines import Delta, register_words
from coopledger.kernel.postings import Posting
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.streams import Chained
from coopledger.kernel.unit import Unit
from coopledger.loans.lending import outstanding
from coopledger.loans.schedule import allocate, most_payable
from coopledger.money import MAX_TAKA, RICE, TAKA, paisa
from coopledger.money import taka as from_paisa
from coopledger.shareout.split import amount_days, largest_remainder

table(
    "cycles",
    """group_id TEXT NOT NULL, cycle_no INTEGER NOT NULL, position INTEGER NOT NULL,
      started_on TEXT NOT NULL, closed_on TEXT NOT NULL, surplus BIGINT NOT NULL,
      rice_sold_grams BIGINT NOT NULL, rice_sold_taka BIGINT NOT NULL, sheet TEXT NOT NULL,
      reversed_on TEXT, reversed_position INTEGER""",
    ["group_id", "position"],
)
table(
    "cycle_shares",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, member_no INTEGER NOT NULL,
      cycle_no INTEGER NOT NULL, closed_on TEXT NOT NULL, surplus BIGINT NOT NULL,
      rice_grams BIGINT NOT NULL, rice_taka BIGINT NOT NULL""",
    ["group_id", "position", "member_no"],
)

Weighting = Literal["savings_days", "savings"]
LoanRule = Literal["carry", "settle", "deduct"]
#: How the weightings and loan rules read on a sheet.
WEIGHTINGS = {
    "savings_days": _("savings over time (taka-days)"),
    "savings": _("savings at the close (shares)"),
}
LOAN_RULES = {
    "carry": _("loans carried into the new cycle"),
    "settle": _("every loan settled before the close"),
    "deduct": _("loans repaid from the borrowers' savings at the close"),
}
SignedTaka = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=-MAX_TAKA, le=MAX_TAKA, decimal_places=2, description="taka, to the paisa"),
    AfterValidator(_to_paisa),
]
ZERO = Decimal("0.00")


def settlement_legs(settlements: list[dict[str, Any]], sign: int = 1) -> list[Posting]:
    """The postings of loans repaid from their borrowers' savings at the close (``sign``
    -1: of a reversal): out of her cash savings, into principal and service charge."""
    legs: list[Posting] = []
    for r in settlements:
        no = r["member_no"]
        legs.append(Posting(acc.cash_savings(no), TAKA, sign * paisa(Decimal(r["taka"]))))
        if paisa(Decimal(r["principal"])):
            legs.append(Posting(acc.loan(no), TAKA, -sign * paisa(Decimal(r["principal"]))))
        if paisa(Decimal(r["charge"])):
            legs.append(Posting(acc.SERVICE_CHARGE, TAKA, -sign * paisa(Decimal(r["charge"]))))
    return legs


def _repayment(r: dict[str, Any], on: date) -> dict[str, Any]:
    """A settlement as the loan's state keeps a repayment."""
    return {
        "business_date": on,
        "principal": Decimal(r["principal"]),
        "charge": Decimal(r["charge"]),
    }


def share_legs(shares: list[dict[str, Any]], sign: int = 1) -> list[Posting]:
    """The postings of a close's shares (``sign`` -1: of its reversal). Each member's
    surplus share and the taka her sold rice fetched are credited to her cash savings; the
    rice sold leaves her rice savings; the other legs are the group's share-out equity."""
    legs: list[Posting] = []
    for s in shares:
        no = s["member_no"]
        surplus, rice_taka = paisa(Decimal(s["surplus"])), paisa(Decimal(s["rice_taka"]))
        if surplus:
            legs += [
                Posting(acc.SHARED_SURPLUS, TAKA, sign * surplus),
                Posting(acc.cash_savings(no), TAKA, -sign * surplus),
            ]
        if s["rice_grams"]:
            legs += [
                Posting(acc.rice_savings(no), RICE, sign * s["rice_grams"]),
                Posting(acc.SHARED_RICE, RICE, -sign * s["rice_grams"]),
            ]
        if rice_taka:
            legs += [
                Posting(acc.SHARED_RICE, TAKA, sign * rice_taka),
                Posting(acc.cash_savings(no), TAKA, -sign * rice_taka),
            ]
    return legs


def _deltas(
    shares: list[dict[str, Any]], settlements: list[dict[str, Any]], sign: int
) -> dict[int, Delta]:
    """What a close adds to each member's passbook: her share and the taka for her rice in
    her cash savings, less a loan repaid from them; the rice settled out of her rice."""
    out: dict[int, Delta] = {}
    for s in shares:
        cash = paisa(Decimal(s["surplus"])) + paisa(Decimal(s["rice_taka"]))
        out[s["member_no"]] = Delta(rice_saved=-s["rice_grams"], cash_saved=cash)
    for r in settlements:
        taka_, principal = paisa(Decimal(r["taka"])), paisa(Decimal(r["principal"]))
        repaid = Delta(cash_saved=-taka_, repaid=principal, charge=taka_ - principal)
        out[r["member_no"]] = out.get(r["member_no"], Delta()).plus(repaid)
    return {no: d.scaled(sign) for no, d in sorted(out.items()) if d}


def _cycles(group: Group) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = getattr(group, "cycles", None) or []
    return found


# ---------------------------------------------------------------------- the close
class CycleClosed(LedgerEvent):
    """A savings cycle closed: its surplus and the rice it sold shared out (one event)."""

    cycle_no: int
    started_on: date
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
    shares: list[dict[str, Any]]
    settlements: list[dict[str, Any]]

    def postings(self) -> list[Posting]:
        return share_legs(self.shares) + settlement_legs(self.settlements)

    def apply(self, group: Group) -> None:
        group.post(self.postings(), self.business_date)
        for r in self.settlements:
            group.loans[str(r["loan_no"])]["repayments"].append(_repayment(r, self.business_date))
        group.cycles = [
            *_cycles(group),
            {
                "cycle_no": self.cycle_no,
                "position": self.position,
                "started_on": self.started_on,
                "closed_on": self.business_date,
                "reversed": False,
            },
        ]

    def project(self, rows: Rows) -> None:
        gid, day = self.originator_id.hex, self.business_date.isoformat()
        rows.insert(
            "cycles",
            group_id=gid,
            cycle_no=self.cycle_no,
            position=self.position,
            started_on=self.started_on.isoformat(),
            closed_on=day,
            surplus=paisa(self.surplus),
            rice_sold_grams=self.rice_sold_grams,
            rice_sold_taka=paisa(self.rice_sold_taka),
            sheet=canonical({**self.content(), "closed_on": self.business_date}),
            reversed_on=None,
            reversed_position=None,
        )
        for s in self.shares:
            rows.insert(
                "cycle_shares",
                group_id=gid,
                position=self.position,
                member_no=s["member_no"],
                cycle_no=self.cycle_no,
                closed_on=day,
                surplus=paisa(Decimal(s["surplus"])),
                rice_grams=s["rice_grams"],
                rice_taka=paisa(Decimal(s["rice_taka"])),
            )
        for r in self.settlements:
            rows.insert(
                "loan_repayments",
                group_id=gid,
                position=self.position,
                part=f"settlements.{r['loan_no']}",
                loan_no=r["loan_no"],
                paid_on=day,
                taka=paisa(Decimal(r["taka"])),
                charge=paisa(Decimal(r["charge"])),
                principal=paisa(Decimal(r["principal"])),
            )
        for no, delta in _deltas(self.shares, self.settlements, 1).items():
            rows.passbook_row(self, "", no, delta, "share_out", self.cycle_no)

    def describe(self) -> Message:
        return _(
            "Savings cycle {cycle} closed: surplus {surplus} shared out, and {rice} of rice "
            "sold for {value} settled to its savers",
            cycle=self.cycle_no,
            surplus=taka(self.surplus),
            rice=grams(self.rice_sold_grams),
            value=taka(self.rice_sold_taka),
        )

    def result(self) -> Any:
        return self.cycle_no


def _moved(group: Group, first: date, last: date) -> dict[str, int]:
    """Net movement of every income and expense account in the cycle (paisa)."""
    lo, hi = first.isoformat(), (last + timedelta(days=1)).isoformat()
    return {
        name: group.moved(name, lo, hi)
        for name in sorted(group.balances)
        if name.startswith((acc.INCOME + ":", acc.EXPENSES + ":"))
    }


def _books(group: Group, first: date, last: date) -> dict[str, Any]:
    """The cycle's surplus, by its parts, from the state's timelines (taka as Decimals)."""
    activities: dict[str, int] = {}
    expenses: dict[str, int] = {}
    service = other = write_offs = grants = 0
    for name, amount in _moved(group, first, last).items():
        activity = acc.activity_of(name)
        if name in (acc.WELFARE_GIFTS, acc.WELFARE_USES) or name.startswith(
            (acc.WELFARE_GIFTS + ":", acc.WELFARE_USES + ":")
        ):
            continue  # the welfare fund's, kept in its own account: never shared out
        if activity is not None:
            activities[activity] = activities.get(activity, 0) - amount
        elif name == acc.SERVICE_CHARGE:
            service -= amount
        elif name == acc.GRANTS:
            grants -= amount
        elif name == acc.WRITE_OFFS:
            write_offs += amount
        elif name.startswith(acc.EXPENSES + ":"):
            expenses[name.split(":", 1)[1].lower()] = amount
        else:
            other -= amount
    surplus = service + sum(activities.values()) + other - sum(expenses.values()) - write_offs
    return {
        "service_charge": from_paisa(service),
        "activities": {k: from_paisa(v) for k, v in sorted(activities.items()) if v},
        "other_income": from_paisa(other),
        "expenses": {k: from_paisa(v) for k, v in sorted(expenses.items()) if v},
        "write_offs": from_paisa(write_offs),
        "grants": from_paisa(grants),
        "surplus": from_paisa(surplus),
    }


def _rice_sold(group: Group, on: date) -> tuple[int, int]:
    """Rice sold and not yet settled to its savers (grams), and what it fetched (paisa)."""
    conversion, shared = acc.RICE_CONVERSION, acc.SHARED_RICE
    sold = group.balance(f"{conversion}/{RICE}", on) + group.balance(f"{shared}/{RICE}", on)
    fetched = -group.balance(f"{conversion}/{TAKA}", on) - group.balance(f"{shared}/{TAKA}", on)
    return sold, fetched


def _weights(
    group: Group, first: date, last: date, weighting: str, price: Fraction
) -> dict[int, Fraction]:
    """Each member's weight: her cash savings plus her rice savings valued at the cycle's
    sale price (``price``, paisa a gram), over the cycle's days or at its close."""
    out: dict[int, Fraction] = {}
    before = first - timedelta(days=1)
    for no in sorted(int(n) for n in group.members):
        cash, rice = acc.cash_savings(no), acc.rice_savings(no)
        if weighting == "savings":
            cash_w = -group.balance(cash, last)
            rice_w = -group.balance(rice, last)
        else:
            cash_w, rice_w = (
                amount_days(
                    -group.balance(account, before),
                    [(d, -v) for d, v in group.balances[account].pairs()]
                    if account in group.balances
                    else [],
                    first,
                    last,
                )
                for account in (cash, rice)
            )
        out[no] = cash_w + rice_w * price
    return out


def _percent(part: Fraction, whole: Fraction) -> Decimal:
    if not whole:
        return ZERO
    exact = part * 100 / whole
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"))


def plan(group: Group, on: date, weighting: str, loans: str) -> dict[str, Any]:
    """What closing the cycle on ``on`` records (the ``CycleClosed`` event's content),
    decided from the group's state; refusals name the field."""
    closed = group.closed_on()
    first = group.formed_on if closed is None else closed + timedelta(days=1)
    owed: dict[int, int] = {}
    settlements: list[dict[str, Any]] = []
    for loan_no, loan in sorted(group.loans.items(), key=lambda kv: int(kv[0])):
        left = outstanding(loan)
        if left > 0 and loans == "deduct":
            settlements.append(_settlement(int(loan_no), loan, on))
            continue
        if left > 0 and loans == "settle":
            raise RuleBroken(
                "loans",
                loans,
                _(
                    "loan {loan} of member {no} still owes {amount}: collect it before the "
                    "close, or carry the loans into the new cycle",
                    loan=int(loan_no),
                    no=loan["member_no"],
                    amount=taka(left),
                ),
            )
        owed[loan["member_no"]] = owed.get(loan["member_no"], 0) + paisa(left)
    books = _books(group, first, on)
    charges = sum((Decimal(r["charge"]) for r in settlements), ZERO)
    books["service_charge"] += charges  # the charge due, paid at the close, is the cycle's
    books["surplus"] += charges
    sold, fetched = _rice_sold(group, on)
    held = {
        no: -group.balance(acc.rice_savings(no), on) for no in sorted(int(n) for n in group.members)
    }
    if sold > sum(held.values()):
        raise RuleBroken(
            "date",
            on,
            _("the rice sold ({rice}) is more than the members' rice savings", rice=grams(sold)),
        )
    price = Fraction(fetched, sold) if sold else Fraction(0)
    weights = _weights(group, first, on, weighting, price)
    whole = sum(weights.values(), Fraction(0))
    surplus = paisa(books["surplus"])
    if surplus and not whole:
        raise RuleBroken(
            "weighting",
            weighting,
            _(
                "no member had savings in this cycle: there is nobody to share {amount} among",
                amount=taka(surplus),
            ),
        )
    parts = largest_remainder(surplus, weights)
    rice_grams = largest_remainder(sold, held)
    rice_taka = largest_remainder(fetched, held)
    repaid: dict[int, int] = {}
    for r in settlements:
        no = r["member_no"]
        repaid[no] = repaid.get(no, 0) + paisa(Decimal(r["taka"]))
        has = -group.balance(acc.cash_savings(no), on) + parts[no] + rice_taka[no]
        if repaid[no] > has:
            raise RuleBroken(
                "loans",
                loans,
                _(
                    "member {no} owes {amount} on loan {loan} but would have only {savings} "
                    "of savings after the share-out: collect it first, or carry the loan",
                    no=no,
                    amount=taka(Decimal(r["taka"])),
                    loan=r["loan_no"],
                    savings=taka(has - repaid[no] + paisa(Decimal(r["taka"]))),
                ),
            )
    shares = []
    for no in sorted(weights):
        cash_before = -group.balance(acc.cash_savings(no), on)
        if not (weights[no] or parts[no] or held[no] or owed.get(no) or cash_before):
            continue
        shares.append(
            {
                "member_no": no,
                "weight": str(weights[no]),
                "percent": _percent(weights[no], whole),
                "cash_before": from_paisa(cash_before),
                "rice_before": held[no],
                "surplus": from_paisa(parts[no]),
                "rice_grams": rice_grams[no],
                "rice_taka": from_paisa(rice_taka[no]),
                "loan_owed": from_paisa(owed.get(no, 0)),
                "loan_repaid": from_paisa(repaid.get(no, 0)),
            }
        )
    open_cycles = [c for c in _cycles(group) if not c["reversed"]]
    return {
        "cycle_no": len(open_cycles) + 1,
        "started_on": first,
        "weighting": weighting,
        "loans": loans,
        **books,
        "rice_sold_grams": sold,
        "rice_sold_taka": from_paisa(fetched),
        "shares": shares,
        "settlements": settlements,
    }


def _settlement(loan_no: int, loan: dict[str, Any], on: date) -> dict[str, Any]:
    """A loan repaid whole from its borrower's savings at the close: the charge fallen due
    and all the principal left, split as any repayment is."""
    principal, written_off = Decimal(loan["principal"]), Decimal(loan["written_off"])
    total = most_payable(loan["schedule"], principal, loan["repayments"], on, written_off)
    charge, part = allocate(loan["schedule"], principal, loan["repayments"], total, on)
    return {
        "loan_no": loan_no,
        "member_no": loan["member_no"],
        "taka": total,
        "charge": charge,
        "principal": part,
    }


class CloseCycle(GroupCommand):
    """Close the savings cycle and share out its surplus."""

    command: Literal["close_cycle"] = "close_cycle"
    weighting: Annotated[
        Weighting,
        Field(description="share by savings over time (taka-days) or by savings at the close"),
    ] = "savings_days"
    loans: Annotated[
        LoanRule,
        Field(
            description="carry loans into the new cycle, refuse while one is owed (settle), "
            "or repay them from the borrowers' savings (deduct)"
        ),
    ] = "carry"
    surplus: Annotated[
        SignedTaka | None,
        Field(default=None, description="the surplus the group counted, checked to the paisa"),
    ] = None

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        content = plan(group, on, self.weighting, self.loans)
        if self.surplus is not None and self.surplus != content["surplus"]:
            raise RuleBroken(
                "surplus",
                self.surplus,
                _(
                    "does not balance: the books give a surplus of {amount} for this cycle",
                    amount=taka(content["surplus"]),
                ),
            )
        legs = share_legs(content["shares"]) + settlement_legs(content["settlements"])
        group.check_balances(legs, on, "surplus", content["surplus"])
        group.record(CycleClosed, on, unit.stamp, **content)
        return content["cycle_no"]


# ---------------------------------------------------------------------- reversing it
class CycleCloseReversed(LedgerEvent):
    """A cycle's close reversed as a whole: every share taken back, the cycle open again."""

    cycle_no: int
    target: int
    reason: str
    shares: list[dict[str, Any]]
    settlements: list[dict[str, Any]]

    def postings(self) -> list[Posting]:
        return share_legs(self.shares, -1) + settlement_legs(self.settlements, -1)

    def apply(self, group: Group) -> None:
        group.post(self.postings(), self.business_date)
        closed = next(c for c in _cycles(group) if c["position"] == self.target)
        for r in self.settlements:
            repayments = group.loans[str(r["loan_no"])]["repayments"]
            record = _repayment(r, closed["closed_on"])
            if record in repayments:
                repayments.remove(record)
        group.cycles = [
            {**c, "reversed": True} if c["position"] == self.target else c for c in _cycles(group)
        ]

    def project(self, rows: Rows) -> None:
        rows.update(
            "cycles",
            {"group_id": self.originator_id.hex, "position": self.target},
            reversed_on=self.business_date.isoformat(),
            reversed_position=self.position,
        )
        if self.settlements:
            rows.execute(
                "DELETE FROM {loan_repayments} WHERE group_id = ? AND position = ?",
                self.originator_id.hex,
                self.target,
            )
        for no, delta in _deltas(self.shares, self.settlements, -1).items():
            rows.passbook_row(self, "", no, delta, "share_out_reversed", self.cycle_no, self.reason)

    def describe(self) -> Message:
        return _(
            "The close of savings cycle {cycle} reversed: {reason}",
            cycle=self.cycle_no,
            reason=self.reason,
        )


class ReverseCycleClose(GroupCommand):
    """Reverse the close of the last savings cycle (every share taken back)."""

    command: Literal["reverse_cycle_close"] = "reverse_cycle_close"
    cycle: Number
    reason: Text

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = Chained.check_date(group, self.date, unit.stamp.today)
        open_cycles = [c for c in _cycles(group) if not c["reversed"]]
        if not open_cycles or open_cycles[-1]["cycle_no"] != self.cycle:
            last = open_cycles[-1]["cycle_no"] if open_cycles else None
            raise RuleBroken(
                "cycle",
                self.cycle,
                _("only the last closed cycle can be reversed (cycle {last})", last=last)
                if last
                else _("no cycle of this group is closed"),
            )
        closing = open_cycles[-1]
        if on < closing["closed_on"]:
            raise RuleBroken(
                "date", on, _("is before the cycle closed ({day})", day=closing["closed_on"])
            )
        closed: Any = unit.event(self.group, closing["position"])
        shares = json.loads(canonical(closed.shares))
        settlements = json.loads(canonical(closed.settlements))
        legs = share_legs(shares, -1) + settlement_legs(settlements, -1)
        group.check_balances(legs, on, "cycle", self.cycle)
        group.record(
            CycleCloseReversed,
            on,
            unit.stamp,
            cycle_no=self.cycle,
            target=closing["position"],
            reason=self.reason,
            shares=shares,
            settlements=settlements,
        )
        return None


def _share_out_words(d: Delta, cycle: int | None, _memo: str) -> Message:
    if d.repaid or d.charge:
        return _(
            "Share-out of cycle {cycle}: {amount} to her savings after {repaid} repaid on her "
            "loan, {rice} of her rice settled",
            cycle=cycle,
            amount=taka(d.cash_saved),
            repaid=taka(d.repaid + d.charge),
            rice=grams(-d.rice_saved),
        )
    return _(
        "Share-out of cycle {cycle}: {amount} to her savings, {rice} of her rice settled",
        cycle=cycle,
        amount=taka(d.cash_saved),
        rice=grams(-d.rice_saved),
    )


register_words("share_out", _share_out_words)
register_words(
    "share_out_reversed",
    lambda d, cycle, memo: _(
        "Share-out of cycle {cycle} reversed: {reason}", cycle=cycle, reason=memo
    ),
)
