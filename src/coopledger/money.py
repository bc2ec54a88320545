"""Units of the books: taka to the paisa and rice to the gram, never floats.

Taka travel through the API and the events as :class:`~decimal.Decimal` with at most two
decimal places; inside the ledger they are counted as whole paisa (``int``). Rice is always
a whole number of grams.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from coopledger.errors import InvalidInput

PAISA = Decimal("0.01")
TAKA = "BDT"
RICE = "RICE"
COMMODITIES = (TAKA, RICE)


def to_taka(value: Any, field: str = "taka") -> Decimal:
    """Parse ``value`` as an amount of taka with at most two decimals (floats refused)."""
    if isinstance(value, float):
        raise InvalidInput(field, value, "give taka as text or Decimal, not a float")
    if isinstance(value, bool):
        raise InvalidInput(field, value, "is not an amount of taka")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(field, value, "is not an amount of taka") from None
    if not amount.is_finite():
        raise InvalidInput(field, value, "is not an amount of taka")
    if amount != amount.quantize(PAISA):
        raise InvalidInput(field, value, "taka have at most two decimals (paisa)")
    return amount.quantize(PAISA)


def paisa(taka: Decimal) -> int:
    """Whole paisa in an amount of taka."""
    return int((taka * 100).to_integral_value())


def taka(paisa_amount: int) -> Decimal:
    """An amount of taka from whole paisa."""
    return (Decimal(paisa_amount) / 100).quantize(PAISA)


def sale_value(grams: int, taka_per_kg: Decimal) -> Decimal:
    """What ``grams`` of rice cost at ``taka_per_kg``, rounded half up to the paisa."""
    return (Decimal(grams) * taka_per_kg / 1000).quantize(PAISA, rounding=ROUND_HALF_UP)


def format_taka(amount: Decimal | int) -> str:
    """``1234.5`` -> ``'1,234.50'`` (an int is taken as paisa)."""
    value = taka(amount) if isinstance(amount, int) else amount
    return f"{value:,.2f}"


def format_grams(grams: int) -> str:
    """``12345`` -> ``'12.345 kg'``."""
    sign = "-" if grams < 0 else ""
    kg, g = divmod(abs(grams), 1000)
    return f"{sign}{kg:,}.{g:03d} kg"
