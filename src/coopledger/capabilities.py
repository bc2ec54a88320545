"""Every capability of the books, imported once so that their events, lines, commands,
tables and report areas are registered (the registry is the only list there is).

Plugins add capabilities of their own through the ``coopledger.capabilities`` entry point
group: the module an entry point names is imported here, and defines its events, lines,
commands, tables and report areas with the same base classes as the built-in ones (see
``docs/plugins.md``). A ledger holding a plugin's events needs the plugin installed to be
read; a plugin that fails to import is reported (``coopledger plugins``), not hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from coopledger import approvals, cashbook, corrections, field, welfare
from coopledger.clusters import agreements, bank_loans, membership, partners, platform, records
from coopledger.cutoff import sheet as cutoff_sheet
from coopledger.groups import members
from coopledger.loans import fines, lending, products, programme
from coopledger.meetings import attendance, meeting
from coopledger.plans import planning, work_plan
from coopledger.savings import cash, rice
from coopledger.shareout import cycle as shareout

log = logging.getLogger(__name__)

GROUP = "coopledger.capabilities"
#: Commands plugins add to the command line (``coopledger.cli.ENTRY_POINT_GROUP``).
CLI_GROUP = "coopledger.cli"

CAPABILITIES: tuple[ModuleType, ...] = (
    members,
    rice,
    cash,
    cashbook,
    meeting,
    corrections,
    lending,
    products,
    fines,
    membership,
    platform,
    records,
    bank_loans,
    partners,
    agreements,
    planning,
    field,
    approvals,
    shareout,
    cutoff_sheet,
    welfare,
    attendance,
    work_plan,
    programme,
)


@dataclass(frozen=True)
class Installed:
    """A capability added by a plugin: the entry point's name, its distribution and
    version, the module (``None`` when it failed to import, with ``error``)."""

    name: str
    distribution: str
    version: str
    module: ModuleType | None
    error: str = ""


def _load() -> tuple[Installed, ...]:
    found = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist
        name, version = (dist.name, dist.version) if dist is not None else ("?", "?")
        try:
            module = ep.load()
        except Exception as e:  # noqa: BLE001 - a broken plugin is reported, the books open
            log.warning("capability plugin %s (%s) did not load: %s", ep.name, name, e)
            found.append(Installed(ep.name, name, version, None, f"{type(e).__name__}: {e}"))
            continue
        found.append(Installed(ep.name, name, version, module))
    return tuple(found)


#: The capabilities plugins added, in name order.
PLUGINS: tuple[Installed, ...] = _load()


def installed() -> dict[str, list[dict[str, object]]]:
    """What plugins add to the books and the command line, as JSON values:
    ``capabilities`` (each with the event types and commands it defines, or its import
    error) and ``commands`` (entry points ``coopledger.cli``)."""
    from coopledger.kernel.commands import COMMANDS  # noqa: PLC0415
    from coopledger.kernel.events import EVENTS  # noqa: PLC0415

    def defined_in(module: ModuleType | None, registry: Mapping[str, type]) -> list[str]:
        if module is None:
            return []
        prefix = module.__name__
        return sorted(n for n, c in registry.items() if f"{c.__module__}.".startswith(f"{prefix}."))

    return {
        "capabilities": [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "module": p.module.__name__ if p.module else "",
                "events": defined_in(p.module, EVENTS),
                "commands": defined_in(p.module, COMMANDS),
                "error": p.error,
            }
            for p in PLUGINS
        ],
        "commands": [
            {
                "name": e.name,
                "target": e.value,
                "distribution": e.dist.name if e.dist else "",
                "version": e.dist.version if e.dist else "",
            }
            for e in sorted(entry_points(group=CLI_GROUP), key=lambda e: e.name)
        ],
    }
