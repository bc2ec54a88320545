"""coopweb plugin: cluster platforms (representatives, MoU, plans, reviews, safety nets)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from coopledger import LedgerError, parse_command
from coopledger.clusters.records import SCHEMES
from coopledger.clusters.reports import ClusterInfo
from coopledger.i18n import Catalog
from coopledger.kernel.streams import cluster_key
from coopweb import Coopweb, Resource, hookimpl, in_thread, mark
from coopweb_cluster_platform import services
from coopweb_cluster_platform.forms import command

HERE = Path(__file__).parent
#: The platform pages' own words (``./dev catalogs`` keeps them; docs/languages.md).
CATALOG = Catalog("coopweb_cluster_platform", str(HERE / "locale"))
#: Words the books store as codes and the pages show translated (``{{ _(n.outcome) }}``).
WORDS = (
    *(mark("granted"), mark("refused"), mark("waiting"), mark("done"), mark("partly")),
    *(mark("not"), mark("kept"), mark("female"), mark("male")),
    *(mark("other"), mark("extreme-poor"), mark("poor"), mark("middle"), mark("better-off")),
    *(mark("vgd"), mark("vgf"), mark("old-age-allowance"), mark("widow-allowance")),
    *(mark("khas-land"), mark("khas-pond"), mark("shelter"), mark("vaccination-camp")),
    *(mark("group-leader"), mark("field-facilitator")),
)
#: The platform's two forms drawn from its own books (its representatives to tick, its
#: plan's activities and MoU commitments to review); every other platform command is a
#: core entry form (``/clusters/{code}/entries/{name}``), listed here in the field's order.
FORMS = ("record_platform_meeting", "hold_cluster_review")
ENTRIES = (
    ("name_representative", mark("A group's representative")),
    ("plan_rotation", mark("Who chairs and hosts the monthly meetings")),
    ("sign_mou", mark("Sign the MoU (a new version)")),
    ("adopt_cluster_plan", mark("The year's combined plan (APO)")),
    ("list_extreme_poor", mark("An extreme-poor household on the register")),
    ("apply_safety_net", mark("A safety-net application")),
    ("decide_safety_net", mark("A decision on an application")),
    ("hold_training", mark("A training or community event")),
    ("count_platform_guests", mark("Guests at a platform meeting")),
    ("arrange_bank_loan", mark("A bank loan guaranteed by the platform")),
    ("collect_bank_instalment", mark("A bank loan instalment collected")),
    ("pay_bank", mark("Money paid over to the bank")),
    ("representative_steps_down", mark("A representative steps down")),
)


@hookimpl
def coopweb_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def coopweb_catalogs() -> list[Catalog]:
    return [CATALOG]


@hookimpl
def coopweb_nav_items(user: Any) -> list[tuple[str, str]]:
    return [(mark("Clusters"), "/clusters")] if user is not None else []


def readable_cluster(site: Coopweb, code: str, *, write: bool = False) -> ClusterInfo:
    """The cluster, typed, if the signed-in user may read it (``write``: record for it)."""
    return ClusterInfo(**site.cluster(code, write=write))


@get("/clusters", include_in_schema=False, sync_to_thread=True)
def clusters_page(request: Request[Any, Any, Any]) -> Template:
    site = Coopweb.of(request)
    user = site.need_user()
    clusters = site.ledger.reports.clusters.clusters()
    rows = [c for c in clusters if site.allowed(user, "read", Resource("cluster", c.as_dict()))]
    return site.page("cluster_platform/clusters.html", clusters=rows)


def _platform_context(site: Coopweb, code: str) -> dict[str, Any]:
    user, cluster = site.need_user(), readable_cluster(site, code)
    ledger = site.ledger
    reports, as_of = ledger.reports, site.as_of()
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
        "can_write": site.allowed(user, "write", Resource("cluster", cluster.as_dict())),
        "schemes": SCHEMES,
        "partners": reports.partners.register(cluster.code, as_of=as_of).partners,
        "key": uuid.uuid4().hex,
        "today": ledger.today().isoformat(),
        "entries": ENTRIES,
        "error": None,
        "failed": "",  # the form refused, shown open with what was typed
        "typed": {},
        "present": [],
    }


@get("/clusters/{code:str}", include_in_schema=False, sync_to_thread=True)
def platform_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    return site.page("cluster_platform/platform.html", **_platform_context(site, code))


@post("/clusters/{code:str}/forms/{name:str}", include_in_schema=False, media_type=MediaType.HTML)
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
    site = Coopweb.of(request)
    user, cluster = site.need_user(), readable_cluster(site, code, write=True)
    if name not in FORMS:
        raise NotFoundException(f"no form {name}")
    try:
        data = command(name, single, multi)
        receipt = site.record(user, parse_command({**data, "cluster": cluster.code}))
    except LedgerError as e:
        context = _platform_context(site, code)
        context.update(error=e, failed=name, typed=single, present=multi.get("present", []))
        return site.page("cluster_platform/platform.html", status_code=422, **context)
    return Redirect(f"/clusters/{cluster.code}?recorded={receipt.seal}#{name}")


@get("/clusters/{code:str}/reviews/{year:int}", include_in_schema=False, sync_to_thread=True)
def review_sheet(
    request: Request[Any, Any, Any], code: FromPath[str], year: FromPath[int]
) -> Template:
    site = Coopweb.of(request)
    cluster = readable_cluster(site, code)
    reports = site.ledger.reports
    review = reports.plans.review(cluster_key(cluster.code), year)
    plan = reports.plans.plan(cluster_key(cluster.code), year)
    if review is None or plan is None:
        raise NotFoundException(f"cluster {cluster.code} has no review of {year}")
    planned = {a.id: a for a in plan.activities}
    mous = reports.clusters.platform(cluster.code).mous
    mou = next((m for m in mous if m.version == review.mou_version), None)
    return site.page(
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
    return [clusters_page, platform_page, platform_form, review_sheet, *services.ROUTES]
