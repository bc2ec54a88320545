"""The group (CBO): the consistency boundary of its rice stock, its cash and its members.

A :class:`Group` is an event-sourced aggregate. Its command methods check the rules of the
books and trigger events; its ``_on_*`` methods evolve its state from events. The state is
only what the rules need: members, and the day-by-day balances of the accounts that may never
go below zero (cash, rice stock, each member's savings and what she owes). Because entries can
be back-dated, a withdrawal on day D is refused if it would make any of those balances
negative on D or on any later day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.utils import get_topic

from coopledger import accounts as acc
from coopledger import events as ev
from coopledger.chained import Chained, chained, project
from coopledger.errors import InvalidInput, RuleBroken, UnknownMember
from coopledger.integrity import GENESIS
from coopledger.loans import allocate, most_payable
from coopledger.loans import schedule as loan_schedule
from coopledger.money import RICE, format_grams, format_taka, sale_value, taka, to_taka
from coopledger.plans import Planning
from coopledger.postings import net, postings, postings_for

GROUP_KINDS = ("women", "men", "mixed")
LOAN_METHODS = ("declining", "flat")
FREQUENCIES = ("weekly", "monthly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
GENDERS = ("female", "male", "other")
WELLBEING = ("extreme-poor", "poor", "middle", "better-off")
ROLES = ("leader", "cashier", "secretary", "cluster-representative", "female-mentor")
#: Entries a member may still have after leaving: settling what she owes or is owed.
SETTLEMENT = frozenset({"RicePaymentReceived", "CashWithdrawn"})

_NAMESPACE = uuid5(NAMESPACE_URL, "https://coopledger.org/groups")


def group_id(code: str) -> UUID:
    """The stream id of the group with this code (deterministic, so codes are unique)."""
    return uuid5(_NAMESPACE, code.upper())


CLUSTER_PREFIX = "CLUSTER:"


def stream_id(stream: str) -> UUID:
    """The stream id for a stream key: a group code, or ``cluster:<code>`` for a cluster.

    Codes cannot contain a colon, so the two never collide."""
    key = stream.upper()
    return uuid5(_NAMESPACE, key) if key.startswith(CLUSTER_PREFIX) else group_id(key)


__all__ = ["CLUSTER_PREFIX", "Group", "Stamp", "group_id", "project", "stream_id"]


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who records a command, under which key, when, and what 'today' is for them."""

    recorded_by: str
    idempotency_key: str
    command_hash: str
    recorded_at: datetime
    today: date

    def fields(self) -> dict[str, Any]:
        return {"recorded_by": self.recorded_by, "idempotency_key": self.idempotency_key,
                "command_hash": self.command_hash, "timestamp": self.recorded_at}


def _text(field: str, value: Any, *, required: bool = True, limit: int = 200) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, value, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, value, "must not be empty")
    if len(value) > limit:
        raise InvalidInput(field, value, f"is longer than {limit} characters")
    return str(value)


def _check_code(code: Any) -> str:
    text = _text("code", code, limit=24).upper()
    if not all(c.isalnum() or c == "-" for c in text) or not text[0].isalpha():
        raise InvalidInput("code", text, "use letters, digits and hyphens, starting "
                           "with a letter")
    return text


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(field, value, "must be one of " + ", ".join(choices))
    return str(value)


def _positive_grams(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, value, "must be a whole number of grams")
    if value <= 0:
        raise InvalidInput(field, value, "must be more than zero")
    return value


def _positive_taka(field: str, value: Any) -> Decimal:
    amount = to_taka(value, field)
    if amount <= 0:
        raise InvalidInput(field, value, "must be more than zero")
    return amount


def _rate(value: Any) -> Decimal:
    rate = to_taka(value, "rate")
    if rate < 0 or rate > 100:
        raise InvalidInput("rate", value, "a yearly rate in percent, 0 to 100")
    return rate


def _lowest_from(deltas: dict[str, int], day: str, sign: int = 1) -> int:
    """Lowest running balance (times ``sign``) on ``day`` or any later day of a
    date -> delta timeline."""
    running, at_day, lowest = 0, None, None
    for d in sorted(deltas):
        if d > day and at_day is None:
            at_day = running
        running += sign * deltas[d]
        if d >= day:
            lowest = running if lowest is None else min(lowest, running)
    if at_day is None:
        at_day = running
    return at_day if lowest is None else min(lowest, at_day)


class Group(Chained, Planning):
    """A savings group's stream of events and the state its rules need."""

    # State, set from GroupFormed: code, name, kind, meeting_day, formed_on, profile
    # (place, partner, animator), members (by str(member_no)), balances (guarded account ->
    # ISO date -> paisa or grams), corrected (str(target position) -> latest correction).

    # ------------------------------------------------------------------ creation
    @classmethod
    def form(cls, *, code: str, name: str, kind: str, meeting_day: str, division: str,
             district: str, upazila: str, union: str, village: str, partner: str,
             animator: str, on: date, stamp: Stamp, ward: str = "") -> Group:
        """Form a group; ``code`` (letters, digits, hyphens) names its stream for ever."""
        code = _check_code(code)
        if on > stamp.today:
            raise InvalidInput("date", on, f"is in the future (today is {stamp.today})")
        fields = {"business_date": on, **stamp.fields(), "originator_topic": get_topic(cls)}
        return cls._create(
            ev.GroupFormed, id=group_id(code), **chained(ev.GroupFormed, group_id(code), 1,
                                                          GENESIS, fields, {
            "code": code, "name": _text("name", name),
            "kind": _choice("kind", kind, GROUP_KINDS),
            "meeting_day": _choice("meeting_day", meeting_day, WEEKDAYS),
            "division": _text("division", division, required=False),
            "district": _text("district", district), "upazila": _text("upazila", upazila),
            "union": _text("union", union, required=False),
            "ward": _text("ward", ward, required=False), "village": _text("village", village),
            "partner": _text("partner", partner, required=False),
            "animator": _text("animator", animator, required=False)}))

    def __deepcopy__(self, memo: dict[int, Any]) -> Group:
        """A working copy for one command (much faster than a generic deep copy)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._pending_events = list(self._pending_events)
        if hasattr(self, "members"):
            other.members = {no: {**m, "roles": list(m["roles"])}
                             for no, m in self.members.items()}
            other.balances = {a: dict(t) for a, t in self.balances.items()}
            other.corrected = dict(self.corrected)
            other.profile = dict(self.profile)
        if hasattr(self, "loans"):
            other.loans = {n: {**loan, "repayments": list(loan["repayments"]),
                               "schedule": list(loan["schedule"])}
                           for n, loan in self.loans.items()}
        for name in ("plans", "reviewed"):
            if hasattr(self, name):
                setattr(other, name, type(getattr(self, name))(getattr(self, name)))
        return other

    def _on_GroupFormed(self, e: ev.GroupFormed) -> None:
        self.code, self.name, self.kind = e.code, e.name, e.kind
        self.meeting_day, self.formed_on = e.meeting_day, e.business_date
        self.profile = {k: getattr(e, k) for k in
                        ("division", "district", "upazila", "union", "ward", "village",
                         "partner", "animator")}
        self.members: dict[str, dict[str, Any]] = {}
        self.balances: dict[str, dict[str, int]] = {}
        self.corrected: dict[str, int] = {}

    # ------------------------------------------------------------------ checks
    def _check_date(self, on: Any, today: date, field: str = "date") -> date:
        if not isinstance(on, date) or isinstance(on, datetime):
            raise InvalidInput(field, on, "must be a date (YYYY-MM-DD)")
        if on < self.formed_on:
            raise InvalidInput(field, on, f"is before group {self.code} was formed "
                               f"({self.formed_on})")
        if on > today:
            raise InvalidInput(field, on, f"is in the future (today is {today})")
        return on

    def member(self, field: str, member_no: Any, on: date | None = None,
               *, settling: bool = False) -> dict[str, Any]:
        """The member with this number, refusing one who had not joined or had left by ``on``."""
        if isinstance(member_no, bool) or not isinstance(member_no, int):
            raise InvalidInput(field, member_no, "must be a member number")
        m = self.members.get(str(member_no))
        if m is None:
            raise UnknownMember(field, member_no, self.code)
        if on is not None:
            if on < m["joined_on"]:
                raise RuleBroken(field, member_no, f"{m['name']} joined only on "
                                 f"{m['joined_on']}")
            if m["left_on"] is not None and on >= m["left_on"] and not settling:
                raise RuleBroken(field, member_no, f"{m['name']} left the group on "
                                 f"{m['left_on']}")
        return m

    def balance(self, account: str, on: date | None = None) -> int:
        """Balance of a guarded account (paisa or grams, debit positive) as of ``on``."""
        deltas = self.balances.get(account, {})
        if on is None:
            return sum(deltas.values())
        day = on.isoformat()
        return sum(v for d, v in deltas.items() if d <= day)

    def _check_balances(self, legs: dict[tuple[str, str], int], on: date, field: str,
                        value: Any) -> None:
        day = on.isoformat()
        for (account, commodity), delta in legs.items():
            if not acc.is_guarded(account):
                continue
            sign = acc.normal_sign(account)
            if sign * delta >= 0:
                continue
            lowest = _lowest_from(self.balances.get(account, {}), day, sign)
            if lowest + sign * delta < 0:
                raise RuleBroken(field, value, self._shortfall(account, commodity, lowest,
                                                               on))

    def _shortfall(self, account: str, commodity: str, available: int, on: date) -> str:
        shown = format_grams(available) if commodity == RICE else f"{format_taka(available)} Tk"
        who = acc.member_of(account)
        name = self.members[str(who)]["name"] if who is not None else ""
        if account == acc.CASH:
            return f"the cash box would go below zero: it holds {shown} from {on} on"
        if account == acc.RICE_STOCK:
            return f"not enough rice: the group holds {shown} from {on} on"
        if account.startswith(acc.RECEIVABLE):
            return f"{name} owes only {shown} for rice from {on} on"
        if account.startswith(acc.CASH_SAVINGS):
            return f"{name} has only {shown} of cash savings from {on} on"
        return f"{name} has only {shown} of rice savings from {on} on"

    # ------------------------------------------------------------------ members
    def join(self, *, name: str, household: str, gender: str, community: str,
             landless: bool, wellbeing: str, on: date, stamp: Stamp) -> int:
        on = self._check_date(on, stamp.today)
        if not isinstance(landless, bool):
            raise InvalidInput("landless", landless, "must be true or false")
        member_no = len(self.members) + 1
        self.trigger_event(
            ev.MemberJoined, business_date=on, **stamp.fields(), member_no=member_no,
            name=_text("name", name), household=_text("household", household),
            gender=_choice("gender", gender, GENDERS),
            community=_text("community", community, required=False),
            landless=landless, wellbeing=_choice("wellbeing", wellbeing, WELLBEING))
        return member_no

    def _on_MemberJoined(self, e: ev.MemberJoined) -> None:
        self.members[str(e.member_no)] = {
            "name": e.name, "household": e.household, "gender": e.gender,
            "community": e.community, "landless": e.landless, "wellbeing": e.wellbeing,
            "joined_on": e.business_date, "left_on": None, "roles": []}

    def leave(self, *, member_no: int, reason: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        self.member("member", member_no, on)
        self.trigger_event(ev.MemberLeft, business_date=on, **stamp.fields(),
                           member_no=member_no, reason=_text("reason", reason))

    def _on_MemberLeft(self, e: ev.MemberLeft) -> None:
        m = self.members[str(e.member_no)]
        m["left_on"], m["roles"] = e.business_date, []

    def assign_role(self, *, member_no: int, role: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        m = self.member("member", member_no, on)
        role = _choice("role", role, ROLES)
        if role in m["roles"]:
            raise RuleBroken("role", role, f"{m['name']} is already {role}")
        self.trigger_event(ev.RoleAssigned, business_date=on, **stamp.fields(),
                           member_no=member_no, role=role)

    def _on_RoleAssigned(self, e: ev.RoleAssigned) -> None:
        self.members[str(e.member_no)]["roles"].append(e.role)

    def end_role(self, *, member_no: int, role: str, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        m = self.member("member", member_no, on)
        if role not in m["roles"]:
            raise RuleBroken("role", role, f"{m['name']} is not {role}")
        self.trigger_event(ev.RoleEnded, business_date=on, **stamp.fields(),
                           member_no=member_no, role=role)

    def _on_RoleEnded(self, e: ev.RoleEnded) -> None:
        self.members[str(e.member_no)]["roles"].remove(e.role)

    def holders(self, role: str) -> list[int]:
        """Members who hold ``role`` now."""
        return [int(no) for no, m in self.members.items() if role in m["roles"]]

    # ------------------------------------------------------------------ movements
    def valid_content(self, kind: str, f: dict[str, Any], on: date) -> dict[str, Any]:
        """Check a movement's (or a meeting's) business fields; return them normalised."""
        if kind == "RiceDeposited":
            self.member("member", f["member_no"], on)
            return {"member_no": f["member_no"], "grams": _positive_grams("grams", f["grams"])}
        if kind == "RiceSold":
            self.member("buyer", f["buyer_no"], on)
            grams = _positive_grams("grams", f["grams"])
            price = _positive_taka("taka_per_kg", f["taka_per_kg"])
            value = sale_value(grams, price)
            if value <= 0:
                raise InvalidInput("grams", grams, "is worth less than one paisa")
            paid = value if f.get("paid") is None else to_taka(f["paid"], "paid")
            if paid < 0 or paid > value:
                raise InvalidInput("paid", f.get("paid"),
                                   f"must be between 0 and the sale's value, {value} Tk")
            return {"buyer_no": f["buyer_no"], "grams": grams, "taka_per_kg": price,
                    "value": value, "paid": paid}
        if kind in ("RicePaymentReceived", "CashSaved", "CashWithdrawn"):
            self.member("member", f["member_no"], on, settling=kind in SETTLEMENT)
            return {"member_no": f["member_no"], "taka": _positive_taka("taka", f["taka"])}
        if kind == "GrantReceived":
            return {"source": _text("source", f["source"]),
                    "purpose": _text("purpose", f["purpose"]),
                    "taka": _positive_taka("taka", f["taka"])}
        if kind == "ExpensePaid":
            return {"category": acc.check_slug("category", f["category"]),
                    "payee": _text("payee", f["payee"]),
                    "taka": _positive_taka("taka", f["taka"]),
                    "memo": _text("memo", f.get("memo", ""), required=False)}
        if kind in ("ActivityCostBooked", "ActivityRevenueBooked"):
            return {"activity": acc.check_slug("activity", f["activity"]),
                    "taka": _positive_taka("taka", f["taka"]),
                    "memo": _text("memo", f.get("memo", ""), required=False)}
        if kind == "MeetingHeld":
            attendance = f.get("attendance") or []
            if not isinstance(attendance, list):
                raise InvalidInput("attendance", attendance, "must be a list of members")
            for i, no in enumerate(attendance):
                self.member(f"attendance[{i}]", no, on)
            if len(set(attendance)) != len(attendance):
                raise InvalidInput("attendance", attendance, "lists a member twice")
            cash = f.get("counted_cash")
            if cash is not None:
                cash = to_taka(cash, "counted_cash")
                if cash < 0:
                    raise InvalidInput("counted_cash", cash, "cannot be negative")
            rice = f.get("counted_rice_grams")
            if rice is not None and (isinstance(rice, bool) or not isinstance(rice, int)
                                     or rice < 0):
                raise InvalidInput("counted_rice_grams", rice,
                                   "must be a whole number of grams, zero or more")
            return {"attendance": sorted(attendance), "counted_cash": cash,
                    "counted_rice_grams": rice,
                    "notes": _text("notes", f.get("notes", ""), required=False, limit=2000)}
        raise InvalidInput("kind", kind, "is not an entry that moves taka or rice")

    def record(self, kind: str, fields: dict[str, Any], *, on: date, stamp: Stamp) -> int:
        """Check and record one movement (or meeting); returns its stream position."""
        on = self._check_date(on, stamp.today)
        content = self.valid_content(kind, fields, on)
        legs = net(postings_for(kind, content))
        amount_field = next(k for k in ("grams", "taka", "attendance") if k in content)
        self._check_balances(legs, on, amount_field, content[amount_field])
        self.trigger_event(ev.EVENT_TYPES[kind], business_date=on, **stamp.fields(),
                           **content)
        return self.version

    def _apply_postings(self, e: ev.LedgerEvent) -> None:
        day = e.business_date.isoformat()
        for p in postings(e):
            if acc.is_guarded(p.account):
                timeline = self.balances.setdefault(p.account, {})
                timeline[day] = timeline.get(day, 0) + p.amount

    _on_RiceDeposited = _on_RiceSold = _on_RicePaymentReceived = _apply_postings
    _on_CashSaved = _on_CashWithdrawn = _on_GrantReceived = _on_ExpensePaid = _apply_postings
    _on_ActivityCostBooked = _on_ActivityRevenueBooked = _apply_postings

    def _on_MeetingHeld(self, e: ev.MeetingHeld) -> None:
        pass

    # ------------------------------------------------------------------ loans
    def set_loan_rules(self, *, max_principal: Any, one_at_a_time: bool, rate: Any,
                       method: str, frequency: str, on: date, stamp: Stamp) -> None:
        """The group's loan rules: maximum loan, one loan at a time or not, the charge."""
        on = self._check_date(on, stamp.today)
        self.trigger_event(ev.LoanRulesSet, business_date=on, **stamp.fields(),
                           max_principal=None if max_principal is None else
                           _positive_taka("max_principal", max_principal),
                           one_at_a_time=bool(one_at_a_time), rate=_rate(rate),
                           method=_choice("method", method, LOAN_METHODS),
                           frequency=_choice("frequency", frequency, FREQUENCIES))

    def _on_LoanRulesSet(self, e: ev.LoanRulesSet) -> None:
        self.loan_rules = e.content()

    def loan(self, loan_no: Any) -> dict[str, Any]:
        found = getattr(self, "loans", {}).get(str(loan_no))
        if found is None:
            raise InvalidInput("loan", loan_no, f"group {self.code} has no such loan")
        return dict[str, Any](found)

    def _outstanding(self, loan: dict[str, Any]) -> Decimal:
        paid = sum((Decimal(r["principal"]) for r in loan["repayments"]), Decimal("0.00"))
        return Decimal(loan["principal"]) - paid - Decimal(loan["written_off"])

    def disburse_loan(self, *, member_no: int, principal: Any, instalments: int, grace: int,
                      purpose: str, approved_by: str, on: date, stamp: Stamp,
                      rate: Any = None, method: str | None = None,
                      frequency: str | None = None) -> int:
        on = self._check_date(on, stamp.today)
        self.member("member", member_no, on)
        rules = getattr(self, "loan_rules", None) or {}
        amount = _positive_taka("principal", principal)
        if rules.get("max_principal") is not None and amount > rules["max_principal"]:
            raise RuleBroken("principal", amount, f"the group's rules allow at most "
                             f"{rules['max_principal']} Tk")
        if rules.get("one_at_a_time") and any(
                loan["member_no"] == member_no and self._outstanding(loan) > 0
                for loan in getattr(self, "loans", {}).values()):
            raise RuleBroken("member", member_no, "already has a loan and the group lends "
                             "one at a time")
        rate = _rate(rules.get("rate", 0) if rate is None else rate)
        method = _choice("method", method or rules.get("method", "declining"), LOAN_METHODS)
        frequency = _choice("frequency", frequency or rules.get("frequency", "monthly"),
                            FREQUENCIES)
        if isinstance(instalments, bool) or not isinstance(instalments, int) or \
                not 1 <= instalments <= 104:
            raise InvalidInput("instalments", instalments, "must be 1 to 104")
        if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 12:
            raise InvalidInput("grace", grace, "must be 0 to 12 periods")
        rows = loan_schedule(amount, rate, method, frequency, instalments, on, grace)
        loan_no = len(getattr(self, "loans", {})) + 1
        content = {"loan_no": loan_no, "member_no": member_no, "principal": amount,
                   "rate": rate, "method": method, "frequency": frequency,
                   "instalments": instalments, "grace": grace,
                   "purpose": _text("purpose", purpose),
                   "approved_by": _text("approved_by", approved_by), "schedule": rows}
        self._check_balances(net(postings_for("LoanDisbursed", content)), on, "principal",
                             amount)
        self.trigger_event(ev.LoanDisbursed, business_date=on, **stamp.fields(), **content)
        return loan_no

    def _on_LoanDisbursed(self, e: ev.LoanDisbursed) -> None:
        self._apply_postings(e)
        self.loans = {**getattr(self, "loans", {}), str(e.loan_no): {
            "member_no": e.member_no, "principal": e.principal, "rate": e.rate,
            "frequency": e.frequency, "disbursed_on":
            e.business_date, "schedule": list(e.schedule), "repayments": [],
            "written_off": Decimal("0.00")}}

    def repay_loan(self, *, loan_no: int, taka: Any, on: date, stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        loan = self.loan(loan_no)
        if self._outstanding(loan) <= 0:
            raise RuleBroken("loan", loan_no, "is closed: nothing is owed on it")
        if on < loan["disbursed_on"]:
            raise InvalidInput("date", on, f"is before the loan was disbursed "
                               f"({loan['disbursed_on']})")
        amount = _positive_taka("taka", taka)
        most = most_payable(loan["schedule"], Decimal(loan["principal"]),
                            loan["repayments"], on, Decimal(loan["written_off"]))
        if amount > most:
            raise RuleBroken("taka", amount, f"is more than is owed: at most {most} Tk "
                             "(refund the rest)")
        charge, principal = allocate(loan["schedule"], Decimal(loan["principal"]),
                                     loan["repayments"], amount, on)
        self.trigger_event(ev.LoanRepaid, business_date=on, **stamp.fields(),
                           loan_no=loan_no, member_no=loan["member_no"], taka=amount,
                           charge=charge, principal=principal)

    def _on_LoanRepaid(self, e: ev.LoanRepaid) -> None:
        self._apply_postings(e)
        self.loans[str(e.loan_no)]["repayments"] = [
            *self.loans[str(e.loan_no)]["repayments"],
            {"business_date": e.business_date, "principal": e.principal, "charge": e.charge}]

    def reschedule_loan(self, *, loan_no: int, instalments: int, reason: str,
                        approved_by: str, on: date, stamp: Stamp, rate: Any = None,
                        frequency: str | None = None, grace: int = 0) -> None:
        """Spread what is owed over a new schedule from ``on``; what was paid stays paid."""
        on = self._check_date(on, stamp.today)
        loan = self.loan(loan_no)
        outstanding = self._outstanding(loan)
        if outstanding <= 0:
            raise RuleBroken("loan", loan_no, "is closed: nothing to reschedule")
        if isinstance(instalments, bool) or not isinstance(instalments, int) or \
                not 1 <= instalments <= 104:
            raise InvalidInput("instalments", instalments, "must be 1 to 104")
        paid_principal = Decimal(loan["principal"]) - outstanding - \
            Decimal(loan["written_off"])
        paid_charge = sum((Decimal(r["charge"]) for r in loan["repayments"]),
                          Decimal("0.00"))
        settled = {"no": 0, "due": on, "principal": paid_principal, "charge": paid_charge}
        rows = loan_schedule(outstanding, _rate(loan["rate"] if rate is None else rate),
                             "declining", _choice("frequency", frequency or loan["frequency"],
                                                  FREQUENCIES), instalments, on, grace)
        self.trigger_event(ev.LoanRescheduled, business_date=on, **stamp.fields(),
                           loan_no=loan_no, member_no=loan["member_no"],
                           reason=_text("reason", reason),
                           approved_by=_text("approved_by", approved_by),
                           schedule=[settled, *rows])

    def _on_LoanRescheduled(self, e: ev.LoanRescheduled) -> None:
        self.loans[str(e.loan_no)]["schedule"] = list(e.schedule)

    def write_off_loan(self, *, loan_no: int, reason: str, approved_by: str, on: date,
                       stamp: Stamp) -> None:
        on = self._check_date(on, stamp.today)
        loan = self.loan(loan_no)
        outstanding = self._outstanding(loan)
        if outstanding <= 0:
            raise RuleBroken("loan", loan_no, "is closed: nothing to write off")
        self.trigger_event(ev.LoanWrittenOff, business_date=on, **stamp.fields(),
                           loan_no=loan_no, member_no=loan["member_no"],
                           principal=outstanding, reason=_text("reason", reason),
                           approved_by=_text("approved_by", approved_by))

    def _on_LoanWrittenOff(self, e: ev.LoanWrittenOff) -> None:
        self._apply_postings(e)
        loan = self.loans[str(e.loan_no)]
        loan["written_off"] = Decimal(loan["written_off"]) + e.principal

    # ------------------------------------------------------------------ corrections
    def correct(self, *, target: ev.LedgerEvent, current: dict[str, Any] | None,
                reason: str, changes: dict[str, Any] | None, stamp: Stamp) -> int:
        """Reverse (``changes`` None) or adjust an earlier entry with a new event.

        ``current`` is the target's content as the books hold it now (after any earlier
        adjustment), or None when it was already reversed.
        """
        kind = type(target).__name__
        if kind not in ev.CORRECTABLE:
            raise InvalidInput("target", target.position,
                               f"a {kind} cannot be corrected, only entries that move taka "
                               "or rice and meeting counts")
        if current is None:
            raise RuleBroken("target", target.position,
                             "was already reversed; record a new entry instead")
        reason = _text("reason", reason)
        on = target.business_date
        now: dict[str, Any] | None
        if changes is None:
            if kind == "MeetingHeld":
                raise InvalidInput("changes", None, "a meeting is adjusted, not reversed")
            now = None
        else:
            if not isinstance(changes, dict) or not changes:
                raise InvalidInput("changes", changes, "give the fields to change")
            for name in changes:
                if name not in current or name == "value":
                    raise InvalidInput(f"changes.{name}", changes[name],
                                       f"is not a field of {kind} that can change")
            base = dict(current)
            if kind == "RiceSold" and "paid" not in changes:
                # A sale paid in full stays paid in full at its new value.
                base["paid"] = None if current["paid"] == current["value"] else current["paid"]
            base.update(changes)
            now = self.valid_content(kind, base, on)
            if now == current:
                raise InvalidInput("changes", changes, "change nothing")
        legs = net([p.negated() for p in postings_for(kind, current)]
                   + (postings_for(kind, now) if now is not None else []))
        self._check_balances(legs, on, "target", target.position)
        self.trigger_event(ev.EntryCorrected, business_date=on, **stamp.fields(),
                           target=target.position, target_type=kind, reason=reason,
                           was=current, now=now)
        return self.version

    def _on_EntryCorrected(self, e: ev.EntryCorrected) -> None:
        self._apply_postings(e)
        self.corrected[str(e.target)] = e.position

    # ------------------------------------------------------------------ reading
    def position_summary(self) -> dict[str, Any]:
        """Cash and rice now (from the aggregate; reports use the projections)."""
        return {"cash": taka(self.balance(acc.CASH)),
                "rice_grams": self.balance(acc.RICE_STOCK)}
