"""Words and numbers in the reader's language: Bangla or English, through gettext catalogs.

Text the ledger shows people (refusals, passbook wording, report headings) is written in
English and marked with :func:`_`, which returns a lazy :class:`Message`: a gettext msgid
with named parameters. It becomes text only when it is shown, in the reader's language::

    >>> from datetime import date
    >>> from decimal import Decimal
    >>> m = _("the cash box holds {cash} on {day}", cash=taka(Decimal("123456.5")),
    ...       day=date(2016, 1, 8))
    >>> m.render(Reader("en"))
    'the cash box holds 1,23,456.50 Tk on 8 January 2016'
    >>> m.render(Reader("en", digits="beng"))
    'the cash box holds ১,২৩,৪৫৬.৫০ Tk on ৮ January ২০১৬'

Numbers use the Indian-subcontinent grouping (1,23,456.78) in both languages, with Latin or
Bengali digits as the reader chooses; dates are written in the reader's language. Parameters
wrapped with :func:`taka` and :func:`grams` are formatted as money and weight.

Catalogs live in ``coopledger/locale/<lang>/LC_MESSAGES/coopledger.po`` (compiled to
``.mo``); Babel extracts the messages (see ``docs/languages.md``).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

LANGUAGES = ("bn", "en")
DEFAULT_LANGUAGE = "en"
DIGITS = ("latn", "beng")
_BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
#: Babel locales: Bangla as spoken in Bangladesh; English with the subcontinent's grouping.
BABEL_LOCALES = {"bn": "bn_BD", "en": "en_IN"}
LOCALE_DIR = Path(__file__).parent / "locale"


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: a language (``bn`` or ``en``) and the digits she reads (``latn``/``beng``)."""

    lang: str = DEFAULT_LANGUAGE
    digits: str = "latn"

    @classmethod
    def of(cls, lang: str | None, digits: str | None = None) -> Reader:
        """A reader from loosely given settings (unknown values fall back to English/Latin)."""
        lang = (lang or "").split("-")[0].split("_")[0].lower()
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        return cls(lang, digits if digits in DIGITS else "latn")

    @property
    def babel_locale(self) -> str:
        return BABEL_LOCALES[self.lang]

    def gettext(self, msgid: str, catalog: Catalog | None = None) -> str:
        return translations(self.lang, *(catalog or ())).gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int, catalog: Catalog | None = None) -> str:
        return translations(self.lang, *(catalog or ())).ngettext(singular, plural, n)

    def digits_of(self, text: str) -> str:
        """``text`` with its digits in the reader's script."""
        return text.translate(_BENGALI) if self.digits == "beng" else text


ENGLISH = Reader()


@cache
def translations(
    lang: str, domain: str = "coopledger", localedir: str = str(LOCALE_DIR)
) -> gettext.NullTranslations:
    """The compiled catalog of ``domain`` for ``lang`` (English: the msgids themselves)."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(domain, localedir, languages=[lang], fallback=True)


@dataclass(frozen=True, slots=True)
class Taka:
    """An amount of money to show (``Decimal`` taka)."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Grams:
    """A weight of rice to show (whole grams, shown in kilograms)."""

    value: int


def taka(value: Decimal | int) -> Taka:
    """Mark a message parameter as money (an ``int`` is taken as paisa)."""
    return Taka(Decimal(value) / 100 if isinstance(value, int) else value)


def grams(value: int) -> Grams:
    """Mark a message parameter as a weight of rice in grams."""
    return Grams(value)


def number(value: Decimal | int, reader: Reader = ENGLISH, *, places: int = 0) -> str:
    """``123456.5`` -> ``1,23,456.50`` (``places`` decimals), in the reader's digits.

    What Babel's ``format_decimal`` with the pattern ``#,##,##0.00`` gives (the same
    symbols, the same rounding: the context's, half to even; a negative zero keeps its
    sign), without parsing the pattern and the locale on every call: a dashboard writes
    a few hundred numbers. ``tests/test_number_format.py`` compares the two."""
    value = value if isinstance(value, Decimal) else Decimal(value)
    if not value.is_finite():
        return reader.digits_of(_babel_number(value, reader.babel_locale, places))
    point, group, minus = _symbols(reader.babel_locale)
    whole, _, frac = f"{value.quantize(_quantum(places)):f}".lstrip("-").partition(".")
    if len(whole) > 3:  # the subcontinent's grouping: 12,34,567
        head, groups = whole[:-3], [whole[-3:]]
        while head:
            groups.append(head[-2:])
            head = head[:-2]
        whole = group.join(reversed(groups))
    text = f"{whole}{point}{frac}" if places else whole
    return reader.digits_of(f"{minus}{text}" if value.is_signed() else text)


@cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


@cache
def _symbols(locale: str) -> tuple[str, str, str]:
    """The decimal point, the group separator and the minus sign of a Babel locale."""
    from babel.numbers import (  # noqa: PLC0415 - Babel loads its data lazily
        get_decimal_symbol,
        get_group_symbol,
        get_minus_sign_symbol,
    )

    return get_decimal_symbol(locale), get_group_symbol(locale), get_minus_sign_symbol(locale)


def _babel_number(value: Decimal, locale: str, places: int) -> str:
    """Babel's own formatting (infinities and NaN, and the tests' reference)."""
    from babel.numbers import format_decimal  # noqa: PLC0415

    pattern = "#,##,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale, decimal_quantization=True)


def money(value: Decimal, reader: Reader = ENGLISH, *, sign: bool = True) -> str:
    """Taka to the paisa with the subcontinent's grouping; ``sign`` adds the taka sign where
    the reader expects it (``1,234.50 Tk`` in English, ``১,২৩৪.৫০ ৳`` in Bangla)."""
    text = number(value, reader, places=2)
    if not sign:
        return text
    return f"{text} ৳" if reader.lang == "bn" else f"{text} Tk"


def weight(value: int, reader: Reader = ENGLISH) -> str:
    """Grams of rice in kilograms to the gram: ``1750`` -> ``1.750 kg`` (``কেজি`` in Bangla)."""
    kg = number(Decimal(value) / 1000, reader, places=3)
    return f"{kg} কেজি" if reader.lang == "bn" else f"{kg} kg"


def day(value: date, reader: Reader = ENGLISH, *, form: str = "long") -> str:
    """A date in the reader's language (``8 January 2016``, ``৮ জানুয়ারী ২০১৬``)."""
    return reader.digits_of(_babel_day(value, form, reader.babel_locale))


@lru_cache(maxsize=8192)
def _babel_day(value: date, form: str, locale: str) -> str:
    """Babel's date, kept: a passbook page writes 150 dates, most of them again and again."""
    from babel.dates import format_date  # noqa: PLC0415

    return format_date(value, format=form, locale=locale)


def show(value: Any, reader: Reader = ENGLISH) -> str:
    """A message parameter as text for the reader."""
    if isinstance(value, Taka):
        return money(value.value, reader)
    if isinstance(value, Grams):
        return weight(value.value, reader)
    if isinstance(value, datetime):
        return reader.digits_of(value.isoformat(sep=" ", timespec="minutes"))
    if isinstance(value, date):
        return day(value, reader)
    if isinstance(value, Message):
        return value.render(reader)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return reader.digits_of(str(value))
    if isinstance(value, Decimal):
        return reader.digits_of(str(value))
    return str(value)


class Catalog(NamedTuple):
    """Where a plugin's translations are: its gettext domain and its ``locale`` folder."""

    domain: str
    localedir: str


class Message:
    """A text to show, translated when it is rendered (gettext msgid and named parameters;
    ``catalog``: a plugin's own, else the library's)."""

    __slots__ = ("catalog", "msgid", "n", "params", "plural")

    def __init__(
        self,
        msgid: str,
        /,
        *,
        plural: str | None = None,
        n: int | None = None,
        catalog: Catalog | None = None,
        **params: Any,
    ) -> None:
        self.msgid = msgid
        self.plural = plural
        self.n = n
        self.catalog = catalog
        self.params = params

    def render(self, reader: Reader = ENGLISH) -> str:
        if self.plural is not None and self.n is not None:
            template = reader.ngettext(self.msgid, self.plural, self.n, self.catalog)
        else:
            template = reader.gettext(self.msgid, self.catalog)
        shown = {k: show(v, reader) for k, v in self.params.items()}
        if self.n is not None:
            shown.setdefault("n", show(self.n, reader))
        return template.format(**shown)

    def __str__(self) -> str:
        return self.render(ENGLISH)

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (
            self.msgid,
            self.plural,
            self.n,
            self.catalog,
            self.params,
        ) == (other.msgid, other.plural, other.n, other.catalog, other.params)

    def __hash__(self) -> int:
        return hash((self.msgid, self.plural, self.n))


def _(msgid: str, /, **params: Any) -> Message:
    """Mark ``msgid`` for translation (Babel extracts it); returns a lazy :class:`Message`."""
    return Message(msgid, **params)


def ngettext_(singular: str, plural: str, n: int, /, **params: Any) -> Message:
    """A message whose wording depends on a count ``n`` (``{n}`` is available to it)."""
    return Message(singular, plural=plural, n=n, **params)


def messages(domain: str, localedir: str | Path) -> Callable[..., Message]:
    """A plugin's own ``_``: its messages are looked up in its own catalog (``domain``.mo
    under ``localedir``), compiled by ``./dev catalogs`` like the library's::

        _ = messages("coopledger_vermicompost", Path(__file__).parent / "locale")
    """
    catalog = Catalog(domain, str(localedir))

    def mark(msgid: str, /, **params: Any) -> Message:
        return Message(msgid, catalog=catalog, **params)

    return mark


def render(text: Message | str, reader: Reader = ENGLISH) -> str:
    """A message or a plain string, as the reader should see it."""
    return text.render(reader) if isinstance(text, Message) else text
