"""The reader of each page: Bangla or English, Bengali or Latin digits.

A person chooses the language and the digits with the switch in every page's header (plain
links to ``/language``, so it works without JavaScript); the choice is kept in long-lived
cookies on her device. Until she chooses, the language is negotiated from the browser's
``Accept-Language`` (Babel's ``negotiate_locale``) and Bangla readers get Bengali digits.

Templates translate through gettext catalogs (``jinja2.ext.i18n``: ``{% trans %}`` and
``_()``): the web's own ``coopweb`` domain, then each plugin's (the ``coopweb_catalogs``
hook), then the library's ``coopledger`` domain. Filters show values in the reader's
language and digits: ``taka`` (``1,23,456.50``), ``money`` (with the taka sign), ``kg``,
``number``, ``day`` and ``tr`` (a library :class:`~coopledger.i18n.Message` or refusal).

Python code that builds text during a request (chart labels, form errors) reads the
request's reader with :func:`current_reader`.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import negotiate_locale
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar import Request, get
from litestar.enums import ScopeType
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from coopledger.i18n import (
    DEFAULT_LANGUAGE,
    DIGITS,
    ENGLISH,
    LANGUAGES,
    Catalog,
    Message,
    Reader,
    day,
    messages,
    money,
    number,
    taka,
    weight,
)
from coopledger.i18n import LOCALE_DIR as LEDGER_LOCALE
from coopledger.kernel.storage import Database

LOCALE_DIR = Path(__file__).parent / "locale"
#: The web's own catalog (templates and coopweb's Python).
CATALOG = Catalog("coopweb", str(LOCALE_DIR))
LANG_COOKIE = "coopledger-lang"
DIGITS_COOKIE = "coopledger-digits"
#: How long the choice is remembered on the device (a year).
COOKIE_AGE = 365 * 24 * 3600
#: The language names as their readers write them, for the switch.
NAMES = {"bn": "বাংলা", "en": "English"}

_text = messages(CATALOG.domain, CATALOG.localedir)
_reader: ContextVar[Reader] = ContextVar("coopweb_reader", default=ENGLISH)


def text(msgid: str, /, **params: Any) -> Message:
    """A message of the web's own catalog (``coopweb``), rendered in the reader's language."""
    return _text(msgid, **params)


def mark(msgid: str) -> str:
    """Mark a string for extraction only (nav labels, panel titles): templates translate it
    when they show it (``{{ _(label) }}``)."""
    return msgid


def say(msgid: str, /, **params: Any) -> str:
    """A message of the web's catalog as text for the request's reader (chart labels)."""
    return text(msgid, **params).render(current_reader())


#: Words the books store as codes and pages show translated (``{{ _(group.kind) }}``).
WORDS = (
    *(mark("women"), mark("men"), mark("mixed")),
    *(mark("monday"), mark("tuesday"), mark("wednesday"), mark("thursday")),
    *(mark("friday"), mark("saturday"), mark("sunday")),
    *(mark("leader"), mark("cashier"), mark("secretary")),
    *(mark("cluster-representative"), mark("female-mentor")),
    *(mark("animator"), mark("manager"), mark("auditor"), mark("admin")),
    *(mark("extreme-poor"), mark("poor"), mark("middle"), mark("better-off")),
    *(mark("female"), mark("male"), mark("other")),
)


# ---------------------------------------------------------------------- preferences
class Preferences:
    """Each account's chosen language and digits, in the ledger's database: her choice
    follows her to another device (where no cookie says otherwise yet)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.db.execute(
            [
                "CREATE TABLE IF NOT EXISTS " + db.table("cw_preferences") + " ("
                "username TEXT PRIMARY KEY, lang TEXT NOT NULL, digits TEXT NOT NULL)"
            ]
        )

    def get(self, username: str) -> dict[str, str]:
        """``{LANG_COOKIE: ..., DIGITS_COOKIE: ...}`` as saved for ``username`` (or empty)."""
        rows = self.db.query(
            f"SELECT lang, digits FROM {self.db.table('cw_preferences')} WHERE username = ?",
            (username,),
        )
        return {LANG_COOKIE: rows[0]["lang"], DIGITS_COOKIE: rows[0]["digits"]} if rows else {}

    def save(self, username: str, reader: Reader) -> None:
        t = self.db.table("cw_preferences")
        with self.db.cursor(commit=True) as c:
            c.execute(self.db.sql(f"DELETE FROM {t} WHERE username = ?"), (username,))
            c.execute(
                self.db.sql(f"INSERT INTO {t} (username, lang, digits) VALUES (?, ?, ?)"),
                (username, reader.lang, reader.digits),
            )


# ---------------------------------------------------------------------- who reads
def accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first."""
    found: list[tuple[Decimal, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = Decimal(1)
        for p in params.split(";"):
            name, _eq, value = p.strip().partition("=")
            if name == "q":  # a weight from 0 to 1 (read exactly, as everything here)
                try:
                    q = Decimal(value.strip())
                except InvalidOperation:
                    q = Decimal(0)
                if not q.is_finite():
                    q = Decimal(0)
        if tag and q > 0:
            found.append((-q, i, tag.strip()))
    return [tag for _q, _i, tag in sorted(found)]


def choose(cookies: dict[str, str], accept_language: str) -> Reader:
    """The reader from her saved choice, else from her browser's languages."""
    lang = cookies.get(LANG_COOKIE, "")
    if lang not in LANGUAGES:
        lang = negotiate_locale(accepted(accept_language), list(LANGUAGES), sep="-") or "en"
    digits = cookies.get(DIGITS_COOKIE, "")
    if digits not in DIGITS:
        digits = "beng" if lang == "bn" else "latn"
    return Reader.of(lang, digits)


def _from_scope(scope: Any) -> Reader:
    """The reader from the request's cookies, else her account's saved choice, else her
    browser's languages."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header: no saved choice
        jar = SimpleCookie()
    saved = {k: m.value for k, m in jar.items()}
    if LANG_COOKIE not in saved:
        saved = {**_account_choice(scope), **saved}
    return choose(saved, headers.get("accept-language", ""))


def _account_choice(scope: Any) -> dict[str, str]:
    session = scope.get("session")
    username = session.get("user") if isinstance(session, dict) else None
    app = scope.get("app")
    preferences = getattr(getattr(app, "state", None), "preferences", None)
    if not username or preferences is None:
        return {}
    found: dict[str, str] = preferences.get(username)
    return found


def reader_of(request: Any) -> Reader:
    """The reader of a request (worked out once per request)."""
    state = request.scope.setdefault("state", {})
    found = state.get("coopweb_reader")
    if found is None:
        found = state["coopweb_reader"] = _from_scope(request.scope)
    return found  # type: ignore[no-any-return]


def chosen(request: Any) -> bool:
    """Whether the reader chose her language (a cookie, or her account), not just her
    browser."""
    return LANG_COOKIE in request.cookies or bool(_account_choice(request.scope))


def read_as(request: Any, reader: Reader) -> None:
    """Answer this request for ``reader`` (a page with a language of its own)."""
    request.scope.setdefault("state", {})["coopweb_reader"] = reader


def current_reader() -> Reader:
    """The reader of the request being answered (English outside a request)."""
    return _reader.get()


def middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: the request's reader is :func:`current_reader` while it is answered."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", ScopeType.HTTP):
            await app(scope, receive, send)
            return
        found = _from_scope(scope)
        scope.setdefault("state", {})["coopweb_reader"] = found
        token = _reader.set(found)
        try:
            await app(scope, receive, send)
        finally:
            _reader.reset(token)

    return call


def switch_url(path: str, query: str, **choice: str) -> str:
    """The link that saves a choice and comes back to the page it was made on."""
    back = path + ("?" + query if query else "")
    return "/language?" + urlencode({**choice, "next": back})


def safe_next(value: str) -> str:
    """Where to go back after a choice: only a path of this site."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/groups"
    return value


# ---------------------------------------------------------------------- templates
@cache
def web_translations(lang: str, catalogs: tuple[Catalog, ...]) -> gettext.NullTranslations:
    """The web's catalog, then the plugins', then the library's, for ``lang`` (English: the
    msgids themselves)."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    found = [CATALOG, *catalogs, Catalog("coopledger", str(LEDGER_LOCALE))]
    # gettext.translation returns a copy of its cached catalog: the chain is ours alone.
    chain = gettext.translation(found[0].domain, found[0].localedir, [lang], fallback=True)
    for c in found[1:]:
        chain.add_fallback(gettext.translation(c.domain, c.localedir, [lang], fallback=True))
    return chain


def _context_reader(context: Context) -> Reader:
    request = context.get("request")
    return reader_of(request) if request is not None else current_reader()


def shown(value: Any, reader: Reader) -> str:
    """A message, a refusal or plain text in the reader's language."""
    if isinstance(value, Message):
        return value.render(reader)
    render = getattr(value, "render", None)
    if callable(render) and not isinstance(value, str):
        return str(render(reader))
    return "" if value is None else str(value)


@pass_context
def _taka(context: Context, value: Decimal | int | None) -> str:
    """Taka to the paisa without the sign (an ``int`` is paisa): ``1,23,456.50``."""
    if value is None:
        return ""
    return money(taka(value).value, _context_reader(context), sign=False)


@pass_context
def _money(context: Context, value: Decimal | int | None) -> str:
    """Taka with the sign the reader expects: ``1,234.50 Tk``, ``১,২৩৪.৫০ ৳``."""
    if value is None:
        return ""
    return money(taka(value).value, _context_reader(context))


@pass_context
def _kg(context: Context, grams: int | None) -> str:
    """Grams of rice in kilograms: ``1.750 kg``, ``১.৭৫০ কেজি``."""
    return "" if grams is None else weight(int(grams), _context_reader(context))


@pass_context
def _number(context: Context, value: Decimal | int | None, places: int = 0) -> str:
    """A count or a quantity with the subcontinent's grouping in the reader's digits."""
    if value is None or value == "":
        return ""
    return number(Decimal(value), _context_reader(context), places=places)


@pass_context
def _day(context: Context, value: date | str | None, form: str = "medium") -> str:
    """A date in the reader's language (a time: ``2016-01-08 18:00`` in her digits)."""
    if value is None or value == "":
        return ""
    who = _context_reader(context)
    if isinstance(value, datetime):
        return who.digits_of(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, str):
        typed = value
        try:
            value = date.fromisoformat(typed)
        except ValueError:
            return typed  # shown as typed
    return day(value, who, form=form)


@pass_context
def _tr(context: Context, value: Any) -> str:
    """A library message, a refusal or plain text in the reader's language."""
    return shown(value, _context_reader(context))


@pass_context
def _digits(context: Context, value: Any) -> str:
    """Text (a month, a percentage) with its digits in the reader's script."""
    return _context_reader(context).digits_of("" if value is None else str(value))


@pass_context
def _language(context: Context) -> dict[str, Any]:
    """What the header's switch needs: the reader and the links that change her choice."""
    request = context.get("request")
    who = _context_reader(context)
    path = request.url.path if request is not None else "/groups"
    query = request.url.query if request is not None else ""
    return {
        "lang": who.lang,
        "digits": who.digits,
        "languages": [
            (code, NAMES[code], switch_url(path, query, lang=code)) for code in LANGUAGES
        ],
        "digit_choices": [
            (code, label, switch_url(path, query, digits=code))
            for code, label in (("beng", "০১২"), ("latn", "012"))
        ],
    }


FILTERS = {
    "taka": _taka,
    "money": _money,
    "kg": _kg,
    "grams": _kg,
    "number": _number,
    "day": _day,
    "tr": _tr,
    "digits": _digits,
}


def install(env: Environment, catalogs: Iterable[Catalog]) -> None:
    """Give ``env`` gettext in the reader's language (the web's catalog, then the plugins'
    ``catalogs``, then the library's) and the filters that show values."""
    found = tuple(catalogs)

    @pass_context
    def gettext_(context: Context, message: str) -> str:
        return web_translations(_context_reader(context).lang, found).gettext(message)

    @pass_context
    def ngettext_(context: Context, singular: str, plural: str, n: int) -> str:
        words = web_translations(_context_reader(context).lang, found)
        return words.ngettext(singular, plural, n)

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(FILTERS)
    env.globals["language"] = _language


@get("/language", include_in_schema=False)
async def choose_language(request: Request[Any, Any, Any]) -> Redirect:
    """Save the language (``lang=bn|en``) and/or the digits (``digits=beng|latn``) chosen
    with the header's switch, and go back to the page (``next``)."""
    q = request.query_params
    response = Redirect(safe_next(q.get("next", "")))
    secure = request.url.scheme == "https"
    lang, digits = q.get("lang", ""), q.get("digits", "")
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=COOKIE_AGE, httponly=True, samesite="lax", secure=secure
        )
        if digits not in DIGITS:  # a new language brings its usual digits
            digits = "beng" if lang == "bn" else "latn"
    if digits in DIGITS:
        response.set_cookie(
            DIGITS_COOKIE, digits, max_age=COOKIE_AGE, httponly=True, samesite="lax", secure=secure
        )
    username = request.session.get("user") if request.scope.get("session") else None
    preferences = getattr(request.app.state, "preferences", None)
    if username and preferences is not None and (lang in LANGUAGES or digits in DIGITS):
        now = reader_of(request)  # what she read until now, changed as she asks
        preferences.save(
            username,
            Reader.of(lang if lang in LANGUAGES else now.lang, digits or now.digits),
        )
    return response
