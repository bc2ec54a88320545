"""The Litestar application: staff pages (Jinja2 + htmx) over a :class:`coopledger.Ledger`.

Handlers read the request, call the ledger or its reports, and render; every rule of the
books stays in coopledger. ``create_app(ledger)`` is the factory.
"""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from litestar import Litestar, Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup
from pydantic import ValidationError

from coopledger import AddToMeeting, Ledger, LedgerError, RecordMeeting
from coopledger.commands import invalid
from coopledger.errors import UnknownCluster, UnknownGroup
from coopledger.i18n import ENGLISH
from coopledger.i18n import render as in_words
from coopledger.kernel.integrity import seal
from coopledger.money import format_grams, format_taka
from coopweb.accounts import Accounts, User
from coopweb.forms import LOAN_ROWS, PAYMENT_ROWS, SALE_ROWS, as_addition, read_meeting
from coopweb.plugins import plugin_manager

HTMX = "/static/coopweb/htmx-2.0.11.min.js"


# ---------------------------------------------------------------------- helpers
def state(request: Request[Any, Any, Any]) -> Any:
    return request.app.state


def current_user(request: Request[Any, Any, Any]) -> User | None:
    name = request.session.get("user") if request.scope.get("session") is not None else None
    return state(request).accounts.user(name) if name else None


def need_user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException("sign in first")
    return user


def readable_group(request: Request[Any, Any, Any], code: str) -> tuple[User, dict[str, Any]]:
    user = need_user(request)
    group = find_group(state(request).ledger, code)
    if not user.can_read(group):
        raise PermissionDeniedException(f"{user.username} may not see group {code.upper()}")
    return user, group


def find_group(ledger: Ledger, code: str) -> dict[str, Any]:
    """One group (an indexed query), as the plain record the plugin hooks receive."""
    try:
        return ledger.reports.groups.group(code).as_dict()
    except UnknownGroup:
        raise NotFoundException(f"no group {code.upper()}") from None


def replica_note(request: Request[Any, Any, Any]) -> str:
    """The lag of the read replica that report pages read (empty without one)."""
    found = state(request).read_ledger.replica_lag()
    return in_words(found.describe(), ENGLISH) if found else ""


def as_of_param(request: Request[Any, Any, Any]) -> date | None:
    text = request.query_params.get("as_of") or ""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"as_of={text!r}: use YYYY-MM-DD") from None


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def page(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    user = current_user(request)
    pm = state(request).pm
    nav = [item for items in pm.hook.coopweb_nav_items(user=user) for item in items]
    return Template(
        template_name=name,
        status_code=status_code,
        headers=headers or {},
        context={"user": user, "nav": nav, "htmx": HTMX, **context},
    )


def render(request: Request[Any, Any, Any]) -> Any:
    env: Environment = state(request).jinja

    def _render(name: str, **context: Any) -> Markup:
        return Markup(env.get_template(name).render(request=request, **context))

    return _render


def panels(
    request: Request[Any, Any, Any], group: dict[str, Any], user: User, as_of: date | None
) -> list[Any]:
    found = state(request).pm.hook.coopweb_group_panels(
        ledger=state(request).ledger, group=group, user=user, as_of=as_of, render=render(request)
    )
    return sorted((p for ps in found for p in ps), key=lambda p: (p.order, p.name))


# ---------------------------------------------------------------------- sign in
@get("/", include_in_schema=False)
async def home() -> Redirect:
    return Redirect("/groups")


@get("/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any]) -> Template:
    return page(request, "login.html", error=None, username="")


@post("/login", include_in_schema=False)
async def login(request: Request[Any, Any, Any]) -> Any:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    user = state(request).accounts.authenticate(username, password)
    if user is None:
        return page(
            request,
            "login.html",
            status_code=401,
            username=username,
            error="That username and password do not match.",
        )
    request.clear_session()
    request.set_session({"user": user.username})
    return Redirect("/groups")


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/login")


# ---------------------------------------------------------------------- groups
@get("/groups", include_in_schema=False)
async def groups_page(request: Request[Any, Any, Any]) -> Template:
    user = need_user(request)
    q = request.query_params
    filters = {k: q.get(k, "") for k in ("district", "upazila", "village", "cluster", "kind")}
    search = q.get("q", "").strip().lower()
    everything = [
        g
        for g in (x.as_dict() for x in state(request).ledger.reports.groups.directory())
        if user.can_read(g)
    ]
    shown = [
        g
        for g in everything
        if all(not v or g[k] == v for k, v in filters.items())
        and (not search or search in f"{g['code']} {g['name']} {g['village']}".lower())
    ]
    choices = {k: sorted({g[k] for g in everything}) for k in filters}
    name = "partials/group_rows.html" if is_htmx(request) else "groups.html"
    return page(request, name, groups=shown, filters=filters, search=search, choices=choices)


@get("/groups/{code:str}", include_in_schema=False)
async def group_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    user, group = readable_group(request, code)
    as_of = as_of_param(request)
    ledger: Ledger = state(request).ledger
    template = state(request).pm.hook.coopweb_group_template(group=group) or "group.html"
    members = [m for m in ledger.reports.groups.members(code) if m.active]
    return page(
        request,
        template,
        group=group,
        panels=panels(request, group, user, as_of),
        as_of=as_of,
        can_write=user.can_write(group),
        form=blank_meeting(ledger, code),
        members=members,
        sale_rows=range(SALE_ROWS),
        payment_rows=range(PAYMENT_ROWS),
        loan_rows=range(LOAN_ROWS),
    )


@get("/groups/{code:str}/panels/{name:str}", include_in_schema=False)
async def panel(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Response[str]:
    user, group = readable_group(request, code)
    for p in panels(request, group, user, as_of_param(request)):
        if p.name == name:
            return Response(content=str(p.html), media_type="text/html")
    raise NotFoundException(f"no panel {name}")


def _execute(
    ledger: Ledger, form: Any, model: type[RecordMeeting | AddToMeeting], code: str, user: User
) -> Any:
    """Record the form's command; a refusal goes next to its field (None is returned)."""
    try:
        command = model.model_validate(
            {**form.command, "group": code.upper(), "recorded_by": user.username}
        )
        return ledger.execute(command)
    except LedgerError as e:
        form.error_for(e.field, e.message)
    except ValidationError as e:
        problem = invalid(e)
        form.error_for(problem.field, problem.message)
    return None


def _held(ledger: Ledger, code: str, day: str) -> dict[str, Any] | None:
    """The meeting already recorded on the form's day, if any (the command checks again,
    inside its transaction)."""
    try:
        return ledger.reports.meetings.held_on(code, date.fromisoformat(day))
    except ValueError:
        return None


def blank_meeting(ledger: Ledger, code: str) -> dict[str, Any]:
    today = ledger.today().isoformat()
    return {
        "typed": {"date": today, "key": uuid.uuid4().hex},
        "errors": {},
        "held": _held(ledger, code, today),
    }


@post("/groups/{code:str}/meetings", include_in_schema=False)
async def record_meeting(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
    user, group = readable_group(request, code)
    if not user.can_write(group):
        raise PermissionDeniedException(f"{user.username} may not record for {code.upper()}")
    ledger: Ledger = state(request).ledger
    members = [m for m in ledger.reports.groups.members(code) if m.active]
    raw = {k: str(v) for k, v in (await request.form()).items() if k != "_csrf_token"}
    form = read_meeting(raw, [m.member_no for m in members])
    held = _held(ledger, code, form.command.get("date", ""))
    receipt = None
    if not form.errors:
        receipt = _execute(ledger, form, RecordMeeting, code, user)
        if receipt is None and held is not None and "date" in form.errors:
            # That day's meeting is recorded (and this form is not a resubmission of it):
            # what was typed is added to it.
            form.errors.clear()
            as_addition(form, held)
            if not form.errors:
                receipt = _execute(ledger, form, AddToMeeting, code, user)
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


@get("/groups/{code:str}/members/{member:int}", include_in_schema=False)
async def passbook_page(
    request: Request[Any, Any, Any], code: FromPath[str], member: FromPath[int]
) -> Template:
    _, group = readable_group(request, code)
    as_of = as_of_param(request)
    last = None if request.query_params.get("all") else PASSBOOK_LINES
    try:
        book = state(request).read_ledger.reports.savings.passbook(
            code, member, as_of=as_of, last=last
        )
    except LedgerError as e:
        raise NotFoundException(e.message) from None
    return page(
        request,
        "passbook.html",
        replica=replica_note(request),
        group=group,
        book=book,
        as_of=as_of,
        lines=book.lines,
        earlier=book.earlier_lines,
    )


@get("/groups/{code:str}/history", include_in_schema=False)
async def history_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    _, group = readable_group(request, code)
    ledger: Ledger = state(request).ledger
    try:
        after = max(0, int(request.query_params.get("after", "0")))
    except ValueError:
        after = 0
    size = 50
    events = (
        ledger.events(code, after=after, limit=size) if after else ledger.events(code, limit=size)
    )
    rows = [
        {
            "position": e.position,
            "type": type(e).__name__,
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
        next_after=rows[-1]["position"] if rows else after,
    )


REPORTS = ("trial-balance", "reconciliation", "members", "positions")
PASSBOOK_LINES = 150  # the latest lines; ?all=1 shows (and prints) every one


@get("/groups/{code:str}/reports", include_in_schema=False)
async def reports_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
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


@get("/groups/{code:str}/reports/{name:str}", include_in_schema=False)
async def report_csv(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Response[str]:
    """``/groups/JOBA/reports/trial-balance.csv`` (also reconciliation, members)."""
    user, group = readable_group(request, code)
    kind = name.removesuffix(".csv")
    as_of = as_of_param(request)
    ledger: Ledger = state(request).read_ledger
    out = io.StringIO()
    w = csv.writer(out)
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
        raise NotFoundException(f"no report {kind}; try one of {', '.join(REPORTS[:3])}")
    filename = f"{group['code']}-{kind}{'-' + str(as_of) if as_of else ''}.csv"
    return Response(
        content=out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---------------------------------------------------------------------- admin
@get("/admin/accounts", include_in_schema=False)
async def accounts_page(request: Request[Any, Any, Any]) -> Template:
    user = need_user(request)
    if user.role != "admin":
        raise PermissionDeniedException("only an admin manages accounts")
    return page(
        request, "accounts.html", accounts=state(request).accounts.all(), error=None, values={}
    )


@post("/admin/accounts", include_in_schema=False)
async def save_account(request: Request[Any, Any, Any]) -> Any:
    user = need_user(request)
    if user.role != "admin":
        raise PermissionDeniedException("only an admin manages accounts")
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        state(request).accounts.save(
            form.get("username", ""),
            role=form.get("role", ""),
            password=form.get("password") or None,
            partner=form.get("partner", ""),
            groups=form.get("groups", "").replace(",", " ").split(),
            active=form.get("active", "on") == "on",
        )
    except LedgerError as e:
        return page(
            request,
            "accounts.html",
            status_code=422,
            error=e.message,
            accounts=state(request).accounts.all(),
            values=form,
        )
    return Redirect("/admin/accounts")


# ---------------------------------------------------------------------- errors
def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[Any]:
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
    )


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if _wants_json(request):
        extra = {"errors": exc.extra} if exc.extra else {}
        return problem(status, _TITLES.get(status, "Error"), str(exc.detail), **extra)
    if status == 401:
        return Redirect("/login")
    return page(request, "error.html", status_code=status, status=status, message=str(exc.detail))


def handle_ledger(request: Request[Any, Any, Any], exc: LedgerError) -> Response[Any]:
    conflicts = ("IdempotencyConflict", "ConcurrencyConflict")
    status = (
        404
        if isinstance(exc, UnknownGroup | UnknownCluster)
        else 409
        if type(exc).__name__ in conflicts
        else 422
    )
    if _wants_json(request):
        return problem(
            status, type(exc).__name__, exc.message, field=exc.field, value=exc.as_dict()["value"]
        )
    return page(request, "error.html", status_code=status, status=status, message=exc.message)


def handle_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request.logger.exception("unexpected error", exc_info=exc)
    if _wants_json(request):
        return problem(
            500,
            "Internal Server Error",
            "something went wrong; nothing was recorded by this request",
        )
    return page(
        request,
        "error.html",
        status_code=500,
        status=500,
        message="Something went wrong; nothing was recorded.",
    )


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Content",
}


# ---------------------------------------------------------------------- factory
def create_app(
    ledger: Ledger,
    *,
    accounts: Accounts | None = None,
    plugins: list[Any] | None = None,
    load_entry_points: bool = True,
    secret: str | None = None,
    secure_cookies: bool = True,
    debug: bool = False,
    read_ledger: Ledger | None = None,
) -> Litestar:
    """The web application over ``ledger``.

    ``plugins``: extra plugin objects to register; installed plugins (entry points in
    ``coopweb.plugins``) are loaded unless ``load_entry_points`` is false.
    ``secure_cookies``: mark session and CSRF cookies Secure (turn off only for plain HTTP
    on 127.0.0.1, as ``coopledger serve`` does).
    ``read_ledger``: the same books with a read replica (``Ledger(url, read_db=...)``) that
    the report pages and the passbook read, showing its lag; writes stay on ``ledger``.
    """
    from coopweb.api import api_router  # noqa: PLC0415

    pm = plugin_manager(plugins or [], load_entry_points=load_entry_points)
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
    env.filters["taka"] = format_taka
    env.filters["kg"] = format_grams
    statics = [
        create_static_files_router(
            path=f"/static/{name}",
            directories=[folder],
            name=f"static-{name}",
            include_in_schema=False,
        )
        for pairs in pm.hook.coopweb_static_dirs()
        for name, folder in pairs
    ]
    extra_routes = [r for rs in pm.hook.coopweb_routes() for r in rs]
    pages = Router(
        path="/",
        route_handlers=[
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
            *extra_routes,
        ],
    )
    key = secret or secrets.token_hex(32)
    app = Litestar(
        route_handlers=[pages, api_router(), *statics],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(env)),
        middleware=[
            ServerSideSessionConfig(
                secure=secure_cookies, httponly=True, samesite="lax", max_age=12 * 3600
            ).middleware
        ],
        csrf_config=CSRFConfig(
            secret=key, cookie_secure=secure_cookies, cookie_samesite="lax", exclude=["/api/"]
        ),
        exception_handlers={
            HTTPException: handle_http,
            LedgerError: handle_ledger,
            Exception: handle_crash,
        },
        openapi_config=OpenAPIConfig(title="coopledger API", version="1", path="/schema"),
        debug=debug,
    )
    app.state.ledger = ledger
    app.state.read_ledger = read_ledger or ledger
    app.state.accounts = accounts or Accounts(ledger.db)
    app.state.pm = pm
    app.state.jinja = env
    return app
