"""The Litestar application: staff pages (Jinja2 + htmx) over a :class:`coopledger.Ledger`.

Handlers read the request, call the ledger or its reports, and render; every rule of the
books stays in coopledger. ``create_app(ledger)`` is the factory.

Nothing that waits on the database, a file or Argon2 runs on the event loop: page handlers
are synchronous (Litestar runs them in its thread pool, ``sync_to_thread=True``); the few
that must read a form asynchronously hand the rest of their work to a thread
(:func:`in_thread`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import uuid
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pluggy
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from litestar import Litestar, MediaType, Request, Response, Router, get, post
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware.rate_limit import DurationUnit, RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.stores.base import NamespacedStore
from litestar.template.config import TemplateConfig
from pydantic import ValidationError

from coopledger import AddToMeeting, Ledger, LedgerError, RecordMeeting
from coopledger.commands import invalid
from coopledger.errors import UnknownCluster, UnknownGroup
from coopledger.i18n import render as in_words
from coopledger.kernel.integrity import seal
from coopweb import (
    approvals_pages,
    core_plugin,
    cutoff_pages,
    entries,
    field_pages,
    introspection,
    language,
    report_pages,
    sheets,
)
from coopweb import shareout as shareout_pages
from coopweb.accounts import Accounts, User
from coopweb.application import (
    Coopweb,
    Resource,
    as_of_param,
    client_address,
    in_thread,
    scoped_guard,
)
from coopweb.forms import LOAN_ROWS, PAYMENT_ROWS, SALE_ROWS, as_addition, read_meeting, reason_of
from coopweb.hookspecs import hookimpl
from coopweb.pagecache import DEFAULT_SIZE, BooksCache
from coopweb.plugins import plugin_manager
from coopweb.security import SignInGuard, csv_writer, security_headers
from coopweb.stores import SessionConfig, open_store, rotate_session, shared_secret


# ---------------------------------------------------------------------- helpers
@functools.cache
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(folders: dict[str, Path], name: str) -> str:
    """``static('coopweb/app.css')`` -> ``/static/coopweb/app.css?v=<digest>``: the digest
    of the file's content, so that browsers may keep it a year and still see a change."""
    package, _, rest = name.partition("/")
    path = Path(folders[package]) / rest
    return f"/static/{name}?v={_digest(path)}" if path.is_file() else f"/static/{name}"


def state(request: Request[Any, Any, Any]) -> Any:
    return request.app.state


def current_user(request: Request[Any, Any, Any]) -> User | None:
    return Coopweb.of(request).user


def need_user(request: Request[Any, Any, Any]) -> User:
    return Coopweb.of(request).need_user()


def readable_group(request: Request[Any, Any, Any], code: str) -> tuple[User, dict[str, Any]]:
    site = Coopweb.of(request)
    return site.need_user(), site.group(code)


def replica_note(request: Request[Any, Any, Any]) -> str:
    """The lag of the read replica that report pages read (empty without one)."""
    found = state(request).read_ledger.replica_lag()
    return in_words(found.describe(), language.reader_of(request)) if found else ""


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def page(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    return Coopweb.of(request).page(name, status_code=status_code, headers=headers, **context)


def render(request: Request[Any, Any, Any]) -> Any:
    return Coopweb.of(request).render


def panels(
    request: Request[Any, Any, Any], group: dict[str, Any], user: User, as_of: date | None
) -> list[Any]:
    site = Coopweb.of(request)

    def work_out() -> list[Any]:
        found = site.pm.hook.coopweb_group_panels(
            app=site, ledger=site.ledger, group=group, user=user, as_of=as_of, render=site.render
        )
        return sorted((p for ps in found for p in ps), key=lambda p: (p.order, p.name))

    return list(site.kept("panels", group["code"], as_of, compute=work_out))


# ---------------------------------------------------------------------- sign in
@get("/", include_in_schema=False)
async def home() -> Redirect:
    return Redirect("/groups")


@get("/login", include_in_schema=False, sync_to_thread=True)
def login_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "login.html", error=None, username="")


@post("/login", include_in_schema=False, media_type=MediaType.HTML)
async def login(request: Request[Any, Any, Any]) -> Any:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    guard: SignInGuard = state(request).guard
    address = client_address(request)
    wait = await guard.retry_after(username, address)
    if wait is not None:
        return await in_thread(
            partial(
                page,
                request,
                "login.html",
                status_code=429,
                headers={"Retry-After": str(wait)},
                username=username,
                error=language.text(
                    "Too many failed sign-ins. Try again in {minutes} minutes, or ask an admin "
                    "to lift the lock.",
                    minutes=(wait + 59) // 60,
                ),
            )
        )
    user = await in_thread(state(request).accounts.authenticate, username, password)
    if user is None:
        await guard.failed(username, address)
        return await in_thread(
            partial(
                page,
                request,
                "login.html",
                status_code=401,
                username=username,
                error=language.text("That username and password do not match."),
            )
        )
    await guard.succeeded(username)
    request.clear_session()
    request.set_session({"user": user.username})
    rotate_session(request)  # a new session id: one planted before sign-in is worthless
    return Redirect("/groups")


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()  # the session is deleted from the store, the cookie emptied
    return Redirect("/login")


# ---------------------------------------------------------------------- groups
@get("/groups", include_in_schema=False, sync_to_thread=True)
def groups_page(request: Request[Any, Any, Any]) -> Template:
    user = need_user(request)
    q = request.query_params
    filters = {k: q.get(k, "") for k in ("district", "upazila", "village", "cluster", "kind")}
    search = q.get("q", "").strip().lower()
    site = Coopweb.of(request)
    everything = [
        g
        for g in (x.as_dict() for x in site.ledger.reports.groups.directory())
        if site.allowed(user, "read", Resource("group", g))
    ]
    shown = [
        g
        for g in everything
        if all(not v or g[k] == v for k, v in filters.items())
        and (not search or search in f"{g['code']} {g['name']} {g['village']}".lower())
    ]
    choices = {k: sorted({g[k] for g in everything}) for k in filters}
    name = "partials/group_rows.html" if is_htmx(request) else "groups.html"
    return page(
        request,
        name,
        groups=shown,
        filters=filters,
        search=search,
        choices=choices,
        in_field=state(request).ledger.in_field,
    )


@get("/groups/{code:str}", include_in_schema=False, sync_to_thread=True)
def group_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    user, group = readable_group(request, code)
    as_of = as_of_param(request)
    ledger: Ledger = state(request).ledger
    template = state(request).pm.hook.coopweb_group_template(group=group) or "group.html"
    members, held = Coopweb.of(request).kept(
        "meeting form", code.upper(), compute=partial(_meeting_form_books, ledger, code)
    )
    return page(
        request,
        template,
        group=group,
        panels=panels(request, group, user, as_of),
        as_of=as_of,
        can_write=Coopweb.of(request).allowed(user, "write", Resource("group", group)),
        form=blank_meeting(ledger, held),
        members=list(members),
        sale_rows=range(SALE_ROWS),
        payment_rows=range(PAYMENT_ROWS),
        loan_rows=range(LOAN_ROWS),
    )


@get("/groups/{code:str}/panels/{name:str}", include_in_schema=False, sync_to_thread=True)
def panel(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Response[str]:
    user, group = readable_group(request, code)
    for p in panels(request, group, user, as_of_param(request)):
        if p.name == name:
            return Response(content=str(p.html), media_type="text/html")
    raise NotFoundException(language.say("There is no panel {name}.", name=name))


def _execute(
    site: Coopweb, form: Any, model: type[RecordMeeting | AddToMeeting], code: str, user: User
) -> Any:
    """Record the form's command; a refusal goes next to its field (None is returned)."""
    try:
        command = model.model_validate(
            {**form.command, "group": code.upper(), "recorded_by": user.username}
        )
        return site.record(user, command)
    except LedgerError as e:
        form.error_for(e.field, reason_of(e))
    except ValidationError as e:
        problem = invalid(e)
        form.error_for(problem.field, reason_of(problem))
    return None


def _held(ledger: Ledger, code: str, day: str) -> dict[str, Any] | None:
    """The meeting already recorded on the form's day, if any (the command checks again,
    inside its transaction)."""
    try:
        return ledger.reports.meetings.held_on(code, date.fromisoformat(day))
    except ValueError:
        return None


def _meeting_form_books(ledger: Ledger, code: str) -> tuple[list[Any], dict[str, Any] | None]:
    """What the blank meeting form reads from the books: the active members, and today's
    meeting if it is recorded."""
    members = [m for m in ledger.reports.groups.members(code) if m.active]
    return members, _held(ledger, code, ledger.today().isoformat())


def blank_meeting(ledger: Ledger, held: dict[str, Any] | None) -> dict[str, Any]:
    """A new meeting form for today (a fresh key each time), with today's meeting if held."""
    return {
        "typed": {"date": ledger.today().isoformat(), "key": uuid.uuid4().hex},
        "errors": {},
        "held": held,
    }


@post("/groups/{code:str}/meetings", include_in_schema=False, media_type=MediaType.HTML)
async def record_meeting(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
    raw = {k: str(v) for k, v in (await request.form()).items() if k != "_csrf_token"}
    return await in_thread(_record_meeting, request, code, raw)


def _record_meeting(request: Request[Any, Any, Any], code: str, raw: dict[str, str]) -> Any:
    site = Coopweb.of(request)
    user, group = site.need_user(), site.group(code, write=True)
    ledger: Ledger = state(request).ledger
    members = [m for m in ledger.reports.groups.members(code) if m.active]
    form = read_meeting(raw, [m.member_no for m in members])
    held = _held(ledger, code, form.command.get("date", ""))
    receipt = None
    if not form.errors:
        receipt = _execute(site, form, RecordMeeting, code, user)
        if receipt is None and held is not None and "date" in form.errors:
            # That day's meeting is recorded (and this form is not a resubmission of it):
            # what was typed is added to it.
            form.errors.clear()
            as_addition(form, held)
            if not form.errors:
                receipt = _execute(site, form, AddToMeeting, code, user)
    context: dict[str, Any] = {
        "group": group,
        "members": members,
        "sale_rows": range(SALE_ROWS),
        "payment_rows": range(PAYMENT_ROWS),
        "loan_rows": range(LOAN_ROWS),
        "can_write": True,
    }
    if receipt is None:
        return page(
            request,
            "partials/meeting_form.html" if is_htmx(request) else "group.html",
            status_code=422,
            panels=panels(request, group, user, None),
            form={"typed": form.values, "errors": form.errors, "held": held},
            **context,
        )
    done = {
        "typed": {"date": form.values.get("date", ""), "key": uuid.uuid4().hex},
        "errors": {},
        "receipt": receipt,
        "seal": receipt.seal,
        "replayed": receipt.replayed,
        "held": _held(ledger, code, form.values.get("date", "")),
    }
    if not is_htmx(request):
        return Redirect(f"/groups/{code.upper()}?recorded={receipt.seal}")
    return page(
        request,
        "partials/meeting_form.html",
        form=done,
        headers={"HX-Trigger": "ledger-changed"},
        **context,
    )


@get("/groups/{code:str}/members/{member:int}", include_in_schema=False, sync_to_thread=True)
def passbook_page(
    request: Request[Any, Any, Any], code: FromPath[str], member: FromPath[int]
) -> Template:
    _, group = readable_group(request, code)
    as_of = as_of_param(request)
    last = None if request.query_params.get("all") else PASSBOOK_LINES
    read_ledger: Ledger = state(request).read_ledger
    try:
        book = Coopweb.of(request).kept(
            "passbook",
            code.upper(),
            member,
            as_of,
            last,
            compute=partial(
                read_ledger.reports.savings.passbook, code, member, as_of=as_of, last=last
            ),
            ledger=read_ledger,
        )
    except LedgerError as e:
        raise NotFoundException(e.message) from None
    site = Coopweb.of(request)
    lines_html = site.kept(
        "passbook lines",
        code.upper(),
        member,
        as_of,
        last,
        compute=partial(site.render, "partials/passbook_lines.html", lines=book.lines),
        ledger=read_ledger,
    )
    return page(
        request,
        "passbook.html",
        replica=replica_note(request),
        group=group,
        book=book,
        as_of=as_of,
        lines=book.lines,
        lines_html=lines_html,
        earlier=book.earlier_lines,
    )


@get("/groups/{code:str}/history", include_in_schema=False, sync_to_thread=True)
def history_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    user, group = readable_group(request, code)
    ledger: Ledger = state(request).ledger
    try:
        after = min(max(0, int(request.query_params.get("after", "0"))), 2**63 - 1)
    except ValueError:
        after = 0
    size = 50
    events = (
        ledger.events(code, after=after, limit=size) if after else ledger.events(code, limit=size)
    )
    signed = ledger.reports.approvals.signatures(code)  # position -> (maker, checker)
    rows = [
        {
            "position": e.position,
            "signed": signed.get(e.position),
            "wording": e.describe(),
            "business_date": e.business_date,
            "recorded_at": e.timestamp,
            "recorded_by": e.recorded_by,
            "seal": seal(e.chain_hash),
            "content": e.content(),
        }
        for e in events
    ]
    more = len(events) == size
    name = "partials/history_rows.html" if is_htmx(request) else "history.html"
    return page(
        request,
        name,
        group=group,
        rows=rows,
        more=more,
        can_write=user.can_write(group),
        next_after=rows[-1]["position"] if rows else after,
    )


REPORTS = ("trial-balance", "reconciliation", "members", "positions")
PASSBOOK_LINES = 150  # the latest lines; ?all=1 shows (and prints) every one


@get("/groups/{code:str}/reports", include_in_schema=False, sync_to_thread=True)
def reports_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    user, group = readable_group(request, code)
    as_of = as_of_param(request)
    ledger: Ledger = state(request).read_ledger
    return page(
        request,
        "reports.html",
        replica=replica_note(request),
        group=group,
        as_of=as_of,
        trial=ledger.reports.books.trial_balance(code, as_of=as_of),
        reconciliation=ledger.reports.meetings.reconciliation(code, as_of=as_of),
        members=ledger.reports.groups.members(code, as_of=as_of),
        personal=user.sees_personal_data,
    )


@get("/groups/{code:str}/reports/{name:str}", include_in_schema=False, sync_to_thread=True)
def report_csv(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Response[str]:
    """``/groups/JOBA/reports/trial-balance.csv`` (also reconciliation, members)."""
    user, group = readable_group(request, code)
    kind = name.removesuffix(".csv")
    as_of = as_of_param(request)
    ledger: Ledger = state(request).read_ledger
    out = io.StringIO()
    w = csv_writer(out)  # names and notes cannot become spreadsheet formulas
    if kind == "trial-balance":
        w.writerow(["account", "commodity", "balance"])
        for b in ledger.reports.books.trial_balance(code, as_of=as_of).rows:
            w.writerow([b.account, b.commodity, b.balance])
    elif kind == "reconciliation":
        w.writerow(
            [
                "meeting_date",
                "attended",
                "counted_cash",
                "book_cash",
                "cash_difference",
                "counted_rice_grams",
                "book_rice_grams",
                "rice_difference_grams",
                "seal",
            ]
        )
        for check in ledger.reports.meetings.reconciliation(code, as_of=as_of).meetings:
            w.writerow(
                [
                    check.meeting_date,
                    check.attended,
                    check.counted_cash,
                    check.book_cash,
                    check.cash_difference,
                    check.counted_rice_grams,
                    check.book_rice_grams,
                    check.rice_difference_grams,
                    check.seal,
                ]
            )
    elif kind == "members":
        header = ["member_no", "name", "gender", "joined_on", "left_on", "roles"]
        if user.sees_personal_data:
            header[3:3] = ["household", "community", "landless", "wellbeing"]
        w.writerow(header)
        for m in ledger.reports.groups.members(code, as_of=as_of):
            w.writerow([getattr(m, h) if h != "roles" else " ".join(m.roles) for h in header])
    else:
        raise NotFoundException(
            language.say(
                "There is no report {kind}; try one of {names}.",
                kind=kind,
                names=", ".join(REPORTS[:3]),
            )
        )
    filename = f"{group['code']}-{kind}{'-' + str(as_of) if as_of else ''}.csv"
    return Response(
        content=out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---------------------------------------------------------------------- admin
def need_admin(request: Request[Any, Any, Any]) -> User:
    user = need_user(request)
    if user.role != "admin":
        raise PermissionDeniedException(language.say("Only an admin manages accounts."))
    return user


async def _accounts_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    accounts: Accounts = state(request).accounts

    def listing() -> list[dict[str, Any]]:
        rows = accounts.all()
        for row in rows:
            row["tokens"] = len(accounts.tokens(row["username"]))
        return rows

    rows = await in_thread(listing)
    guard: SignInGuard = state(request).guard
    locks = await guard.lockouts([r["username"] for r in rows])
    return {"accounts": rows, "lockouts": locks}


@get("/admin/accounts", include_in_schema=False)
async def accounts_page(request: Request[Any, Any, Any]) -> Template:
    await in_thread(need_admin, request)
    context = await _accounts_context(request)
    return await in_thread(
        partial(page, request, "accounts.html", error=None, values={}, **context)
    )


@post("/admin/accounts", include_in_schema=False, media_type=MediaType.HTML)
async def save_account(request: Request[Any, Any, Any]) -> Any:
    await in_thread(need_admin, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        await in_thread(
            partial(
                state(request).accounts.save,
                form.get("username", ""),
                role=form.get("role", ""),
                password=form.get("password") or None,
                partner=form.get("partner", ""),
                groups=form.get("groups", "").replace(",", " ").split(),
                active=form.get("active", "on") == "on",
            )
        )
    except LedgerError as e:
        context = await _accounts_context(request)
        return await in_thread(
            partial(
                page,
                request,
                "accounts.html",
                status_code=422,
                error=e,
                values=form,
                **context,
            )
        )
    return Redirect("/admin/accounts")


@post("/admin/lockouts", include_in_schema=False)
async def lift_lockout(request: Request[Any, Any, Any]) -> Redirect:
    """Lift the lock on an account (``kind=account``) or an address (``kind=address``)."""
    await in_thread(need_admin, request)
    form = await request.form()
    kind, subject = str(form.get("kind", "")), str(form.get("subject", "")).strip()
    if kind not in ("account", "address") or not subject:
        raise HTTPException(
            status_code=400,
            detail=language.say(
                "kind={kind}, subject={subject}: name a locked account or address.",
                kind=repr(kind),
                subject=repr(subject),
            ),
        )
    await state(request).guard.clear(kind, subject)
    return Redirect("/admin/accounts")


@post("/admin/accounts/{username:str}/revoke-tokens", include_in_schema=False)
async def revoke_account_tokens(
    request: Request[Any, Any, Any], username: FromPath[str]
) -> Redirect:
    await in_thread(need_admin, request)
    await in_thread(state(request).accounts.revoke_tokens, username)
    return Redirect("/admin/accounts")


# ---------------------------------------------------------------------- errors
def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[Any]:
    """An RFC 9457 problem: ``title`` a fixed English code a program can test, ``detail`` in
    the reader's language (``Content-Language`` says which: her saved choice, else the
    request's ``Accept-Language``)."""
    return Response(
        content={
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            **extra,
        },
        status_code=status,
        media_type="application/problem+json",
        headers={"Content-Language": language.current_reader().lang},
    )


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 429 and exc.headers and "RateLimit-Reset" in exc.headers:
        exc.headers.setdefault("Retry-After", exc.headers["RateLimit-Reset"])  # rate limit
    if _wants_json(request):
        extra: dict[str, Any] = {}
        if isinstance(exc.extra, list) and exc.extra:  # Litestar's validation: name the field
            extra["errors"] = exc.extra
            first = exc.extra[0]
            if isinstance(first, dict) and first.get("key"):
                extra["field"] = first["key"]
        elif isinstance(exc.extra, dict):
            extra.update(exc.extra)
        elif exc.extra:
            extra["errors"] = exc.extra
        response = problem(status, _TITLES.get(status, "Error"), str(exc.detail), **extra)
        response.headers.update(exc.headers or {})
        return response
    if status == 401:
        return Redirect("/login")
    return page(
        request,
        "error.html",
        status_code=status,
        headers=dict(exc.headers or {}),
        status=status,
        message=str(exc.detail),
    )


def handle_ledger(request: Request[Any, Any, Any], exc: LedgerError) -> Response[Any]:
    conflicts = ("IdempotencyConflict", "ConcurrencyConflict", "SyncRefused")
    status = (
        404
        if isinstance(exc, UnknownGroup | UnknownCluster)
        else 409
        if type(exc).__name__ in conflicts
        else 422
    )
    if _wants_json(request):
        said = exc.as_dict(language.current_reader())
        return problem(
            status,
            type(exc).__name__,
            said["message"],
            field=exc.field,
            value=said["value"],
            reason=said["reason"],
        )
    return page(request, "error.html", status_code=status, status=status, message=exc)


def handle_too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """A request body nested too deeply to read (JSON decoded by Litestar's msgspec); any
    other recursion error is a crash."""
    if "deserializing" not in str(exc):
        return handle_crash(request, exc)
    detail = language.say("body: is nested too deeply to read.")
    if _wants_json(request):
        return problem(400, "Bad Request", detail, field="body", value=None)
    return page(request, "error.html", status_code=400, status=400, message=detail)


def handle_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request.logger.exception("unexpected error", exc_info=exc)
    if _wants_json(request):
        return problem(
            500,
            "Internal Server Error",
            language.say("Something went wrong; nothing was recorded."),
        )
    return page(
        request,
        "error.html",
        status_code=500,
        status=500,
        message=language.text("Something went wrong; nothing was recorded."),
    )


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Content",
    429: "Too Many Requests",
}


# ---------------------------------------------------------------------- factory
class CorePages:
    """The core's own pages, added through ``coopweb_routes`` like any plugin's routes
    (and so behind the same guard)."""

    @hookimpl
    def coopweb_routes(self) -> list[Any]:
        return [
            home,
            login_page,
            login,
            logout,
            groups_page,
            group_page,
            panel,
            record_meeting,
            passbook_page,
            history_page,
            reports_page,
            report_csv,
            accounts_page,
            save_account,
            language.choose_language,
            lift_lockout,
            revoke_account_tokens,
            *entries.ROUTES,
            *sheets.ROUTES,
            *field_pages.ROUTES,
            *approvals_pages.ROUTES,
            *shareout_pages.ROUTES,
            *cutoff_pages.ROUTES,
        ]


#: The core's features, registered before any installed plugin, through the same hooks.
BUILTIN_PLUGINS: tuple[tuple[str, Any], ...] = (
    ("coopweb.core", core_plugin),
    ("coopweb.pages", CorePages()),
    ("coopweb.introspection", introspection),
    ("coopweb.reports", report_pages),
)


def web_plugins(
    plugins: list[Any] | None = None, *, load_entry_points: bool = True
) -> pluggy.PluginManager:
    """The plugin manager of an application: the core's plugins, the installed ones
    (unless ``load_entry_points`` is false), then ``plugins``."""
    return plugin_manager(
        plugins or [], load_entry_points=load_entry_points, builtins=BUILTIN_PLUGINS
    )


def create_app(
    ledger: Ledger,
    *,
    accounts: Accounts | None = None,
    plugins: list[Any] | None = None,
    load_entry_points: bool = True,
    secret: str | None = None,
    secure_cookies: bool = True,
    debug: bool = False,
    store: NamespacedStore | str | None = None,
    guard: SignInGuard | None = None,
    sign_in_rate: tuple[DurationUnit, int] = ("minute", 30),
    read_ledger: Ledger | None = None,
    page_cache: int = DEFAULT_SIZE,
) -> Litestar:
    """The web application over ``ledger``.

    ``plugins``: extra plugin objects to register; installed plugins (entry points in
    ``coopweb.plugins``) are loaded unless ``load_entry_points`` is false.
    ``secure_cookies``: mark session and CSRF cookies Secure (turn off only for plain HTTP
    on 127.0.0.1, as ``coopledger serve`` does).
    ``store``: where sessions and sign-in counters are kept, shared by every worker: a
    Litestar store, ``"ledger"`` (default: the ledger's database) or a ``redis://`` URL.
    ``secret``: the CSRF secret (default: one kept in the ledger's database, the same for
    every worker). ``guard``: the sign-in lockout rules (default: :class:`SignInGuard` with
    its defaults, on ``store``). ``sign_in_rate``: at most this many sign-in attempts (the
    page and ``POST /api/v1/tokens``, right or wrong) per address and period (Litestar's
    rate limiting, counted in ``store``).
    ``read_ledger``: the same books with a read replica (``Ledger(url, read_db=...)``) that
    the report pages and the passbook read, showing its lag; writes stay on ``ledger``.
    ``page_cache``: how many results of the books (a dashboard's panels, a passbook) each
    worker keeps until the ledger records an event (:mod:`coopweb.pagecache`); 0: none.
    """
    from coopweb.api import api_router  # noqa: PLC0415

    pm = web_plugins(plugins, load_entry_points=load_entry_points)
    template_dirs = [d for ds in pm.hook.coopweb_template_dirs() for d in ds]
    core = Path(__file__).parent / "templates"
    plugin_dirs = [str(d) for d in template_dirs if Path(d) != core]
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(plugin_dirs),
                FileSystemLoader(str(core)),
                PrefixLoader({"default": FileSystemLoader(str(core))}, delimiter=":"),
            ]
        ),
        autoescape=select_autoescape(["html", "xml"]),
    )
    site = Coopweb(ledger, accounts or Accounts(ledger.db), pm, env, cache=BooksCache(page_cache))
    for filters in pm.hook.coopweb_jinja_filters(app=site):
        env.filters.update(filters or {})
    statics_dirs = {name: folder for ps in pm.hook.coopweb_static_dirs() for name, folder in ps}
    env.globals["static"] = functools.partial(static_url, statics_dirs)
    # The reader's language: gettext catalogs and reader-aware filters (after the
    # plugins' filters, so that taka, kg ... are written for each request's reader).
    language.install(env, [c for cs in pm.hook.coopweb_catalogs() for c in cs])
    statics = [
        create_static_files_router(
            path=f"/static/{name}",
            directories=[folder],
            name=f"static-{name}",
            # Pages name static files with a digest of their content (?v=...): a year.
            cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True),
            include_in_schema=False,
        )
        for pairs in pm.hook.coopweb_static_dirs()
        for name, folder in pairs
    ]
    routes = [r for rs in pm.hook.coopweb_routes() for r in rs]
    # Every page route, the core's and the plugins', behind the group and cluster guard.
    pages = Router(path="/", route_handlers=routes, guards=[scoped_guard])
    key = secret or shared_secret(ledger.db, "csrf")
    shared = store if isinstance(store, NamespacedStore) else open_store(store, ledger.db)
    sessions = shared.with_namespace("sessions")
    app = Litestar(
        route_handlers=[pages, api_router(), *statics],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(env)),
        stores={"sessions": sessions, "rate_limit": shared.with_namespace("ratelimit")},
        middleware=[
            RateLimitConfig(
                rate_limit=sign_in_rate,
                check_throttle_handler=_is_sign_in,
                identifier_for_request=client_address,
            ).middleware,
            SessionConfig(
                secure=secure_cookies,
                httponly=True,
                samesite="lax",
                max_age=12 * 3600,
                store="sessions",
            ).middleware,
            language.middleware,
        ],
        before_send=[security_headers(https=secure_cookies)],
        on_shutdown=[partial(_close, shared)],
        csrf_config=CSRFConfig(
            secret=key, cookie_secure=secure_cookies, cookie_samesite="lax", exclude=["/api/"]
        ),
        exception_handlers={
            HTTPException: handle_http,
            LedgerError: handle_ledger,
            RecursionError: handle_too_deep,
            Exception: handle_crash,
        },
        openapi_config=OpenAPIConfig(title="coopledger API", version="1", path="/schema"),
        # Pages and static files travel gzipped (cheap phones, slow connections).
        compression_config=CompressionConfig(backend="gzip", gzip_compress_level=6),
        on_startup=[lambda: pm.hook.coopweb_startup(app=site)],
        debug=debug,
    )
    app.state.coopweb = site
    app.state.ledger = ledger
    app.state.read_ledger = read_ledger or ledger
    app.state.accounts = site.accounts
    app.state.pm = pm
    app.state.jinja = env
    app.state.preferences = language.Preferences(ledger.db)
    app.state.store = shared
    app.state.guard = guard or SignInGuard(shared.with_namespace("signin"))
    return app


def _is_sign_in(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST" and request.url.path in SIGN_IN_PATHS


#: Where passwords are tried (rate limited per address).
SIGN_IN_PATHS = ("/login", "/api/v1/tokens")


async def _close(store: NamespacedStore) -> None:
    """Close the store's connections (a Redis client's pool) when the app stops."""
    await store.__aexit__(None, None, None)
