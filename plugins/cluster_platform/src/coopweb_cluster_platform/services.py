"""The platform's partner register and standing agreements: two pages with their forms.

``/clusters/<code>/partners``: the register (kind, name, contact, services, what refers to
each partner, what the platform owes it) and a form to register one.
``/clusters/<code>/agreements``: each agreement, what fell due month by month, paid or not,
the income booked and its split, with forms to make, end and pay under an agreement, book
income and receive money. Reading the forms is text into fields; the rules are the books'.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import MediaType, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from coopledger import LedgerError, parse_command
from coopledger.clusters.partners import PARTNER_KINDS
from coopledger.errors import InvalidInput
from coopweb import Coopweb, Resource, in_thread, mark
from coopweb_cluster_platform.forms import lines, number, parts, say

#: Codes the pages show translated (``{{ _(p.kind) }}``).
WORDS = (
    *(mark("union-council"), mark("bank"), mark("line-agency"), mark("service-provider")),
    *(mark("ngo"), mark("donor"), mark("payment"), mark("share")),
    *(mark("paid"), mark("partly paid"), mark("unpaid"), mark("not due yet")),
    *(mark("split"), mark("first-party"), mark("refused")),
)
#: The forms of each page.
PAGES = {
    "partners": ("register_partner",),
    "agreements": (
        "make_agreement",
        "end_agreement",
        "pay_under_agreement",
        "book_agreement_income",
        "receive_platform_funds",
    ),
}


def optional(field: str, text: str | None) -> int | None:
    return number(field, text) if text and text.strip() else None


def service_command(name: str, form: dict[str, str]) -> dict[str, Any]:
    """The command one of these pages' forms asks for."""
    f = {k: v.strip() for k, v in form.items()}
    base: dict[str, Any] = {"command": name, "date": f.get("date", ""), "key": f.get("key") or None}
    if name == "register_partner":
        services = [s.strip() for s in f.get("services", "").split(",") if s.strip()]
        keep = ("kind", "name", "contact")
        return {**base, **{k: f.get(k, "") for k in keep}, "services": services}
    if name == "make_agreement":
        shares = []
        for ln in lines(f.get("shares", "")):
            cells = parts("shares", ln, 2)
            share: dict[str, Any] = {"party": cells[0], "share": number("shares", cells[1])}
            if len(cells) > 2 and cells[2]:
                share["partner"] = number("shares", cells[2])
            shares.append(share)
        return {
            **base,
            "kind": f.get("kind", ""),
            "title": f.get("title", ""),
            "party": f.get("party", ""),
            "partner": optional("partner", f.get("partner")),
            "monthly": f.get("monthly") or None,
            "starts_on": f.get("starts_on", ""),
            "ends_on": f.get("ends_on") or None,
            "shares": shares,
            "term_years": number("term_years", f.get("term_years") or "0"),
            "before_term": f.get("before_term") or "first-party",
        }
    if name == "end_agreement":
        return {
            **base,
            "agreement": number("agreement", f.get("agreement", "")),
            "reason": f.get("reason", ""),
        }
    if name == "pay_under_agreement":
        return {
            **base,
            "agreement": number("agreement", f.get("agreement", "")),
            "taka": f.get("taka", ""),
            "partner": optional("partner", f.get("partner")),
        }
    if name == "book_agreement_income":
        return {
            **base,
            "agreement": number("agreement", f.get("agreement", "")),
            "taka": f.get("taka", ""),
            "source": f.get("source", ""),
        }
    if name == "receive_platform_funds":
        return {
            **base,
            "source": f.get("source", ""),
            "taka": f.get("taka", ""),
            "partner": optional("partner", f.get("partner")),
            "note": f.get("note", ""),
        }
    raise InvalidInput("command", name, say("is not a platform form"))


def _context(site: Coopweb, code: str) -> dict[str, Any]:
    from coopweb_cluster_platform import readable_cluster  # noqa: PLC0415 - no cycle

    user, cluster = site.need_user(), readable_cluster(site, code)
    reports, as_of = site.ledger.reports, site.as_of()
    return {
        "cluster": cluster,
        "register": reports.partners.register(cluster.code, as_of=as_of),
        "agreements": reports.agreements.agreements(cluster.code, as_of=as_of),
        "kinds": PARTNER_KINDS,
        "can_write": site.allowed(user, "write", Resource("cluster", cluster.as_dict())),
        "key": uuid.uuid4().hex,
        "today": site.ledger.today().isoformat(),
        "error": None,
    }


@get("/clusters/{code:str}/partners", include_in_schema=False, sync_to_thread=True)
def partners_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    return site.page("cluster_platform/partners.html", **_context(site, code))


@get("/clusters/{code:str}/agreements", include_in_schema=False, sync_to_thread=True)
def agreements_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    return site.page("cluster_platform/agreements.html", **_context(site, code))


@post(
    "/clusters/{code:str}/partners/forms/{name:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
)
async def partners_form(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Any:
    form = await request.form()
    single = {k: str(v) for k, v in form.items() if k != "_csrf_token"}
    return await in_thread(_service_form, request, code, "partners", name, single)


@post(
    "/clusters/{code:str}/agreements/forms/{name:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
)
async def agreements_form(
    request: Request[Any, Any, Any], code: FromPath[str], name: FromPath[str]
) -> Any:
    form = await request.form()
    single = {k: str(v) for k, v in form.items() if k != "_csrf_token"}
    return await in_thread(_service_form, request, code, "agreements", name, single)


def _service_form(
    request: Request[Any, Any, Any], code: str, page: str, name: str, single: dict[str, str]
) -> Any:
    from coopweb_cluster_platform import readable_cluster  # noqa: PLC0415 - no cycle

    site = Coopweb.of(request)
    user, cluster = site.need_user(), readable_cluster(site, code, write=True)
    if name not in PAGES.get(page, ()):
        raise NotFoundException(f"no form {page}/{name}")
    try:
        data = service_command(name, single)
        receipt = site.record(user, parse_command({**data, "cluster": cluster.code}))
    except LedgerError as e:
        context = _context(site, code)
        context["error"] = e
        return site.page(f"cluster_platform/{page}.html", status_code=422, **context)
    return Redirect(f"/clusters/{cluster.code}/{page}?recorded={receipt.seal}#{name}")


ROUTES = [partners_page, agreements_page, partners_form, agreements_form]
