"""The hooks a coopweb plugin can implement (documented in docs/plugins.md).

A plugin is a module or object with functions marked ``@coopweb.hookimpl``; it may accept
only the arguments it uses. Plugins are found through the ``coopweb.plugins`` entry point
group; the core registers its own features through the same hooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("coopweb")
hookimpl = pluggy.HookimplMarker("coopweb")


@hookspec
def coopweb_routes() -> list[Any]:
    """Return Litestar route handlers (or routers) to add to the application."""
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
def coopweb_nav_items(user: Any) -> list[tuple[str, str]]:
    """Return (label, url) links for the top navigation, for this user."""
    raise NotImplementedError


@hookspec
def coopweb_group_panels(
    ledger: Any, group: dict[str, Any], user: Any, as_of: Any, render: Any
) -> list[Any]:
    """Return panels (``coopweb.panels.Panel``) for a group's dashboard; ``render(name,
    **context)`` renders one of the application's templates to HTML."""
    raise NotImplementedError


@hookspec(firstresult=True)
def coopweb_group_template(group: dict[str, Any]) -> str | None:
    """Claim a group: return the template that renders its dashboard, or None."""
    raise NotImplementedError


@hookspec
def coopweb_catalogs() -> list[Any]:
    """Return the plugin's gettext catalogs (``coopledger.i18n.Catalog(domain, localedir)``):
    its templates' words are looked up there after the web's own catalog."""
    raise NotImplementedError
