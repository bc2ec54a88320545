"""The programme's loan report: loans from the groups' funds by district, upazila, union or
cluster, as of a date: disbursed, recovered, outstanding, overdue and PAR30.

``reports.programme.loans(by="upazila", as_of=D)``. PAR30 is as Apache Fineract and the MIX
Market define it: the outstanding principal of loans with an instalment more than 30 days
overdue, over all outstanding principal, on the day. Each loan is read as of D with the
schedule in force on D (:meth:`coopledger.loans.reports.LoanReports.loans`), a group is
counted in the cluster it belonged to on D, and a group formed after D is not counted, so a
report for a past day says the same whatever is recorded later for later days.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger.area import Area, day_of
from coopledger.errors import InvalidInput
from coopledger.i18n import _
from coopledger.loans.reports import LoanStatus
from coopledger.loans.schedule import par
from coopledger.reports import area

ZERO = Decimal("0.00")
#: What a programme report can be grouped by, and the group's column that says it.
BY = {"district": "district", "upazila": "upazila", "union": "union_name", "cluster": "cluster"}
NO_CLUSTER = "-"


@dataclass(frozen=True)
class LoanFigures:
    """The loans of the groups in one district, upazila, union or cluster (``name``; the
    total row is named ``""``) as of a date. Taka; ``par30`` in percent.

    ``disbursed``: principal lent since the first loan; ``recovered``: principal repaid;
    ``charge``: service charge paid; ``outstanding``: principal still owed (written-off
    principal excluded); ``overdue``: instalments fallen due and not paid; ``at_risk``:
    outstanding principal of loans more than 30 days overdue.
    """

    by: str
    name: str
    groups: int
    loans: int
    open: int
    borrowers: int
    disbursed: Decimal
    recovered: Decimal
    charge: Decimal
    outstanding: Decimal
    overdue: Decimal
    at_risk: Decimal
    par30: Decimal
    written_off: Decimal

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def figures(by: str, name: str, groups: int, owed: list[tuple[str, LoanStatus]]) -> LoanFigures:
    """One row of the report from the loans of its groups (each with its group's code) as
    of the day."""
    loans = [x for _, x in owed]
    live = [x for x in loans if x.outstanding > 0]
    late = [x for x in live if x.days_overdue > 30]
    return LoanFigures(
        by=by,
        name=name,
        groups=groups,
        loans=len(loans),
        open=len(live),
        borrowers=len({(g, x.member_no) for g, x in owed if x.outstanding > 0}),
        disbursed=sum((x.principal for x in loans), ZERO),
        recovered=sum((x.principal_paid for x in loans), ZERO),
        charge=sum((x.charge_paid for x in loans), ZERO),
        outstanding=sum((x.outstanding for x in live), ZERO),
        overdue=sum((x.arrears for x in live), ZERO),
        at_risk=sum((x.outstanding for x in late), ZERO),
        par30=par([{"outstanding": x.outstanding, "days_overdue": x.days_overdue} for x in live]),
        written_off=sum((x.written_off for x in loans), ZERO),
    )


@dataclass(frozen=True)
class ProgrammeLoans:
    """The programme's loans as of a date, one row per place or cluster, and the total."""

    by: str
    as_of: date | None
    rows: list[LoanFigures]
    total: LoanFigures

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProgrammeReports(Area):
    """Figures across groups, for programme managers and donors."""

    def places(self, *, as_of: date | None = None) -> list[dict[str, Any]]:
        """Each group formed by ``as_of``: its code, district, upazila, union and the cluster
        it belonged to that day (``-`` for none)."""
        day = day_of(as_of)
        groups = self.query(
            "SELECT group_id, code, district, upazila, union_name FROM {groups} "
            "WHERE formed_on <= ? ORDER BY code",
            (day,),
        )
        member_of = {
            r["group_code"]: r["code"]
            for r in self.query(
                "SELECT m.group_code, c.code FROM {cluster_groups} m JOIN {clusters} c "
                "ON c.cluster_id = m.cluster_id WHERE m.joined_on <= ? AND "
                "(m.left_on IS NULL OR m.left_on > ?) ORDER BY m.joined_on, m.position",
                (day, day),
            )
        }
        return [{**g, "cluster": member_of.get(g["code"], NO_CLUSTER)} for g in groups]

    def loans(self, *, by: str = "district", as_of: date | None = None) -> ProgrammeLoans:
        """Loans from the groups' funds per district, upazila, union or cluster as of a
        date: disbursed, recovered, outstanding, overdue, PAR30."""
        key = BY.get(by)
        if key is None:
            raise InvalidInput("by", by, _("group by district, upazila, union or cluster"))
        per: dict[str, list[tuple[str, LoanStatus]]] = {}
        groups: dict[str, int] = {}
        every: list[tuple[str, LoanStatus]] = []
        for g in self.places(as_of=as_of):
            name = g[key] or NO_CLUSTER
            found = [(g["code"], x) for x in self.reports.loans.loans(g["code"], as_of=as_of)]
            per.setdefault(name, []).extend(found)
            groups[name] = groups.get(name, 0) + 1
            every.extend(found)
        rows = [figures(by, name, groups[name], per[name]) for name in sorted(per)]
        return ProgrammeLoans(by, as_of, rows, figures(by, "", sum(groups.values()), every))


area("programme", ProgrammeReports)

__all__ = ["BY", "LoanFigures", "ProgrammeLoans", "ProgrammeReports", "figures"]
