"""Every group and cluster command has a page: ``/groups/JOBA/entries`` lists a group's,
``/groups/JOBA/entries/<command>`` is its form, built from the command's model
(:mod:`coopweb.commandform`); ``/clusters/C1/entries`` and ``/clusters/C1/entries/<command>``
do the same for a cluster platform's commands (the MoU, the combined plan, the register of
the extreme poor ...).

The behaviour is the meeting form's: one command, one transaction, recorded once for its
key (a hidden input made with the form, so a double submit or a reload records nothing
twice); a refusal comes back as the form refilled with the error next to its field
(an HTML page, or the form alone for htmx, 422); the confirmation shows the seal to write
in the minutes. "Preview" shows what the command would record (a loan's schedule, a
correction's reversal) with nothing written, decided by the same rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
from coopweb.language import mark, say

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
    "set_approval_rules": mark("Which entries need a second signature"),
    "approve_entry": mark("Approve an entry (second signature)"),
    "reject_entry": mark("Reject an entry waiting for a second signature"),
    "define_loan_product": mark("A loan product"),
    "set_loan_fine_rule": mark("The group's fine for late instalments"),
    "assess_loan_fines": mark("Charge fines on late instalments"),
    "pay_loan_fine": mark("A fine paid"),
    "adopt_plan": mark("The annual plan"),
    "hold_review": mark("The yearly joint review"),
    "count_guests": mark("Guests at a weekly meeting"),
    "adopt_work_plan": mark("A new group's three-month work plan"),
    "review_work_plan": mark("Review the work plan"),
    "receive_welfare_gift": mark("A gift for welfare"),
    "pay_welfare": mark("The welfare fund pays"),
    # a cluster platform's
    "join_cluster": mark("A group joins the cluster"),
    "leave_cluster": mark("A group leaves the cluster"),
    "name_representative": mark("A group's representative"),
    "representative_steps_down": mark("A representative steps down"),
    "plan_rotation": mark("Who chairs and hosts the monthly meetings"),
    "record_platform_meeting": mark("A monthly platform meeting"),
    "sign_mou": mark("Sign the MoU (a new version)"),
    "list_extreme_poor": mark("An extreme-poor household on the register"),
    "apply_safety_net": mark("A safety-net application"),
    "decide_safety_net": mark("A decision on an application"),
    "hold_training": mark("A training or community event"),
    "adopt_cluster_plan": mark("The year's combined plan (APO)"),
    "hold_cluster_review": mark("The joint review of the combined plan"),
    "arrange_bank_loan": mark("A bank loan guaranteed by the platform"),
    "collect_bank_instalment": mark("A bank loan instalment collected"),
    "pay_bank": mark("Money paid over to the bank"),
    "register_partner": mark("Register a partner or service provider"),
    "make_agreement": mark("Make an agreement"),
    "pay_under_agreement": mark("Pay under an agreement"),
    "book_agreement_income": mark("Income under an agreement"),
    "receive_platform_funds": mark("Money received by the platform"),
    "end_agreement": mark("End an agreement"),
    "close_cycle": mark("Close the savings cycle and share out"),
    "reverse_cycle_close": mark("Reverse a cycle's close"),
    "count_platform_guests": mark("Guests at a platform meeting"),
}


#: Commands whose receipt gives back a number people use, and what it is.
NUMBERS: dict[str, str] = {
    "join_member": mark("her member number"),
    "disburse_loan": mark("the loan's number"),
    "list_extreme_poor": mark("the register entry's number"),
    "apply_safety_net": mark("the application's number"),
    "close_cycle": mark("the cycle's number"),
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


@dataclass(frozen=True)
class Books:
    """Whose books a form records into: a group (``/groups/JOBA``) or a cluster platform
    (``/clusters/C1``), with the web API endpoint whose commands it offers."""

    kind: str  # "group" or "cluster": the commands' field naming it
    code: str
    name: str
    endpoint: str

    @property
    def url(self) -> str:
        return f"/{self.kind}s/{self.code}"


#: The commands each kind of books offers as entry forms.
ENDPOINTS = {"group": "entries", "cluster": "cluster-entries"}


def _writable(request: Request[Any, Any, Any], kind: str, code: str) -> tuple[User, Books]:
    site = Coopweb.of(request)
    record = site.group(code, write=True) if kind == "group" else site.cluster(code, write=True)
    name = str(record.get("name") or record["code"])
    return site.need_user(), Books(kind, str(record["code"]), name, ENDPOINTS[kind])


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _model(kind: str, name: str) -> type[Command]:
    import coopledger.capabilities  # noqa: F401, PLC0415 - plugins' commands too

    if name not in commands_for(ENDPOINTS[kind]):
        raise NotFoundException(say("There is no entry form {name}.", name=repr(name)))
    return COMMANDS[name]


def _entries_page(request: Request[Any, Any, Any], kind: str, code: str) -> Any:
    _, books = _writable(request, kind, code)
    import coopledger.capabilities  # noqa: F401, PLC0415

    forms = [(name, _title(COMMANDS[name])) for name in commands_for(books.endpoint)]
    return Coopweb.of(request).page("entries.html", books=books, forms=forms)


@get(
    "/groups/{code:str}/entries",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def entries_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
    return _entries_page(request, "group", code)


@get(
    "/clusters/{code:str}/entries",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def cluster_entries_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
    return _entries_page(request, "cluster", code)


def _context(
    request: Request[Any, Any, Any],
    books: Books,
    model: type[Command],
    form: CommandForm,
    **extra: Any,
) -> dict[str, Any]:
    target = None
    if model.command_name == "correct_entry" and form.values.get("target", "").isdigit():
        try:
            target = Coopweb.of(request).ledger.event(books.code, int(form.values["target"]))
        except LedgerError:
            target = None
    return {
        "books": books,
        "command_name": model.command_name,
        "number_of": NUMBERS.get(model.command_name),
        "title": _title(model),
        "fields": fields_of(model, form.values, books.kind),
        "form": form,
        "target": target,
        "receipt": None,
        "previewed": None,
        **extra,
    }


def _entry_page(request: Request[Any, Any, Any], kind: str, code: str, name: str) -> Any:
    _, books = _writable(request, kind, code)
    model = _model(kind, name)
    typed = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    typed.setdefault("date", Coopweb.of(request).ledger.today().isoformat())
    typed["key"] = uuid.uuid4().hex
    form = CommandForm(typed)
    return Coopweb.of(request).page("entry.html", **_context(request, books, model, form))


@get(
    "/groups/{code:str}/entries/{name:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def entry_page(request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]) -> Any:
    return _entry_page(request, "group", code, name)


@get(
    "/clusters/{code:str}/entries/{name:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def cluster_entry_page(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Any:
    return _entry_page(request, "cluster", code, name)


def _command(form: CommandForm, model: type[Command], books: Books, user: User) -> Command | None:
    if form.errors:
        return None
    try:
        return model.model_validate(
            {
                **form.data,
                books.kind: books.code.upper(),
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
    model = _model("group", name)
    values = dict((await request.form()).items())
    return await in_thread(_record_entry, request, "group", code, model, values)


@post("/clusters/{code:str}/entries/{name:str}", include_in_schema=False, media_type=MediaType.HTML)
async def record_cluster_entry(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Any:
    model = _model("cluster", name)
    values = dict((await request.form()).items())
    return await in_thread(_record_entry, request, "cluster", code, model, values)


def _record_entry(
    request: Request[Any, Any, Any],
    kind: str,
    code: str,
    model: type[Command],
    values: dict[str, Any],
) -> Any:
    user, books = _writable(request, kind, code)
    form = read(model, values, books.kind)
    ledger = Coopweb.of(request).ledger
    command = _command(form, model, books, user)
    receipt, previewed = None, None
    if form.values.get("more"):  # "More rows": the same form, longer, nothing recorded
        form.errors.clear()
        command = None
    if command is not None:
        try:
            if form.values.get("preview"):
                previewed = ledger.preview(command)
            else:
                receipt = Coopweb.of(request).record(user, command)
        except LedgerError as e:
            form.error_for(e.field, reason_of(e))
    template = "partials/entry_form.html" if _htmx(request) else "entry.html"
    context = _context(request, books, model, form, receipt=receipt, previewed=previewed)
    if receipt is None:
        asked = previewed is not None or bool(form.values.get("more"))
        return Coopweb.of(request).page(template, status_code=200 if asked else 422, **context)
    form.values = {"key": uuid.uuid4().hex, "date": form.values.get("date", "")}
    headers = {"HX-Trigger": "ledger-changed"} if _htmx(request) else None
    return Coopweb.of(request).page(template, headers=headers, **context)


ROUTES = [
    entries_page,
    entry_page,
    record_entry,
    cluster_entries_page,
    cluster_entry_page,
    record_cluster_entry,
]

__all__ = ["ROUTES"]
