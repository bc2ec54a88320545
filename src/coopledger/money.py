"""Units of the books: taka to the paisa and rice to the gram, never floats.

Taka travel through the API and the events as :class:`~decimal.Decimal` with at most two
decimal places; inside the ledger they are counted as whole paisa (``int``). Rice is always
a whole number of grams. No amount in the books reaches a thousand billion taka
(:data:`MAX_TAKA`); larger numbers are refused as input mistakes.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from coopledger.errors import InvalidInput
from coopledger.i18n import _

PAISA = Decimal("0.01")
TAKA = "BDT"
RICE = "RICE"
COMMODITIES = (TAKA, RICE)
MAX_TAKA = Decimal("999999999999.99")
MAX_GRAMS = 10_000_000_000


def to_taka(value: Any, field: str = "taka") -> Decimal:
    """Parse ``value`` as an amount of taka with at most two decimals (floats refused)."""
    if isinstance(value, float):
        raise InvalidInput(field, value, _("give taka as text or Decimal, not a float"))
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidInput(field, value, _("is not an amount of taka"))
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(field, value, _("is not an amount of taka")) from None
    if not amount.is_finite() or abs(amount) > MAX_TAKA:
        raise InvalidInput(field, value, _("is not an amount of taka"))
    try:
        rounded = amount.quantize(PAISA)
    except InvalidOperation:
        raise InvalidInput(field, value, _("is not an amount of taka")) from None
    if amount != rounded:
        raise InvalidInput(field, value, _("taka have at most two decimals (paisa)"))
    return rounded


#: Amounts of taka already converted (a ledger's amounts repeat: prices, usual savings):
#: a look-up is a tenth of the cost of the arithmetic. Bounded, so memory stays flat.
_PAISA: dict[Decimal, int] = {}
_PAISA_MAX = 50_000


def paisa(taka: Decimal) -> int:
    """Whole paisa in an amount of taka."""
    found = _PAISA.get(taka)
    if found is None:
        found = int((taka * 100).to_integral_value())
        if len(_PAISA) < _PAISA_MAX:
            _PAISA[taka] = found
    return found


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
