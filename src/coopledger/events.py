"""The event log's vocabulary: every fact the books record, as an immutable, versioned event.

Each class here is one kind of fact a field worker would say aloud ("rice deposited",
"rice sold", "meeting held"). A group's events form its own stream. Every event carries:

* ``business_date`` - the day it happened (a meeting's Friday, say);
* ``timestamp`` - when it was recorded (UTC, set by the ledger's clock);
* ``recorded_by`` - who recorded it;
* ``idempotency_key`` - the caller's key for the command that produced it (all events of one
  command share it), with ``command_hash``, a short hash of that command's content;
* ``chain_hash`` - SHA-256 over the event and the previous event's hash (see
  :mod:`coopledger.integrity`).

Stored events name their type by an explicit, stable topic (``coopledger/RiceDeposited``), not
by Python module path, so the code can be reorganised without touching the log. A change to
an event's fields raises its ``class_version`` and adds an ``upcast_vN_vN+1`` static method, so
events stored in an older version stay readable (see ``docs/events.md``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

TOPIC_PREFIX = "coopledger/"

#: Every event class by its name, for the importer, the exports and the docs.
EVENT_TYPES: dict[str, type[LedgerEvent]] = {}

_BASE_FIELDS = frozenset({
    "originator_id", "originator_version", "timestamp", "originator_topic",
    "business_date", "recorded_by", "idempotency_key", "command_hash", "chain_hash",
})


def _register(cls: type) -> None:
    if "TOPIC" not in cls.__dict__:
        cls.TOPIC = TOPIC_PREFIX + cls.__name__  # type: ignore[attr-defined]
    register_topic(cls.TOPIC, cls)  # type: ignore[attr-defined]
    EVENT_TYPES[cls.__name__] = cls


class LedgerEvent(Aggregate.Event):
    """Base of every event in a group's stream."""

    business_date: date
    recorded_by: str
    idempotency_key: str
    command_hash: str
    chain_hash: str

    #: Whether the event moves taka or rice (and so can be corrected).
    is_movement: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)

    def apply(self, aggregate: Any) -> None:
        aggregate.when(self)

    def content(self) -> dict[str, Any]:
        """The event's own business fields (what a correction can replace)."""
        return {k: v for k, v in vars(self).items() if k not in _BASE_FIELDS}

    @property
    def position(self) -> int:
        """The event's place in its group's stream, counted from 1."""
        return self.originator_version


class GroupFormed(LedgerEvent, Aggregate.Created):
    """A group (CBO) was formed: its name, place, kind and weekly meeting day.

    Version 2 added ``ward`` (the union ward a cluster lies in); version 1 events are read
    with an empty ward.
    """

    class_version = 2
    code: str
    name: str
    kind: str
    meeting_day: str
    division: str
    district: str
    upazila: str
    union: str
    ward: str
    village: str
    partner: str
    animator: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["ward"] = ""


class MemberJoined(LedgerEvent):
    """A person from one household joined the group and got the next member number."""

    member_no: int
    name: str
    household: str
    gender: str
    community: str
    landless: bool
    wellbeing: str


class MemberLeft(LedgerEvent):
    """A member left the group."""

    member_no: int
    reason: str


class RoleAssigned(LedgerEvent):
    """A member took a role (leader, cashier, cluster representative, ...)."""

    member_no: int
    role: str


class RoleEnded(LedgerEvent):
    """A member's role ended."""

    member_no: int
    role: str


class RiceDeposited(LedgerEvent):
    """Handful-of-rice saving weighed at the meeting, credited to the member."""

    is_movement = True
    member_no: int
    grams: int


class RiceSold(LedgerEvent):
    """Pooled rice sold to a member; ``value`` is fixed at the sale, ``paid`` now, rest owed."""

    is_movement = True
    buyer_no: int
    grams: int
    taka_per_kg: Decimal
    value: Decimal
    paid: Decimal


class RicePaymentReceived(LedgerEvent):
    """A member paid (part of) what she owed for rice bought earlier."""

    is_movement = True
    member_no: int
    taka: Decimal


class CashSaved(LedgerEvent):
    """A member saved cash with the group."""

    is_movement = True
    member_no: int
    taka: Decimal


class CashWithdrawn(LedgerEvent):
    """A member took cash out of her savings."""

    is_movement = True
    member_no: int
    taka: Decimal


class GrantReceived(LedgerEvent):
    """A grant or donation reached the group's cash box."""

    is_movement = True
    source: str
    purpose: str
    taka: Decimal


class ExpensePaid(LedgerEvent):
    """The group paid an expense from its cash."""

    is_movement = True
    category: str
    payee: str
    taka: Decimal
    memo: str


class ActivityCostBooked(LedgerEvent):
    """Cash spent on a collective income-generating activity (IGA)."""

    is_movement = True
    activity: str
    taka: Decimal
    memo: str


class ActivityRevenueBooked(LedgerEvent):
    """Cash earned by a collective income-generating activity (IGA)."""

    is_movement = True
    activity: str
    taka: Decimal
    memo: str


class LoanRulesSet(LedgerEvent):
    """The group's rules for loans from its fund (a new event replaces the rules)."""

    max_principal: Decimal | None
    one_at_a_time: bool
    rate: Decimal
    method: str
    frequency: str


class LoanDisbursed(LedgerEvent):
    """A loan from the group fund, with its schedule fixed at disbursement."""

    loan_no: int
    member_no: int
    principal: Decimal
    rate: Decimal
    method: str
    frequency: str
    instalments: int
    grace: int
    purpose: str
    approved_by: str
    schedule: list[dict[str, Any]]


class LoanRepaid(LedgerEvent):
    """A repayment, split by the allocation order into service charge and principal."""

    loan_no: int
    member_no: int
    taka: Decimal
    charge: Decimal
    principal: Decimal


class LoanRescheduled(LedgerEvent):
    """The rest of a loan got a new schedule (its principal parts sum to what is owed)."""

    loan_no: int
    member_no: int
    reason: str
    approved_by: str
    schedule: list[dict[str, Any]]


class LoanWrittenOff(LedgerEvent):
    """What was left of a loan was written off."""

    loan_no: int
    member_no: int
    principal: Decimal
    reason: str
    approved_by: str


class MeetingHeld(LedgerEvent):
    """The weekly meeting: who attended and what the cash box and the rice sack held."""

    attendance: list[int]
    counted_cash: Decimal | None
    counted_rice_grams: int | None
    notes: str


class EntryCorrected(LedgerEvent):
    """An earlier event is reversed (``now`` is None) or adjusted (``now`` replaces ``was``).

    ``business_date`` is the corrected event's own business date, so reports "as of" that
    day change; the event's ``timestamp`` says when the correction was recorded.
    """

    target: int
    target_type: str
    reason: str
    was: dict[str, Any]
    now: dict[str, Any] | None


class ClusterFormed(LedgerEvent, Aggregate.Created):
    """A cluster of neighbouring groups within one ward was formed, with its platform."""

    code: str
    name: str
    division: str
    district: str
    upazila: str
    union: str
    ward: str
    villages: list[str]
    households: int
    partner: str


class GroupJoinedCluster(LedgerEvent):
    """A group joined the cluster (its representatives sit on the platform)."""

    group: str


class GroupLeftCluster(LedgerEvent):
    """A group left the cluster."""

    group: str
    reason: str


class RepresentativeNamed(LedgerEvent):
    """A group named one of its members to the cluster platform (gender and well-being as
    her group's records had them that day)."""

    group: str
    member_no: int
    name: str
    gender: str
    wellbeing: str


class RepresentativeSteppedDown(LedgerEvent):
    """A representative left the platform."""

    group: str
    member_no: int
    reason: str


class RotationPlanned(LedgerEvent):
    """Who chairs and who hosts the monthly platform meetings, month by month.

    ``slots`` is a list of ``{"month": "YYYY-MM", "chair": group, "host": group}``; a later
    plan replaces the months it covers.
    """

    slots: list[dict[str, str]]


class PlatformMeetingHeld(LedgerEvent):
    """The monthly platform meeting: who chaired, who hosted, which representatives came,
    and what was decided."""

    chair: str
    host: str
    attendance: list[dict[str, Any]]
    decisions: list[str]


class MouSigned(LedgerEvent):
    """A version of the cluster's memorandum of understanding was signed.

    ``parties``: ``{"party", "role", "signed_by"}`` (each group's chairperson, the programme,
    the partner NGO); ``commitments``: ``{"no", "party", "text"}``, numbered. A revision is a
    new version; earlier versions stay readable.
    """

    version: int
    parties: list[dict[str, str]]
    commitments: list[dict[str, Any]]


class ExtremePoorListed(LedgerEvent):
    """A household entered the platform's register of the extreme poor."""

    household: str
    head: str
    village: str
    reason: str
    identified_by: str


class SafetyNetApplied(LedgerEvent):
    """The platform applied for a safety-net service for a registered household."""

    household_entry: int
    scheme: str
    applied_to: str


class SafetyNetDecided(LedgerEvent):
    """An application was granted or refused (``value``: taka a year, when granted)."""

    application: int
    outcome: str
    value: Decimal | None
    note: str


class TrainingHeld(LedgerEvent):
    """A training or community event, with attendance split by member/non-member and
    gender."""

    title: str
    kind: str
    facilitator: str
    members_female: int
    members_male: int
    others_female: int
    others_male: int


class PlanAdopted(LedgerEvent):
    """A group's or a cluster's annual plan of operation (APO), in its six parts.

    ``wellbeing``: households by well-being category, with the analysis's notes;
    ``constraints`` and ``opportunities``: the livelihood analysis; ``micro_projects``:
    ``{"no", "name"}`` in order of priority; ``ep_initiatives``: initiatives for the extreme
    poor; ``activities``: ``{"id", "micro_project", "name", "activity", "budget",
    "responsible", "start", "end", "adopted_from"}`` (``activity``: the income-generating
    activity whose money the ledger books, if any; ``start``/``end``: months, the schedule;
    ``adopted_from``: for a cluster plan, the group plan's activity it takes up as a joint
    activity, ``{"group", "year", "id"}``).
    """

    year: int
    wellbeing: dict[str, Any]
    constraints: list[str]
    opportunities: list[str]
    micro_projects: list[dict[str, Any]]
    ep_initiatives: list[str]
    activities: list[dict[str, Any]]


class ReviewHeld(LedgerEvent):
    """The yearly joint review of a plan and of the MoU commitments.

    ``activities``: per planned activity ``{"id", "status": done|partly|not, "achieved",
    "costs", "revenue"}`` with the money the ledger had booked against it that year;
    ``commitments``: ``{"no", "status": kept|partly|not, "note"}`` for the MoU version
    ``mou_version``; ``group_seals``: the seals of the groups' books at the review.
    """

    year: int
    facilitator: str
    facilitator_role: str
    attendance: dict[str, int]
    activities: list[dict[str, Any]]
    mou_version: int | None
    commitments: list[dict[str, Any]]
    changes: list[str]
    recommendations: list[dict[str, Any]]
    group_seals: dict[str, str]


class BankLoanArranged(LedgerEvent):
    """A bank lent to a member of one of the cluster's groups, the platform's
    representatives standing as guarantors and an introducer (the union chairman ...)."""

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
    grace: int
    guarantors: list[dict[str, Any]]
    introducer: str
    schedule: list[dict[str, Any]]


class BankInstalmentCollected(LedgerEvent):
    """The platform collected an instalment from a borrower; it holds it for the bank."""

    bank_loan_no: int
    lender: str
    taka: Decimal
    charge: Decimal
    principal: Decimal


class BankPaymentMade(LedgerEvent):
    """The platform passed money it held for a bank on to the bank."""

    lender: str
    taka: Decimal


#: Event types whose content a correction may replace.
CORRECTABLE = frozenset(
    name for name, cls in EVENT_TYPES.items() if cls.is_movement or cls is MeetingHeld
)
