"""Loan products of a group, and the fine rule for late instalments.

A *loan product* (Fineract's word) is a kind of loan the group offers: a name, the smallest
and largest principal, the yearly rate, the method (flat or declining), the frequency, the
range of the number of instalments and a fine rule. A product is chosen at disbursement
(``disburse_loan(product=...)``): its limits are enforced, its terms fixed in the loan.
Defining a product again under the same name replaces it for later loans; loans already
made keep the terms they were made on. A group without products lends by its loan rules
(``set_loan_rules``) as before.

A *fine rule* (Fineract's overdue-instalment penalty): a fixed amount, or a percent of what
is unpaid of the late instalment, charged once per instalment still unpaid more than
``grace_days`` days after it fell due. A product carries its own; the group's rule
(``set_loan_fine_rule``) covers loans made without a product. Fines are charged by
``assess_loan_fines`` (:mod:`coopledger.loans.fines`).

Events: ``LoanProductDefined``, ``LoanFineRuleSet``. Commands: ``define_loan_product``,
``set_loan_fine_rule``. Table: ``loan_products`` (every version of a product, from the day
it was defined).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _, taka
from coopledger.kernel.commands import GroupCommand, Rate, Taka, TakaOrZero, Text
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.integrity import canonical
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.loans.schedule import PAISA, Frequency, Method
from coopledger.money import paisa

table(
    "loan_products",
    """group_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
      defined_on TEXT NOT NULL, min_principal BIGINT NOT NULL, max_principal BIGINT NOT NULL,
      rate TEXT NOT NULL, method TEXT NOT NULL, frequency TEXT NOT NULL,
      min_instalments INTEGER NOT NULL, max_instalments INTEGER NOT NULL,
      fine TEXT NOT NULL""",
    ["group_id", "name", "position"],
)

table(
    "loan_terms",
    """group_id TEXT NOT NULL, loan_no INTEGER NOT NULL, product TEXT NOT NULL,
      fine TEXT NOT NULL""",
    ["group_id", "loan_no"],
)

FineKind = Literal["none", "fixed", "percent"]
#: The choices' words, for forms that show a choice by its value (``3-weekly``, ``flat``).
CHOICE_WORDS = (
    _("3-weekly"),
    _("4-weekly"),
    _("5-weekly"),
    _("6-weekly"),
    _("7-weekly"),
    _("8-weekly"),
    _("declining"),
    _("flat"),
    _("none"),
    _("fixed"),
    _("percent"),
)
Instalments = Annotated[int, Field(ge=1, le=104, strict=True)]
GraceDays = Annotated[int, Field(ge=0, le=90, strict=True)]
HUNDRED = Decimal(100)


def fine_rule(
    kind: str, amount: Decimal | None, grace_days: int, field: str = "fine_amount"
) -> dict[str, Any] | None:
    """A fine rule as stored (``None`` for no fine), refusing an amount that does not fit."""
    if kind == "none":
        return None
    if amount is None or amount <= 0:
        raise InvalidInput(field, amount, _("give the fine: taka, or a percent"))
    if kind == "percent" and amount > HUNDRED:
        raise InvalidInput(field, amount, _("a percent is at most 100"))
    return {"kind": kind, "amount": amount, "grace_days": grace_days}


def fine_of(rule: dict[str, Any] | None, unpaid: Decimal) -> Decimal:
    """The fine a rule charges on an instalment of which ``unpaid`` is still owed."""
    if rule is None or unpaid <= 0:
        return Decimal("0.00")
    amount = Decimal(rule["amount"])
    if rule["kind"] == "fixed":
        return amount.quantize(PAISA)
    return (unpaid * amount / HUNDRED).quantize(PAISA, ROUND_HALF_UP)


def fine_words(rule: dict[str, Any] | None) -> Message:
    """A fine rule in a sentence."""
    if rule is None:
        return _("no fine")
    amount = Decimal(rule["amount"])
    if rule["kind"] == "fixed":
        return _(
            "a fine of {amount} per instalment unpaid {days} days after it falls due",
            amount=taka(amount),
            days=rule["grace_days"],
        )
    return _(
        "a fine of {percent} % of what is unpaid of an instalment {days} days after it falls due",
        percent=amount,
        days=rule["grace_days"],
    )


def products_of(group: Group) -> dict[str, list[dict[str, Any]]]:
    """Every version of the group's products by name, oldest first (the state of a group
    that never defined one has no ``loan_products``: older snapshots stay valid)."""
    found: dict[str, list[dict[str, Any]]] = getattr(group, "loan_products", None) or {}
    return found


def product_on(group: Group, name: str, on: date) -> dict[str, Any] | None:
    """The product as defined on ``on`` (its latest version by then), if it was."""
    versions = [v for v in products_of(group).get(name, []) if v["defined_on"] <= on]
    return versions[-1] if versions else None


def group_fine_rule(group: Group, on: date) -> dict[str, Any] | None:
    """The group's fine rule in force on ``on`` for loans made without a product (None:
    no fine)."""
    rule: dict[str, Any] | None = None
    for since, version in getattr(group, "loan_fine_rules", None) or []:
        if since <= on:
            rule = version
    return rule


# ---------------------------------------------------------------------- products
class LoanProductDefined(NoMoney, LedgerEvent):
    """A loan product the group offers (a product defined again under its name is replaced
    for later loans)."""

    name: str
    min_principal: Decimal
    max_principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    min_instalments: int
    max_instalments: int
    fine: dict[str, Any] | None

    def apply(self, group: Group) -> None:
        group.loan_products = products_of(group)  # type: ignore[attr-defined]
        versions = group.loan_products.setdefault(self.name, [])  # type: ignore[attr-defined]
        versions.append(
            {
                "name": self.name,
                "defined_on": self.business_date,
                "min_principal": self.min_principal,
                "max_principal": self.max_principal,
                "rate": self.rate,
                "method": self.method,
                "frequency": self.frequency,
                "min_instalments": self.min_instalments,
                "max_instalments": self.max_instalments,
                "fine": self.fine,
            }
        )
        versions.sort(key=lambda v: v["defined_on"])  # a back-dated definition in its place

    def project(self, rows: Rows) -> None:
        rows.insert(
            "loan_products",
            group_id=self.originator_id.hex,
            name=self.name,
            position=self.position,
            defined_on=self.business_date.isoformat(),
            min_principal=paisa(self.min_principal),
            max_principal=paisa(self.max_principal),
            rate=str(self.rate),
            method=self.method,
            frequency=self.frequency,
            min_instalments=self.min_instalments,
            max_instalments=self.max_instalments,
            fine=canonical(self.fine),
        )

    def describe(self) -> Message:
        return _(
            "Loan product {name}: {low} to {high}, {rate} % a year, {method}, paid "
            "{frequency} in {fewest} to {most} instalments; {fine}",
            name=self.name,
            low=taka(self.min_principal),
            high=taka(self.max_principal),
            rate=self.rate,
            method=_method_words(self.method),
            frequency=_frequency_words(self.frequency),
            fewest=self.min_instalments,
            most=self.max_instalments,
            fine=fine_words(self.fine),
        )


def _method_words(method: str) -> Any:
    from coopledger.loans.lending import METHODS  # noqa: PLC0415 - lending imports this module

    return METHODS.get(method, method)


def _frequency_words(frequency: str) -> Any:
    from coopledger.loans.lending import FREQUENCIES  # noqa: PLC0415

    return FREQUENCIES.get(frequency, frequency)


class DefineLoanProduct(GroupCommand):
    """A loan product: its name, limits, rate, method, frequency and fine rule."""

    command: Literal["define_loan_product"] = "define_loan_product"
    name: Text
    min_principal: Taka
    max_principal: Taka
    rate: Rate
    method: Method = "flat"
    frequency: Frequency = "monthly"
    min_instalments: Instalments = 1
    max_instalments: Instalments
    fine: FineKind = "none"
    fine_amount: TakaOrZero | None = None
    fine_grace_days: GraceDays = 0

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        if self.min_principal > self.max_principal:
            raise InvalidInput(
                "min_principal",
                self.min_principal,
                _("is more than the largest loan ({amount})", amount=taka(self.max_principal)),
            )
        if self.min_instalments > self.max_instalments:
            raise InvalidInput(
                "min_instalments",
                self.min_instalments,
                _("is more than the most instalments ({most})", most=self.max_instalments),
            )
        group.record(
            LoanProductDefined,
            on,
            unit.stamp,
            name=self.name,
            min_principal=self.min_principal,
            max_principal=self.max_principal,
            rate=self.rate,
            method=self.method,
            frequency=self.frequency,
            min_instalments=self.min_instalments,
            max_instalments=self.max_instalments,
            fine=fine_rule(self.fine, self.fine_amount, self.fine_grace_days),
        )
        return None


def product_terms(
    group: Group,
    on: date,
    name: str,
    principal: Decimal,
    instalments: int,
    rate: Decimal | None,
    method: str | None,
    frequency: str | None,
) -> dict[str, Any]:
    """The terms a product fixes for a loan (rate, method, frequency, fine), refusing a loan
    outside its limits or a term given that differs from the product's; each refusal names
    the field."""
    product = product_on(group, name, on)
    if product is None and name in products_of(group):
        first = products_of(group)[name][0]["defined_on"]
        raise RuleBroken(
            "product", name, _("was defined only on {day}, after the loan's date", day=first)
        )
    if product is None:
        known = ", ".join(n for n in sorted(products_of(group)) if product_on(group, n, on)) or "-"
        raise InvalidInput(
            "product",
            name,
            _(
                "group {code} has no such loan product (it has: {names})",
                code=group.code,
                names=known,
            ),
        )
    low, high = Decimal(product["min_principal"]), Decimal(product["max_principal"])
    if not low <= principal <= high:
        raise RuleBroken(
            "principal",
            principal,
            _(
                "the product {name} lends from {low} to {high}",
                name=name,
                low=taka(low),
                high=taka(high),
            ),
        )
    fewest, most = product["min_instalments"], product["max_instalments"]
    if not fewest <= instalments <= most:
        raise RuleBroken(
            "instalments",
            instalments,
            _(
                "the product {name} is repaid in {fewest} to {most} instalments",
                name=name,
                fewest=fewest,
                most=most,
            ),
        )
    for field, given, fixed, words in (
        ("rate", rate, Decimal(product["rate"]), f"{product['rate']} %"),
        ("method", method, product["method"], _method_words(product["method"])),
        ("frequency", frequency, product["frequency"], _frequency_words(product["frequency"])),
    ):
        if given is not None and given != fixed:
            raise RuleBroken(
                field, given, _("the product {name} sets {value}", name=name, value=words)
            )
    return {
        "rate": Decimal(product["rate"]),
        "method": product["method"],
        "frequency": product["frequency"],
        "fine": product["fine"],
    }


# ---------------------------------------------------------------------- the group's fine rule
class LoanFineRuleSet(NoMoney, LedgerEvent):
    """The group's fine for late instalments of loans made without a product (``fine``
    None: no fine)."""

    fine: dict[str, Any] | None

    def apply(self, group: Group) -> None:
        rules = [*(getattr(group, "loan_fine_rules", None) or []), [self.business_date, self.fine]]
        rules.sort(key=lambda r: r[0])  # stable: of two rules set on one day, the later counts
        group.loan_fine_rules = rules  # type: ignore[attr-defined]

    def project(self, rows: Rows) -> None:
        """Read from the group's events and state; no table of its own."""

    def describe(self) -> Message:
        return _("Fine rule for late instalments: {fine}", fine=fine_words(self.fine))


class SetLoanFineRule(GroupCommand):
    """The group's fine for late instalments (loans made without a product)."""

    command: Literal["set_loan_fine_rule"] = "set_loan_fine_rule"
    fine: FineKind
    fine_amount: TakaOrZero | None = None
    fine_grace_days: GraceDays = 0

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        rule = fine_rule(self.fine, self.fine_amount, self.fine_grace_days)
        group.record(LoanFineRuleSet, on, unit.stamp, fine=rule)
        return None


__all__ = [
    "DefineLoanProduct",
    "LoanFineRuleSet",
    "LoanProductDefined",
    "SetLoanFineRule",
    "fine_of",
    "fine_rule",
    "product_terms",
]
