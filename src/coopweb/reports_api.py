"""The JSON API's meeting and programme reports (under ``/api/v1``, bearer tokens):
attendance of weekly and platform meetings, a group's work plan, its welfare fund, and the
programme's loans by place. See docs/reports.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromPath, FromQuery

from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.reports import plain
from coopweb.accounts import User
from coopweb.application import Coopweb, Resource, as_of_param, find_cluster, find_group

#: Who may read the programme's figures across groups.
PROGRAMME_ROLES = ("manager", "auditor", "admin")


def day_param(name: str, text: str) -> date | None:
    """A ``YYYY-MM-DD`` query parameter (empty: none); a refusal names it."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(name, text, _("must be a date (YYYY-MM-DD)")) from None


def _user(request: Request[Any, Any, Any]) -> User:
    """The account of the bearer token (as the rest of the API reads it)."""
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    user: User | None = (
        request.app.state.accounts.by_token(token.strip())
        if scheme.lower() == "bearer" and token.strip()
        else None
    )
    if user is None:
        raise NotAuthorizedException("send Authorization: Bearer <token> (POST /api/v1/tokens)")
    return user


def _group(request: Request[Any, Any, Any], code: str) -> User:
    user = _user(request)
    group = find_group(request.app.state.ledger, code)
    Coopweb.of(request).require(user, "read", Resource("group", group))
    return user


def _cluster(request: Request[Any, Any, Any], code: str) -> User:
    user = _user(request)
    cluster = find_cluster(request.app.state.ledger, code)
    Coopweb.of(request).require(user, "read", Resource("cluster", cluster))
    return user


def _private(report: dict[str, Any], user: User, rows: str, keys: tuple[str, ...]) -> Any:
    """Names and households only for roles that work with them."""
    if not user.sees_personal_data:
        for r in report[rows]:
            for key in keys:
                r.pop(key, None)
    return plain(report)


@get(
    "/groups/{code:str}/attendance",
    summary="Weekly meetings' attendance: members and guests by gender (since, as_of)",
    sync_to_thread=True,
)
def group_attendance(
    request: Request[Any, Any, Any], code: FromPath[str], since: FromQuery[str] = ""
) -> dict[str, Any]:
    user = _group(request, code)
    report = request.app.state.ledger.reports.attendance.weekly(
        code, since=day_param("since", since), as_of=as_of_param(request)
    )
    return _private(report.as_dict(), user, "members", ("name",))  # type: ignore[no-any-return]


@get(
    "/clusters/{code:str}/attendance",
    summary="Platform meetings' and trainings' attendance by gender (since, as_of)",
    sync_to_thread=True,
)
def cluster_attendance(
    request: Request[Any, Any, Any], code: FromPath[str], since: FromQuery[str] = ""
) -> dict[str, Any]:
    user = _cluster(request, code)
    report = request.app.state.ledger.reports.attendance.platform(
        code, since=day_param("since", since), as_of=as_of_param(request)
    )
    return _private(report.as_dict(), user, "members", ("name",))  # type: ignore[no-any-return]


@get(
    "/groups/{code:str}/work-plan",
    summary="A group's three-month work plan and its review (start=YYYY-MM, as_of)",
    sync_to_thread=True,
)
def work_plan(
    request: Request[Any, Any, Any], code: FromPath[str], start: FromQuery[str] = ""
) -> dict[str, Any] | None:
    _group(request, code)
    plan = request.app.state.ledger.reports.work_plans.plan(
        code, start or None, as_of=as_of_param(request)
    )
    return None if plan is None else plain(plan)


@get(
    "/groups/{code:str}/welfare",
    summary="The welfare fund: gifts, uses, balance (as_of)",
    sync_to_thread=True,
)
def welfare(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    user = _group(request, code)
    fund = request.app.state.ledger.reports.welfare.fund(code, as_of=as_of_param(request))
    return _private(fund.as_dict(), user, "entries", ("name", "household"))  # type: ignore[no-any-return]


@get(
    "/programme/loans",
    summary="Loans by district, upazila, union or cluster: out, recovered, PAR30 (by, as_of)",
    sync_to_thread=True,
)
def programme_loans(request: Request[Any, Any, Any], by: FromQuery[str] = "district") -> Any:
    user = _user(request)
    if user.role not in PROGRAMME_ROLES:
        raise PermissionDeniedException("programme figures are for managers and auditors")
    report = request.app.state.ledger.reports.programme.loans(by=by, as_of=as_of_param(request))
    return plain(report)


ROUTES = [group_attendance, cluster_attendance, work_plan, welfare, programme_loans]

__all__ = ["ROUTES", "day_param"]
