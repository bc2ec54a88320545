"""Reports the books must answer, each "as of business date D", read from the projections.

* :meth:`Reports.passbook` - a member's rice saved, rice bought, paid, owed and cash saved;
* :meth:`Reports.position` - a group's rice stock, cash, receivables, savings owed, income
  and costs per activity;
* :meth:`Reports.trial_balance` - every account's balance per commodity (sums to zero);
* :meth:`Reports.reconciliation` - each meeting's counted cash and rice against the books.

Taka are :class:`~decimal.Decimal`, rice is grams (``int``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from coopledger import accounts as acc
from coopledger.errors import InvalidInput, UnknownCluster, UnknownGroup, UnknownMember
from coopledger.group import CLUSTER_PREFIX, group_id, stream_id
from coopledger.loans import days_overdue as loan_days_overdue
from coopledger.loans import par as loan_par
from coopledger.loans import state as loan_state
from coopledger.money import RICE, TAKA, taka

if TYPE_CHECKING:
    from coopledger.projections import Projector
    from coopledger.storage import Database

FAR_FUTURE = "9999-12-31"


def _share(part: int, whole: int) -> Decimal | None:
    """A percentage to one decimal (None when there is nothing to share)."""
    return (Decimal(part * 100) / whole).quantize(Decimal("0.1")) if whole else None


def _day(as_of: date | None) -> str:
    return as_of.isoformat() if as_of else FAR_FUTURE


def _value(commodity: str, amount: int) -> Decimal | int:
    return taka(amount) if commodity == TAKA else amount


@dataclass(frozen=True)
class Balance:
    """One account's balance in one commodity (taka as Decimal, rice in grams)."""

    account: str
    commodity: str
    balance: Decimal | int


@dataclass(frozen=True)
class TrialBalance:
    group: str
    as_of: date | None
    rows: list[Balance]
    totals: dict[str, Decimal | int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Activity:
    """An income-generating activity's costs, revenue and margin (taka)."""

    name: str
    costs: Decimal
    revenue: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.costs


@dataclass(frozen=True)
class Position:
    """A group's position on a business date."""

    group: str
    name: str
    as_of: date | None
    members: int
    rice_stock_grams: int
    cash: Decimal
    receivables: Decimal
    cash_savings_owed: Decimal
    rice_savings_grams: int
    rice_sold_grams: int
    rice_sales: Decimal
    grants: Decimal
    expenses: dict[str, Decimal]
    activities: list[Activity]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for a, activity in zip(out["activities"], self.activities, strict=True):
            a["margin"] = activity.margin
        return out


@dataclass(frozen=True)
class PassbookLine:
    position: int
    business_date: date
    recorded_at: str
    entry: str
    rice_saved_grams: int
    rice_bought_grams: int
    bought_value: Decimal
    paid: Decimal
    cash_saved: Decimal
    memo: str
    # running totals after this line
    total_rice_saved_grams: int
    owed: Decimal
    cash_savings: Decimal


@dataclass(frozen=True)
class Passbook:
    group: str
    member_no: int
    name: str
    as_of: date | None
    joined_on: date
    left_on: date | None
    lines: list[PassbookLine]
    rice_saved_grams: int
    rice_bought_grams: int
    bought_value: Decimal
    paid: Decimal
    owed: Decimal
    cash_savings: Decimal
    earlier_lines: int = 0  # lines before the first shown (counted in every total)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MeetingCheck:
    """A meeting's physical count against the books as of its day."""

    position: int
    meeting_date: date
    attended: int
    counted_cash: Decimal | None
    book_cash: Decimal
    cash_difference: Decimal | None
    counted_rice_grams: int | None
    book_rice_grams: int
    rice_difference_grams: int | None
    seal: str = ""

    @property
    def matches(self) -> bool:
        return not self.cash_difference and not self.rice_difference_grams


@dataclass(frozen=True)
class Reconciliation:
    group: str
    as_of: date | None
    meetings: list[MeetingCheck] = field(default_factory=list)

    @property
    def flagged(self) -> list[MeetingCheck]:
        return [m for m in self.meetings if not m.matches]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for m, check in zip(out["meetings"], self.meetings, strict=True):
            m["matches"] = check.matches
        return out


def to_json(data: Any) -> str:
    """JSON with Decimals as strings and dates as ISO text (never floats)."""
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return str(o)
        if isinstance(o, date):
            return o.isoformat()
        raise TypeError(type(o))
    return json.dumps(data, default=default, indent=2, ensure_ascii=False)


class Reports:
    """Queries on the projection tables."""

    def __init__(self, db: Database, projector: Projector) -> None:
        self.db = db
        self.p = projector
        #: "today" for reports without a date that depend on it (arrears, days late);
        #: the ledger sets it to its own clock's day in Bangladesh.
        self.today: Callable[[], date] = date.today

    def _gid(self, code: str) -> str:
        gid = group_id(code).hex
        if not self.db.query(f"SELECT 1 FROM {self.p.t('groups')} WHERE group_id = ?", (gid,)):
            raise UnknownGroup(code)
        return gid

    # ------------------------------------------------------------------ directory
    def groups(self, **filters: str) -> list[dict[str, Any]]:
        """Groups, optionally filtered by district, upazila, union_name, village, kind or
        cluster (a cluster's code: the groups in it now); each row has its ``cluster``."""
        where, params = [], []
        for name in ("district", "upazila", "union_name", "village", "kind"):
            if filters.get(name):
                where.append(f"g.{name} = ?")
                params.append(filters[name])
        if filters.get("cluster"):
            where.append("c.code = ?")
            params.append(filters["cluster"].upper())
        sql = (f"SELECT g.*, COALESCE(c.code, '') AS cluster FROM {self.p.t('groups')} g "
               f"LEFT JOIN {self.p.t('cluster_groups')} m ON m.group_code = g.code AND "
               f"m.left_on IS NULL LEFT JOIN {self.p.t('clusters')} c ON "
               "c.cluster_id = m.cluster_id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.db.query(sql + " ORDER BY g.district, g.upazila, g.village, g.code",
                             params)

    def cluster_of(self, group: str) -> str | None:
        """The code of the cluster a group belongs to now, if any."""
        rows = self.db.query(
            f"SELECT c.code FROM {self.p.t('cluster_groups')} m JOIN {self.p.t('clusters')} c "
            "ON c.cluster_id = m.cluster_id WHERE m.group_code = ? AND m.left_on IS NULL",
            (group.upper(),))
        return str(rows[0]["code"]) if rows else None

    def platform(self, code: str, *, as_of: date | None = None) -> dict[str, Any]:
        """A cluster platform on ``as_of``: its groups, representatives (with counts by
        gender and well-being), the chair/host rotation and the meetings held."""
        found = [c for c in self.clusters(as_of=as_of) if c["code"] == code.upper()]
        if not found:
            raise UnknownCluster(code)
        return self._platform(found[0], as_of)

    def _platform(self, cluster: dict[str, Any], as_of: date | None) -> dict[str, Any]:
        day = _day(as_of)
        cid = cluster["cluster_id"]
        reps = self.db.query(
            f"SELECT group_code, member_no, name, gender, wellbeing, since FROM "
            f"{self.p.t('cluster_representatives')} WHERE cluster_id = ? AND since <= ? AND "
            "(until IS NULL OR until > ?) ORDER BY group_code, position", (cid, day, day))
        rotation = self.db.query(
            f"SELECT month, chair, host FROM {self.p.t('cluster_rotation')} WHERE "
            "cluster_id = ? ORDER BY month", (cid,))
        meetings = self.db.query(
            f"SELECT position, meeting_date, chair, host, attended, attendance, decisions "
            f"FROM {self.p.t('cluster_meetings')} WHERE cluster_id = ? AND meeting_date <= ? "
            "ORDER BY meeting_date, position", (cid, day))
        for m in meetings:
            m["attendance"] = json.loads(m["attendance"])
            m["decisions"] = json.loads(m["decisions"])
        by_gender: dict[str, int] = defaultdict(int)
        by_wellbeing: dict[str, int] = defaultdict(int)
        for r in reps:
            by_gender[r["gender"]] += 1
            by_wellbeing[r["wellbeing"]] += 1
        mous = self.db.query(
            f"SELECT version, signed_on, parties, commitments FROM {self.p.t('cluster_mous')} "
            "WHERE cluster_id = ? AND signed_on <= ? ORDER BY version", (cid, day))
        for m in mous:
            m["parties"], m["commitments"] = json.loads(m["parties"]), json.loads(
                m["commitments"])
        register = self.db.query(
            f"SELECT position AS entry, household, head, village, reason, identified_by, "
            f"listed_on FROM {self.p.t('cluster_extreme_poor')} WHERE cluster_id = ? AND "
            "listed_on <= ? ORDER BY position", (cid, day))
        nets = self.db.query(
            f"SELECT position AS application, entry, scheme, applied_to, applied_on, "
            "CASE WHEN decided_on <= ? THEN outcome END AS outcome, "
            "CASE WHEN decided_on <= ? THEN decided_on END AS decided_on, "
            "CASE WHEN decided_on <= ? THEN value END AS value, note FROM "
            f"{self.p.t('cluster_safety_nets')} WHERE cluster_id = ? AND applied_on <= ? "
            "ORDER BY position", (day, day, day, cid, day))
        for n in nets:
            n["value"] = None if n["value"] is None else taka(int(n["value"]))
        trainings = self.db.query(
            f"SELECT * FROM {self.p.t('cluster_trainings')} WHERE cluster_id = ? AND "
            "held_on <= ? ORDER BY held_on, position", (cid, day))
        for t in trainings:
            t.pop("cluster_id")
        return {**cluster, "as_of": as_of, "representatives": reps,
                "representatives_by_gender": dict(sorted(by_gender.items())),
                "representatives_by_wellbeing": dict(sorted(by_wellbeing.items())),
                "rotation": rotation, "meetings": meetings,
                "mou": mous[-1] if mous else None, "mous": mous,
                "extreme_poor": register, "safety_nets": nets,
                "safety_nets_applied": len(nets),
                "safety_nets_granted": sum(1 for n in nets if n["outcome"] == "granted"),
                "trainings": trainings}

    def loans(self, code: str, *, as_of: date | None = None,
              member: int | None = None) -> list[dict[str, Any]]:
        """Every loan of a group (or of one member) as of a date: principal, paid,
        outstanding, arrears, days overdue, status."""
        gid, day = self._gid(code), _day(as_of)
        on = as_of or self.today()
        sql = (f"SELECT * FROM {self.p.t('loans')} WHERE group_id = ? AND disbursed_on <= ?")
        params: list[Any] = [gid, day]
        if member is not None:
            sql += " AND member_no = ?"
            params.append(member)
        out = []
        for loan in self.db.query(sql + " ORDER BY loan_no", params):
            rows = self.db.query(
                f"SELECT paid_on, taka, charge, principal FROM {self.p.t('loan_repayments')} "
                "WHERE group_id = ? AND loan_no = ? AND paid_on <= ? ORDER BY position",
                (gid, loan["loan_no"], day))
            repayments = [{"business_date": date.fromisoformat(r["paid_on"]),
                           "principal": taka(r["principal"]), "charge": taka(r["charge"]),
                           "taka": taka(r["taka"])} for r in rows]
            plan = [{**s, "due": date.fromisoformat(s["due"]),
                     "principal": Decimal(s["principal"]), "charge": Decimal(s["charge"])}
                    for s in json.loads(loan["schedule"])]
            written = taka(loan["written_off"]) if (loan["written_off_on"] or FAR_FUTURE) \
                <= day else Decimal("0.00")
            principal = taka(loan["principal"])
            now = loan_state(plan, principal, repayments, on, written)
            late = loan_days_overdue(plan, repayments, on) if now.outstanding > 0 else 0
            out.append({
                "loan_no": loan["loan_no"], "member_no": loan["member_no"],
                "principal": principal, "rate": Decimal(loan["rate"]),
                "method": loan["method"], "frequency": loan["frequency"],
                "instalments": loan["instalments"], "disbursed_on": loan["disbursed_on"],
                "purpose": loan["purpose"], "approved_by": loan["approved_by"],
                "principal_paid": now.principal_paid, "charge_paid": now.charge_paid,
                "written_off": written, "outstanding": now.outstanding,
                "arrears": now.arrears, "days_overdue": late,
                "status": "written off" if written else "closed" if now.outstanding <= 0
                else "late" if late else "on time",
                "schedule": plan, "repayments": repayments})
        return out

    def bank_loans(self, cluster: str, *, as_of: date | None = None) -> dict[str, Any]:
        """A platform's guaranteed bank loans: each borrower's debt to the bank (what is
        left after the instalments the platform collected), arrears and days late; each
        guarantor's exposure (joint and several: every loan they guarantee, in full); and
        what the platform holds for each bank, collected and not yet paid over."""
        cid = stream_id(CLUSTER_PREFIX + cluster.upper().removeprefix(CLUSTER_PREFIX)).hex
        day, on = _day(as_of), as_of or self.today()
        loans = []
        exposure: dict[str, Decimal] = defaultdict(Decimal)
        for loan in self.db.query(
                f"SELECT * FROM {self.p.t('cluster_bank_loans')} WHERE cluster_id = ? AND "
                "arranged_on <= ? ORDER BY bank_loan_no", (cid, day)):
            rows = [{**s, "due": date.fromisoformat(s["due"]),
                     "principal": Decimal(s["principal"]), "charge": Decimal(s["charge"])}
                    for s in json.loads(loan["schedule"])]
            paid: list[dict[str, Any]] = [
                {"business_date": date.fromisoformat(r["collected_on"]),
                 "principal": taka(r["principal"]), "charge": taka(r["charge"])}
                    for r in self.db.query(
                        f"SELECT * FROM {self.p.t('cluster_bank_collections')} WHERE "
                        "cluster_id = ? AND bank_loan_no = ? AND collected_on <= ? "
                        "ORDER BY position", (cid, loan["bank_loan_no"], day))]
            principal = taka(loan["principal"])
            now = loan_state(rows, principal, paid, on)
            late = loan_days_overdue(rows, paid, on) if now.outstanding > 0 else 0
            guarantors = json.loads(loan["guarantors"])
            for g in guarantors:
                exposure[f"{g['group']}/{g['member_no']}"] += now.outstanding
            loans.append({"bank_loan_no": loan["bank_loan_no"], "lender": loan["lender"],
                          "group": loan["group_code"], "member_no": loan["member_no"],
                          "borrower": loan["borrower"], "principal": principal,
                          "arranged_on": loan["arranged_on"], "guarantors": guarantors,
                          "introducer": loan["introducer"], "outstanding": now.outstanding,
                          "arrears": now.arrears, "days_overdue": late,
                          "collected": sum((r["principal"] + r["charge"] for r in paid),
                                           Decimal("0.00"))})
        held = {r["account"].split(":", 2)[2]: taka(-int(r["total"])) for r in self.db.query(
            f"SELECT account, SUM(amount) AS total FROM {self.p.t('movements')} WHERE "
            "group_id = ? AND account >= ? AND account < ? AND business_date <= ? "
            "GROUP BY account", (cid, acc.DUE_TO_BANK + ":", acc.DUE_TO_BANK + ";", day))}
        paid_over = {r["account"].split(":", 2)[2]: taka(int(r["total"])) for r in self.db.query(
            f"SELECT account, SUM(amount) AS total FROM {self.p.t('movements')} WHERE "
            "group_id = ? AND account >= ? AND account < ? AND business_date <= ? AND "
            "amount > 0 GROUP BY account", (cid, acc.DUE_TO_BANK + ":", acc.DUE_TO_BANK + ";",
                                            day))}
        return {"cluster": cluster.upper(), "as_of": as_of, "loans": loans,
                "guarantor_exposure": dict(sorted(exposure.items())), "held_for_banks": held,
                "paid_to_banks": paid_over,
                "outstanding": sum((x["outstanding"] for x in loans), Decimal("0.00"))}

    def portfolio(self, codes: list[str], *, as_of: date | None = None,
                  since: date | None = None) -> dict[str, Any]:
        """Loan portfolio of some groups: outstanding, overdue, PAR30 (outstanding principal
        of loans with an instalment more than 30 days late, over all outstanding principal),
        and what was collected since ``since``."""
        loans = [(code, loan) for code in codes for loan in self.loans(code, as_of=as_of)]
        outstanding = sum((x["outstanding"] for _, x in loans), Decimal("0.00"))
        start = since or date.min
        collected = sum((r["taka"] for _, x in loans for r in x["repayments"]
                         if r["business_date"] >= start), Decimal("0.00"))
        return {"groups": codes, "as_of": as_of, "since": since, "loans": len(loans),
                "open": sum(1 for _, x in loans if x["outstanding"] > 0),
                "outstanding": outstanding,
                "overdue": sum((x["arrears"] for _, x in loans), Decimal("0.00")),
                "par30": loan_par([x for _, x in loans]),
                "collected": collected,
                "written_off": sum((x["written_off"] for _, x in loans), Decimal("0.00"))}

    def programme(self, *, by: str = "district", clusters: list[str] | None = None,
                  as_of: date | None = None) -> list[dict[str, Any]]:
        """The programme's headline figures per district, upazila, union or cluster: clusters,
        groups per cluster, households, members, share of women and of the extreme poor,
        share of platforms that applied for safety nets and that received them,
        representatives by gender and well-being, and plan completion (reviewed plans)."""
        key = {"district": "district", "upazila": "upazila", "union": "union_name",
               "cluster": "code"}.get(by)
        if key is None:
            raise InvalidInput("by", by, "group by district, upazila, union or cluster")
        wanted = {c.upper() for c in clusters} if clusters else None
        rows: dict[str, dict[str, Any]] = {}
        for c in self.clusters(as_of=as_of):
            if wanted is not None and c["code"] not in wanted:
                continue
            p = self._platform(c, as_of)
            members = [m for g in c["groups"] for m in self.members(g, as_of=as_of)
                       if m["active"]]
            completions = [plan["completion"] for plan in (
                self.plan(CLUSTER_PREFIX + c["code"], r["year"]) for r in self.db.query(
                    f"SELECT year FROM {self.p.t('reviews')} WHERE group_id = ?",
                    (c["cluster_id"],))) if plan and "completion" in plan]
            row = rows.setdefault(c[key], {
                by: c[key], "clusters": 0, "groups": 0, "households": 0, "members": 0,
                "women": 0, "extreme_poor": 0, "applied": 0, "received": 0,
                "representatives_by_gender": defaultdict(int),
                "representatives_by_wellbeing": defaultdict(int), "completions": []})
            row["clusters"] += 1
            row["groups"] += len(c["groups"])
            row["households"] += c["households"]
            row["members"] += len(members)
            row["women"] += sum(1 for m in members if m["gender"] == "female")
            row["extreme_poor"] += sum(1 for m in members if m["wellbeing"] == "extreme-poor")
            row["applied"] += 1 if p["safety_nets_applied"] else 0
            row["received"] += 1 if p["safety_nets_granted"] else 0
            for k, v in p["representatives_by_gender"].items():
                row["representatives_by_gender"][k] += v
            for k, v in p["representatives_by_wellbeing"].items():
                row["representatives_by_wellbeing"][k] += v
            row["completions"] += completions
        out = []
        for row in rows.values():
            n, members = row["clusters"], row["members"]
            done = row.pop("completions")
            out.append({
                **row, "groups_per_cluster": (Decimal(row["groups"]) / n).quantize(
                    Decimal("0.1")),
                "women_share": _share(row["women"], members),
                "extreme_poor_share": _share(row["extreme_poor"], members),
                "applied_share": _share(row["applied"], n),
                "received_share": _share(row["received"], n),
                "representatives_by_gender": dict(sorted(
                    row["representatives_by_gender"].items())),
                "representatives_by_wellbeing": dict(sorted(
                    row["representatives_by_wellbeing"].items())),
                "plan_completion": (sum(done, Decimal(0)) / len(done)).quantize(
                    Decimal("0.1")) if done else None})
        return sorted(out, key=lambda r: str(r[by]))

    def plan(self, stream: str, year: int) -> dict[str, Any] | None:
        """A group's (``JOBA``) or cluster's (``cluster:CODE``) plan for a year, with its
        completion once reviewed: the share of activities done (partly counts half)."""
        sid = stream_id(stream).hex
        rows = self.db.query(f"SELECT * FROM {self.p.t('plans')} WHERE group_id = ? AND "
                             "year = ?", (sid, year))
        if not rows:
            return None
        plan = {"year": year, "adopted_on": rows[0]["adopted_on"],
                **json.loads(rows[0]["body"])}
        for a in plan["activities"]:
            a["budget"] = Decimal(a["budget"])
        review = self.review(stream, year)
        if review:
            score = {"done": 2, "partly": 1, "not": 0}
            total = sum(score[a["status"]] for a in review["activities"])
            plan["completion"] = (Decimal(total * 50) / len(review["activities"])).quantize(
                Decimal("0.1"))
        return plan

    def review(self, stream: str, year: int) -> dict[str, Any] | None:
        """A joint review (with the seal of the books at that moment)."""
        rows = self.db.query(f"SELECT * FROM {self.p.t('reviews')} WHERE group_id = ? AND "
                             "year = ?", (stream_id(stream).hex, year))
        if not rows:
            return None
        body = json.loads(rows[0]["body"])
        for a in body["activities"]:
            a["costs"], a["revenue"] = Decimal(a["costs"]), Decimal(a["revenue"])
        return {"year": year, "held_on": rows[0]["held_on"], "seal": rows[0]["seal"], **body}

    def group_plan_activities(self, groups: list[str]) -> set[tuple[str, int, str]]:
        """(group, year, activity id) of every activity in these groups' plans."""
        out: set[tuple[str, int, str]] = set()
        for code in groups:
            for row in self.db.query(f"SELECT year, body FROM {self.p.t('plans')} WHERE "
                                     "group_id = ?", (stream_id(code).hex,)):
                out |= {(code.upper(), row["year"], a["id"])
                        for a in json.loads(row["body"])["activities"]}
        return out

    def activity_money(self, groups: list[str], activity: str, start: str,
                       end: str) -> tuple[Decimal, Decimal]:
        """Costs and revenue booked against an activity by these groups between the first
        day of month ``start`` and the last day of month ``end`` (YYYY-MM)."""
        first = f"{start}-01"
        last = f"{end}-31"
        costs = revenue = 0
        for code in groups:
            rows = self.db.query(
                f"SELECT account, SUM(amount) AS total FROM {self.p.t('movements')} WHERE "
                "group_id = ? AND account IN (?, ?) AND business_date >= ? AND "
                "business_date <= ? GROUP BY account",
                (stream_id(code).hex, acc.activity_costs(activity),
                 acc.activity_income(activity), first, last))
            for r in rows:
                if r["account"].startswith(acc.ACTIVITY_COSTS):
                    costs += int(r["total"])
                else:
                    revenue -= int(r["total"])
        return taka(costs), taka(revenue)

    def clusters(self, *, as_of: date | None = None) -> list[dict[str, Any]]:
        """Clusters with the groups in them on ``as_of`` (default: now)."""
        day = _day(as_of)
        clusters = self.db.query(f"SELECT * FROM {self.p.t('clusters')} WHERE formed_on <= ? "
                                 "ORDER BY district, upazila, code", (day,))
        members = self.db.query(
            f"SELECT cluster_id, group_code, joined_on, left_on FROM "
            f"{self.p.t('cluster_groups')} WHERE joined_on <= ? AND (left_on IS NULL OR "
            "left_on > ?) ORDER BY joined_on, position", (day, day))
        for c in clusters:
            c["villages"] = json.loads(c["villages"])
            c["groups"] = [m["group_code"] for m in members
                           if m["cluster_id"] == c["cluster_id"]]
        return clusters

    def members(self, code: str, *, as_of: date | None = None) -> list[dict[str, Any]]:
        """Members who had joined by ``as_of`` (with ``active`` telling if still in)."""
        gid, day = self._gid(code), _day(as_of)
        rows = self.db.query(
            f"SELECT * FROM {self.p.t('members')} WHERE group_id = ? AND joined_on <= ? "
            "ORDER BY member_no", (gid, day))
        roles = self.db.query(
            f"SELECT member_no, role FROM {self.p.t('roles')} WHERE group_id = ? AND "
            "since <= ? AND (until IS NULL OR until > ?) ORDER BY position", (gid, day, day))
        held: dict[int, list[str]] = defaultdict(list)
        for r in roles:
            held[r["member_no"]].append(r["role"])
        for r in rows:
            r["landless"] = bool(r["landless"])
            r["active"] = r["left_on"] is None or r["left_on"] > day
            r["roles"] = held[r["member_no"]]
        return rows

    # ------------------------------------------------------------------ balances
    def balances(self, code: str | None, as_of: date | None) -> dict[tuple[str, str], int]:
        """Raw balances (paisa / grams) by (account, commodity) as of a date (without a
        date: from the running totals, without adding up every day)."""
        if as_of is None:
            sql = (f"SELECT account, commodity, SUM(amount) AS total FROM "
                   f"{self.p.t('balances')} WHERE 1 = 1")
            params: list[Any] = []
        else:
            sql = (f"SELECT account, commodity, SUM(amount) AS total FROM "
                   f"{self.p.t('movements')} WHERE business_date <= ?")
            params = [_day(as_of)]
        if code is not None:
            sql += " AND group_id = ?"
            params.append(self._gid(code))
        rows = self.db.query(sql + " GROUP BY account, commodity", params)
        return {(r["account"], r["commodity"]): int(r["total"]) for r in rows if r["total"]}

    def trial_balance(self, code: str | None = None, *,
                      as_of: date | None = None) -> TrialBalance:
        """Every account's balance; per commodity the balances sum to zero."""
        raw = self.balances(code, as_of)
        rows = [Balance(a, c, _value(c, v)) for (a, c), v in sorted(raw.items())]
        totals: dict[str, Decimal | int] = {}
        for commodity in (TAKA, RICE):
            totals[commodity] = _value(commodity, sum(
                v for (_, c), v in raw.items() if c == commodity))
        return TrialBalance(code.upper() if code else "*", as_of, rows, totals)

    def position(self, code: str, *, as_of: date | None = None) -> Position:
        raw = self.balances(code, as_of)
        info = self.db.query(f"SELECT name FROM {self.p.t('groups')} WHERE group_id = ?",
                             (group_id(code).hex,))[0]

        def total(prefix: str, commodity: str) -> int:
            return sum(v for (a, c), v in raw.items()
                       if c == commodity and (a == prefix or a.startswith(prefix + ":")))

        activities: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        expenses: dict[str, Decimal] = {}
        for (account, commodity), v in raw.items():
            name = acc.activity_of(account)
            if name is not None:
                activities[name][0 if account.startswith("Expenses") else 1] += v
            elif account.startswith(acc.EXPENSES + ":") and commodity == TAKA:
                expenses[account.split(":", 1)[1].lower()] = taka(v)
        members = [m for m in self.members(code, as_of=as_of) if m["active"]]
        return Position(
            group=code.upper(), name=info["name"], as_of=as_of, members=len(members),
            rice_stock_grams=total(acc.RICE_STOCK, RICE), cash=taka(total(acc.CASH, TAKA)),
            receivables=taka(total(acc.RECEIVABLE, TAKA)),
            cash_savings_owed=taka(-total(acc.CASH_SAVINGS, TAKA)),
            rice_savings_grams=-total(acc.RICE_SAVINGS, RICE),
            rice_sold_grams=total(acc.RICE_CONVERSION, RICE),
            rice_sales=taka(-total(acc.RICE_CONVERSION, TAKA)),
            grants=taka(-total(acc.GRANTS, TAKA)), expenses=dict(sorted(expenses.items())),
            activities=[Activity(n, taka(c), taka(-r))
                        for n, (c, r) in sorted(activities.items())])

    def trend(self, code: str, prefix: str, commodity: str, *,
              as_of: date | None = None) -> list[tuple[date, int]]:
        """Day-by-day running balance (paisa or grams, debit positive) of the accounts
        named ``prefix`` or under it, on each day they moved."""
        rows = self.db.query(
            f"SELECT business_date, SUM(amount) AS total FROM {self.p.t('movements')} "
            "WHERE group_id = ? AND account >= ? AND account < ? AND commodity = ? AND "
            "business_date <= ? GROUP BY business_date ORDER BY business_date",
            # A range on the primary key instead of LIKE: the account and its children
            # (":" sorts just before ";"; no account name extends another by a character
            # below ";").
            (self._gid(code), prefix, prefix + ";", commodity, _day(as_of)))
        running, out = 0, []
        for r in rows:
            running += int(r["total"])
            out.append((date.fromisoformat(r["business_date"]), running))
        return out

    def member_balances(self, code: str, *, as_of: date | None = None
                        ) -> list[dict[str, Any]]:
        """Every member's rice savings (grams), cash savings and what she owes (taka),
        from the account balances."""
        raw = self.balances(code, as_of)
        out = []
        for m in self.members(code, as_of=as_of):
            no = m["member_no"]
            out.append({"member_no": no, "name": m["name"], "active": m["active"],
                        "rice_saved_grams": -raw.get((acc.rice_savings(no), RICE), 0),
                        "cash_savings": taka(-raw.get((acc.cash_savings(no), TAKA), 0)),
                        "owed": taka(raw.get((acc.receivable(no), TAKA), 0))})
        return out

    def member_totals(self, code: str, *, as_of: date | None = None) -> list[dict[str, Any]]:
        """Every member's passbook totals in one query: rice saved and bought (grams),
        bought value, paid, owed and cash savings (taka)."""
        gid = self._gid(code)
        rows = self.db.query(
            f"SELECT m.member_no, m.name, COALESCE(SUM(p.rice_saved), 0) AS rice_saved, "
            "COALESCE(SUM(p.rice_bought), 0) AS rice_bought, "
            "COALESCE(SUM(p.bought_value), 0) AS bought_value, "
            "COALESCE(SUM(p.paid), 0) AS paid, COALESCE(SUM(p.cash_saved), 0) AS cash_saved "
            f"FROM {self.p.t('members')} m LEFT JOIN {self.p.t('passbook')} p ON "
            "p.group_id = m.group_id AND p.member_no = m.member_no AND p.business_date <= ? "
            "WHERE m.group_id = ? AND m.joined_on <= ? GROUP BY m.member_no, m.name "
            "ORDER BY m.member_no", (_day(as_of), gid, _day(as_of)))
        return [{"member_no": r["member_no"], "name": r["name"],
                 "rice_saved_grams": int(r["rice_saved"]),
                 "rice_bought_grams": int(r["rice_bought"]),
                 "bought_value": taka(int(r["bought_value"])), "paid": taka(int(r["paid"])),
                 "owed": taka(int(r["bought_value"]) - int(r["paid"])),
                 "cash_savings": taka(int(r["cash_saved"]))} for r in rows]

    # ------------------------------------------------------------------ passbook
    def passbook(self, code: str, member: int, *, as_of: date | None = None,
                 last: int | None = None) -> Passbook:
        """A member's passbook; ``last``: only the latest lines (the running totals and
        the totals still count every line; ``earlier_lines`` says how many are left out)."""
        gid = self._gid(code)
        found = self.db.query(f"SELECT * FROM {self.p.t('members')} WHERE group_id = ? AND "
                              "member_no = ?", (gid, member))
        if not found:
            raise UnknownMember("member", member, code.upper())
        m = found[0]
        sql = (f"SELECT * FROM {self.p.t('passbook')} WHERE group_id = ? AND member_no = ? "
               "AND business_date <= ? ORDER BY business_date DESC, position DESC")
        params = (gid, member, _day(as_of))
        rows = self.db.query(sql + (f" LIMIT {int(last)}" if last else ""), params)[::-1]
        rice = bought = value = paid = cash = earlier = 0
        if last and rows:
            first = rows[0]
            before = self.db.query(
                "SELECT COUNT(*) AS n, COALESCE(SUM(rice_saved), 0) AS rice, "
                "COALESCE(SUM(rice_bought), 0) AS bought, COALESCE(SUM(bought_value), 0) "
                "AS value, COALESCE(SUM(paid), 0) AS paid, COALESCE(SUM(cash_saved), 0) AS "
                f"cash FROM {self.p.t('passbook')} WHERE group_id = ? AND member_no = ? AND "
                "(business_date < ? OR (business_date = ? AND position < ?))",
                (gid, member, first["business_date"], first["business_date"],
                 first["position"]))[0]
            earlier = int(before["n"])
            rice, bought, value = int(before["rice"]), int(before["bought"]), int(before["value"])
            paid, cash = int(before["paid"]), int(before["cash"])
        lines = []
        for r in rows:
            rice += r["rice_saved"]
            bought += r["rice_bought"]
            value += r["bought_value"]
            paid += r["paid"]
            cash += r["cash_saved"]
            lines.append(PassbookLine(
                r["position"], date.fromisoformat(r["business_date"]), r["recorded_at"],
                r["entry"], r["rice_saved"], r["rice_bought"], taka(r["bought_value"]),
                taka(r["paid"]), taka(r["cash_saved"]), r["memo"], rice, taka(value - paid),
                taka(cash)))
        return Passbook(code.upper(), member, m["name"], as_of,
                        date.fromisoformat(m["joined_on"]),
                        date.fromisoformat(m["left_on"]) if m["left_on"] else None, lines,
                        rice, bought, taka(value), taka(paid), taka(value - paid), taka(cash),
                        earlier)

    # ------------------------------------------------------------------ meetings
    def reconciliation(self, code: str, *, as_of: date | None = None,
                       last: int | None = None) -> Reconciliation:
        """Each meeting's count against the books (``last``: only the latest meetings)."""
        gid = self._gid(code)
        sql = (f"SELECT * FROM {self.p.t('meetings')} WHERE group_id = ? AND "
               "meeting_date <= ? ORDER BY meeting_date DESC, position DESC")
        meetings = self.db.query(sql + (f" LIMIT {int(last)}" if last else ""),
                                 (gid, _day(as_of)))[::-1]
        start = meetings[0]["meeting_date"] if meetings and last else ""
        opening = {r["account"]: int(r["total"] or 0) for r in self.db.query(
            f"SELECT account, SUM(amount) AS total FROM {self.p.t('movements')} WHERE "
            "group_id = ? AND account IN (?, ?) AND business_date < ? GROUP BY account",
            (gid, acc.CASH, acc.RICE_STOCK, start))} if start else {}
        books = self.db.query(
            f"SELECT account, business_date, amount FROM {self.p.t('movements')} WHERE "
            "group_id = ? AND account IN (?, ?) AND business_date >= ? AND "
            "business_date <= ? ORDER BY business_date",
            (gid, acc.CASH, acc.RICE_STOCK, start, _day(as_of)))
        checks, i = [], 0
        cash, rice = opening.get(acc.CASH, 0), opening.get(acc.RICE_STOCK, 0)
        for m in meetings:
            while i < len(books) and books[i]["business_date"] <= m["meeting_date"]:
                if books[i]["account"] == acc.CASH:
                    cash += books[i]["amount"]
                else:
                    rice += books[i]["amount"]
                i += 1
            counted_cash = None if m["counted_cash"] is None else taka(m["counted_cash"])
            counted_rice = m["counted_rice"]
            checks.append(MeetingCheck(
                m["position"], date.fromisoformat(m["meeting_date"]), m["attended"],
                counted_cash, taka(cash),
                None if counted_cash is None else counted_cash - taka(cash),
                counted_rice, rice, None if counted_rice is None else counted_rice - rice,
                m["seal"]))
        return Reconciliation(code.upper(), as_of, checks)
