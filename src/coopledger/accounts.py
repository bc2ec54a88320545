"""The chart of accounts: where every taka and every gram of rice can be.

Names follow Beancount's five roots so an export opens in Fava unchanged. Balances are
signed the double-entry way: debits positive, credits negative; so assets and expenses are
normally positive, savings owed to members and income normally negative.

| account | commodity | what it holds |
|---|---|---|
| ``Assets:Cash`` | BDT | the cash box |
| ``Assets:RiceStock`` | RICE | the pooled rice sack, in grams |
| ``Assets:Receivable:M007`` | BDT | what member 7 owes for rice bought on credit |
| ``Assets:Loans:M007`` | BDT | principal member 7 owes on loans from the group fund |
| ``Income:ServiceCharge`` | BDT | service charge paid on loans |
| ``Expenses:LoanWriteOffs`` | BDT | loan principal written off |
| ``Assets:Fines:M007`` | BDT | fines member 7 owes for late instalments |
| ``Income:Fines`` | BDT | fines charged for late instalments |
| ``Liabilities:DueToBank:Krishi-Bank`` | BDT | (platform) collected for a bank, not paid over |
| ``Liabilities:DueToPartner:P2`` | BDT | (platform) partner 2's share of income, not paid over |
| ``Income:Agreements:A2`` | BDT | (platform) the cluster members' share of agreement 2's income |
| ``Expenses:Agreements:A1`` | BDT | (platform) paid under agreement 1 (a guard's wages) |
| ``Liabilities:Savings:Rice:M007`` | RICE | member 7's handful-of-rice savings |
| ``Liabilities:Savings:Cash:M007`` | BDT | member 7's cash savings |
| ``Equity:Conversions:Rice`` | RICE, BDT | rice sold (grams) against what it fetched (taka) |
| ``Income:Grants`` | BDT | grants and donations |
| ``Assets:WelfareFund`` | BDT | the welfare fund, kept apart from the cash box |
| ``Income:WelfareGifts`` | BDT | gifts given for welfare |
| ``Expenses:Welfare:Burial`` | BDT | welfare paid out, by use |
| ``Income:Activities:Vermicompost`` | BDT | revenue of an income-generating activity |
| ``Expenses:Activities:Vermicompost`` | BDT | costs of an income-generating activity |
| ``Expenses:Stationery`` | BDT | other expenses, by category |
| ``Equity:SharedOut:Surplus`` | BDT | cycles' surpluses credited to members at share-out |
| ``Equity:SharedOut:RiceSold`` | RICE, BDT | rice sold in a cycle, settled to its savers in taka |
"""

from __future__ import annotations

import re
from functools import cache

from coopledger.errors import InvalidInput

CASH = "Assets:Cash"
RICE_STOCK = "Assets:RiceStock"
RECEIVABLE = "Assets:Receivable"
RICE_SAVINGS = "Liabilities:Savings:Rice"
CASH_SAVINGS = "Liabilities:Savings:Cash"
RICE_CONVERSION = "Equity:Conversions:Rice"
GRANTS = "Income:Grants"
LOANS = "Assets:Loans"
SERVICE_CHARGE = "Income:ServiceCharge"
WRITE_OFFS = "Expenses:LoanWriteOffs"
FINES = "Assets:Fines"
FINE_INCOME = "Income:Fines"
DUE_TO_BANK = "Liabilities:DueToBank"
DUE_TO_PARTNER = "Liabilities:DueToPartner"
ACTIVITY_INCOME = "Income:Activities"
ACTIVITY_COSTS = "Expenses:Activities"
EXPENSES = "Expenses"
INCOME = "Income"
#: A cycle's share-out (``coopledger.shareout``): the surplus credited to members' savings,
#: and the rice sold during the cycle settled to its savers in taka.
SHARED_SURPLUS = "Equity:SharedOut:Surplus"
SHARED_RICE = "Equity:SharedOut:RiceSold"
WELFARE_FUND = "Assets:WelfareFund"
WELFARE_GIFTS = "Income:WelfareGifts"
WELFARE_USES = "Expenses:Welfare"

_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@cache
def member_code(member_no: int) -> str:
    """``7`` -> ``'M007'``: a member's part of an account name."""
    return f"M{member_no:03d}"


@cache
def member_of(account: str) -> int | None:
    """The member number in a member account, or None."""
    last = account.rsplit(":", 1)[-1]
    members = (RECEIVABLE, RICE_SAVINGS, CASH_SAVINGS, LOANS, FINES)
    if account.startswith(members) and last[1:].isdigit():
        return int(last[1:])
    return None


def check_slug(field: str, value: str) -> str:
    """Activity names and expense categories are lower-case words joined by hyphens."""
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > 40:
        raise InvalidInput(
            field, value, "use lower-case letters, digits and hyphens, e.g. 'vermicompost'"
        )
    return value


def component(slug: str) -> str:
    """``'guard-wages'`` -> ``'Guard-Wages'`` (a valid Beancount account component)."""
    return "-".join(part[:1].upper() + part[1:] for part in slug.split("-"))


@cache
def receivable(member_no: int) -> str:
    return f"{RECEIVABLE}:{member_code(member_no)}"


@cache
def loan(member_no: int) -> str:
    return f"{LOANS}:{member_code(member_no)}"


@cache
def fines(member_no: int) -> str:
    """Fines member ``member_no`` owes for late instalments."""
    return f"{FINES}:{member_code(member_no)}"


def lender_slug(lender: str) -> str:
    """``'Krishi Bank, Jaldhaka'`` -> ``'krishi-bank-jaldhaka'``."""
    words = "".join(c.lower() if c.isalnum() else " " for c in lender).split()
    return "-".join(words) or "bank"


def due_to_bank(lender: str) -> str:
    """What the platform holds for a bank: collected from borrowers, not yet paid over."""
    return f"{DUE_TO_BANK}:{component(lender_slug(lender))}"


def due_to_partner(partner_no: int) -> str:
    """What the platform owes partner ``partner_no`` of its register (its share of income
    under an agreement), not yet paid over."""
    return f"{DUE_TO_PARTNER}:P{partner_no}"


@cache
def rice_savings(member_no: int) -> str:
    return f"{RICE_SAVINGS}:{member_code(member_no)}"


@cache
def cash_savings(member_no: int) -> str:
    return f"{CASH_SAVINGS}:{member_code(member_no)}"


def activity_income(activity: str) -> str:
    return f"{ACTIVITY_INCOME}:{component(activity)}"


def activity_costs(activity: str) -> str:
    return f"{ACTIVITY_COSTS}:{component(activity)}"


def expense(category: str) -> str:
    return f"{EXPENSES}:{component(category)}"


def activity_of(account: str) -> str | None:
    """``'Income:Activities:Vermicompost'`` -> ``'vermicompost'``."""
    for root in (ACTIVITY_INCOME, ACTIVITY_COSTS):
        if account.startswith(root + ":"):
            return account[len(root) + 1 :].lower()
    return None


@cache
def is_guarded(account: str) -> bool:
    """Accounts whose balance may never cross zero on any business date (a platform
    cannot pay a bank more than it collected for it)."""
    return account in (CASH, RICE_STOCK, WELFARE_FUND) or account.startswith(
        (
            RECEIVABLE + ":",
            RICE_SAVINGS + ":",
            CASH_SAVINGS + ":",
            LOANS + ":",
            DUE_TO_BANK + ":",
            DUE_TO_PARTNER + ":",
            FINES + ":",
        )
    )


@cache
def is_kept(account: str) -> bool:
    """Accounts whose day-by-day balance a stream's state keeps: the guarded ones, and each
    activity's costs and income (a joint review counts them over the activity's months)."""
    return is_guarded(account) or activity_of(account) is not None


@cache
def kept_key(account: str, commodity: str) -> str | None:
    """The name of the timeline a group's state keeps for postings to ``account`` in
    ``commodity``, or None: the kept accounts by their name; every income and expense
    account too, and each equity account per commodity (``Equity:Conversions:Rice/BDT``),
    so that a cycle's close reads the cycle's surplus from the state its rules read."""
    if is_kept(account) or account.startswith((INCOME + ":", EXPENSES + ":")):
        return account
    if account.startswith("Equity:"):
        return f"{account}/{commodity}"
    return None


@cache
def normal_sign(account: str) -> int:
    """+1 for accounts normally in debit (assets, expenses), -1 for the others."""
    return 1 if account.startswith(("Assets", "Expenses")) else -1
