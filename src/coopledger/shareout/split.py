"""Sharing a whole number (paisa, grams) among members by weight, exactly.

Each member's exact part is ``amount * weight / total weight``; she gets its whole part,
and the units left over (fewer than the number of members) go one each to the members with
the largest fractional parts, ties to the lower member number (the largest remainder, or
Hamilton, method). The parts always add up to the amount. Weights are integers (paisa-days,
grams) or fractions; no float is involved anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from fractions import Fraction


def largest_remainder(amount: int, weights: Mapping[int, Fraction | int]) -> dict[int, int]:
    """``amount`` shared by ``weights`` (member number -> weight, none negative): every
    member in ``weights`` gets a part, the parts sum to ``amount``. A negative amount (a
    loss) is shared as its size and every part negated. Nothing to share by (all weights
    zero) gives every member zero; the caller refuses that when ``amount`` is not zero."""
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if total == 0:
        return dict.fromkeys(weights, 0)
    sign, size = (1, amount) if amount >= 0 else (-1, -amount)
    exact = {no: size * Fraction(w) / total for no, w in weights.items()}
    parts = {no: int(q) for no, q in exact.items()}  # int() of a Fraction >= 0 is its floor
    left = size - sum(parts.values())
    order = sorted(exact, key=lambda no: (-(exact[no] - parts[no]), no))
    for no in order[:left]:
        parts[no] += 1
    return {no: sign * part for no, part in parts.items()}


def amount_days(opening: int, moves: Iterable[tuple[str, int]], first: date, last: date) -> int:
    """The sum, over each day from ``first`` to ``last`` (both counted), of a balance at the
    end of that day: ``opening`` is the balance before ``first``, ``moves`` its net movement
    by ISO day (days outside the range are ignored). Paisa-days for cash savings, gram-days
    for rice: what a saver kept in the group over the cycle (Fineract's average daily
    balance times the days; VSLA's share-weeks, counted by the day)."""
    days = (last - first).days + 1
    total = opening * days
    lo, hi = first.isoformat(), last.isoformat()
    for day, amount in moves:
        if lo <= day <= hi:
            total += amount * ((last - date.fromisoformat(day)).days + 1)
    return total
