"""The fast number formatting of ``coopledger.i18n.number`` writes what Babel's
``format_decimal`` writes, for every locale, digits and number of places the pages use."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.i18n import Reader, _babel_number, day, money, number, weight

READERS = [Reader("en"), Reader("bn"), Reader("en", "beng"), Reader("bn", "beng")]
EDGES = [
    "0", "-0", "0.005", "0.015", "0.025", "-0.001", "-0.005", "1", "12", "123", "1234",
    "12345", "123456", "1234567", "-1234567.125", "99999.995", "1e-10", "1E+5",
    "123456789012.5", "-999.9995", "0.5", "1.5", "2.5", "-2.5",
]  # fmt: skip


def babel(value: Decimal, reader: Reader, places: int) -> str:
    return reader.digits_of(_babel_number(value, reader.babel_locale, places))


def test_edges_as_babel_writes_them() -> None:
    for text in EDGES:
        for reader in READERS:
            for places in (0, 1, 2, 3):
                value = Decimal(text)
                assert number(value, reader, places=places) == babel(value, reader, places), (
                    text,
                    reader,
                    places,
                )


@settings(max_examples=400, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    st.sampled_from(READERS),
    st.integers(min_value=0, max_value=3),
)
def test_any_amount_as_babel_writes_it(value: Decimal, reader: Reader, places: int) -> None:
    assert number(value, reader, places=places) == babel(value, reader, places)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(READERS))
def test_whole_numbers_money_and_weight(value: int, reader: Reader) -> None:
    assert number(value, reader) == babel(Decimal(value), reader, 0)
    assert money(Decimal(value) / 100, reader, sign=False) == babel(Decimal(value) / 100, reader, 2)
    assert weight(value, reader).split(" ")[0] == babel(Decimal(value) / 1000, reader, 3)


def test_infinity_is_left_to_babel() -> None:
    assert number(Decimal("Infinity"), Reader("en")) == babel(Decimal("Infinity"), Reader("en"), 0)


def test_kept_dates_are_babel_dates() -> None:
    for reader in READERS:
        for form in ("long", "medium", "short"):
            d = date(2016, 1, 8)
            expected = reader.digits_of(format_date(d, format=form, locale=reader.babel_locale))
            assert day(d, reader, form=form) == expected
            assert day(d, reader, form=form) == expected  # the second time from the cache
