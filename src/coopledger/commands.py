"""Every command the ledger accepts, by name (the models live with their capabilities).

The same models check the Python API's arguments, the lines of an import file and the web
API's bodies; ``command_schema()`` is the JSON Schema of an import line, published as
``docs/schema/commands.schema.json``. See :mod:`coopledger.kernel.commands` for the common
fields and types.
"""

from __future__ import annotations

import coopledger.capabilities  # noqa: F401 - fills the registry
from coopledger.cashbook import BookActivityCost, BookActivityRevenue, PayExpense, ReceiveGrant
from coopledger.clusters.agreements import (
    BookAgreementIncome,
    EndAgreement,
    MakeAgreement,
    PayUnderAgreement,
    ReceivePlatformFunds,
    Share,
)
from coopledger.clusters.bank_loans import (
    ArrangeBankLoan,
    CollectBankInstalment,
    Guarantor,
    PaidOver,
    PayBank,
)
from coopledger.clusters.membership import (
    FormCluster,
    JoinCluster,
    LeaveCluster,
    NameRepresentative,
    RepresentativeStepsDown,
)
from coopledger.clusters.partners import RegisterPartner
from coopledger.clusters.platform import Attendee, PlanRotation, RecordPlatformMeeting
from coopledger.clusters.records import (
    ApplySafetyNet,
    Commitment,
    DecideSafetyNet,
    HoldTraining,
    ListExtremePoor,
    Party,
    SignMou,
)
from coopledger.corrections import CorrectEntry
from coopledger.groups.members import AssignRole, EndRole, FormGroup, JoinMember, LeaveMember
from coopledger.kernel.commands import (
    COMMANDS,
    ClusterCommand,
    Command,
    GroupCommand,
    command_schema,
    commands_for,
    invalid,
    parse_command,
    validated,
)
from coopledger.loans.fines import AssessLoanFines, PayLoanFine
from coopledger.loans.lending import (
    DisburseLoan,
    RepayLoan,
    RescheduleLoan,
    SetLoanRules,
    WriteOffLoan,
)
from coopledger.loans.products import DefineLoanProduct, SetLoanFineRule
from coopledger.meetings.attendance import CountGuests, CountPlatformGuests
from coopledger.meetings.meeting import (
    AddToMeeting,
    CashLine,
    Deposit,
    LoanLine,
    RecordMeeting,
    Sale,
)
from coopledger.plans.planning import (
    AdoptClusterPlan,
    AdoptedFrom,
    AdoptPlan,
    HoldClusterReview,
    HoldReview,
    MicroProject,
    PlannedActivity,
    Recommendation,
    ReviewedActivity,
    ReviewedCommitment,
    Wellbeing,
)
from coopledger.plans.work_plan import AdoptWorkPlan, ItemReview, ReviewWorkPlan, WorkItem
from coopledger.savings.cash import SaveCash, WithdrawCash
from coopledger.savings.rice import DepositRice, ReceivePayment, SellRice
from coopledger.welfare import PayWelfare, ReceiveWelfareGift

__all__ = [
    "COMMANDS",
    "AddToMeeting",
    "AdoptClusterPlan",
    "AdoptPlan",
    "AdoptWorkPlan",
    "AdoptedFrom",
    "ApplySafetyNet",
    "ArrangeBankLoan",
    "AssessLoanFines",
    "AssignRole",
    "Attendee",
    "BookActivityCost",
    "BookActivityRevenue",
    "BookAgreementIncome",
    "CashLine",
    "ClusterCommand",
    "CollectBankInstalment",
    "Command",
    "Commitment",
    "CorrectEntry",
    "CountGuests",
    "CountPlatformGuests",
    "DecideSafetyNet",
    "DefineLoanProduct",
    "Deposit",
    "DepositRice",
    "DisburseLoan",
    "EndAgreement",
    "EndRole",
    "FormCluster",
    "FormGroup",
    "GroupCommand",
    "Guarantor",
    "HoldClusterReview",
    "HoldReview",
    "HoldTraining",
    "ItemReview",
    "JoinCluster",
    "JoinMember",
    "LeaveCluster",
    "LeaveMember",
    "ListExtremePoor",
    "LoanLine",
    "MakeAgreement",
    "MicroProject",
    "NameRepresentative",
    "PaidOver",
    "Party",
    "PayBank",
    "PayExpense",
    "PayLoanFine",
    "PayUnderAgreement",
    "PayWelfare",
    "PlanRotation",
    "PlannedActivity",
    "ReceiveGrant",
    "ReceivePayment",
    "ReceivePlatformFunds",
    "ReceiveWelfareGift",
    "Recommendation",
    "RecordMeeting",
    "RecordPlatformMeeting",
    "RegisterPartner",
    "RepayLoan",
    "RepresentativeStepsDown",
    "RescheduleLoan",
    "ReviewWorkPlan",
    "ReviewedActivity",
    "ReviewedCommitment",
    "Sale",
    "SaveCash",
    "SellRice",
    "SetLoanFineRule",
    "SetLoanRules",
    "Share",
    "SignMou",
    "Wellbeing",
    "WithdrawCash",
    "WorkItem",
    "WriteOffLoan",
    "command_schema",
    "commands_for",
    "invalid",
    "parse_command",
    "validated",
]
