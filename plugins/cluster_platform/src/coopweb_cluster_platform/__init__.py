"""coopweb plugin: cluster platforms (representatives, MoU, plans, reviews, safety nets)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from coopledger import Ledger, LedgerError, parse_command
from coopledger.clusters.records import SCHEMES
from coopledger.clusters.reports import ClusterInfo
from coopledger.kernel.streams import cluster_key
from coopweb import User, hookimpl
from coopweb.app import as_of_param, in_thread, need_user, page, state
from coopweb_cluster_platform.forms import command

HERE = Path(__file__).parent
FORMS = (
    "record_platform_meeting",
    "name_representative",
    "sign_mou",
    "list_extreme_poor",
    "apply_safety_net",
    "decide_safety_net",
    "hold_training",
    "adopt_cluster_plan",
    "hold_cluster_review",
)


@hookimpl
def coopweb_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def coopweb_nav_items(user: Any) -> list[tuple[str, str]]:
    return [("Clusters", "/clusters")] if user is not None else []


def ledger_of(request: Request[Any, Any, Any]) -> Ledger:
    """The application's ledger (typed, so that the report calls are checked)."""
    ledger: Ledger = state(request).ledger
    return ledger


def readable_cluster(request: Request[Any, Any, Any], code: str) -> tuple[User, ClusterInfo]:
    user = need_user(request)
    clusters = ledger_of(request).reports.clusters.clusters()
    found = [c for c in clusters if c.code == code.upper()]
    if not found:
        raise NotFoundException(f"no cluster {code.upper()}")
    if not user.can_read_cluster(found[0].as_dict()):
        raise PermissionDeniedException(f"{user.username} may not see cluster {code.upper()}")
    return user, found[0]


@get("/clusters", include_in_schema=False, sync_to_thread=True)
def clusters_page(request: Request[Any, Any, Any]) -> Template:
    user = need_user(request)
    clusters = ledger_of(request).reports.clusters.clusters()
    rows = [c for c in clusters if user.can_read_cluster(c.as_dict())]
    return page(request, "cluster_platform/clusters.html", clusters=rows)


def _platform_context(request: Request[Any, Any, Any], code: str) -> dict[str, Any]:
    user, cluster = readable_cluster(request, code)
    ledger = ledger_of(request)
    reports, as_of = ledger.reports, as_of_param(request)
    p = reports.clusters.platform(cluster.code, as_of=as_of)
    stream = cluster_key(cluster.code)
    years = reports.plans.years(stream)
    plans = [reports.plans.plan(stream, y) for y in years]
    reviews = {y: reports.plans.review(stream, y) for y in years}
    done = [r for r in reviews.values() if r]
    carried = [x.text for x in done[-1].recommendations if x.carry] if done else []
    return {
        "cluster": cluster,
        "p": p,
        "plans": [x for x in plans if x],
        "reviews": reviews,
        "bank": reports.clusters.bank_loans(cluster.code, as_of=as_of),
        "carried": carried,
        "personal": user.sees_personal_data,
        "can_write": user.can_write_cluster(cluster.as_dict()),
        "schemes": SCHEMES,
        "key": uuid.uuid4().hex,
        "today": ledger.today().isoformat(),
        "error": None,
    }


@get("/clusters/{code:str}", include_in_schema=False, sync_to_thread=True)
def platform_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    return page(request, "cluster_platform/platform.html", **_platform_context(request, code))


@post("/clusters/{code:str}/forms/{name:str}", include_in_schema=False)
async def platform_form(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Any:
    form = await request.form()
    single = {k: str(v) for k, v in form.items() if k != "_csrf_token"}
    multi = {"present": [str(v) for v in form.getall("present")]} if "present" in form else {}
    return await in_thread(_platform_form, request, code, name, single, multi)


def _platform_form(
    request: Request[Any, Any, Any],
    code: str,
    name: str,
    single: dict[str, str],
    multi: dict[str, list[str]],
) -> Any:
    user, cluster = readable_cluster(request, code)
    if not user.can_write_cluster(cluster.as_dict()):
        raise PermissionDeniedException(
            f"{user.username} may not record for cluster {cluster.code}"
        )
    if name not in FORMS:
        raise NotFoundException(f"no form {name}")
    try:
        data = command(name, single, multi)
        receipt = ledger_of(request).execute(
            parse_command({**data, "cluster": cluster.code, "recorded_by": user.username})
        )
    except LedgerError as e:
        context = _platform_context(request, code)
        context["error"] = f"Nothing was recorded: {e.message}"
        return page(request, "cluster_platform/platform.html", status_code=422, **context)
    return Redirect(f"/clusters/{cluster.code}?recorded={receipt.seal}#{name}")


@get("/clusters/{code:str}/reviews/{year:int}", include_in_schema=False, sync_to_thread=True)
def review_sheet(
    request: Request[Any, Any, Any], code: FromPath[str], year: FromPath[int]
) -> Template:
    _, cluster = readable_cluster(request, code)
    reports = ledger_of(request).reports
    review = reports.plans.review(cluster_key(cluster.code), year)
    plan = reports.plans.plan(cluster_key(cluster.code), year)
    if review is None or plan is None:
        raise NotFoundException(f"cluster {cluster.code} has no review of {year}")
    planned = {a.id: a for a in plan.activities}
    mous = reports.clusters.platform(cluster.code).mous
    mou = next((m for m in mous if m.version == review.mou_version), None)
    return page(
        request,
        "cluster_platform/review.html",
        cluster=cluster,
        review=review,
        plan=plan,
        planned=planned,
        mou=mou,
        total_budget=sum((a.budget for a in plan.activities), Decimal(0)),
        group_seals=json.dumps(review.group_seals),
    )


@hookimpl
def coopweb_routes() -> list[Any]:
    return [clusters_page, platform_page, platform_form, review_sheet]
