"""Commands: what a caller asks the ledger to record, as pydantic models.

The same models check the Python API's arguments, the lines of an import file and (later)
the web API's bodies; ``command_schema()`` is the JSON Schema of an import line, published
as ``docs/schema/commands.schema.json``. Taka are decimals with at most two places (a JSON
number or a string; a Python ``float`` is refused), rice is whole grams.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date as Date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from coopledger.errors import InvalidInput
from coopledger.group import CLUSTER_PREFIX


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("give taka as a decimal string such as \"12.50\", not a float")
    return value


Taka = Annotated[Decimal, BeforeValidator(_no_float),
                 Field(gt=0, max_digits=14, decimal_places=2, description="taka, to the paisa")]
TakaOrZero = Annotated[Decimal, BeforeValidator(_no_float),
                       Field(ge=0, max_digits=14, decimal_places=2,
                             description="taka, to the paisa")]
Grams = Annotated[int, Field(gt=0, le=10_000_000, strict=True, description="grams of rice")]
MemberNo = Annotated[int, Field(gt=0, strict=True, description="member number in the group")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=40)]


class Command(BaseModel):
    """Fields every command has (each command is for one stream: a group or a cluster)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: Annotated[Date, Field(description="business date, YYYY-MM-DD")]
    key: Annotated[str | None, Field(
        default=None, min_length=1, max_length=120,
        description="idempotency key: the same key and content is recorded once")] = None
    recorded_by: Annotated[str | None, Field(default=None, max_length=80)] = None

    @property
    def stream(self) -> str:
        """The stream the command is for: a group code, or ``CLUSTER:<code>``."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Short hash of the command's content (not of its key or recorder)."""
        content = self.model_dump(mode="json", exclude={"key", "recorded_by"})
        for name in ("group", "cluster"):
            if isinstance(content.get(name), str):
                content[name] = content[name].upper()
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()[:16]


Code = Annotated[str, Field(min_length=1, max_length=24, description="a code, e.g. JOBA")]


class GroupCommand(Command):
    """A command for one group's stream."""

    group: Annotated[str, Field(min_length=1, max_length=24,
                                description="the group's code, e.g. JOBA")]

    @property
    def stream(self) -> str:
        return self.group.upper()


class ClusterCommand(Command):
    """A command for one cluster's stream."""

    cluster: Annotated[str, Field(min_length=1, max_length=24,
                                  description="the cluster's code, e.g. RAJAGAON")]

    @property
    def stream(self) -> str:
        return CLUSTER_PREFIX + self.cluster.upper()


class FormGroup(GroupCommand):
    """Form a new group (its code names it for ever)."""

    command: Literal["form_group"] = "form_group"
    name: Text
    kind: Literal["women", "men", "mixed"]
    meeting_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday",
                         "saturday", "sunday"]
    division: str = ""
    district: Text
    upazila: Text
    union: str = ""
    ward: str = ""
    village: Text
    partner: str = ""
    animator: str = ""


class JoinMember(GroupCommand):
    command: Literal["join_member"] = "join_member"
    name: Text
    household: Text
    gender: Literal["female", "male", "other"]
    community: str = ""
    landless: bool
    wellbeing: Literal["extreme-poor", "poor", "middle", "better-off"]


class LeaveMember(GroupCommand):
    command: Literal["leave_member"] = "leave_member"
    member: MemberNo
    reason: Text


class AssignRole(GroupCommand):
    command: Literal["assign_role"] = "assign_role"
    member: MemberNo
    role: Literal["leader", "cashier", "secretary", "cluster-representative",
                  "female-mentor"]


class EndRole(AssignRole):
    command: Literal["end_role"] = "end_role"  # type: ignore[assignment]


class DepositRice(GroupCommand):
    command: Literal["deposit_rice"] = "deposit_rice"
    member: MemberNo
    grams: Grams


class SellRice(GroupCommand):
    command: Literal["sell_rice"] = "sell_rice"
    buyer: MemberNo
    grams: Grams
    taka_per_kg: Taka
    paid: Annotated[TakaOrZero | None, Field(
        default=None, description="paid now; the rest is owed (default: all paid)")] = None


class ReceivePayment(GroupCommand):
    command: Literal["receive_payment"] = "receive_payment"
    member: MemberNo
    taka: Taka


class SaveCash(GroupCommand):
    command: Literal["save_cash"] = "save_cash"
    member: MemberNo
    taka: Taka


class WithdrawCash(SaveCash):
    command: Literal["withdraw_cash"] = "withdraw_cash"  # type: ignore[assignment]


class ReceiveGrant(GroupCommand):
    command: Literal["receive_grant"] = "receive_grant"
    source: Text
    purpose: Text
    taka: Taka


class PayExpense(GroupCommand):
    command: Literal["pay_expense"] = "pay_expense"
    category: Slug
    payee: Text
    taka: Taka
    memo: str = ""


class BookActivityCost(GroupCommand):
    command: Literal["book_activity_cost"] = "book_activity_cost"
    activity: Slug
    taka: Taka
    memo: str = ""


class BookActivityRevenue(BookActivityCost):
    command: Literal["book_activity_revenue"] = "book_activity_revenue"  # type: ignore[assignment]


Rate = Annotated[Decimal, BeforeValidator(_no_float),
                 Field(ge=0, le=100, decimal_places=2, description="yearly rate, percent")]


class SetLoanRules(GroupCommand):
    """The group's loan rules (a new set replaces the old)."""

    command: Literal["set_loan_rules"] = "set_loan_rules"
    max_principal: TakaOrZero | None = None
    one_at_a_time: bool = True
    rate: Rate
    method: Literal["declining", "flat"] = "declining"
    frequency: Literal["weekly", "monthly"] = "monthly"


class DisburseLoan(GroupCommand):
    """Lend from the group fund (rate, method, frequency default to the group's rules)."""

    command: Literal["disburse_loan"] = "disburse_loan"
    member: MemberNo
    principal: Taka
    instalments: Annotated[int, Field(ge=1, le=104, strict=True)]
    grace: Annotated[int, Field(ge=0, le=12, strict=True)] = 0
    rate: Rate | None = None
    method: Literal["declining", "flat"] | None = None
    frequency: Literal["weekly", "monthly"] | None = None
    purpose: Text
    approved_by: Text


class RepayLoan(GroupCommand):
    """A repayment (charge due first, then principal due, then early principal)."""

    command: Literal["repay_loan"] = "repay_loan"
    loan: Annotated[int, Field(gt=0, strict=True)]
    taka: Taka


class RescheduleLoan(GroupCommand):
    command: Literal["reschedule_loan"] = "reschedule_loan"
    loan: Annotated[int, Field(gt=0, strict=True)]
    instalments: Annotated[int, Field(ge=1, le=104, strict=True)]
    grace: Annotated[int, Field(ge=0, le=12, strict=True)] = 0
    rate: Rate | None = None
    frequency: Literal["weekly", "monthly"] | None = None
    reason: Text
    approved_by: Text


class WriteOffLoan(GroupCommand):
    command: Literal["write_off_loan"] = "write_off_loan"
    loan: Annotated[int, Field(gt=0, strict=True)]
    reason: Text
    approved_by: Text


class Guarantor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    group: Code
    member: MemberNo


class ArrangeBankLoan(ClusterCommand):
    """A bank loan to a member, the platform's representatives standing as guarantors."""

    command: Literal["arrange_bank_loan"] = "arrange_bank_loan"
    lender: Text
    group: Code
    member: MemberNo
    principal: Taka
    rate: Rate
    method: Literal["declining", "flat"] = "flat"
    frequency: Literal["weekly", "monthly"] = "monthly"
    instalments: Annotated[int, Field(ge=1, le=104, strict=True)]
    grace: Annotated[int, Field(ge=0, le=12, strict=True)] = 0
    guarantors: Annotated[list[Guarantor], Field(min_length=1)]
    introducer: Text


class CollectBankInstalment(ClusterCommand):
    """The platform collects an instalment of a bank loan from the borrower."""

    command: Literal["collect_bank_instalment"] = "collect_bank_instalment"
    bank_loan: Annotated[int, Field(gt=0, strict=True)]
    taka: Taka


class PayBank(ClusterCommand):
    """The platform passes what it collected on to the bank."""

    command: Literal["pay_bank"] = "pay_bank"
    lender: Text
    taka: Taka


class Deposit(BaseModel):
    """One member's rice weighed at a meeting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    member: MemberNo
    grams: Grams


class Sale(BaseModel):
    """Rice sold to one member at a meeting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    buyer: MemberNo
    grams: Grams
    taka_per_kg: Taka
    paid: TakaOrZero | None = None


class CashLine(BaseModel):
    """A member's payment, saving or withdrawal at a meeting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    member: MemberNo
    taka: Taka


class LoanLine(BaseModel):
    """A loan repayment collected at a meeting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    loan: Annotated[int, Field(gt=0, strict=True)]
    taka: Taka


class RecordMeeting(GroupCommand):
    """A whole weekly meeting, recorded all-or-nothing in one transaction."""

    command: Literal["record_meeting"] = "record_meeting"
    attendance: list[MemberNo] = []
    deposits: list[Deposit] = []
    sales: list[Sale] = []
    payments: list[CashLine] = []
    savings: list[CashLine] = []
    withdrawals: list[CashLine] = []
    loan_repayments: list[LoanLine] = []
    counted_cash: TakaOrZero | None = None
    counted_rice_grams: Annotated[int | None, Field(ge=0, strict=True)] = None
    notes: Annotated[str, Field(max_length=2000)] = ""


class CorrectEntry(GroupCommand):
    """Reverse (no ``changes``) or adjust the entry at stream position ``target``.

    ``date`` is ignored for the books (a correction takes its target's business date) but
    kept as the day the correction was decided.
    """

    command: Literal["correct_entry"] = "correct_entry"
    target: Annotated[int, Field(gt=0, strict=True)]
    reason: Text
    changes: dict[str, Any] | None = None


class FormCluster(ClusterCommand):
    """Form a cluster of neighbouring groups within one ward (its code names it for ever)."""

    command: Literal["form_cluster"] = "form_cluster"
    name: Text
    division: str = ""
    district: Text
    upazila: Text
    union: str = ""
    ward: str = ""
    villages: Annotated[list[Text], Field(min_length=1)]
    households: Annotated[int, Field(ge=0, strict=True,
                                     description="households the cluster covers")]
    partner: str = ""


class JoinCluster(ClusterCommand):
    """A group joins the cluster."""

    command: Literal["join_cluster"] = "join_cluster"
    group: Code


class LeaveCluster(ClusterCommand):
    """A group leaves the cluster."""

    command: Literal["leave_cluster"] = "leave_cluster"
    group: Code
    reason: Text


class NameRepresentative(ClusterCommand):
    """A member group seats one of its members on the platform (two or three a group)."""

    command: Literal["name_representative"] = "name_representative"
    group: Code
    member: MemberNo


class RepresentativeStepsDown(ClusterCommand):
    command: Literal["representative_steps_down"] = "representative_steps_down"
    group: Code
    member: MemberNo
    reason: Text


class PlanRotation(ClusterCommand):
    """Plan who chairs and who hosts the monthly meetings, fairly, from ``start``."""

    command: Literal["plan_rotation"] = "plan_rotation"
    start: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="first month, YYYY-MM")]
    months: Annotated[int, Field(ge=1, le=36, strict=True)]


class Attendee(BaseModel):
    """A representative present at a platform meeting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    group: Code
    member: MemberNo


class RecordPlatformMeeting(ClusterCommand):
    """The monthly platform meeting; chair and host default to the planned rotation."""

    command: Literal["record_platform_meeting"] = "record_platform_meeting"
    attendance: list[Attendee] = []
    chair: Code | None = None
    host: Code | None = None
    decisions: list[Annotated[str, Field(min_length=1, max_length=500)]] = []


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    party: Text
    role: Text
    signed_by: Text


class Commitment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    no: Annotated[int, Field(gt=0, strict=True)]
    party: Text
    text: Annotated[str, Field(min_length=1, max_length=1000)]


class SignMou(ClusterCommand):
    """Sign (a new version of) the cluster's MoU."""

    command: Literal["sign_mou"] = "sign_mou"
    parties: Annotated[list[Party], Field(min_length=1)]
    commitments: Annotated[list[Commitment], Field(min_length=1)]


class ListExtremePoor(ClusterCommand):
    """Enter a household in the platform's register of the extreme poor."""

    command: Literal["list_extreme_poor"] = "list_extreme_poor"
    household: Text
    head: Text
    village: Text
    reason: Text
    identified_by: Literal["well-being-analysis", "transect-visit", "other"]


class ApplySafetyNet(ClusterCommand):
    """Apply for a safety-net service for a registered household."""

    command: Literal["apply_safety_net"] = "apply_safety_net"
    household_entry: Annotated[int, Field(gt=0, strict=True,
                                          description="the register entry's stream position")]
    scheme: Literal["vgd", "vgf", "old-age-allowance", "widow-allowance", "khas-land",
                    "khas-pond", "shelter", "other"]
    applied_to: Text


class DecideSafetyNet(ClusterCommand):
    """Record the decision on an application (value: taka a year, when granted)."""

    command: Literal["decide_safety_net"] = "decide_safety_net"
    application: Annotated[int, Field(gt=0, strict=True)]
    outcome: Literal["granted", "refused"]
    value: TakaOrZero | None = None
    note: str = ""


class HoldTraining(ClusterCommand):
    """A training or community event with attendance by member/non-member and gender."""

    command: Literal["hold_training"] = "hold_training"
    title: Text
    kind: Literal["training", "community-event", "workshop", "exchange-visit"] = "training"
    facilitator: str = ""
    members_female: Annotated[int, Field(ge=0, strict=True)] = 0
    members_male: Annotated[int, Field(ge=0, strict=True)] = 0
    others_female: Annotated[int, Field(ge=0, strict=True)] = 0
    others_male: Annotated[int, Field(ge=0, strict=True)] = 0


class MicroProject(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    no: Annotated[int, Field(gt=0, strict=True)]
    name: Text


class AdoptedFrom(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    group: Code
    year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    id: Text


class PlannedActivity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, Field(min_length=1, max_length=40)]
    micro_project: Annotated[int, Field(gt=0, strict=True)]
    name: Text
    activity: Slug | None = Field(default=None, description="income-generating activity "
                                  "whose money the ledger books (e.g. vermicompost)")
    budget: TakaOrZero = Decimal("0.00")
    responsible: Text
    start: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    end: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    adopted_from: AdoptedFrom | None = None


class PlanFields(BaseModel):
    """The six parts of an annual plan of operation (APO)."""

    year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    wellbeing: dict[str, Any] = Field(description='{"categories": {"extreme-poor": 4, ...}, '
                                      '"notes": "..."}')
    constraints: list[Text] = []
    opportunities: list[Text] = []
    micro_projects: Annotated[list[MicroProject], Field(min_length=1)]
    ep_initiatives: list[Text] = []
    activities: Annotated[list[PlannedActivity], Field(min_length=1)]


class AdoptPlan(GroupCommand, PlanFields):
    """A group adopts its annual plan of operation."""

    command: Literal["adopt_plan"] = "adopt_plan"


class AdoptClusterPlan(ClusterCommand, PlanFields):
    """A cluster adopts its combined plan (joint activities may adopt groups' ones)."""

    command: Literal["adopt_cluster_plan"] = "adopt_cluster_plan"


class ReviewedActivity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, Field(min_length=1, max_length=40)]
    status: Literal["done", "partly", "not"]
    achieved: str = ""


class ReviewedCommitment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    no: Annotated[int, Field(gt=0, strict=True)]
    status: Literal["kept", "partly", "not"]
    note: str = ""


class Recommendation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    text: Text
    carry: bool = Field(default=False, description="carry into next year's plan")


class ReviewFields(BaseModel):
    """A joint review of a year's plan and of the MoU commitments."""

    year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    facilitator: Text
    facilitator_role: Literal["group-leader", "field-facilitator"] = "group-leader"
    members_female: Annotated[int, Field(ge=0, strict=True)] = 0
    members_male: Annotated[int, Field(ge=0, strict=True)] = 0
    others_female: Annotated[int, Field(ge=0, strict=True)] = 0
    others_male: Annotated[int, Field(ge=0, strict=True)] = 0
    activities: list[ReviewedActivity]
    commitments: list[ReviewedCommitment] = []
    changes: list[Text] = []
    recommendations: list[Recommendation] = []


class HoldReview(GroupCommand, ReviewFields):
    """A group's yearly joint review."""

    command: Literal["hold_review"] = "hold_review"


class HoldClusterReview(ClusterCommand, ReviewFields):
    """A cluster platform's yearly joint review."""

    command: Literal["hold_cluster_review"] = "hold_cluster_review"


AnyCommand = Annotated[
    FormGroup | JoinMember | LeaveMember | AssignRole | EndRole | DepositRice | SellRice
    | ReceivePayment | SaveCash | WithdrawCash | ReceiveGrant | PayExpense | BookActivityCost
    | BookActivityRevenue | RecordMeeting | CorrectEntry | FormCluster | JoinCluster
    | LeaveCluster | NameRepresentative | RepresentativeStepsDown | PlanRotation
    | RecordPlatformMeeting | SignMou | ListExtremePoor | ApplySafetyNet | DecideSafetyNet
    | HoldTraining | AdoptPlan | AdoptClusterPlan | HoldReview | HoldClusterReview
    | SetLoanRules | DisburseLoan | RepayLoan | RescheduleLoan | WriteOffLoan
    | ArrangeBankLoan | CollectBankInstalment | PayBank,
    Field(discriminator="command"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyCommand)


def parse_command(data: Any) -> Command:
    """Validate one command (a dict with a ``command`` field); raises InvalidInput."""
    try:
        return _ADAPTER.validate_python(data)  # type: ignore[no-any-return]
    except PydanticValidationError as e:
        raise invalid(e) from None


def invalid(error: PydanticValidationError) -> InvalidInput:
    """The first problem of a pydantic error, as the ledger's InvalidInput."""
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("function-",)))
    for name in ("form_group", "join_member", "leave_member", "assign_role", "end_role",
                 "deposit_rice", "sell_rice", "receive_payment", "save_cash",
                 "withdraw_cash", "receive_grant", "pay_expense", "book_activity_cost",
                 "book_activity_revenue", "record_meeting", "correct_entry", "form_cluster",
                 "join_cluster", "leave_cluster", "name_representative",
                 "representative_steps_down", "plan_rotation", "record_platform_meeting",
                 "sign_mou", "list_extreme_poor", "apply_safety_net", "decide_safety_net",
                 "hold_training", "adopt_plan", "adopt_cluster_plan", "hold_review",
                 "hold_cluster_review", "set_loan_rules", "disburse_loan", "repay_loan",
                 "reschedule_loan", "write_off_loan", "arrange_bank_loan",
                 "collect_bank_instalment", "pay_bank"):
        field = field.removeprefix(name + ".")
    return InvalidInput(field or "command", first.get("input"), first["msg"])


def validated(model: type[Command], **fields: Any) -> Any:
    """Build ``model`` from keyword arguments, raising InvalidInput on bad values."""
    try:
        return model(**fields)
    except PydanticValidationError as e:
        raise invalid(e) from None


def command_schema() -> dict[str, Any]:
    """JSON Schema of one line of an import file."""
    schema = _ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "coopledger command (one line of an import file)"
    return schema
