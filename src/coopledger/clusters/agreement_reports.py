"""Reports on a platform's partners and standing agreements, as of a business date.

``reports.partners.register("RAJAGAON", as_of=D)``: each partner with what refers to it
(bank loans, safety-net applications, trainings and events, agreements) and what the
platform owes it. ``reports.agreements.agreements("RAJAGAON", as_of=D)``: each agreement
with what fell due by D, month by month, paid or not, and its arrears (payment
agreements), or the income booked and how it was split (share agreements), with the
platform's cash and the funds it received. What is due is derived from the terms on every
call (``clusters/agreements.py``), never stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger.area import Area, day_of
from coopledger.clusters.agreements import Month, dues, months
from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.kernel.streams import CLUSTER_PREFIX
from coopledger.money import taka

ZERO = Decimal("0.00")


def _code(cluster: str) -> str:
    return cluster.upper().removeprefix(CLUSTER_PREFIX)


# ---------------------------------------------------------------------- partners
@dataclass(frozen=True)
class Partner:
    """A partner of the platform's register and what refers to it by the report's date."""

    partner_no: int
    kind: str
    name: str
    contact: str
    services: list[str]
    registered_on: str
    bank_loans: list[int] = field(default_factory=list)
    safety_nets: list[int] = field(default_factory=list)
    trainings: list[int] = field(default_factory=list)
    agreements: list[int] = field(default_factory=list)
    owed: Decimal = ZERO  # its share of agreement income, not yet paid over


@dataclass(frozen=True)
class PartnerRegister:
    """A platform's partners on a date."""

    cluster: str
    as_of: date | None
    partners: list[Partner]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PartnerReports(Area):
    """The partner register of each platform."""

    def register(self, cluster: str, *, as_of: date | None = None) -> PartnerRegister:
        """The partners registered by ``as_of``, each with the numbers of the bank loans,
        safety-net applications, trainings and agreements that name it by that day."""
        cid, day = self.cid(cluster), day_of(as_of)
        links: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for name, sql in (
            (
                "bank_loans",
                "SELECT partner_no, bank_loan_no AS no FROM {cluster_bank_loans} "
                "WHERE cluster_id = ? AND arranged_on <= ?",
            ),
            (
                "safety_nets",
                "SELECT partner_no, position AS no FROM {cluster_safety_nets} "
                "WHERE cluster_id = ? AND applied_on <= ?",
            ),
            (
                "trainings",
                "SELECT partner_no, position AS no FROM {cluster_trainings} "
                "WHERE cluster_id = ? AND held_on <= ?",
            ),
            (
                "agreements",
                "SELECT partner_no, agreement_no AS no FROM {cluster_agreements} "
                "WHERE cluster_id = ? AND made_on <= ?",
            ),
        ):
            for r in self.query(sql + " AND partner_no IS NOT NULL ORDER BY 2", (cid, day)):
                links[name][int(r["partner_no"])].append(int(r["no"]))
        for r in self.query(
            "SELECT agreement_no, shares FROM {cluster_agreements} WHERE cluster_id = ? AND "
            "made_on <= ? ORDER BY agreement_no",
            (cid, day),
        ):
            for s in json.loads(r["shares"]):
                no = s.get("partner_no")
                if no is not None and r["agreement_no"] not in links["agreements"][no]:
                    links["agreements"][no].append(int(r["agreement_no"]))
        owed = {
            int(r["account"].rsplit(":P", 1)[1]): taka(-int(r["total"]))
            for r in self.query(
                "SELECT account, SUM(amount) AS total FROM {movements} WHERE stream_id = ? "
                "AND account >= ? AND account < ? AND business_date <= ? GROUP BY account",
                (cid, acc.DUE_TO_PARTNER + ":", acc.DUE_TO_PARTNER + ";", day),
            )
        }
        partners = [
            Partner(
                partner_no=r["partner_no"],
                kind=r["kind"],
                name=r["name"],
                contact=r["contact"],
                services=json.loads(r["services"]),
                registered_on=r["registered_on"],
                bank_loans=links["bank_loans"].get(r["partner_no"], []),
                safety_nets=links["safety_nets"].get(r["partner_no"], []),
                trainings=links["trainings"].get(r["partner_no"], []),
                agreements=sorted(links["agreements"].get(r["partner_no"], [])),
                owed=owed.get(r["partner_no"], ZERO),
            )
            for r in self.query(
                "SELECT * FROM {cluster_partners} WHERE cluster_id = ? AND registered_on <= ? "
                "ORDER BY partner_no",
                (cid, day),
            )
        ]
        return PartnerRegister(_code(cluster), as_of, partners)


# ---------------------------------------------------------------------- agreements
@dataclass(frozen=True)
class IncomeBooked:
    """Income booked under a share agreement and its split (``rule``: ``split`` or
    ``first-party``, before the term)."""

    position: int
    booked_on: str
    taka: Decimal
    source: str
    rule: str
    split: list[dict[str, Any]]


@dataclass(frozen=True)
class AgreementStatus:
    """A standing agreement as of a date. Payment agreements: ``months`` (each month begun
    by the date, what fell due and what was paid towards it, oldest first), ``due`` (what
    fell due by the date), ``paid``, ``arrears`` (due and not paid). Share agreements:
    ``income`` booked, ``shared`` (each party's total), ``paid_over`` (to each partner)."""

    agreement_no: int
    kind: str
    title: str
    party: str
    partner_no: int | None
    monthly: Decimal | None
    starts_on: str
    ends_on: str | None  # as agreed, or as ended by the date
    ended_on: str | None
    end_reason: str
    shares: list[dict[str, Any]]
    term_years: int
    split_from: str
    before_term: str
    made_on: str
    months: list[Month] = field(default_factory=list)
    due: Decimal = ZERO
    paid: Decimal = ZERO
    arrears: Decimal = ZERO
    income: list[IncomeBooked] = field(default_factory=list)
    shared: dict[str, Decimal] = field(default_factory=dict)
    paid_over: dict[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Agreements:
    """A platform's agreements on a date, with its cash and the funds it received."""

    cluster: str
    as_of: date | None
    agreements: list[AgreementStatus]
    cash: Decimal
    funds_received: list[dict[str, Any]]

    @property
    def arrears(self) -> Decimal:
        return sum((a.arrears for a in self.agreements), ZERO)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["arrears"] = self.arrears
        return out


class AgreementReports(Area):
    """Standing agreements of each platform and what falls due under them."""

    def agreements(self, cluster: str, *, as_of: date | None = None) -> Agreements:
        """Every agreement made by ``as_of`` (default: every one, due as of today)."""
        cid, day, on = self.cid(cluster), day_of(as_of), as_of or self.today()
        paid: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in self.query(
            "SELECT agreement_no, paid_on, taka, partner_no FROM {cluster_agreement_payments} "
            "WHERE cluster_id = ? AND paid_on <= ? ORDER BY position",
            (cid, day),
        ):
            paid[r["agreement_no"]].append(r)
        income: dict[int, list[IncomeBooked]] = defaultdict(list)
        for r in self.query(
            "SELECT agreement_no, position, booked_on, taka, source, rule, split FROM "
            "{cluster_agreement_income} WHERE cluster_id = ? AND booked_on <= ? "
            "ORDER BY position",
            (cid, day),
        ):
            income[r["agreement_no"]].append(
                IncomeBooked(
                    r["position"],
                    r["booked_on"],
                    taka(r["taka"]),
                    r["source"],
                    r["rule"],
                    [{**p, "taka": Decimal(p["taka"])} for p in json.loads(r["split"])],
                )
            )
        rows = self.query(
            "SELECT * FROM {cluster_agreements} WHERE cluster_id = ? AND made_on <= ? "
            "ORDER BY agreement_no",
            (cid, day),
        )
        cash = self.query(
            "SELECT SUM(amount) AS total FROM {movements} WHERE stream_id = ? AND account = ? "
            "AND business_date <= ?",
            (cid, acc.CASH, day),
        )
        funds = [
            {**r, "taka": taka(r["taka"])}
            for r in self.query(
                "SELECT received_on, source, partner_no, taka, note FROM "
                "{cluster_platform_funds} WHERE cluster_id = ? AND received_on <= ? "
                "ORDER BY position",
                (cid, day),
            )
        ]
        return Agreements(
            cluster=_code(cluster),
            as_of=as_of,
            agreements=[
                _status(r, paid[r["agreement_no"]], income[r["agreement_no"]], day, on)
                for r in rows
            ],
            cash=taka(int(cash[0]["total"] or 0)),
            funds_received=funds,
        )

    def agreement(self, cluster: str, number: int, *, as_of: date | None = None) -> AgreementStatus:
        """One agreement, refusing a number the platform does not have (by ``as_of``)."""
        for a in self.agreements(cluster, as_of=as_of).agreements:
            if a.agreement_no == number:
                return a
        raise InvalidInput("agreement", number, _("is not an agreement of this platform"))


def _status(
    r: dict[str, Any],
    payments: list[dict[str, Any]],
    income: list[IncomeBooked],
    day: str,
    on: date,
) -> AgreementStatus:
    ended_on = r["ended_on"] if r["ended_on"] and r["ended_on"] <= day else None
    ends = [d for d in (r["ends_on"], ended_on) if d]
    ends_on = min(ends) if ends else None
    base = {
        k: r[k]
        for k in (
            "agreement_no",
            "kind",
            "title",
            "party",
            "partner_no",
            "starts_on",
            "term_years",
            "split_from",
            "before_term",
            "made_on",
        )
    }
    common = {
        **base,
        "monthly": None if r["monthly"] is None else taka(r["monthly"]),
        "ends_on": ends_on,
        "ended_on": ended_on,
        "end_reason": r["end_reason"] if ended_on else "",
        "shares": json.loads(r["shares"]),
    }
    paid = sum((taka(p["taka"]) for p in payments), ZERO)
    if r["kind"] == "payment":
        plan = months(
            date.fromisoformat(r["starts_on"]),
            taka(r["monthly"]),
            date.fromisoformat(ends_on) if ends_on else None,
            on,
        )
        rows = dues(plan, paid, on)
        due = sum((m.amount for m in rows if m.due_on <= on), ZERO)
        return AgreementStatus(
            **common, months=rows, due=due, paid=paid, arrears=max(due - paid, ZERO)
        )
    shared: dict[str, Decimal] = {s["party"]: ZERO for s in common["shares"]}
    for booked in income:
        for part in booked.split:
            shared[part["party"]] = shared.get(part["party"], ZERO) + part["taka"]
    over: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in payments:
        over[int(p["partner_no"])] += taka(p["taka"])
    return AgreementStatus(**common, paid=paid, income=income, shared=shared, paid_over=dict(over))


__all__ = [
    "AgreementReports",
    "AgreementStatus",
    "Agreements",
    "IncomeBooked",
    "Partner",
    "PartnerRegister",
    "PartnerReports",
]
