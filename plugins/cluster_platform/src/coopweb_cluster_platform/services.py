"""The platform's partner register and standing agreements: two pages.

``/clusters/<code>/partners``: the register (kind, name, contact, services, what refers to
each partner, what the platform owes it) and a link to the form that registers one.
``/clusters/<code>/agreements``: each agreement, what fell due month by month, paid or not,
the income booked and its split, with links to the forms that make, end and pay under an
agreement, book income and receive money: the core's entry forms
(``/clusters/<code>/entries/<command>``), tables of rows for an agreement's shares.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from coopledger.clusters.partners import PARTNER_KINDS
from coopweb import Coopweb, Resource, mark

#: Codes the pages show translated (``{{ _(p.kind) }}``).
WORDS = (
    *(mark("union-council"), mark("bank"), mark("line-agency"), mark("service-provider")),
    *(mark("ngo"), mark("donor"), mark("payment"), mark("share")),
    *(mark("paid"), mark("partly paid"), mark("unpaid"), mark("not due yet")),
    *(mark("split"), mark("first-party"), mark("refused")),
)


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
    }


@get("/clusters/{code:str}/partners", include_in_schema=False, sync_to_thread=True)
def partners_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    return site.page("cluster_platform/partners.html", **_context(site, code))


@get("/clusters/{code:str}/agreements", include_in_schema=False, sync_to_thread=True)
def agreements_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    site = Coopweb.of(request)
    return site.page("cluster_platform/agreements.html", **_context(site, code))


ROUTES = [partners_page, agreements_page]
