"""``/-/plugins`` and ``/-/plugins.json``: the installed plugins, their versions and the
hooks each implements (the same listing as ``coopledger plugins``), for any signed-in user.
Registered through ``coopweb_routes`` like any plugin's pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from coopweb.application import Coopweb
from coopweb.hookspecs import hookimpl
from coopweb.plugins import inventory


@get("/-/plugins", include_in_schema=False)
async def plugins_page(request: Request[Any, Any, Any]) -> Template:
    site = Coopweb.of(request)
    site.need_user()
    return site.page("plugins.html", installed=inventory(site.pm))


@get("/-/plugins.json", include_in_schema=False)
async def plugins_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    site = Coopweb.of(request)
    site.need_user()
    return inventory(site.pm)


@hookimpl
def coopweb_routes() -> list[Any]:
    return [plugins_page, plugins_json]
