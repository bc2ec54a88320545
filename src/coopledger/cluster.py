"""The cluster: neighbouring groups within one ward, run by their cluster platform.

A :class:`Cluster` is its own event stream (key ``cluster:<code>``): formed with its place,
villages and the households it covers; groups join and leave it with dates. A group belongs
to at most one cluster at a time (the ledger checks the other clusters before admitting it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from coopledger import events as ev
from coopledger.chained import Chained, chained
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.group import CLUSTER_PREFIX, Stamp, _check_code, _text, stream_id
from coopledger.integrity import GENESIS
from coopledger.loans import allocate, most_payable
from coopledger.loans import schedule as loan_schedule
from coopledger.money import to_taka
from coopledger.plans import Planning


def cluster_key(code: str) -> str:
    """The stream key of a cluster: ``cluster:<CODE>``."""
    return CLUSTER_PREFIX + code.upper().removeprefix(CLUSTER_PREFIX)


SCHEMES = ("vgd", "vgf", "old-age-allowance", "widow-allowance", "khas-land", "khas-pond",
           "shelter", "other")
IDENTIFIED_BY = ("well-being-analysis", "transect-visit", "other")
TRAINING_KINDS = ("training", "community-event", "workshop", "exchange-visit")


class _PlatformRecords:
    """Rules for the platform's MoU, extreme-poor register, safety nets and trainings
    (mixed into :class:`Cluster`)."""

    def sign_mou(self: Any, *, parties: list[dict[str, str]],
                 commitments: list[dict[str, Any]], on: date, stamp: Stamp) -> int:
        on = self._check_date(on, stamp.today)
        if not parties:
            raise InvalidInput("parties", parties, "name who signs")
        for i, p in enumerate(parties):
            for key in ("party", "role", "signed_by"):
                _text(f"parties[{i}].{key}", p.get(key, ""))
        names = {p["party"] for p in parties}
        numbers = []
        for i, c in enumerate(commitments):
            if c.get("party") not in names:
                raise InvalidInput(f"commitments[{i}].party", c.get("party"),
                                   "is not one of the parties")
            _text(f"commitments[{i}].text", c.get("text", ""), limit=1000)
            numbers.append(c.get("no"))
        if not commitments or numbers != list(range(1, len(commitments) + 1)):
            raise InvalidInput("commitments", numbers, "number the commitments 1, 2, 3 ...")
        version = getattr(self, "mou_version", 0) + 1
        self.trigger_event(ev.MouSigned, business_date=on, **stamp.fields(), version=version,
                           parties=[dict(p) for p in parties],
                           commitments=[dict(c) for c in commitments])
        return version

    def _on_MouSigned(self: Any, e: ev.MouSigned) -> None:
        self.mou_version = e.version

    def list_extreme_poor(self: Any, *, household: str, head: str, village: str,
                          reason: str, identified_by: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        if identified_by not in IDENTIFIED_BY:
            raise InvalidInput("identified_by", identified_by,
                               "must be one of " + ", ".join(IDENTIFIED_BY))
        self.trigger_event(ev.ExtremePoorListed, business_date=on, **stamp.fields(),
                           household=_text("household", household), head=_text("head", head),
                           village=_text("village", village), reason=_text("reason", reason),
                           identified_by=identified_by)

    def _on_ExtremePoorListed(self: Any, e: ev.ExtremePoorListed) -> None:
        self.register = [*getattr(self, "register", []), e.position]

    def apply_safety_net(self: Any, *, household_entry: int, scheme: str, applied_to: str,
                         on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        if household_entry not in getattr(self, "register", []):
            raise RuleBroken("household_entry", household_entry,
                             "is not an entry of the extreme-poor register")
        if scheme not in SCHEMES:
            raise InvalidInput("scheme", scheme, "must be one of " + ", ".join(SCHEMES))
        self.trigger_event(ev.SafetyNetApplied, business_date=on, **stamp.fields(),
                           household_entry=household_entry, scheme=scheme,
                           applied_to=_text("applied_to", applied_to))

    def _on_SafetyNetApplied(self: Any, e: ev.SafetyNetApplied) -> None:
        self.pending = [*getattr(self, "pending", []), e.position]

    def decide_safety_net(self: Any, *, application: int, outcome: str,
                          value: Any, note: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        if application not in getattr(self, "pending", []):
            raise RuleBroken("application", application,
                             "is not an application waiting for a decision")
        if outcome not in ("granted", "refused"):
            raise InvalidInput("outcome", outcome, "must be granted or refused")
        amount = None
        if value is not None:
            amount = to_taka(value, "value")
            if amount < 0 or outcome == "refused":
                raise InvalidInput("value", value, "a value is for a granted service, 0 or "
                                   "more taka a year")
        self.trigger_event(ev.SafetyNetDecided, business_date=on, **stamp.fields(),
                           application=application, outcome=outcome, value=amount,
                           note=_text("note", note, required=False))

    def _on_SafetyNetDecided(self: Any, e: ev.SafetyNetDecided) -> None:
        self.pending = [p for p in self.pending if p != e.application]

    def hold_training(self: Any, *, title: str, kind: str, facilitator: str,
                      attendance: dict[str, int], on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        if kind not in TRAINING_KINDS:
            raise InvalidInput("kind", kind, "must be one of " + ", ".join(TRAINING_KINDS))
        counts = {}
        for key in ("members_female", "members_male", "others_female", "others_male"):
            n = attendance.get(key, 0)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise InvalidInput(key, n, "must be a whole number, 0 or more")
            counts[key] = n
        if not sum(counts.values()):
            raise InvalidInput("attendance", counts, "nobody attended")
        self.trigger_event(ev.TrainingHeld, business_date=on, **stamp.fields(),
                           title=_text("title", title), kind=kind,
                           facilitator=_text("facilitator", facilitator, required=False),
                           **counts)

    def _on_TrainingHeld(self: Any, e: ev.TrainingHeld) -> None:
        pass


class _BankLoans:
    """Bank loans the platform guarantees (mixed into :class:`Cluster`)."""

    def arrange_bank_loan(self: Any, *, lender: str, group: str, member_no: int,
                          member: dict[str, Any], principal: Any, rate: Any, method: str,
                          frequency: str, instalments: int, grace: int,
                          guarantors: list[tuple[str, int]], introducer: str, on: date,
                          stamp: Stamp) -> int:
        on = self._check_date(on, stamp.today)
        code = self._member_group("group", group)
        amount = to_taka(principal, "principal")
        if amount <= 0:
            raise InvalidInput("principal", principal, "must be more than zero")
        if not guarantors:
            raise InvalidInput("guarantors", guarantors, "name the guarantors")
        for i, (g, n) in enumerate(guarantors):
            if n not in self.representatives.get(str(g).upper(), []):
                raise RuleBroken(f"guarantors[{i}]", f"{str(g).upper()}/{n}",
                                 "is not a representative on the platform")
        if isinstance(instalments, bool) or not isinstance(instalments, int) or \
                not 1 <= instalments <= 104:
            raise InvalidInput("instalments", instalments, "must be 1 to 104")
        rate_value = to_taka(rate, "rate")
        rows = loan_schedule(amount, rate_value, method, frequency, instalments, on, grace)
        number = len(getattr(self, "bank_loans", {})) + 1
        self.trigger_event(ev.BankLoanArranged, business_date=on, **stamp.fields(),
                           bank_loan_no=number, lender=_text("lender", lender), group=code,
                           member_no=member_no, borrower=member["name"], principal=amount,
                           rate=rate_value, method=method, frequency=frequency,
                           instalments=instalments, grace=grace,
                           guarantors=[{"group": str(g).upper(), "member_no": n}
                                       for g, n in guarantors],
                           introducer=_text("introducer", introducer), schedule=rows)
        return number

    def _on_BankLoanArranged(self: Any, e: ev.BankLoanArranged) -> None:
        self.bank_loans = {**getattr(self, "bank_loans", {}), str(e.bank_loan_no): {
            "lender": e.lender, "principal": e.principal, "schedule": list(e.schedule),
            "repayments": [], "arranged_on": e.business_date}}

    def collect_bank_instalment(self: Any, *, bank_loan_no: int, taka: Any, on: date,
                                stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        loan = getattr(self, "bank_loans", {}).get(str(bank_loan_no))
        if loan is None:
            raise InvalidInput("bank_loan", bank_loan_no, "is not a bank loan of this platform")
        amount = to_taka(taka, "taka")
        if amount <= 0:
            raise InvalidInput("taka", taka, "must be more than zero")
        most = most_payable(loan["schedule"], Decimal(loan["principal"]),
                            loan["repayments"], on)
        if most <= 0:
            raise RuleBroken("bank_loan", bank_loan_no, "is repaid: nothing is owed on it")
        if amount > most:
            raise RuleBroken("taka", amount, f"is more than the borrower owes: at most {most}")
        charge, principal = allocate(loan["schedule"], Decimal(loan["principal"]),
                                     loan["repayments"], amount, on)
        self.trigger_event(ev.BankInstalmentCollected, business_date=on, **stamp.fields(),
                           bank_loan_no=bank_loan_no, lender=loan["lender"], taka=amount,
                           charge=charge, principal=principal)

    def _on_BankInstalmentCollected(self: Any, e: ev.BankInstalmentCollected) -> None:
        loan = self.bank_loans[str(e.bank_loan_no)]
        loan["repayments"] = [*loan["repayments"], {
            "business_date": e.business_date, "principal": e.principal, "charge": e.charge}]
        self.held = {**getattr(self, "held", {}),
                     e.lender: Decimal(getattr(self, "held", {}).get(e.lender, 0)) + e.taka}

    def pay_bank(self: Any, *, lender: str, taka: Any, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        amount = to_taka(taka, "taka")
        if amount <= 0:
            raise InvalidInput("taka", taka, "must be more than zero")
        held = Decimal(getattr(self, "held", {}).get(lender, 0))
        if amount > held:
            raise RuleBroken("taka", amount, f"the platform holds only {held} Tk for {lender}")
        self.trigger_event(ev.BankPaymentMade, business_date=on, **stamp.fields(),
                           lender=lender, taka=amount)

    def _on_BankPaymentMade(self: Any, e: ev.BankPaymentMade) -> None:
        self.held = {**self.held, e.lender: Decimal(self.held[e.lender]) - e.taka}


class Cluster(Chained, _PlatformRecords, Planning, _BankLoans):
    """A cluster's stream and the state its rules need (formation date, member groups)."""

    @classmethod
    def form(cls, *, code: str, name: str, division: str, district: str, upazila: str,
             union: str, ward: str, villages: list[str], households: int, partner: str,
             on: date, stamp: Stamp) -> Cluster:
        code = _check_code(code)
        if on > stamp.today:
            raise InvalidInput("date", on, f"is in the future (today is {stamp.today})")
        if not villages or not all(isinstance(v, str) and v.strip() for v in villages):
            raise InvalidInput("villages", villages, "name at least one village")
        if isinstance(households, bool) or not isinstance(households, int) or households < 0:
            raise InvalidInput("households", households, "must be a whole number, 0 or more")
        sid = stream_id(cluster_key(code))
        fields = {"business_date": on, **stamp.fields(), "originator_topic": get_topic(cls)}
        return cls._create(ev.ClusterFormed, id=sid, **chained(
            ev.ClusterFormed, sid, 1, GENESIS, fields, {
                "code": code, "name": _text("name", name),
                "division": _text("division", division, required=False),
                "district": _text("district", district), "upazila": _text("upazila", upazila),
                "union": _text("union", union, required=False),
                "ward": _text("ward", ward, required=False),
                "villages": [v.strip() for v in villages], "households": households,
                "partner": _text("partner", partner, required=False)}))

    def _on_ClusterFormed(self, e: ev.ClusterFormed) -> None:
        self.code, self.name, self.formed_on = e.code, e.name, e.business_date
        self.groups: dict[str, date] = {}
        self.representatives: dict[str, list[int]] = {}  # group -> member numbers

    def _check_date(self, on: Any, today: date) -> date:
        if not isinstance(on, date):
            raise InvalidInput("date", on, "must be a date (YYYY-MM-DD)")
        if on < self.formed_on:
            raise InvalidInput("date", on, f"is before cluster {self.code} was formed "
                               f"({self.formed_on})")
        if on > today:
            raise InvalidInput("date", on, f"is in the future (today is {today})")
        return on

    def admit(self, *, group: str, group_formed_on: date, on: date, stamp: Stamp) -> None:
        """A group joins (the caller checked that the group exists and is in no other
        cluster)."""
        on = self._check_date(on, stamp.today)
        code = group.upper()
        if code in self.groups:
            raise RuleBroken("group", code, f"is already in cluster {self.code}")
        if on < group_formed_on:
            raise InvalidInput("date", on, f"is before group {code} was formed "
                               f"({group_formed_on})")
        self.trigger_event(ev.GroupJoinedCluster, business_date=on, **stamp.fields(),
                           group=code)

    def _on_GroupJoinedCluster(self, e: ev.GroupJoinedCluster) -> None:
        self.groups[e.group] = e.business_date

    def release(self, *, group: str, reason: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        code = group.upper()
        if code not in self.groups:
            raise RuleBroken("group", code, f"is not in cluster {self.code}")
        if on < self.groups[code]:
            raise InvalidInput("date", on, f"is before {code} joined ({self.groups[code]})")
        self.trigger_event(ev.GroupLeftCluster, business_date=on, **stamp.fields(),
                           group=code, reason=_text("reason", reason))

    def _on_GroupLeftCluster(self, e: ev.GroupLeftCluster) -> None:
        del self.groups[e.group]
        self.representatives.pop(e.group, None)

    # ------------------------------------------------------------------ the platform
    def _member_group(self, field: str, group: str) -> str:
        code = str(group).upper()
        if code not in self.groups:
            raise RuleBroken(field, code, f"is not a group of cluster {self.code}")
        return code

    def name_representative(self, *, group: str, member: dict[str, Any], member_no: int,
                            on: date, stamp: Stamp) -> None:
        """Seat a member of a member group on the platform (``member``: her record)."""
        on = self._check_date(on, stamp.today)
        code = self._member_group("group", group)
        seated = self.representatives.get(code, [])
        if member_no in seated:
            raise RuleBroken("member", member_no, "already represents her group")
        if len(seated) >= MAX_REPRESENTATIVES:
            raise RuleBroken("member", member_no, f"group {code} already has "
                             f"{MAX_REPRESENTATIVES} representatives")
        self.trigger_event(ev.RepresentativeNamed, business_date=on, **stamp.fields(),
                           group=code, member_no=member_no, name=member["name"],
                           gender=member["gender"], wellbeing=member["wellbeing"])

    def _on_RepresentativeNamed(self, e: ev.RepresentativeNamed) -> None:
        self.representatives.setdefault(e.group, []).append(e.member_no)

    def step_down(self, *, group: str, member_no: int, reason: str, on: date,
                  stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        code = self._member_group("group", group)
        if member_no not in self.representatives.get(code, []):
            raise RuleBroken("member", member_no, f"is not a representative of {code}")
        self.trigger_event(ev.RepresentativeSteppedDown, business_date=on, **stamp.fields(),
                           group=code, member_no=member_no, reason=_text("reason", reason))

    def _on_RepresentativeSteppedDown(self, e: ev.RepresentativeSteppedDown) -> None:
        self.representatives[e.group].remove(e.member_no)

    def plan_rotation(self, *, start: str, months: int, on: date, stamp: Stamp) -> None:
        """Record a fair rotation of chair and host over the groups in the cluster now."""
        on = self._check_date(on, stamp.today)
        if not self.groups:
            raise RuleBroken("cluster", self.code, "has no groups to rotate among")
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 36:
            raise InvalidInput("months", months, "plan 1 to 36 months")
        try:
            year, month = (int(p) for p in str(start).split("-"))
            date(year, month, 1)
        except ValueError:
            raise InvalidInput("start", start, "give the first month as YYYY-MM") from None
        ordered = sorted(self.groups, key=lambda g: (self.groups[g], g))
        self.trigger_event(ev.RotationPlanned, business_date=on, **stamp.fields(),
                           slots=fair_rotation(ordered, f"{year:04d}-{month:02d}", months))

    def _on_RotationPlanned(self, e: ev.RotationPlanned) -> None:
        self.rotation = {**getattr(self, "rotation", {}),
                         **{s["month"]: (s["chair"], s["host"]) for s in e.slots}}

    def hold_meeting(self, *, attendance: list[tuple[str, int]], chair: str | None,
                     host: str | None, decisions: list[str], on: date, stamp: Stamp) -> None:
        """The monthly platform meeting (chair and host default to the rotation's)."""
        on = self._check_date(on, stamp.today)
        planned = getattr(self, "rotation", {}).get(on.strftime("%Y-%m"))
        chair = chair or (planned[0] if planned else None)
        host = host or (planned[1] if planned else None)
        if chair is None or host is None:
            raise InvalidInput("chair", chair, "no rotation covers this month: name the "
                               "chair and the host group")
        chair, host = self._member_group("chair", chair), self._member_group("host", host)
        seen = set()
        for i, (group, member_no) in enumerate(attendance):
            code = str(group).upper()
            if member_no not in self.representatives.get(code, []):
                raise RuleBroken(f"attendance[{i}]", f"{code}/{member_no}",
                                 "is not a representative on the platform")
            if (code, member_no) in seen:
                raise InvalidInput(f"attendance[{i}]", f"{code}/{member_no}", "is listed twice")
            seen.add((code, member_no))
        self.trigger_event(ev.PlatformMeetingHeld, business_date=on, **stamp.fields(),
                           chair=chair, host=host,
                           attendance=[{"group": g.upper(), "member_no": n}
                                       for g, n in attendance],
                           decisions=[_text(f"decisions[{i}]", d, limit=500)
                                      for i, d in enumerate(decisions)])

    def _on_PlatformMeetingHeld(self, e: ev.PlatformMeetingHeld) -> None:
        pass

    def __deepcopy__(self, memo: dict[int, Any]) -> Cluster:
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._pending_events = list(self._pending_events)
        if hasattr(self, "groups"):
            other.groups = dict(self.groups)
            other.representatives = {g: list(m) for g, m in self.representatives.items()}
        if hasattr(self, "rotation"):
            other.rotation = dict(self.rotation)
        if hasattr(self, "bank_loans"):
            other.bank_loans = {n: {**x, "repayments": list(x["repayments"])}
                                for n, x in self.bank_loans.items()}
        if hasattr(self, "held"):
            other.held = dict(self.held)
        for name in ("register", "pending", "plans", "reviewed"):
            if hasattr(self, name):
                setattr(other, name, type(getattr(self, name))(getattr(self, name)))
        return other


# ---------------------------------------------------------------------- the platform
MAX_REPRESENTATIVES = 3


def fair_rotation(groups: list[str], start: str, months: int) -> list[dict[str, str]]:
    """Chair and host for each month, taking the groups in turn so that no group chairs or
    hosts more than once more than any other; the host is never that month's chair (with
    two groups or more)."""
    year, month = (int(p) for p in start.split("-"))
    slots = []
    n = len(groups)
    for i in range(months):
        y, m = divmod(month - 1 + i, 12)
        slots.append({"month": f"{year + y:04d}-{m + 1:02d}", "chair": groups[i % n],
                      "host": groups[(i + 1) % n] if n > 1 else groups[0]})
    return slots

