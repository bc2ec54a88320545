"""Loading plugins: entry points in the ``coopweb.plugins`` group, through pluggy; what is
installed (``/-/plugins``, ``coopledger plugins``); the hook tracer.

``COOPWEB_TRACE_HOOKS=1`` in the environment logs every hook call, with the plugins that
answered and how long it took, to the ``coopweb.hooks`` logger (on stderr).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pluggy

from coopweb import hookspecs

ENTRY_POINT_GROUP = "coopweb.plugins"
TRACE_VARIABLE = "COOPWEB_TRACE_HOOKS"
trace_log = logging.getLogger("coopweb.hooks")


def plugin_manager(
    extra: Iterable[Any] = (),
    *,
    load_entry_points: bool = True,
    builtins: Sequence[tuple[str, Any]] = (),
) -> pluggy.PluginManager:
    """The core's own plugins (``builtins``: name and plugin), then installed ones (unless
    ``load_entry_points`` is off: tests register the plugins they mean to test), then
    ``extra``. The hook tracer is on when ``COOPWEB_TRACE_HOOKS`` is set."""
    pm = pluggy.PluginManager("coopweb")
    pm.add_hookspecs(hookspecs)
    for name, plugin in builtins:
        pm.register(plugin, name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    if os.environ.get(TRACE_VARIABLE, "").strip() not in ("", "0"):
        trace_hooks(pm)
    return pm


def trace_hooks(pm: pluggy.PluginManager) -> None:
    """Log each hook call: its name, the plugins that implement it, its duration."""
    if not trace_log.handlers:
        trace_log.addHandler(logging.StreamHandler())
    trace_log.setLevel(logging.INFO)
    started = threading.local()

    def before(*_: Any) -> None:  # (hook name, implementations, arguments)
        started.__dict__.setdefault("stack", []).append(time.perf_counter())

    def after(
        outcome: Any, name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        ms = (time.perf_counter() - started.stack.pop()) * 1000
        by = ", ".join(pm.get_name(i.plugin) or "?" for i in impls)
        failed = " FAILED" if outcome.exception is not None else ""
        trace_log.info("hook %s(%s) %.2f ms by [%s]%s", name, ", ".join(kwargs), ms, by, failed)

    pm.add_hookcall_monitoring(before, after)


@dataclass(frozen=True)
class WebPlugin:
    """A registered web plugin: its name, distribution and version, the hooks it
    implements."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    builtin: bool


def describe(pm: pluggy.PluginManager) -> list[WebPlugin]:
    """Every plugin registered in ``pm``, the core's first, each with its hooks."""
    from coopledger import __version__  # noqa: PLC0415 - the core's own version

    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    found = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        callers = pm.get_hookcallers(plugin) or []
        hooks = tuple(sorted(c.name for c in callers))
        dist = dists.get(id(plugin))
        builtin = name.startswith("coopweb.") and dist is None
        if dist is not None:
            distribution, version = dist.project_name, dist.version
        elif builtin:
            distribution, version = "coopledger", __version__
        else:
            distribution, version = "", ""
        found.append(WebPlugin(name, distribution, version, hooks, builtin))
    return sorted(found, key=lambda p: (not p.builtin, p.name))


def inventory(pm: pluggy.PluginManager | None) -> dict[str, Any]:
    """What is installed, as JSON values: the books' capability plugins, commands added to
    the command line, and the web plugins of ``pm`` (none without one)."""
    from coopledger.capabilities import installed  # noqa: PLC0415

    return {**installed(), "web": [asdict(p) for p in describe(pm)] if pm else []}


__all__ = ["ENTRY_POINT_GROUP", "WebPlugin", "describe", "inventory", "plugin_manager"]
