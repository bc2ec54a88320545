"""Loading plugins: entry points in the ``coopweb.plugins`` group, through pluggy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from coopweb import hookspecs

ENTRY_POINT_GROUP = "coopweb.plugins"


def plugin_manager(
    extra: Iterable[Any] = (), *, load_entry_points: bool = True
) -> pluggy.PluginManager:
    """The core's own plugins, then installed ones (unless ``load_entry_points`` is off:
    tests register the plugins they mean to test), then ``extra``."""
    from coopweb import core_plugin  # noqa: PLC0415 - the core uses the same hooks

    pm = pluggy.PluginManager("coopweb")
    pm.add_hookspecs(hookspecs)
    pm.register(core_plugin, name="coopweb.core")
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    return pm
