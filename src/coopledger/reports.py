"""Reports the books must answer, each "as of business date D", one module per area.

``ledger.reports`` holds one report module per capability, each kept next to its events:

| attribute | module | answers |
|---|---|---|
| ``groups`` | :mod:`coopledger.groups.reports` | the directory of groups, members and roles |
| ``books`` | :mod:`coopledger.books` | balances, trial balance, a group's position, trends |
| ``savings`` | :mod:`coopledger.savings.reports` | passbooks, members' totals and balances |
| ``meetings`` | :mod:`coopledger.meetings.reports` | each meeting's count against the books |
| ``loans`` | :mod:`coopledger.loans.reports` | loans, arrears, days overdue, portfolios, PAR30 |
| ``clusters`` | :mod:`coopledger.clusters.reports` | clusters, platforms, bank loans, programme |
| ``plans`` | :mod:`coopledger.plans.reports` | annual plans and joint reviews |
| ``partners`` | :mod:`coopledger.clusters.agreement_reports` | a platform's partner register |
| ``agreements`` | :mod:`coopledger.clusters.agreement_reports` | agreements, what falls due |

Plugins add their own areas with :func:`area`. Taka are :class:`~decimal.Decimal`, rice is
grams (``int``); results are dataclasses.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from coopledger.area import Area

if TYPE_CHECKING:
    from coopledger.books import BookReports
    from coopledger.clusters.agreement_reports import AgreementReports, PartnerReports
    from coopledger.clusters.reports import ClusterReports
    from coopledger.groups.reports import GroupReports
    from coopledger.kernel.projection import Projector
    from coopledger.kernel.storage import Database
    from coopledger.loans.reports import LoanReports
    from coopledger.meetings.reports import MeetingReports
    from coopledger.plans.reports import PlanReports
    from coopledger.savings.reports import SavingsReports

#: Every report area by its attribute name on :class:`Reports`: the class, or where it is
#: (``"module:Class"``, imported when first used, so that a small report loads only its area).
AREAS: dict[str, str | type[Area]] = {
    "groups": "coopledger.groups.reports:GroupReports",
    "books": "coopledger.books:BookReports",
    "savings": "coopledger.savings.reports:SavingsReports",
    "meetings": "coopledger.meetings.reports:MeetingReports",
    "loans": "coopledger.loans.reports:LoanReports",
    "clusters": "coopledger.clusters.reports:ClusterReports",
    "plans": "coopledger.plans.reports:PlanReports",
    "partners": "coopledger.clusters.agreement_reports:PartnerReports",
    "agreements": "coopledger.clusters.agreement_reports:AgreementReports",
}


def area(name: str, home: str | type[Area]) -> None:
    """Make an area (a class, or ``"module:Class"``) available as ``ledger.reports.<name>``."""
    AREAS[name] = home


class Reports:
    """One report module per area, over the projection tables."""

    groups: GroupReports
    books: BookReports
    savings: SavingsReports
    meetings: MeetingReports
    loans: LoanReports
    clusters: ClusterReports
    plans: PlanReports
    partners: PartnerReports
    agreements: AgreementReports

    def __init__(
        self, db: Database, projector: Projector, today: Callable[[], date] = date.today
    ) -> None:
        self.db = db
        self.projector = projector
        #: "today" for reports without a date that depend on it (arrears, days late).
        self.today = today

    def __getattr__(self, name: str) -> Any:
        home = AREAS.get(name)
        if home is None and not name.startswith("_"):
            import coopledger.capabilities  # noqa: F401, PLC0415 - plugins add areas

            home = AREAS.get(name)
        if home is None:
            raise AttributeError(f"ledger.reports has no area {name!r}")
        if isinstance(home, str):
            module, _, attribute = home.partition(":")
            home = AREAS[name] = getattr(importlib.import_module(module), attribute)
        found = home(self)
        setattr(self, name, found)
        return found


def plain(data: Any) -> Any:
    """Reports as JSON values: dataclasses as objects, Decimals as strings, dates as ISO
    text (never floats)."""
    if is_dataclass(data) and not isinstance(data, type):
        data = data.as_dict() if hasattr(data, "as_dict") else asdict(data)
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [plain(v) for v in data]
    if isinstance(data, Decimal):
        return str(data)
    if isinstance(data, date):
        return data.isoformat()
    return data


def to_json(data: Any) -> str:
    """JSON with Decimals as strings and dates as ISO text (never floats)."""
    return json.dumps(plain(data), indent=2, ensure_ascii=False)
