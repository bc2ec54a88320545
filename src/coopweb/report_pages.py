"""Pages of the meeting and programme reports, in Bangla and English, each with a CSV
download where its table is long: attendance of a group's weekly meetings and of a
platform's meetings and trainings, a group's three-month work plan, its welfare fund, and
the programme's loans by place for managers (see docs/reports.md).

Registered like a plugin (``coopweb.reports``): its routes and a navigation item for the
roles that read across groups.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from coopledger.loans.programme import BY
from coopledger.meetings.attendance import Attendance
from coopledger.plans.work_plan import status_name
from coopledger.welfare import use_name
from coopweb.application import Coopweb
from coopweb.hookspecs import hookimpl
from coopweb.language import mark, say
from coopweb.reports_api import PROGRAMME_ROLES, day_param
from coopweb.security import csv_writer

#: Words the books store as codes and these pages show translated (``{{ _(e.corrected) }}``).
WORDS = (
    *(mark("reversed"), mark("adjusted"), mark("female"), mark("male"), mark("other")),
    *(mark("district"), mark("upazila"), mark("union"), mark("cluster")),
)
ATTENDANCE_COLUMNS = (
    "meeting_date",
    "meeting",
    "members_female",
    "members_male",
    "members_other",
    "absent",
    "guests_female",
    "guests_male",
    "guests_other",
    "total",
)


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response[str]:
    out = io.StringIO()
    w = csv_writer(out)  # names and notes cannot become spreadsheet formulas
    w.writerow(list(header))
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return Response(
        content=out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _attendance_rows(a: Attendance) -> list[list[Any]]:
    return [
        [
            r.meeting_date,
            r.what,
            r.members["female"],
            r.members["male"],
            r.members["other"],
            r.absent,
            r.guests["female"],
            r.guests["male"],
            r.guests["other"],
            r.total,
        ]
        for r in [*a.meetings, *a.trainings, a.totals]
    ]


def _query(since: str, as_of: Any) -> str:
    """The page's own ``?since=...&as_of=...`` for its CSV link."""
    found = urlencode({k: v for k, v in (("since", since), ("as_of", as_of or "")) if v})
    return "?" + found if found else ""


def _suffix(as_of: Any, since: Any = None) -> str:
    return (f"-from-{since}" if since else "") + (f"-{as_of}" if as_of else "")


# ---------------------------------------------------------------------- attendance
def _attendance(site: Coopweb, kind: str, code: str, since: str) -> tuple[Any, dict[str, Any]]:
    """The attendance report of a group's weekly meetings or a platform's monthly ones, and
    the group or cluster it is of (read only by whom may read it)."""
    day = day_param("since", since)
    reports = site.ledger.reports.attendance
    if kind == "group":
        return reports.weekly(code, since=day, as_of=site.as_of()), site.group(code)
    return reports.platform(code, since=day, as_of=site.as_of()), site.cluster(code)


def _attendance_page(request: Request[Any, Any, Any], kind: str, code: str, since: str) -> Template:
    site = Coopweb.of(request)
    user = site.need_user()
    a, books = _attendance(site, kind, code, since)
    return site.page(
        "attendance.html",
        a=a,
        group=books if kind == "group" else None,
        base=f"/{kind}s/{books['code']}",
        title=books["name"],
        since=since,
        as_of=site.as_of(),
        query=_query(since, site.as_of()),
        personal=user.sees_personal_data,
    )


def _attendance_csv(
    request: Request[Any, Any, Any], kind: str, code: str, since: str
) -> Response[str]:
    site = Coopweb.of(request)
    a, books = _attendance(site, kind, code, since)
    name = f"{books['code']}-attendance{_suffix(site.as_of(), day_param('since', since))}"
    return _csv(name, ATTENDANCE_COLUMNS, _attendance_rows(a))


@get("/groups/{code:str}/attendance", include_in_schema=False, sync_to_thread=True)
def group_attendance(
    request: Request[Any, Any, Any], code: FromPath[str], since: FromQuery[str] = ""
) -> Template:
    return _attendance_page(request, "group", code, since)


@get("/groups/{code:str}/attendance.csv", include_in_schema=False, sync_to_thread=True)
def group_attendance_csv(
    request: Request[Any, Any, Any], code: FromPath[str], since: FromQuery[str] = ""
) -> Response[str]:
    return _attendance_csv(request, "group", code, since)


@get("/clusters/{code:str}/attendance", include_in_schema=False, sync_to_thread=True)
def cluster_attendance(
    request: Request[Any, Any, Any], code: FromPath[str], since: FromQuery[str] = ""
) -> Template:
    return _attendance_page(request, "cluster", code, since)


@get("/clusters/{code:str}/attendance.csv", include_in_schema=False, sync_to_thread=True)
def cluster_attendance_csv(
    request: Request[Any, Any, Any], code: FromPath[str], since: FromQuery[str] = ""
) -> Response[str]:
    return _attendance_csv(request, "cluster", code, since)


# ---------------------------------------------------------------------- work plan
@get("/groups/{code:str}/work-plan", include_in_schema=False, sync_to_thread=True)
def work_plan(
    request: Request[Any, Any, Any], code: FromPath[str], start: FromQuery[str] = ""
) -> Template:
    site = Coopweb.of(request)
    group = site.group(code)
    reports = site.ledger.reports.work_plans
    return site.page(
        "work_plan.html",
        group=group,
        plan=reports.plan(code, start or None, as_of=site.as_of()),
        starts=reports.starts(code, as_of=site.as_of()),
        status_name=status_name,
        as_of=site.as_of(),
    )


# ---------------------------------------------------------------------- welfare
@get("/groups/{code:str}/welfare", include_in_schema=False, sync_to_thread=True)
def welfare(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    user, group = site.need_user(), site.group(code)
    return site.page(
        "welfare.html",
        group=group,
        fund=site.ledger.reports.welfare.fund(code, as_of=site.as_of()),
        use_name=use_name,
        as_of=site.as_of(),
        personal=user.sees_personal_data,
    )


@get("/groups/{code:str}/welfare.csv", include_in_schema=False, sync_to_thread=True)
def welfare_csv(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    site = Coopweb.of(request)
    user, group = site.need_user(), site.group(code)
    fund = site.ledger.reports.welfare.fund(code, as_of=site.as_of())
    personal = user.sees_personal_data
    header = ["entry_date", "kind", "use", "member_no", "name", "household", "source", "taka"]
    if not personal:
        header = [h for h in header if h not in ("name", "household")]
    rows = [[getattr(e, h) for h in header] for e in fund.entries]
    return _csv(f"{group['code']}-welfare{_suffix(site.as_of())}", header, rows)


# ---------------------------------------------------------------------- the programme
def _manager(site: Coopweb) -> None:
    if site.need_user().role not in PROGRAMME_ROLES:
        raise PermissionDeniedException(
            say("The programme's figures are for managers and auditors.")
        )


@get("/programme/loans", include_in_schema=False, sync_to_thread=True)
def programme_loans(request: Request[Any, Any, Any], by: FromQuery[str] = "district") -> Template:
    site = Coopweb.of(request)
    _manager(site)
    report = site.ledger.reports.programme.loans(by=by, as_of=site.as_of())
    return site.page("programme_loans.html", report=report, choices=list(BY), as_of=site.as_of())


@get("/programme/loans.csv", include_in_schema=False, sync_to_thread=True)
def programme_loans_csv(
    request: Request[Any, Any, Any], by: FromQuery[str] = "district"
) -> Response[str]:
    site = Coopweb.of(request)
    _manager(site)
    report = site.ledger.reports.programme.loans(by=by, as_of=site.as_of())
    header = [
        "by",
        "name",
        "groups",
        "loans",
        "open",
        "borrowers",
        "disbursed",
        "recovered",
        "charge",
        "outstanding",
        "overdue",
        "at_risk",
        "par30",
        "written_off",
    ]
    rows = [[getattr(r, h) for h in header] for r in [*report.rows, report.total]]
    return _csv(f"programme-loans-by-{report.by}{_suffix(site.as_of())}", header, rows)


# ---------------------------------------------------------------------- hooks
@hookimpl
def coopweb_routes() -> list[Any]:
    return [
        group_attendance,
        group_attendance_csv,
        cluster_attendance,
        cluster_attendance_csv,
        work_plan,
        welfare,
        welfare_csv,
        programme_loans,
        programme_loans_csv,
    ]


@hookimpl
def coopweb_nav_items(user: Any) -> list[tuple[str, str]]:
    if user is not None and user.role in PROGRAMME_ROLES:
        return [(mark("Programme loans"), "/programme/loans")]
    return []


__all__ = ["coopweb_nav_items", "coopweb_routes"]
