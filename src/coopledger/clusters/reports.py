"""Reports on clusters and their platforms, as of a business date.

``reports.clusters.clusters(as_of=D)``, ``reports.clusters.cluster_of("JOBA")``,
``reports.clusters.platform("RAJAGAON", as_of=D)`` (groups, representatives by gender and
well-being, the rotation as planned by D, meetings, the MoU, the extreme-poor register,
safety nets as decided by D, trainings), ``reports.clusters.bank_loans("RAJAGAON")``
(each borrower's debt, arrears and days late, each guarantor's exposure, what the platform
holds for and paid to each bank), ``reports.clusters.owed_to_bank("JOBA")`` (what one
group's members owe banks on loans a platform guarantees) and
``reports.clusters.programme(by="district")`` (the programme's headline figures).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from coopledger import accounts as acc
from coopledger.area import Area, day_of, share
from coopledger.errors import InvalidInput, UnknownCluster
from coopledger.i18n import _
from coopledger.kernel.streams import CLUSTER_PREFIX, cluster_key
from coopledger.loans.reports import schedule_rows, status
from coopledger.loans.schedule import days_overdue, state
from coopledger.money import taka

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ClusterInfo:
    """A cluster and the groups in it on a date."""

    cluster_id: str
    code: str
    name: str
    division: str
    district: str
    upazila: str
    union_name: str
    ward: str
    villages: list[str]
    households: int
    partner: str
    formed_on: str
    groups: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------- the platform
@dataclass(frozen=True)
class Seat:
    """A representative's seat: her group and her member number there."""

    group: str
    member_no: int

    def __str__(self) -> str:
        return f"{self.group}/{self.member_no}"


@dataclass(frozen=True)
class Representative:
    group_code: str
    member_no: int
    name: str
    gender: str
    wellbeing: str
    since: str


@dataclass(frozen=True)
class RotationSlot:
    """Who chairs and who hosts a month's meeting, by the plan made on ``planned_on``."""

    month: str
    chair: str
    host: str
    planned_on: str


@dataclass(frozen=True)
class PlatformMeeting:
    position: int
    meeting_date: str
    chair: str
    host: str
    attended: int
    attendance: list[Seat]
    decisions: list[str]


@dataclass(frozen=True)
class MouParty:
    party: str
    role: str
    signed_by: str


@dataclass(frozen=True)
class MouCommitment:
    no: int
    party: str
    text: str


@dataclass(frozen=True)
class Mou:
    """One signed version of the cluster's memorandum of understanding."""

    version: int
    signed_on: str
    parties: list[MouParty]
    commitments: list[MouCommitment]


@dataclass(frozen=True)
class RegisterEntry:
    """A household in the platform's register of the extreme poor."""

    entry: int
    household: str
    head: str
    village: str
    reason: str
    identified_by: str
    listed_on: str
    group: str | None = None  # the member the household is, if one
    member_no: int | None = None


@dataclass(frozen=True)
class SafetyNet:
    """An application for a safety-net service, with its outcome if decided by the
    report's date (``value``: taka a year)."""

    application: int
    entry: int
    scheme: str
    applied_to: str
    applied_on: str
    outcome: str | None
    decided_on: str | None
    value: Decimal | None
    note: str
    partner_no: int | None = None  # the office applied to, in the partner register
    value_applied: Decimal | None = None  # the benefit applied for, taka a year
    period_start: str | None = None
    period_end: str | None = None


@dataclass(frozen=True)
class Training:
    position: int
    held_on: str
    title: str
    kind: str
    facilitator: str
    members_female: int
    members_male: int
    others_female: int
    others_male: int
    partner_no: int | None = None  # who gave it, in the partner register

    @property
    def members(self) -> int:
        return self.members_female + self.members_male

    @property
    def others(self) -> int:
        return self.others_female + self.others_male


@dataclass(frozen=True)
class Platform:
    """A cluster platform on a date."""

    cluster: ClusterInfo
    as_of: date | None
    representatives: list[Representative]
    representatives_by_gender: dict[str, int]
    representatives_by_wellbeing: dict[str, int]
    rotation: list[RotationSlot]
    meetings: list[PlatformMeeting]
    mou: Mou | None  # the latest version signed by the date
    mous: list[Mou]
    extreme_poor: list[RegisterEntry]
    safety_nets: list[SafetyNet]
    trainings: list[Training]

    @property
    def code(self) -> str:
        return self.cluster.code

    @property
    def groups(self) -> list[str]:
        return self.cluster.groups

    @property
    def safety_nets_applied(self) -> int:
        return len(self.safety_nets)

    @property
    def safety_nets_granted(self) -> int:
        return sum(1 for n in self.safety_nets if n.outcome == "granted")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["safety_nets_applied"] = self.safety_nets_applied
        out["safety_nets_granted"] = self.safety_nets_granted
        return out


# ---------------------------------------------------------------------- bank loans
@dataclass(frozen=True)
class BankLoanStatus:
    """A bank loan the platform guarantees, as of a date (what the borrower owes the bank
    after the instalments the platform collected)."""

    cluster: str
    bank_loan_no: int
    lender: str
    group: str
    member_no: int
    borrower: str
    principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    instalments: int
    arranged_on: str
    guarantors: list[Seat]
    introducer: str
    principal_paid: Decimal
    charge_paid: Decimal
    collected: Decimal
    outstanding: Decimal
    arrears: Decimal
    days_overdue: int
    status: str  # "on time", "late", "closed"
    schedule: list[dict[str, Any]]
    partner_no: int | None = None  # the lender, in the partner register


@dataclass(frozen=True)
class BankLoans:
    """A platform's guaranteed bank loans on a date. ``guarantor_exposure``: per guarantor
    (``GROUP/no``), what is still owed on every loan she guarantees (joint and several:
    each in full); ``held_for_banks``: collected and not yet paid over, per bank account
    (``Krishi-Bank-Jaldhaka``); ``paid_to_banks``: paid over, per bank account."""

    cluster: str
    as_of: date | None
    loans: list[BankLoanStatus]
    guarantor_exposure: dict[str, Decimal]
    held_for_banks: dict[str, Decimal]
    paid_to_banks: dict[str, Decimal]

    @property
    def outstanding(self) -> Decimal:
        return sum((x.outstanding for x in self.loans), ZERO)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["outstanding"] = self.outstanding
        return out


# ---------------------------------------------------------------------- the programme
@dataclass(frozen=True)
class ProgrammeRow:
    """The programme's headline figures for one district, upazila, union or cluster
    (``name``): shares in percent, None when there is nothing to share."""

    by: str
    name: str
    clusters: int
    groups: int
    households: int
    members: int
    women: int
    extreme_poor: int
    applied: int  # platforms that applied for a safety net
    received: int  # platforms that got one
    representatives_by_gender: dict[str, int]
    representatives_by_wellbeing: dict[str, int]
    groups_per_cluster: Decimal
    women_share: Decimal | None
    extreme_poor_share: Decimal | None
    applied_share: Decimal | None
    received_share: Decimal | None
    plan_completion: Decimal | None  # mean over the platforms' reviewed plans

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PROGRAMME_BY = {
    "district": "district",
    "upazila": "upazila",
    "union": "union_name",
    "cluster": "code",
}


def _seats(text: str) -> list[Seat]:
    return [Seat(s["group"], int(s["member_no"])) for s in json.loads(text)]


class ClusterReports(Area):
    """Clusters, platforms, bank loans and the programme's figures."""

    def clusters(self, *, as_of: date | None = None) -> list[ClusterInfo]:
        """Clusters with the groups in them on ``as_of`` (default: now)."""
        day = day_of(as_of)
        clusters = self.query(
            "SELECT * FROM {clusters} WHERE formed_on <= ? ORDER BY district, upazila, code",
            (day,),
        )
        members = self.query(
            "SELECT cluster_id, group_code FROM {cluster_groups} WHERE joined_on <= ? AND "
            "(left_on IS NULL OR left_on > ?) ORDER BY joined_on, position",
            (day, day),
        )
        out = []
        for c in clusters:
            c["villages"] = json.loads(c["villages"])
            groups = [m["group_code"] for m in members if m["cluster_id"] == c["cluster_id"]]
            out.append(ClusterInfo(**c, groups=groups))
        return out

    def cluster(self, code: str, *, as_of: date | None = None) -> ClusterInfo | None:
        """One cluster (``CODE`` or ``cluster:CODE``), refusing an unknown code; None when
        it was formed only after ``as_of``."""
        self.cid(code)
        code = code.upper().removeprefix(CLUSTER_PREFIX)
        return next((c for c in self.clusters(as_of=as_of) if c.code == code), None)

    def cluster_of(self, group: str) -> str | None:
        """The code of the cluster a group belongs to now, if any (refusing an unknown
        group)."""
        self.gid(group)
        rows = self.query(
            "SELECT c.code FROM {cluster_groups} m JOIN {clusters} c ON "
            "c.cluster_id = m.cluster_id WHERE m.group_code = ? AND m.left_on IS NULL",
            (group.upper(),),
        )
        return str(rows[0]["code"]) if rows else None

    # ------------------------------------------------------------------ the platform
    def platform(self, code: str, *, as_of: date | None = None) -> Platform:
        """A cluster platform on ``as_of``: its groups; its representatives, counted by
        gender and well-being; the chair and host rotation as planned by that day; the
        meetings held; the MoU (the latest version and every one); the extreme-poor
        register; safety-net applications with the decisions made by that day; trainings."""
        found = self.cluster(code, as_of=as_of)
        if found is None:  # not formed yet on that day
            raise UnknownCluster(code.upper().removeprefix(CLUSTER_PREFIX))
        return self._platform(found, as_of)

    def _platform(self, cluster: ClusterInfo, as_of: date | None) -> Platform:
        cid, day = cluster.cluster_id, day_of(as_of)
        reps = [
            Representative(**r)
            for r in self.query(
                "SELECT group_code, member_no, name, gender, wellbeing, since FROM "
                "{cluster_representatives} WHERE cluster_id = ? AND since <= ? AND "
                "(until IS NULL OR until > ?) ORDER BY group_code, position",
                (cid, day, day),
            )
        ]
        mous = self._mous(cid, day)
        return Platform(
            cluster=cluster,
            as_of=as_of,
            representatives=reps,
            representatives_by_gender=dict(sorted(Counter(r.gender for r in reps).items())),
            representatives_by_wellbeing=dict(sorted(Counter(r.wellbeing for r in reps).items())),
            rotation=self._rotation(cid, day),
            meetings=self._meetings(cid, day),
            mou=mous[-1] if mous else None,
            mous=mous,
            extreme_poor=[
                RegisterEntry(**r)
                for r in self.query(
                    "SELECT position AS entry, household, head, village, reason, identified_by, "
                    'listed_on, group_code AS "group", member_no FROM {cluster_extreme_poor} '
                    "WHERE cluster_id = ? AND "
                    "listed_on <= ? ORDER BY position",
                    (cid, day),
                )
            ],
            safety_nets=self._safety_nets(cid, day),
            trainings=[
                Training(**r)
                for r in self.query(
                    "SELECT position, held_on, title, kind, facilitator, members_female, "
                    "members_male, others_female, others_male, partner_no FROM "
                    "{cluster_trainings} WHERE "
                    "cluster_id = ? AND held_on <= ? ORDER BY held_on, position",
                    (cid, day),
                )
            ],
        )

    def _rotation(self, cid: str, day: str) -> list[RotationSlot]:
        """Each month as the latest plan made by ``day`` has it (a later plan does not
        change what an earlier day's report said)."""
        rows = self.query(
            "SELECT r.month, r.chair, r.host, r.planned_on FROM {cluster_rotation} r WHERE "
            "r.cluster_id = ? AND r.position = (SELECT MAX(x.position) FROM "
            "{cluster_rotation} x WHERE x.cluster_id = r.cluster_id AND x.month = r.month "
            "AND x.planned_on <= ?) ORDER BY r.month",
            (cid, day),
        )
        return [RotationSlot(**r) for r in rows]

    def _meetings(self, cid: str, day: str) -> list[PlatformMeeting]:
        rows = self.query(
            "SELECT position, meeting_date, chair, host, attended, attendance, decisions "
            "FROM {cluster_meetings} WHERE cluster_id = ? AND meeting_date <= ? "
            "ORDER BY meeting_date, position",
            (cid, day),
        )
        return [
            PlatformMeeting(
                **{
                    **r,
                    "attendance": _seats(r["attendance"]),
                    "decisions": json.loads(r["decisions"]),
                }
            )
            for r in rows
        ]

    def _mous(self, cid: str, day: str) -> list[Mou]:
        rows = self.query(
            "SELECT version, signed_on, parties, commitments FROM {cluster_mous} WHERE "
            "cluster_id = ? AND signed_on <= ? ORDER BY version",
            (cid, day),
        )
        return [
            Mou(
                r["version"],
                r["signed_on"],
                [MouParty(**p) for p in json.loads(r["parties"])],
                [MouCommitment(**c) for c in json.loads(r["commitments"])],
            )
            for r in rows
        ]

    def _safety_nets(self, cid: str, day: str) -> list[SafetyNet]:
        rows = self.query(
            "SELECT position AS application, entry, scheme, applied_to, applied_on, "
            "CASE WHEN decided_on <= ? THEN outcome END AS outcome, "
            "CASE WHEN decided_on <= ? THEN decided_on END AS decided_on, "
            "CASE WHEN decided_on <= ? THEN value END AS value, "
            "CASE WHEN decided_on <= ? THEN note ELSE '' END AS note, "
            "partner_no, value_applied, period_start, period_end "
            "FROM {cluster_safety_nets} WHERE cluster_id = ? AND applied_on <= ? "
            "ORDER BY position",
            (day, day, day, day, cid, day),
        )
        return [
            SafetyNet(
                **{
                    **r,
                    "value": None if r["value"] is None else taka(int(r["value"])),
                    "value_applied": None
                    if r["value_applied"] is None
                    else taka(int(r["value_applied"])),
                }
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ bank loans
    def bank_loans(self, cluster: str, *, as_of: date | None = None) -> BankLoans:
        """A platform's guaranteed bank loans on ``as_of``: each borrower's debt to the
        bank, arrears and days late; each guarantor's exposure; what the platform holds
        for each bank (collected, not yet paid over) and what it paid over."""
        cid, day = self.cid(cluster), day_of(as_of)
        loans = self._bank_loans("l.cluster_id = ?", cid, as_of)
        exposure: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for loan in loans:
            for g in loan.guarantors:
                exposure[str(g)] += loan.outstanding
        held = {
            r["account"].split(":", 2)[2]: taka(-int(r["total"]))
            for r in self.query(
                "SELECT account, SUM(amount) AS total FROM {movements} WHERE stream_id = ? "
                "AND account >= ? AND account < ? AND business_date <= ? GROUP BY account "
                "ORDER BY account",
                (cid, acc.DUE_TO_BANK + ":", acc.DUE_TO_BANK + ";", day),
            )
        }
        paid = {
            r["account"].split(":", 2)[2]: taka(int(r["total"]))
            for r in self.query(
                "SELECT account, SUM(taka) AS total FROM {cluster_bank_payments} WHERE "
                "cluster_id = ? AND paid_on <= ? GROUP BY account ORDER BY account",
                (cid, day),
            )
        }
        return BankLoans(
            cluster=cluster.upper().removeprefix(CLUSTER_PREFIX),
            as_of=as_of,
            loans=loans,
            guarantor_exposure=dict(sorted(exposure.items())),
            held_for_banks=held,
            paid_to_banks=paid,
        )

    def owed_to_bank(self, group: str, *, as_of: date | None = None) -> Decimal:
        """What the members of one group owe banks on loans a platform guarantees (any
        platform: a loan stays owed when her group changes cluster)."""
        self.gid(group)
        loans = self._bank_loans("l.group_code = ?", group.upper(), as_of)
        return sum((x.outstanding for x in loans), ZERO)

    def _bank_loans(self, where: str, value: str, as_of: date | None) -> list[BankLoanStatus]:
        day, on = day_of(as_of), as_of or self.today()
        loans = self.query(
            "SELECT c.code, l.* FROM {cluster_bank_loans} l JOIN {clusters} c ON "
            f"c.cluster_id = l.cluster_id WHERE {where} AND l.arranged_on <= ? "
            "ORDER BY c.code, l.bank_loan_no",
            (value, day),
        )
        collections: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for r in self.query(
            "SELECT k.cluster_id, k.bank_loan_no, k.collected_on, k.taka, k.charge, "
            "k.principal FROM {cluster_bank_collections} k JOIN {cluster_bank_loans} l ON "
            "l.cluster_id = k.cluster_id AND l.bank_loan_no = k.bank_loan_no WHERE "
            f"{where} AND k.collected_on <= ? ORDER BY k.position",
            (value, day),
        ):
            collections[r["cluster_id"], r["bank_loan_no"]].append(
                {
                    "business_date": date.fromisoformat(r["collected_on"]),
                    "taka": taka(r["taka"]),
                    "principal": taka(r["principal"]),
                    "charge": taka(r["charge"]),
                }
            )
        return [
            self._bank_loan(loan, collections[loan["cluster_id"], loan["bank_loan_no"]], on)
            for loan in loans
        ]

    @staticmethod
    def _bank_loan(loan: dict[str, Any], paid: list[dict[str, Any]], on: date) -> BankLoanStatus:
        plan = schedule_rows(loan["schedule"])
        principal = taka(loan["principal"])
        now = state(plan, principal, paid, on)
        late = days_overdue(plan, paid, on) if now.outstanding > 0 else 0
        return BankLoanStatus(
            cluster=loan["code"],
            bank_loan_no=loan["bank_loan_no"],
            lender=loan["lender"],
            group=loan["group_code"],
            member_no=loan["member_no"],
            borrower=loan["borrower"],
            principal=principal,
            rate=Decimal(loan["rate"]),
            method=loan["method"],
            frequency=loan["frequency"],
            instalments=loan["instalments"],
            arranged_on=loan["arranged_on"],
            guarantors=_seats(loan["guarantors"]),
            introducer=loan["introducer"],
            principal_paid=now.principal_paid,
            charge_paid=now.charge_paid,
            collected=sum((r["taka"] for r in paid), ZERO),
            outstanding=now.outstanding,
            arrears=now.arrears,
            days_overdue=late,
            status=status(now.outstanding, ZERO, late),
            schedule=plan,
            partner_no=loan["partner_no"],
        )

    # ------------------------------------------------------------------ the programme
    def programme(
        self, *, by: str = "district", clusters: list[str] | None = None, as_of: date | None = None
    ) -> list[ProgrammeRow]:
        """The programme's headline figures per district, upazila, union or cluster:
        clusters, groups per cluster, households, members, the share of women and of the
        extreme poor, the share of platforms that applied for safety nets and that got
        them, representatives by gender and well-being, and plan completion (the mean over
        the platforms' reviewed plans)."""
        key = PROGRAMME_BY.get(by)
        if key is None:
            raise InvalidInput("by", by, _("group by district, upazila, union or cluster"))
        for code in clusters or []:
            self.cid(code)  # an unknown code is refused, not left out silently
        wanted = {c.upper().removeprefix(CLUSTER_PREFIX) for c in clusters} if clusters else None
        tallies: dict[str, _Tally] = {}
        for c in self.clusters(as_of=as_of):
            if wanted is None or c.code in wanted:
                tally = tallies.setdefault(getattr(c, key), _Tally())
                self._count(tally, c, as_of)
        return [tallies[name].row(by, name) for name in sorted(tallies)]

    def _count(self, tally: _Tally, cluster: ClusterInfo, as_of: date | None) -> None:
        p = self._platform(cluster, as_of)
        members = [
            m
            for g in cluster.groups
            for m in self.reports.groups.members(g, as_of=as_of)
            if m.active
        ]
        tally.clusters += 1
        tally.groups += len(cluster.groups)
        tally.households += cluster.households
        tally.members += len(members)
        tally.women += sum(1 for m in members if m.gender == "female")
        tally.extreme_poor += sum(1 for m in members if m.wellbeing == "extreme-poor")
        tally.applied += 1 if p.safety_nets_applied else 0
        tally.received += 1 if p.safety_nets_granted else 0
        tally.gender.update(p.representatives_by_gender)
        tally.wellbeing.update(p.representatives_by_wellbeing)
        stream = cluster_key(cluster.code)
        for year in self._reviewed_years(cluster.cluster_id, as_of):
            plan = self.reports.plans.plan(stream, year, as_of=as_of)
            if plan is not None and plan.completion is not None:
                tally.completions.append(plan.completion)

    def _reviewed_years(self, cid: str, as_of: date | None) -> list[int]:
        rows = self.query(
            "SELECT year FROM {reviews} WHERE stream_id = ? AND held_on <= ? ORDER BY year",
            (cid, day_of(as_of)),
        )
        return [int(r["year"]) for r in rows]


@dataclass
class _Tally:
    """A programme row being counted."""

    clusters: int = 0
    groups: int = 0
    households: int = 0
    members: int = 0
    women: int = 0
    extreme_poor: int = 0
    applied: int = 0
    received: int = 0
    gender: Counter[str] = field(default_factory=Counter)
    wellbeing: Counter[str] = field(default_factory=Counter)
    completions: list[Decimal] = field(default_factory=list)

    def row(self, by: str, name: str) -> ProgrammeRow:
        n, done = self.clusters, self.completions
        return ProgrammeRow(
            by=by,
            name=name,
            clusters=n,
            groups=self.groups,
            households=self.households,
            members=self.members,
            women=self.women,
            extreme_poor=self.extreme_poor,
            applied=self.applied,
            received=self.received,
            representatives_by_gender=dict(sorted(self.gender.items())),
            representatives_by_wellbeing=dict(sorted(self.wellbeing.items())),
            groups_per_cluster=(Decimal(self.groups) / n).quantize(Decimal("0.1")),
            women_share=share(self.women, self.members),
            extreme_poor_share=share(self.extreme_poor, self.members),
            applied_share=share(self.applied, n),
            received_share=share(self.received, n),
            plan_completion=(sum(done, Decimal(0)) / len(done)).quantize(Decimal("0.1"))
            if done
            else None,
        )
