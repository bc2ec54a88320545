"""The ledger: the one object an embedding program talks to.

>>> from coopledger import Ledger
>>> ledger = Ledger(":memory:")            # or a path, or a postgresql:// URL

Writes go through command methods (``deposit_rice``, ``record_meeting``, ...) that check the
command, load the group, apply the rules, and save the resulting events together with their
projection rows in one transaction. Two writers on one group: the second save fails on the
stream version and the command is re-run on the fresh state (up to ``retries`` times), so a
conflict is retried or reported, never lost or doubled. Reads (reports) come from the
projections; see :mod:`coopledger.reports`.
"""

from __future__ import annotations

import getpass
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from coopledger import commands as cmd
from coopledger import events as ev
from coopledger.cluster import Cluster, cluster_key
from coopledger.errors import (
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidInput,
    LedgerError,
    RuleBroken,
    UnknownCluster,
    UnknownGroup,
)
from coopledger.group import CLUSTER_PREFIX, Group, Stamp, project, stream_id
from coopledger.integrity import seal
from coopledger.plans import check_plan
from coopledger.postings import DatedPosting, postings
from coopledger.projections import Projector
from coopledger.reports import Reports
from coopledger.storage import Database, DateAsISO, StoreConfig, prepare

#: Bangladesh Standard Time (no daylight saving): business dates are days in Dhaka.
DHAKA = timezone(timedelta(hours=6), "BST")


_FORMS = (cmd.FormGroup, cmd.FormCluster)


def stream_key(aggregate: Any) -> str:
    """A group's code, or ``CLUSTER:<code>`` for a cluster."""
    return (CLUSTER_PREFIX + aggregate.code) if isinstance(aggregate, Cluster) \
        else str(aggregate.code)


class LedgerApplication(Application[Any]):
    """eventsourcing application holding the group streams."""

    name = "coopledger"
    snapshotting_intervals = {Group: 500}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _take_snapshots(self, processing_event: ProcessingEvent[Any]) -> None:
        """Snapshot the group just saved when its events crossed an interval.

        eventsourcing would rebuild the aggregate at the exact version from the previous
        snapshot; the aggregate in hand already is that state (a few events later).
        """
        if self.snapshots is None:
            return
        for aggregate in processing_event.aggregates.values():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None:
                continue
            first = min(e.originator_version for e in processing_event.events
                        if e.originator_id == aggregate.id)
            if (first - 1) // interval != aggregate.version // interval:
                self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Receipt:
    """What a command recorded: the group, the stream positions, and its result."""

    group: str
    first: int
    last: int
    replayed: bool = False
    result: Any = None
    head: str = ""  # the group's chain hash after the command

    @property
    def positions(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def seal(self) -> str:
        """The chain head as a short seal, to write in the paper minutes."""
        return seal(self.head) if self.head else ""


_MOVEMENTS: dict[type[cmd.Command], tuple[str, dict[str, str]]] = {
    cmd.DepositRice: ("RiceDeposited", {"member": "member_no", "grams": "grams"}),
    cmd.SellRice: ("RiceSold", {"buyer": "buyer_no", "grams": "grams",
                                "taka_per_kg": "taka_per_kg", "paid": "paid"}),
    cmd.ReceivePayment: ("RicePaymentReceived", {"member": "member_no", "taka": "taka"}),
    cmd.SaveCash: ("CashSaved", {"member": "member_no", "taka": "taka"}),
    cmd.WithdrawCash: ("CashWithdrawn", {"member": "member_no", "taka": "taka"}),
    cmd.ReceiveGrant: ("GrantReceived", {"source": "source", "purpose": "purpose",
                                         "taka": "taka"}),
    cmd.PayExpense: ("ExpensePaid", {"category": "category", "payee": "payee",
                                     "taka": "taka", "memo": "memo"}),
    cmd.BookActivityCost: ("ActivityCostBooked", {"activity": "activity", "taka": "taka",
                                                  "memo": "memo"}),
    cmd.BookActivityRevenue: ("ActivityRevenueBooked", {"activity": "activity",
                                                        "taka": "taka", "memo": "memo"}),
}
_MEETING_PARTS = (("deposits", cmd.DepositRice), ("sales", cmd.SellRice),
                  ("payments", cmd.ReceivePayment), ("savings", cmd.SaveCash),
                  ("withdrawals", cmd.WithdrawCash))


def _prefixed(error: LedgerError, prefix: str) -> LedgerError:
    """The same refusal, its field named inside a meeting (``sales[2].grams``)."""
    error.field = f"{prefix}.{error.field}" if error.field else prefix
    reason = getattr(error, "reason", None)
    error.message = f"{error.field}={error.value!r}: {reason}" if reason else \
        f"{prefix}: {error.message}"
    error.args = (error.message,)
    return error


class Ledger:
    """Books of savings groups, kept as events; the supported Python API."""

    def __init__(self, db: str | None = None, *, user: str | None = None,
                 clock: Callable[[], datetime] | None = None, retries: int = 20,
                 cache_size: int = 256) -> None:
        self.config = StoreConfig.parse(db)
        prepare(self.config)
        env = dict(self.config.env)
        env["AGGREGATE_CACHE_MAXSIZE"] = str(cache_size)
        self.app = LedgerApplication(env=env)
        self.db = Database(self.config, self.app.recorder.datastore)  # type: ignore[attr-defined]
        self.projector = Projector(self.db)
        self.projector.create_tables()
        self.reports = Reports(self.db, self.projector)
        self.user = user or _default_user()
        self.clock = clock or (lambda: datetime.now(tz=UTC))
        self.reports.today = self.today
        self.retries = retries
        # Writers in this process queue per group instead of colliding; writers in other
        # processes are caught by the stream version and retried.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> date:
        """Today's date in Bangladesh, by the ledger's clock."""
        return self.clock().astimezone(DHAKA).date()

    def _stamp(self, command: cmd.Command) -> Stamp:
        key = command.key or f"auto-{uuid.uuid4().hex}"
        return Stamp(recorded_by=command.recorded_by or self.user, idempotency_key=key,
                     command_hash=command.fingerprint(), recorded_at=self.clock(),
                     today=self.today())

    def load(self, code: str) -> Group:
        """The group with this code (or the cluster, for ``cluster:<code>``), as its
        events say now."""
        try:
            return self.app.repository.get(  # type: ignore[no-any-return]
                stream_id(code), projector_func=project)
        except AggregateNotFoundError:
            if code.upper().startswith(CLUSTER_PREFIX):
                raise UnknownCluster(code.upper().removeprefix(CLUSTER_PREFIX)) from None
            raise UnknownGroup(code) from None

    def load_cluster(self, code: str) -> Cluster:
        """The cluster with this code, as its events say now."""
        return cast("Cluster", self.load(cluster_key(code)))

    def _prior(self, code: str, key: str | None, fingerprint: str) -> Receipt | None:
        if key is None:
            return None
        rows = self.db.query(
            f"SELECT command_hash, first_position, last_position FROM "
            f"{self.projector.t('commands')} WHERE group_id = ? AND idempotency_key = ?",
            (stream_id(code).hex, key))
        if not rows:
            return None
        if rows[0]["command_hash"] != fingerprint:
            raise IdempotencyConflict(key)
        first, last = rows[0]["first_position"], rows[0]["last_position"]
        return Receipt(code.upper(), first, last, replayed=True,
                       result=self._result(code, first, last),
                       head=self.event(code, last).chain_hash)

    def _result(self, code: str, first: int, last: int) -> Any:
        event = self.event(code, first)
        if isinstance(event, ev.MemberJoined):
            return event.member_no
        if isinstance(event, ev.LoanDisbursed):
            return event.loan_no
        if isinstance(event, ev.BankLoanArranged):
            return event.bank_loan_no
        return event.code if isinstance(event, ev.GroupFormed | ev.ClusterFormed) else last

    def _save(self, group: Group | Cluster) -> None:
        batch = self.projector.batch(group.pending_events)  # type: ignore[arg-type]
        self.app.save(group, projection=batch)
        cache = self.app.repository.cache
        if cache is not None:
            # The saved state is the newest: the next command need not re-read its events.
            cache.put(group.id, group)

    def _lock(self, code: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(code, threading.Lock())

    def _run(self, command: cmd.Command,
             apply: Callable[[Group | None, Stamp], tuple[Group, Any]]) -> Receipt:
        """Check idempotency, apply to fresh state, save; retry on a concurrent write."""
        code = command.stream
        with self._lock(code):
            return self._attempts(code, command, apply)

    def _attempts(self, code: str, command: cmd.Command,
                  apply: Callable[[Group | None, Stamp], tuple[Group, Any]]) -> Receipt:
        for attempt in range(self.retries):
            prior = self._prior(code, command.key, command.fingerprint())
            if prior is not None:
                return prior
            stamp = self._stamp(command)
            existing = None if isinstance(command, _FORMS) else self.load(code)
            group, result = apply(existing, stamp)
            pending = group.pending_events
            first = pending[0].originator_version
            last = pending[-1].originator_version
            try:
                self._save(group)
            except IntegrityError:
                # Another writer got there first: re-check on fresh state, after a short,
                # growing, random pause so that colliding writers spread out.
                _backoff(attempt)
                continue
            return Receipt(code, first, last, result=result, head=group.chain_head)
        raise ConcurrencyConflict(code, self.retries)

    # ------------------------------------------------------------------ commands
    def execute(self, command: cmd.Command) -> Receipt:
        """Record one command (a model from :mod:`coopledger.commands`)."""
        return self._run(command, lambda g, s: self._apply(command, g, s))

    def _apply(self, c: cmd.Command, group: Any, stamp: Stamp,
               staged: dict[str, Any] | None = None) -> tuple[Any, Any]:
        if isinstance(c, cmd.ClusterCommand):
            return self._apply_cluster(c, group, stamp, staged or {})
        assert isinstance(c, cmd.GroupCommand)  # noqa: S101 - the two kinds of command
        if isinstance(c, cmd.FormGroup):
            if group is None:
                try:
                    self.load(c.group)
                except UnknownGroup:
                    pass
                else:
                    raise InvalidInput("group", c.group.upper(),
                                       "a group with this code exists")
            formed = Group.form(code=c.group, name=c.name, kind=c.kind,
                                meeting_day=c.meeting_day, division=c.division,
                                district=c.district, upazila=c.upazila, union=c.union,
                                ward=c.ward,
                                village=c.village, partner=c.partner, animator=c.animator,
                                on=c.date, stamp=stamp)
            return formed, c.group.upper()
        if group is None:
            raise UnknownGroup(c.group)
        result: Any = None
        if isinstance(c, cmd.JoinMember):
            result = group.join(name=c.name, household=c.household, gender=c.gender,
                                community=c.community, landless=c.landless,
                                wellbeing=c.wellbeing, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.LeaveMember):
            group.leave(member_no=c.member, reason=c.reason, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.EndRole):
            group.end_role(member_no=c.member, role=c.role, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.AssignRole):
            group.assign_role(member_no=c.member, role=c.role, on=c.date, stamp=stamp)
        elif type(c) in _MOVEMENTS:
            result = self._movement(group, c, c.date, stamp)
        elif isinstance(c, cmd.RecordMeeting):
            result = self._meeting(group, c, stamp)
        elif isinstance(c, cmd.CorrectEntry):
            result = self._correct(group, c, stamp)
        elif isinstance(c, cmd.SetLoanRules):
            group.set_loan_rules(max_principal=c.max_principal, one_at_a_time=c.one_at_a_time,
                                 rate=c.rate, method=c.method, frequency=c.frequency,
                                 on=c.date, stamp=stamp)
        elif isinstance(c, cmd.DisburseLoan):
            result = group.disburse_loan(
                member_no=c.member, principal=c.principal, instalments=c.instalments,
                grace=c.grace, rate=c.rate, method=c.method, frequency=c.frequency,
                purpose=c.purpose, approved_by=c.approved_by, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.RepayLoan):
            group.repay_loan(loan_no=c.loan, taka=c.taka, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.RescheduleLoan):
            group.reschedule_loan(loan_no=c.loan, instalments=c.instalments, grace=c.grace,
                                  rate=c.rate, frequency=c.frequency, reason=c.reason,
                                  approved_by=c.approved_by, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.WriteOffLoan):
            group.write_off_loan(loan_no=c.loan, reason=c.reason, approved_by=c.approved_by,
                                 on=c.date, stamp=stamp)
        elif isinstance(c, cmd.AdoptPlan):
            group.adopt_plan(plan=self._plan(c, None), on=c.date, stamp=stamp)
        elif isinstance(c, cmd.HoldReview):
            result = self._review(group, c, stamp, [group.code])
        else:  # pragma: no cover - every command type is handled above
            raise InvalidInput("command", type(c).__name__, "is not a known command")
        return group, result

    def _apply_cluster(self, c: cmd.ClusterCommand, cluster: Cluster | None,
                       stamp: Stamp, staged: dict[str, Any]) -> tuple[Cluster, Any]:
        if isinstance(c, cmd.FormCluster):
            if cluster is None:
                try:
                    self.load(c.stream)
                except UnknownCluster:
                    pass
                else:
                    raise InvalidInput("cluster", c.cluster.upper(),
                                       "a cluster with this code exists")
            formed = Cluster.form(code=c.cluster, name=c.name, division=c.division,
                                  district=c.district, upazila=c.upazila, union=c.union,
                                  ward=c.ward, villages=list(c.villages),
                                  households=c.households, partner=c.partner, on=c.date,
                                  stamp=stamp)
            return formed, c.cluster.upper()
        if cluster is None:
            raise UnknownCluster(c.cluster)
        if isinstance(c, cmd.JoinCluster):
            group = staged.get(c.group.upper()) or self.load(c.group)
            elsewhere = self.reports.cluster_of(c.group)
            if elsewhere and elsewhere != cluster.code:
                raise RuleBroken("group", c.group.upper(),
                                 f"already belongs to cluster {elsewhere}; it leaves that "
                                 "one first")
            cluster.admit(group=c.group, group_formed_on=group.formed_on, on=c.date,
                          stamp=stamp)
        elif isinstance(c, cmd.LeaveCluster):
            cluster.release(group=c.group, reason=c.reason, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.NameRepresentative):
            group = staged.get(c.group.upper()) or self.load(c.group)
            member = group.member("member", c.member, c.date)
            cluster.name_representative(group=c.group, member=member, member_no=c.member,
                                        on=c.date, stamp=stamp)
        elif isinstance(c, cmd.RepresentativeStepsDown):
            cluster.step_down(group=c.group, member_no=c.member, reason=c.reason, on=c.date,
                              stamp=stamp)
        elif isinstance(c, cmd.PlanRotation):
            cluster.plan_rotation(start=c.start, months=c.months, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.SignMou):
            cluster.sign_mou(parties=[p.model_dump() for p in c.parties],
                             commitments=[x.model_dump() for x in c.commitments],
                             on=c.date, stamp=stamp)
        elif isinstance(c, cmd.ListExtremePoor):
            cluster.list_extreme_poor(household=c.household, head=c.head, village=c.village,
                                      reason=c.reason, identified_by=c.identified_by,
                                      on=c.date, stamp=stamp)
        elif isinstance(c, cmd.ApplySafetyNet):
            cluster.apply_safety_net(household_entry=c.household_entry, scheme=c.scheme,
                                     applied_to=c.applied_to, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.DecideSafetyNet):
            cluster.decide_safety_net(application=c.application, outcome=c.outcome,
                                      value=c.value, note=c.note, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.HoldTraining):
            cluster.hold_training(title=c.title, kind=c.kind, facilitator=c.facilitator,
                                  attendance={k: getattr(c, k) for k in (
                                      "members_female", "members_male", "others_female",
                                      "others_male")}, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.AdoptClusterPlan):
            cluster.adopt_plan(plan=self._plan(c, self.reports.group_plan_activities(
                list(cluster.groups))), on=c.date, stamp=stamp)
        elif isinstance(c, cmd.HoldClusterReview):
            self._review(cluster, c, stamp, sorted(cluster.groups))
        elif isinstance(c, cmd.ArrangeBankLoan):
            group = staged.get(c.group.upper()) or self.load(c.group)
            member = group.member("member", c.member, c.date)
            return cluster, cluster.arrange_bank_loan(
                lender=c.lender, group=c.group, member_no=c.member, member=member,
                principal=c.principal, rate=c.rate, method=c.method, frequency=c.frequency,
                instalments=c.instalments, grace=c.grace,
                guarantors=[(x.group, x.member) for x in c.guarantors],
                introducer=c.introducer, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.CollectBankInstalment):
            cluster.collect_bank_instalment(bank_loan_no=c.bank_loan, taka=c.taka, on=c.date,
                                            stamp=stamp)
        elif isinstance(c, cmd.PayBank):
            cluster.pay_bank(lender=c.lender, taka=c.taka, on=c.date, stamp=stamp)
        elif isinstance(c, cmd.RecordPlatformMeeting):
            cluster.hold_meeting(attendance=[(a.group, a.member) for a in c.attendance],
                                 chair=c.chair, host=c.host, decisions=list(c.decisions),
                                 on=c.date, stamp=stamp)
        return cluster, cluster.version

    @staticmethod
    def _movement(group: Group, c: Any, on: date, stamp: Stamp) -> int:
        kind, names = _MOVEMENTS[type(c)]
        fields = {event_name: getattr(c, name) for name, event_name in names.items()}
        return group.record(kind, fields, on=on, stamp=stamp)

    def _meeting(self, group: Group, c: cmd.RecordMeeting, stamp: Stamp) -> int:
        for part, model in _MEETING_PARTS:
            for i, line in enumerate(getattr(c, part)):
                kind, names = _MOVEMENTS[model]
                fields = {event_name: getattr(line, name) for name, event_name in
                          names.items() if name in type(line).model_fields}
                if kind == "RiceSold":
                    fields.setdefault("paid", None)
                try:
                    group.record(kind, fields, on=c.date, stamp=stamp)
                except LedgerError as e:
                    raise _prefixed(e, f"{part}[{i}]") from None
        for i, line in enumerate(c.loan_repayments):
            try:
                group.repay_loan(loan_no=line.loan, taka=line.taka, on=c.date, stamp=stamp)
            except LedgerError as e:
                raise _prefixed(e, f"loan_repayments[{i}]") from None
        return group.record("MeetingHeld", {
            "attendance": list(c.attendance), "counted_cash": c.counted_cash,
            "counted_rice_grams": c.counted_rice_grams, "notes": c.notes},
            on=c.date, stamp=stamp)

    @staticmethod
    def _plan(c: Any, joint: set[tuple[str, int, str]] | None) -> dict[str, Any]:
        return check_plan(c.year, c.wellbeing, list(c.constraints), list(c.opportunities),
                          [p.model_dump() for p in c.micro_projects], list(c.ep_initiatives),
                          [a.model_dump() for a in c.activities], joint)

    def _review(self, stream: Any, c: Any, stamp: Stamp, groups: list[str]) -> int:
        """Review a plan with the money the groups' books hold for each activity over its
        schedule, the cluster's MoU, and the seals of the groups' books."""
        plan = self.reports.plan(stream_key(stream), c.year)
        booked: dict[str, tuple[Decimal, Decimal]] = {}
        for a in plan["activities"] if plan else []:
            if not a["activity"]:
                continue
            source = [a["adopted_from"]["group"]] if a.get("adopted_from") else groups
            booked[a["id"]] = self.reports.activity_money(
                source, a["activity"], a["start"], a["end"])
        cluster = stream.code if isinstance(stream, Cluster) else \
            self.reports.cluster_of(stream.code)
        mou = self.reports.platform(cluster)["mou"] if cluster else None
        seals = {g: seal(self.load(g).chain_head) for g in groups} \
            if isinstance(stream, Cluster) else {}
        stream.hold_review(
            year=c.year, facilitator=c.facilitator, facilitator_role=c.facilitator_role,
            attendance={k: getattr(c, k) for k in ("members_female", "members_male",
                                                   "others_female", "others_male")},
            activities=[a.model_dump() for a in c.activities], booked=booked, mou=mou,
            commitments=[x.model_dump() for x in c.commitments], changes=list(c.changes),
            recommendations=[r.model_dump() for r in c.recommendations], group_seals=seals,
            on=c.date, stamp=stamp)
        return int(stream.version)

    def _correct(self, group: Group, c: cmd.CorrectEntry, stamp: Stamp) -> int:
        if c.target > group.version:
            raise InvalidInput("target", c.target,
                               f"group {group.code} has only {group.version} events")
        target = self.event(group.code, c.target)
        current: dict[str, Any] | None = target.content()
        latest = group.corrected.get(str(c.target))
        if latest is not None:
            correction = cast("ev.EntryCorrected", self.event(group.code, latest))
            current = correction.now
        return group.correct(target=target, current=current, reason=c.reason,
                             changes=c.changes, stamp=stamp)

    # Convenience methods: the same commands with keyword arguments.
    def form_group(self, code: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.FormGroup, group=code, **fields))

    def join_member(self, group: str, **fields: Any) -> int:
        """Enrol a member; returns her member number."""
        return int(self.execute(cmd.validated(cmd.JoinMember, group=group,
                                              **fields)).result)

    def leave_member(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.LeaveMember, group=group, **fields))

    def assign_role(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.AssignRole, group=group, **fields))

    def end_role(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.EndRole, group=group, **fields))

    def deposit_rice(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.DepositRice, group=group, **fields))

    def sell_rice(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.SellRice, group=group, **fields))

    def receive_payment(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.ReceivePayment, group=group, **fields))

    def save_cash(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.SaveCash, group=group, **fields))

    def withdraw_cash(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.WithdrawCash, group=group, **fields))

    def receive_grant(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.ReceiveGrant, group=group, **fields))

    def pay_expense(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.PayExpense, group=group, **fields))

    def book_activity_cost(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.BookActivityCost, group=group, **fields))

    def book_activity_revenue(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.BookActivityRevenue, group=group, **fields))

    def record_meeting(self, group: str, **fields: Any) -> Receipt:
        """Record a whole meeting in one transaction: all of it, or nothing."""
        return self.execute(cmd.validated(cmd.RecordMeeting, group=group, **fields))

    def set_loan_rules(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.SetLoanRules, group=group, **fields))

    def disburse_loan(self, group: str, **fields: Any) -> int:
        """Lend from the group fund; returns the loan number."""
        return int(self.execute(cmd.validated(cmd.DisburseLoan, group=group, **fields))
                   .result)

    def repay_loan(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.RepayLoan, group=group, **fields))

    def reschedule_loan(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.RescheduleLoan, group=group, **fields))

    def write_off_loan(self, group: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.WriteOffLoan, group=group, **fields))

    def arrange_bank_loan(self, cluster: str, **fields: Any) -> int:
        """A bank loan guaranteed by the platform; returns its number in the cluster."""
        return int(self.execute(cmd.validated(cmd.ArrangeBankLoan, cluster=cluster,
                                              **fields)).result)

    def collect_bank_instalment(self, cluster: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.CollectBankInstalment, cluster=cluster,
                                          **fields))

    def pay_bank(self, cluster: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.PayBank, cluster=cluster, **fields))

    def form_cluster(self, code: str, **fields: Any) -> Receipt:
        """Form a cluster of groups (its stream is ``cluster:<code>``)."""
        return self.execute(cmd.validated(cmd.FormCluster, cluster=code, **fields))

    def join_cluster(self, cluster: str, **fields: Any) -> Receipt:
        """A group joins a cluster (``group=`` its code); a group is in one at a time."""
        return self.execute(cmd.validated(cmd.JoinCluster, cluster=cluster, **fields))

    def leave_cluster(self, cluster: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.LeaveCluster, cluster=cluster, **fields))

    def name_representative(self, cluster: str, **fields: Any) -> Receipt:
        """Seat ``member`` of ``group`` on the cluster platform."""
        return self.execute(cmd.validated(cmd.NameRepresentative, cluster=cluster, **fields))

    def representative_steps_down(self, cluster: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.RepresentativeStepsDown, cluster=cluster,
                                          **fields))

    def plan_rotation(self, cluster: str, **fields: Any) -> Receipt:
        """Plan a fair rotation of chair and host (``start='2016-02'``, ``months=12``)."""
        return self.execute(cmd.validated(cmd.PlanRotation, cluster=cluster, **fields))

    def sign_mou(self, cluster: str, **fields: Any) -> Receipt:
        """Sign the cluster's MoU (a new version each time); returns the receipt."""
        return self.execute(cmd.validated(cmd.SignMou, cluster=cluster, **fields))

    def list_extreme_poor(self, cluster: str, **fields: Any) -> Receipt:
        """Register an extreme-poor household; ``receipt.last`` is its entry number."""
        return self.execute(cmd.validated(cmd.ListExtremePoor, cluster=cluster, **fields))

    def apply_safety_net(self, cluster: str, **fields: Any) -> Receipt:
        """Apply for a safety net; ``receipt.last`` is the application number."""
        return self.execute(cmd.validated(cmd.ApplySafetyNet, cluster=cluster, **fields))

    def decide_safety_net(self, cluster: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.DecideSafetyNet, cluster=cluster, **fields))

    def hold_training(self, cluster: str, **fields: Any) -> Receipt:
        return self.execute(cmd.validated(cmd.HoldTraining, cluster=cluster, **fields))

    def record_platform_meeting(self, cluster: str, **fields: Any) -> Receipt:
        """The monthly platform meeting (attendance: ``[{"group": .., "member": ..}]``)."""
        return self.execute(cmd.validated(cmd.RecordPlatformMeeting, cluster=cluster,
                                          **fields))

    def correct(self, group: str, **fields: Any) -> Receipt:
        """Reverse or adjust an earlier entry (see :class:`~coopledger.commands.CorrectEntry`)."""
        return self.execute(cmd.validated(cmd.CorrectEntry, group=group, **fields))

    # ------------------------------------------------------------------ batches
    def execute_all(self, commands: Sequence[cmd.Command]) -> list[Receipt]:
        """Apply many commands: every group's commands are checked together first; if any
        is refused nothing is written, else each group is saved in one transaction.

        A refusal is raised as :class:`BatchRefused` listing (index, error) pairs.
        """
        # Keyless commands get a key for this batch, so a retry after a conflict
        # cannot record again a group that was already saved.
        batch_id = uuid.uuid4().hex
        commands = [c if c.key else c.model_copy(update={"key": f"batch-{batch_id}-{i}"})
                    for i, c in enumerate(commands)]
        by_group: dict[str, list[int]] = {}
        for i, c in enumerate(commands):
            by_group.setdefault(c.stream, []).append(i)
        for attempt in range(self.retries):
            receipts: dict[int, Receipt] = {}
            staged: dict[str, Any] = {}  # stream -> aggregate, for later streams to see
            errors: list[tuple[int, Exception]] = []
            for code, indexes in by_group.items():
                group, group_errors = self._stage(code, [commands[i] for i in indexes],
                                                  indexes, receipts, staged)
                errors += group_errors
                if group is not None:
                    staged[code] = group
            if errors:
                raise BatchRefused(sorted(errors, key=lambda pair: pair[0]))
            try:
                for group in staged.values():
                    if group.pending_events:
                        self._save(group)
            except IntegrityError:
                # Groups saved before the conflict now replay by their keys.
                _backoff(attempt)
                continue
            return [receipts[i] for i in range(len(commands))]
        raise ConcurrencyConflict(",".join(by_group), self.retries)

    def _stage(self, code: str, commands: list[cmd.Command], indexes: list[int],
               receipts: dict[int, Receipt], staged: dict[str, Any]
               ) -> tuple[Group | None, list[tuple[int, Exception]]]:
        errors: list[tuple[int, Exception]] = []
        group: Any = None
        try:
            group = self.load(code)
        except (UnknownGroup, UnknownCluster):
            group = None
        seen: dict[str, tuple[str, Receipt]] = {}
        for i, c in zip(indexes, commands, strict=True):
            try:
                if c.key in seen:
                    fingerprint, receipt = seen[c.key]
                    if fingerprint != c.fingerprint():
                        raise IdempotencyConflict(c.key)
                    receipts[i] = Receipt(receipt.group, receipt.first, receipt.last, True,
                                          receipt.result, receipt.head)
                    continue
                prior = self._prior(code, c.key, c.fingerprint()) if group else None
                if prior is not None:
                    receipts[i] = prior
                    continue
                if group is None and not isinstance(c, _FORMS):
                    self.load(code)  # raises the right "unknown" refusal
                before = group.version if group is not None else 0
                group, result = self._apply(c, group, self._stamp(c), staged)
                receipts[i] = Receipt(code, before + 1, group.version, result=result,
                                      head=group.chain_head)
                if c.key:
                    seen[c.key] = (c.fingerprint(), receipts[i])
            except Exception as e:
                if not hasattr(e, "field"):
                    raise
                errors.append((i, e))
                if group is None:
                    break
        return group, errors

    # ------------------------------------------------------------------ reading events
    def event(self, code: str, position: int) -> ev.LedgerEvent:
        """The event at ``position`` in a group's stream."""
        found = list(self.app.events.get(stream_id(code), gt=position - 1, lte=position))
        if not found:
            raise InvalidInput("position", position, f"group {code} has no such event")
        return found[0]  # type: ignore[return-value]

    def events(self, code: str, *, after: int = 0,
               limit: int | None = None) -> list[ev.LedgerEvent]:
        """A group's events in order (optionally a page of them)."""
        found = cast("list[ev.LedgerEvent]", list(self.app.events.get(
            stream_id(code), gt=after or None, limit=limit)))
        if not found and after == 0:
            self.load(code)  # raises the right "unknown" refusal
        return found

    def all_events(self, batch: int = 2000) -> Iterator[ev.LedgerEvent]:
        """Every event of every group, in the order recorded (the notification log)."""
        start = 1
        while True:
            notes = self.app.recorder.select_notifications(start, batch)
            if not notes:
                return
            for n in notes:
                yield self.app.mapper.to_domain_event(n)  # type: ignore[misc]
            start = notes[-1].id + 1

    def postings(self, code: str, *, as_of: date | None = None) -> list[DatedPosting]:
        """Every posting of a group, derived from its events (not stored)."""
        out = []
        for e in self.events(code):
            if as_of is not None and e.business_date > as_of:
                continue
            out += [DatedPosting(e.business_date, e.position, p) for p in postings(e)]
        return out

    # ------------------------------------------------------------------ projections
    def rebuild_projections(self, *, prefix: str | None = None, batch: int = 5000,
                            progress: Callable[[int], None] | None = None) -> int:
        """Rebuild projection tables from the first event; returns the events replayed.

        With ``prefix`` the rebuild goes into separate tables (a scratch area), leaving the
        live ones untouched.
        """
        projector = Projector(self.db, prefix or self.projector.prefix)
        projector.drop_tables()
        projector.create_tables()
        count = 0
        pending: list[ev.LedgerEvent] = []

        def flush() -> None:
            with self.db.cursor(commit=True) as c:
                projector.batch(pending).write(c)
            pending.clear()

        for e in self.all_events():
            pending.append(e)
            count += 1
            if len(pending) >= batch:
                flush()
                if progress:
                    progress(count)
        if pending:
            flush()
        if progress:
            progress(count)
        return count

    def projections_match_rebuild(self) -> bool:
        """Rebuild into scratch tables and compare with the live projections."""
        scratch = Projector(self.db, "cl_scratch_")
        self.rebuild_projections(prefix="cl_scratch_")
        try:
            return self.projector.dump() == scratch.dump()
        finally:
            scratch.drop_tables()


class BatchRefused(InvalidInput):
    """Some commands of a batch were refused; nothing was written."""

    def __init__(self, errors: Iterable[tuple[int, Exception]]) -> None:
        self.errors = list(errors)
        i, first = self.errors[0]
        super().__init__(getattr(first, "field", "command"), getattr(first, "value", None),
                         f"{len(self.errors)} command(s) refused, nothing written; "
                         f"first (#{i + 1}): {first}")


def _backoff(attempt: int) -> None:
    """Sleep up to 2 ms, 4 ms, 8 ms ... (at most 100 ms) before retrying."""
    time.sleep(random.uniform(0, min(0.1, 0.002 * 2 ** attempt)))  # noqa: S311


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in containers
        return "unknown"
