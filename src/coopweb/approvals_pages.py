"""The page of a group's entries waiting for a second signature (``/groups/JOBA/approvals``):
each with what was sent and who made it, a button to approve it and a reason to reject it;
then the entries decided, with maker and checker. Approving and rejecting go through
``Coopweb.record`` like any entry, which asks the ``approve`` right (a manager of the
group's partner, unless a plugin says otherwise); the rules stay in
:mod:`coopledger.approvals`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from coopledger import LedgerError
from coopledger.approvals import (
    DEFAULT_COMMANDS,
    DEFAULT_COMMANDS_LATER,
    DEFAULT_LOAN_LIMIT,
    ApproveEntry,
    RejectEntry,
)
from coopledger.kernel.commands import validated
from coopweb.accounts import User
from coopweb.application import Coopweb, Resource, in_thread
from coopweb.commandform import LABELS
from coopweb.entries import TITLES
from coopweb.forms import reason_of

#: Fields of a waiting command not worth a line on the page.
UNSHOWN = frozenset({"command", "group"})


def _context(request: Request[Any, Any, Any], user: User, group: dict[str, Any]) -> dict[str, Any]:
    site = Coopweb.of(request)
    approvals = site.ledger.reports.approvals
    rules = getattr(site.ledger.load(group["code"]), "approval_rules", None)
    shown = rules or {
        "commands": [*DEFAULT_COMMANDS, *DEFAULT_COMMANDS_LATER],
        "loan_limit": DEFAULT_LOAN_LIMIT,
    }
    prefill = {f"commands.{i}": name for i, name in enumerate(sorted(shown["commands"]))}
    if shown["loan_limit"] is not None:
        prefill["loan_limit"] = str(shown["loan_limit"])
    return {
        "group": group,
        "waiting": approvals.waiting(group["code"]),
        "decided": [a for a in approvals.entries(group["code"]) if a.status != "waiting"][:50],
        "rules": rules,
        "may_approve": site.allowed(user, "approve", Resource("group", group)),
        "may_write": site.allowed(user, "write", Resource("group", group)),
        "rules_form": f"/groups/{group['code']}/entries/set_approval_rules?{urlencode(prefill)}",
        "titles": TITLES,
        "labels": LABELS,
        "unshown": UNSHOWN,
        "today": site.ledger.today().isoformat(),
        "key": uuid.uuid4().hex,
    }


@get(
    "/groups/{code:str}/approvals",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def approvals_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
    site = Coopweb.of(request)
    user, group = site.need_user(), site.group(code)
    return site.page("approvals.html", **_context(request, user, group))


@post(
    "/groups/{code:str}/approvals/{entry:int}/{decision:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
)
async def decide(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    entry: FromPath[int],
    decision: FromPath[str],
) -> Any:
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await in_thread(_decide, request, code, entry, decision, values)


def _decide(
    request: Request[Any, Any, Any], code: str, entry: int, decision: str, values: dict[str, str]
) -> Any:
    site = Coopweb.of(request)
    user, group = site.need_user(), site.group(code)
    fields: dict[str, Any] = {
        "group": group["code"],
        "entry": entry,
        "key": values.get("key") or None,
        "recorded_by": user.username,
        "date": values.get("date") or site.ledger.today().isoformat(),
    }
    problem: tuple[int, str, Any] | None = None
    done = None
    try:
        if decision == "approve":
            command = validated(ApproveEntry, **fields)
        elif decision == "reject":
            command = validated(RejectEntry, **fields, reason=values.get("reason", ""))
        else:
            raise NotFoundException(f"no such decision {decision!r}: approve or reject")
        receipt = site.record(user, command)
        done = (decision, entry, receipt)
    except LedgerError as e:
        problem = (entry, e.field or "", reason_of(e))
    context = _context(request, user, group)
    return site.page(
        "approvals.html",
        status_code=422 if problem else 200,
        problem=problem,
        done=done,
        typed=values,
        **context,
    )


ROUTES = [approvals_page, decide]

__all__ = ["ROUTES"]
