"""Every group command has a page: ``/groups/JOBA/entries`` lists them, and
``/groups/JOBA/entries/<command>`` is its form, built from the command's model
(:mod:`coopweb.commandform`).

The behaviour is the meeting form's: one command, one transaction, recorded once for its
key (a hidden input made with the form, so a double submit or a reload records nothing
twice); a refusal comes back as the form refilled with the error next to its field
(an HTML page, or the form alone for htmx, 422); the confirmation shows the seal to write
in the minutes. "Preview" shows what the command would record (a loan's schedule, a
correction's reversal) with nothing written, decided by the same rules.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import MediaType, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from pydantic import ValidationError

from coopledger import LedgerError
from coopledger.kernel.commands import COMMANDS, Command, commands_for, invalid
from coopweb.accounts import User
from coopweb.application import Coopweb, in_thread
from coopweb.commandform import CommandForm, fields_of, read
from coopweb.forms import reason_of
from coopweb.language import mark

#: Each entry form's title (marked for the catalogs; a plugin's command is titled from the
#: first line of its docstring).
TITLES: dict[str, str] = {
    "join_member": mark("A member joins"),
    "leave_member": mark("A member leaves"),
    "assign_role": mark("A member takes a role"),
    "end_role": mark("A member gives up a role"),
    "deposit_rice": mark("Rice deposited outside a meeting"),
    "sell_rice": mark("Rice sold to a member"),
    "receive_payment": mark("A member pays for rice"),
    "save_cash": mark("A member saves cash"),
    "withdraw_cash": mark("A member withdraws cash"),
    "receive_grant": mark("A grant or donation"),
    "pay_expense": mark("An expense"),
    "book_activity_cost": mark("A cost of an income-generating activity"),
    "book_activity_revenue": mark("Income of an income-generating activity"),
    "correct_entry": mark("Correct an entry"),
    "set_loan_rules": mark("The group's loan rules"),
    "disburse_loan": mark("Lend to a member"),
    "repay_loan": mark("A loan repayment"),
    "reschedule_loan": mark("Reschedule a loan"),
    "write_off_loan": mark("Write off a loan"),
    "adopt_plan": mark("The annual plan"),
    "hold_review": mark("The yearly joint review"),
    "count_guests": mark("Guests at a weekly meeting"),
    "adopt_work_plan": mark("A new group's three-month work plan"),
    "review_work_plan": mark("Review the work plan"),
    "receive_welfare_gift": mark("A gift for welfare"),
    "pay_welfare": mark("The welfare fund pays"),
}


#: Commands whose receipt gives back a number people use, and what it is.
NUMBERS: dict[str, str] = {
    "join_member": mark("her member number"),
    "disburse_loan": mark("the loan's number"),
}


def _title(model: type[Command]) -> Any:
    """The form's title: the command's own (a plugin's, in its catalog), the core's table,
    else the first sentence of its docstring."""
    if model.form_title is not None:
        return model.form_title
    found = TITLES.get(model.command_name)
    if found:
        return found
    doc = " ".join((model.__doc__ or model.command_name).split())
    return doc.split(". ")[0].split(" (")[0].replace("``", "").rstrip(".")


def _writable(request: Request[Any, Any, Any], code: str) -> tuple[User, dict[str, Any]]:
    site = Coopweb.of(request)
    return site.need_user(), site.group(code, write=True)


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _model(name: str) -> type[Command]:
    import coopledger.capabilities  # noqa: F401, PLC0415 - plugins' commands too

    if name not in commands_for("entries"):
        raise NotFoundException(f"no entry form {name!r}")
    return COMMANDS[name]


@get(
    "/groups/{code:str}/entries",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def entries_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
    _, group = _writable(request, code)
    import coopledger.capabilities  # noqa: F401, PLC0415

    forms = [(name, _title(COMMANDS[name])) for name in commands_for("entries")]
    return Coopweb.of(request).page("entries.html", group=group, forms=forms)


def _context(
    request: Request[Any, Any, Any],
    group: dict[str, Any],
    model: type[Command],
    form: CommandForm,
    **extra: Any,
) -> dict[str, Any]:
    target = None
    if model.command_name == "correct_entry" and form.values.get("target", "").isdigit():
        try:
            target = Coopweb.of(request).ledger.event(group["code"], int(form.values["target"]))
        except LedgerError:
            target = None
    return {
        "group": group,
        "command_name": model.command_name,
        "number_of": NUMBERS.get(model.command_name),
        "title": _title(model),
        "fields": fields_of(model),
        "form": form,
        "target": target,
        **extra,
    }


@get(
    "/groups/{code:str}/entries/{name:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def entry_page(request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]) -> Any:
    _, group = _writable(request, code)
    model = _model(name)
    typed = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    typed.setdefault("date", Coopweb.of(request).ledger.today().isoformat())
    typed["key"] = uuid.uuid4().hex
    form = CommandForm(typed)
    return Coopweb.of(request).page("entry.html", **_context(request, group, model, form))


def _command(form: CommandForm, model: type[Command], code: str, user: User) -> Command | None:
    if form.errors:
        return None
    try:
        return model.model_validate(
            {
                **form.data,
                "group": code.upper(),
                "key": form.values.get("key") or None,
                "recorded_by": user.username,
            }
        )
    except ValidationError as e:
        problem = invalid(e)
        form.error_for(problem.field, reason_of(problem))
    except LedgerError as e:
        form.error_for(e.field, reason_of(e))
    return None


@post("/groups/{code:str}/entries/{name:str}", include_in_schema=False, media_type=MediaType.HTML)
async def record_entry(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Any:
    model = _model(name)
    values = dict((await request.form()).items())
    return await in_thread(_record_entry, request, code, model, values)


def _record_entry(
    request: Request[Any, Any, Any], code: str, model: type[Command], values: dict[str, Any]
) -> Any:
    user, group = _writable(request, code)
    form = read(model, values)
    ledger = Coopweb.of(request).ledger
    command = _command(form, model, code, user)
    receipt, previewed = None, None
    if command is not None:
        try:
            if form.values.get("preview"):
                previewed = ledger.preview(command)
            else:
                receipt = Coopweb.of(request).record(user, command)
        except LedgerError as e:
            form.error_for(e.field, reason_of(e))
    template = "partials/entry_form.html" if _htmx(request) else "entry.html"
    context = _context(request, group, model, form, receipt=receipt, previewed=previewed)
    if receipt is None:
        return Coopweb.of(request).page(
            template, status_code=200 if previewed is not None else 422, **context
        )
    form.values = {"key": uuid.uuid4().hex, "date": form.values.get("date", "")}
    headers = {"HX-Trigger": "ledger-changed"} if _htmx(request) else None
    return Coopweb.of(request).page(template, headers=headers, **context)


ROUTES = [entries_page, entry_page, record_entry]

__all__ = ["ROUTES"]
