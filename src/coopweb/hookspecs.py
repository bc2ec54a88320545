"""The hooks a coopweb plugin can implement (documented in docs/plugins.md).

A plugin is a module or object with functions marked ``@coopweb.hookimpl``; it may accept
only the arguments it uses. Plugins are found through the ``coopweb.plugins`` entry point
group; the core registers its own features (pages, panels, navigation, filters, the
permissions of the roles) through the same hooks. ``app`` is always the
:class:`coopweb.Coopweb` application object.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from coopledger.kernel.commands import Command
    from coopledger.kernel.unit import Receipt
    from coopweb.accounts import User
    from coopweb.application import Coopweb, Resource

hookspec = pluggy.HookspecMarker("coopweb")
hookimpl = pluggy.HookimplMarker("coopweb")


@hookspec
def coopweb_routes() -> list[Any]:
    """Return Litestar route handlers (or routers) to add to the application's pages; a
    route under ``/groups/{code}`` or ``/clusters/{code}`` is guarded (read, or write for
    a method other than GET) whatever its handler checks."""
    raise NotImplementedError


@hookspec
def coopweb_template_dirs() -> list[Path]:
    """Return folders of Jinja2 templates; keep yours under ``<plugin_name>/``."""
    raise NotImplementedError


@hookspec
def coopweb_static_dirs() -> list[tuple[str, Path]]:
    """Return (name, folder) pairs served at ``/static/<name>/``."""
    raise NotImplementedError


@hookspec
def coopweb_nav_items(user: User | None) -> list[tuple[str, str]]:
    """Return (label, url) links for the top navigation, for this user."""
    raise NotImplementedError


@hookspec
def coopweb_group_panels(
    app: Coopweb, ledger: Any, group: dict[str, Any], user: User, as_of: Any, render: Any
) -> list[Any]:
    """Return panels (``coopweb.Panel``) for a group's dashboard; ``render(name,
    **context)`` renders one of the application's templates to HTML."""
    raise NotImplementedError


@hookspec(firstresult=True)
def coopweb_group_template(group: dict[str, Any]) -> str | None:
    """Claim a group: return the template that renders its dashboard, or None."""
    raise NotImplementedError


@hookspec(firstresult=True)
def coopweb_permission(app: Coopweb, user: User, action: str, resource: Resource) -> bool | None:
    """May ``user`` do ``action`` (``"read"``, ``"write"`` ...) to ``resource`` (a
    ``coopweb.Resource``)? Return True or False to decide, None to leave it to the next
    plugin; the core answers last, from the roles. No answer at all is a refusal."""
    raise NotImplementedError


@hookspec
def coopweb_jinja_filters(app: Coopweb) -> dict[str, Any]:
    """Return ``{name: function}`` Jinja filters to add to the templates' environment."""
    raise NotImplementedError


@hookspec
def coopweb_template_vars(app: Coopweb, template: str, user: User | None) -> dict[str, Any]:
    """Return variables for every page rendered through ``Coopweb.page`` (the page's own
    context wins over them); ``app`` is bound to the request."""
    raise NotImplementedError


@hookspec
def coopweb_startup(app: Coopweb) -> None:
    """Called once when the application starts serving (``app`` is the ``Coopweb``)."""
    raise NotImplementedError


@hookspec
def coopweb_recorded(app: Coopweb, user: User, command: Command, receipt: Receipt) -> None:
    """Called after ``Coopweb.record`` recorded ``command`` for ``user`` (not for a
    replayed key); ``receipt`` holds the stream, positions and seal. An exception here is
    logged and undoes nothing."""


@hookspec
def coopweb_catalogs() -> list[Any]:
    """Return the plugin's gettext catalogs (``coopledger.i18n.Catalog(domain, localedir)``):
    its templates' words are looked up there after the web's own catalog."""
    raise NotImplementedError
