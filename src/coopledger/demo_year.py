"""The demo's meetings and reports part (called once from :func:`coopledger.demo.build`):
guests at some weekly and platform meetings, the new groups' three-month work plans and
their review, and welfare gifts and what they paid for. Deterministic, with fixed keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from coopledger.meetings.attendance import CountGuests, CountPlatformGuests
from coopledger.plans.work_plan import AdoptWorkPlan, ItemReview, ReviewWorkPlan, Status, WorkItem
from coopledger.welfare import PayWelfare, ReceiveWelfareGift

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

BY = "animator.sustain"
WORK_PLAN = (
    ("Weigh and write every member's rice at each meeting", "cashier", "2015-11"),
    ("Open a passbook for every member", "animator", "2015-11"),
    ("Agree the rules for selling the pooled rice", "the group", "2015-12"),
    ("Visit the union council about safety-net cards", "leader", "2016-01"),
)
REVIEW: tuple[tuple[Status, str], ...] = (
    ("done", ""),
    ("done", ""),
    ("done", ""),
    ("partly", "two visits; no answer yet"),
)
#: (group, date, gift or use, taka, source / use, member)
WELFARE: tuple[tuple[str, date, str, str, str, int | None], ...] = (
    ("JOBA", date(2015, 12, 4), "gift", "2500", "Haji Abdul Karim (Mohalbari)", None),
    ("JOBA", date(2016, 1, 8), "use", "900", "winter-clothes", 4),
    ("JOBA", date(2016, 1, 15), "use", "700", "winter-clothes", 9),
    ("JOBA", date(2016, 6, 10), "use", "600", "emergency-treatment", 2),
    ("EKOTA", date(2016, 2, 5), "gift", "1500", "Surail bazar traders", None),
    ("EKOTA", date(2016, 8, 12), "use", "1000", "burial", 6),
)


RECORDED = datetime.combine(date(2016, 12, 1), time(6), tzinfo=UTC)


def build_year(ledger: Ledger, set_clock: Callable[[datetime], Any], groups: list[str]) -> None:
    """Guests, work plans and the welfare fund, through the public commands, recorded
    after the demo's year (back-dated to the meetings they belong to)."""
    set_clock(RECORDED)
    for code in groups:
        meetings = ledger.reports.meetings.reconciliation(code).meetings
        for i, m in enumerate(meetings[:12:3]):  # one meeting in three, the first months
            ledger.execute(
                CountGuests(
                    group=code,
                    date=m.meeting_date,
                    key=f"{code}-guests-{m.meeting_date}",
                    recorded_by=BY,
                    female=1 + (i + len(code)) % 3,
                    male=i % 2,
                    note="husbands and neighbours" if i % 2 else "",
                )
            )
        first = meetings[0].meeting_date
        ledger.execute(
            AdoptWorkPlan(
                group=code,
                date=first,
                key=f"{code}-work-plan",
                recorded_by=BY,
                start="2015-11",
                items=[WorkItem(task=t, responsible=r, month=m) for t, r, m in WORK_PLAN],
            )
        )
        reviewed = date(2016, 2, 5)
        ledger.execute(
            ReviewWorkPlan(
                group=code,
                date=reviewed,
                key=f"{code}-work-plan-review",
                recorded_by=BY,
                start="2015-11",
                items=[
                    ItemReview(no=i, status=s if code != "KAKOLI" or i < 3 else "not", note=n)
                    for i, (s, n) in enumerate(REVIEW, start=1)
                ],
            )
        )
    _welfare(ledger)
    for m in ledger.reports.attendance.platform("cluster:CHIRIRBANDAR-1").meetings[:6:2]:
        day = m.meeting_date or date.min  # a meeting always has its day
        ledger.execute(
            CountPlatformGuests(
                cluster="CHIRIRBANDAR-1",
                date=day,
                key=f"platform-guests-{day}",
                recorded_by=BY,
                female=2,
                male=1,
                note="union council member and two mothers",
            )
        )


def _welfare(ledger: Ledger) -> None:
    for i, (code, day, kind, amount, what, member) in enumerate(WELFARE):
        key = f"{code}-welfare-{i}"
        if kind == "gift":
            ledger.execute(
                ReceiveWelfareGift(
                    group=code, date=day, key=key, recorded_by=BY, source=what, taka=Decimal(amount)
                )
            )
        else:
            ledger.execute(
                PayWelfare(
                    group=code,
                    date=day,
                    key=key,
                    recorded_by=BY,
                    use=what,  # type: ignore[arg-type]
                    member=member,
                    taka=Decimal(amount),
                )
            )
