"""The group (CBO): the consistency boundary of its rice stock, its cash and its members.

A :class:`Group` is an event-sourced aggregate whose state is only what the rules need:
members (joined and left dates, roles), the day-by-day balances of the accounts that may
never go below zero (cash, rice stock, each member's savings, what she owes for rice and on
loans) and of its activities' costs and income (a joint review counts them). Because
entries can be back-dated, an outflow dated D is refused if it would make any of those
guarded balances negative on D or on any later day. Each event type evolves this state in
its own ``apply`` method; the checks several kinds of entry share live here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from coopledger import accounts as acc
from coopledger.errors import InvalidInput, RuleBroken, UnknownMember
from coopledger.i18n import Message, _, grams, taka
from coopledger.kernel.lines import Draft, Line
from coopledger.kernel.postings import Posting, net
from coopledger.kernel.streams import Chained, Stamp
from coopledger.money import RICE

if TYPE_CHECKING:
    from coopledger.kernel.streams import Timeline

GROUP_KINDS = ("women", "men", "mixed")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
GENDERS = ("female", "male", "other")
WELLBEING = ("extreme-poor", "poor", "middle", "better-off")
ROLES = ("leader", "cashier", "secretary", "cluster-representative", "female-mentor")


class Group(Chained):
    """A savings group's stream of events and the state its rules need.

    State (set by ``GroupFormed.apply`` and evolved by each event): ``code``, ``name``,
    ``kind``, ``meeting_day``, ``formed_on``, ``profile`` (place, partner, animator),
    ``members`` (by ``str(member_no)``), ``balances`` (account -> timeline: the guarded
    accounts, and each activity's costs and income, which joint reviews count),
    ``corrected`` (``"<position>/<part>"`` -> the latest correction's position),
    ``meetings`` (ISO date -> the meeting's position), ``loans``, ``loan_rules``, ``plans``,
    ``reviewed``, ``cluster`` (the cluster it belongs to, from its own events), ``cycles``
    (its savings cycles' closes, set by ``coopledger.shareout``; absent before the first).
    """

    # 3: activities' costs and income kept in ``balances``; 4: ``held``; 5: every income,
    # expense and equity account kept (a cycle's close reads them), ``cycles``
    state_version = 5
    #: The stream's type as stored with its first event: a name, not a module path.
    TOPIC = "coopledger/Group"

    class Created(Aggregate.Created):
        """eventsourcing's default first event, never used (streams start with their own)."""

        TOPIC = "coopledger/Group.Created"

    if TYPE_CHECKING:  # set by the events' apply methods (not constructor arguments)
        code: str
        name: str
        kind: str
        meeting_day: str
        formed_on: date
        chain_head: str
        profile: dict[str, str]
        members: dict[str, dict[str, Any]]
        balances: dict[str, Timeline]
        corrected: dict[str, int]
        meetings: dict[str, list[Any]]
        loans: dict[str, dict[str, Any]]
        loan_rules: dict[str, Any] | None
        plans: dict[str, list[dict[str, Any]]]
        reviewed: list[int]
        cluster: str | None
        held: dict[str, Any] | None  # the field ledger holding its books (coopledger.field)
        cutoff: date  # set once the cut-off from paper books is sealed (coopledger.cutoff)
        cycles: list[dict[str, Any]]  # its cycles' closes (coopledger.shareout), once closed

    def check_date(self, on: Any, today: date, field: str = "date") -> date:
        """A business date in the group's open cycle: on or after it was formed, not before
        the cut-off from its paper books (``coopledger.cutoff``: the years before are kept
        on paper), after its last cycle's close (``coopledger.shareout``), and not in the
        future."""
        day: date = super().check_date(on, today, field)
        cutoff: date | None = getattr(self, "cutoff", None)
        if cutoff is not None and day < cutoff:
            raise InvalidInput(
                field,
                day,
                _("is before the cut-off from the paper books ({day})", day=cutoff),
            )
        closed = self.closed_on()
        if closed is not None and day <= closed:
            raise RuleBroken(
                field,
                day,
                _(
                    "falls in a savings cycle closed on {day}: date it later, or reverse "
                    "the close first",
                    day=closed,
                ),
            )
        return day

    def closed_on(self) -> date | None:
        """The day the group's last cycle closed (a reversed close does not count)."""
        cycles: list[dict[str, Any]] = getattr(self, "cycles", None) or []
        open_ = [c for c in cycles if not c["reversed"]]
        closed: date | None = open_[-1]["closed_on"] if open_ else None
        return closed

    def record(self, event_class: Any, on: date, stamp: Stamp, **content: Any) -> int:
        """Trigger one event dated ``on``; returns its position."""
        self.trigger_event(event_class, business_date=on, **stamp.fields(), **content)
        return int(self.version)

    # ------------------------------------------------------------------ members
    def member(
        self, field: str, member_no: int, on: date | None = None, *, settling: bool = False
    ) -> dict[str, Any]:
        """The member with this number, refusing one who had not joined by ``on`` or had
        left (unless she is ``settling`` what she owes or is owed)."""
        m: dict[str, Any] | None = self.members.get(str(member_no))
        if m is None:
            raise UnknownMember(field, member_no, self.code)
        if on is not None:
            if on < m["joined_on"]:
                raise RuleBroken(
                    field,
                    member_no,
                    _("{name} joined only on {day}", name=m["name"], day=m["joined_on"]),
                )
            if m["left_on"] is not None and on >= m["left_on"] and not settling:
                raise RuleBroken(
                    field,
                    member_no,
                    _("{name} left the group on {day}", name=m["name"], day=m["left_on"]),
                )
        return m

    def holders(self, role: str) -> list[int]:
        """Members who hold ``role`` now."""
        return [int(no) for no, m in self.members.items() if role in m["roles"]]

    # ------------------------------------------------------------------ balances
    def check_line(self, line: Line, on: date, prefix: str, draft: Draft) -> Line:
        """A line checked against the books (and the lines before it in ``draft``),
        including the balances its postings would overdraw; returns it normalised."""
        line = line.check(self, on, prefix, draft)
        legs = line.legs()
        self.check_balances(
            legs, on, prefix + line.amount_field, getattr(line, line.amount_field), draft
        )
        draft.add(legs)
        return line

    def enter(self, event_class: Any, line: Line, on: date, stamp: Stamp) -> int:
        """Record one entry on its own: an event of ``event_class`` carrying ``line``."""
        checked = self.check_line(line, on, "", Draft())
        return self.record(event_class, on, stamp, **checked.data())

    def check_balances(
        self, legs: list[Posting], on: date, field: str, value: Any, draft: Draft | None = None
    ) -> None:
        """Refuse postings dated ``on`` that would take a guarded account below zero on that
        day or any later one (counting the ``draft``'s lines, dated ``on`` too)."""
        sign_of, guarded = acc.normal_sign, acc.is_guarded
        for account, _commodity, amount in legs:
            if sign_of(account) * amount < 0 and guarded(account):
                break
        else:
            return  # the usual case: no leg takes a guarded account down, so no net does
        for (account, commodity), delta in net(legs).items():
            if not acc.is_guarded(account):
                continue
            sign = acc.normal_sign(account)
            if sign * delta >= 0:
                continue
            lowest = self.lowest(account, on) + (sign * draft.delta(account) if draft else 0)
            if lowest + sign * delta < 0:
                raise RuleBroken(field, value, self.shortfall(account, commodity, lowest, on))

    def shortfall(self, account: str, commodity: str, available: int, on: date) -> Message:
        """Why an outflow is refused, in words."""
        shown = grams(available) if commodity == RICE else taka(available)
        who = acc.member_of(account)
        name = self.members[str(who)]["name"] if who is not None else ""
        if account == acc.CASH:
            return _(
                "the cash box would go below zero: it holds {amount} from {day} on",
                amount=shown,
                day=on,
            )
        if account == acc.WELFARE_FUND:
            return _("the welfare fund holds only {amount} from {day} on", amount=shown, day=on)
        if account == acc.RICE_STOCK:
            return _(
                "not enough rice: the group holds {amount} from {day} on", amount=shown, day=on
            )
        if account.startswith(acc.RECEIVABLE):
            return _(
                "{name} owes only {amount} for rice from {day} on", name=name, amount=shown, day=on
            )
        if account.startswith(acc.CASH_SAVINGS):
            return _(
                "{name} has only {amount} of cash savings from {day} on",
                name=name,
                amount=shown,
                day=on,
            )
        if account.startswith(acc.LOANS):
            return _(
                "{name} owes only {amount} on loans from {day} on", name=name, amount=shown, day=on
            )
        if account.startswith(acc.FINES):
            return _(
                "{name} owes only {amount} in fines from {day} on", name=name, amount=shown, day=on
            )
        return _(
            "{name} has only {amount} of rice savings from {day} on",
            name=name,
            amount=shown,
            day=on,
        )


# Release 0.1 named the aggregate by its module path in each stream's first event.
register_topic("coopledger.group:Group", Group)
