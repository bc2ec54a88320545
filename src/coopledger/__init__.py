"""coopledger: the books of landless people's savings groups, kept as an event-sourced ledger.

The supported API is what this module exports; anything else may change.
"""

from __future__ import annotations

from coopledger.commands import (
    AssignRole,
    BookActivityCost,
    BookActivityRevenue,
    CashLine,
    Command,
    CorrectEntry,
    Deposit,
    DepositRice,
    EndRole,
    FormCluster,
    FormGroup,
    GroupCommand,
    JoinCluster,
    JoinMember,
    LeaveCluster,
    LeaveMember,
    PayExpense,
    ReceiveGrant,
    ReceivePayment,
    RecordMeeting,
    Sale,
    SaveCash,
    SellRice,
    WithdrawCash,
    command_schema,
    parse_command,
)
from coopledger.errors import (
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidInput,
    LedgerError,
    RuleBroken,
    UnknownCluster,
    UnknownGroup,
    UnknownMember,
)
from coopledger.events import EVENT_TYPES, LedgerEvent
from coopledger.ledger import BatchRefused, Ledger, Receipt
from coopledger.postings import Posting, postings

__all__ = [
    "EVENT_TYPES",
    "AssignRole",
    "BatchRefused",
    "BookActivityCost",
    "BookActivityRevenue",
    "CashLine",
    "Command",
    "ConcurrencyConflict",
    "CorrectEntry",
    "Deposit",
    "DepositRice",
    "EndRole",
    "FormCluster",
    "FormGroup",
    "GroupCommand",
    "IdempotencyConflict",
    "InvalidInput",
    "JoinCluster",
    "JoinMember",
    "LeaveCluster",
    "LeaveMember",
    "Ledger",
    "LedgerError",
    "LedgerEvent",
    "PayExpense",
    "Posting",
    "Receipt",
    "ReceiveGrant",
    "ReceivePayment",
    "RecordMeeting",
    "RuleBroken",
    "Sale",
    "SaveCash",
    "SellRice",
    "UnknownCluster",
    "UnknownGroup",
    "UnknownMember",
    "WithdrawCash",
    "command_schema",
    "parse_command",
    "postings",
]
__version__ = "0.1.0"
