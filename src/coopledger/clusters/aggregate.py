"""The cluster: neighbouring groups within one ward, run by their cluster platform.

A :class:`Cluster` is its own event stream (key ``CLUSTER:<code>``). Its state is what its
rules need: the groups in it and since when, each group's representatives, the rotation,
the MoU's version, the extreme-poor register and pending applications, the bank loans it
guarantees, and the day-by-day balances of its cash and of what it holds for each bank.
Each event type evolves this state in its own ``apply`` method.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from coopledger import accounts as acc
from coopledger.errors import RuleBroken
from coopledger.i18n import Message, _, taka
from coopledger.kernel.postings import Posting, net
from coopledger.kernel.streams import Chained, Stamp

if TYPE_CHECKING:
    from coopledger.kernel.streams import Timeline

MAX_REPRESENTATIVES = 3


class Cluster(Chained):
    """A cluster's stream and the state its rules need.

    State: ``code``, ``name``, ``formed_on``, ``groups`` (code -> joined on),
    ``representatives`` (group code -> member numbers), ``rotation`` (month -> [chair,
    host], as the latest plan has it), ``mou_version`` and ``mou_commitments`` (the numbers
    of the latest version's commitments), ``register`` (entry positions), ``pending``
    (applications waiting), ``bank_loans`` (number -> lender, borrower, schedule,
    collections), ``balances`` (its cash and ``Liabilities:DueToBank:*``), ``plans`` (year
    -> planned activities), ``reviewed`` (years), ``partners`` (number -> kind, name) and
    ``agreements`` (number -> terms, payments; see ``clusters/agreements.py``), ``met_on``
    (the days its platform met, ISO; absent until the first meeting).
    """

    state_version = 5  # 5: ``met_on``
    #: The stream's type as stored with its first event: a name, not a module path.
    TOPIC = "coopledger/Cluster"

    class Created(Aggregate.Created):
        """eventsourcing's default first event, never used (streams start with their own)."""

        TOPIC = "coopledger/Cluster.Created"

    if TYPE_CHECKING:  # set by the events' apply methods (not constructor arguments)
        code: str
        name: str
        formed_on: date
        chain_head: str
        groups: dict[str, date]
        representatives: dict[str, list[int]]
        rotation: dict[str, list[str]]
        mou_version: int
        mou_commitments: list[int]
        register: list[int]
        pending: list[int]
        bank_loans: dict[str, dict[str, Any]]
        balances: dict[str, Timeline]
        plans: dict[str, list[dict[str, Any]]]
        reviewed: list[int]
        partners: dict[str, dict[str, Any]]
        agreements: dict[str, dict[str, Any]]
        met_on: list[str]

    def record(self, event_class: Any, on: date, stamp: Stamp, **content: Any) -> int:
        """Trigger one event dated ``on``; returns its position."""
        self.trigger_event(event_class, business_date=on, **stamp.fields(), **content)
        return int(self.version)

    def member_group(self, field: str, group: str) -> str:
        """A group of this cluster (refusing one that is not in it)."""
        code = str(group).upper()
        if code not in self.groups:
            raise RuleBroken(
                field, code, _("is not a group of cluster {cluster}", cluster=self.code)
            )
        return code

    def is_representative(self, group: str, member_no: int) -> bool:
        return member_no in self.representatives.get(str(group).upper(), [])

    # ------------------------------------------------------------------ balances
    def check_balances(
        self, legs: list[Posting], on: date, field: str, value: Any, *, bank: str = ""
    ) -> None:
        """Refuse postings dated ``on`` that would take the platform's cash, or what it
        holds for a bank (named ``bank`` in the refusal), below zero on that day or any
        later one."""
        for (account, _commodity), delta in net(legs).items():
            if not acc.is_guarded(account):
                continue
            sign = acc.normal_sign(account)
            if sign * delta >= 0:
                continue
            lowest = self.lowest(account, on)
            if lowest + sign * delta < 0:
                raise RuleBroken(field, value, self.shortfall(account, lowest, on, bank))

    @staticmethod
    def shortfall(account: str, available: int, on: date, bank: str = "") -> Message:
        """Why an outflow is refused, in words."""
        if account.startswith(acc.DUE_TO_BANK + ":"):
            return _(
                "the platform holds only {amount} for {bank} from {day} on",
                amount=taka(available),
                bank=bank or account.split(":", 2)[2],
                day=on,
            )
        return _(
            "the platform's cash would go below zero: it holds {amount} from {day} on",
            amount=taka(available),
            day=on,
        )


# Release 0.1 named the aggregate by its module path in each stream's first event.
register_topic("coopledger.cluster:Cluster", Cluster)
