"""What the platform keeps besides money: its MoU, its register of the extreme poor, the
safety-net services it applies for on their behalf, and the trainings it holds.

Events: ``MouSigned`` (a version of the memorandum: parties and numbered commitments; a
revision is a new version, earlier ones stay readable), ``ExtremePoorListed``,
``SafetyNetApplied`` (for a registered household), ``SafetyNetDecided`` (granted or refused,
with the yearly value of what was granted), ``TrainingHeld`` (attendance by member and
non-member, by gender; the partner who gave it). Entries, applications and trainings
refer to members and to partners of the register (``clusters/partners.py``) by number,
refused when unknown. Commands: ``sign_mou``, ``list_extreme_poor``, ``apply_safety_net``,
``decide_safety_net``, ``hold_training``. Tables: ``cluster_mous``,
``cluster_extreme_poor``, ``cluster_safety_nets``, ``cluster_trainings``.
"""

from __future__ import annotations

import json
from datetime import date
from datetime import date as Date
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints

from coopledger.clusters.aggregate import Cluster
from coopledger.clusters.partners import partner
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.i18n import Message, _, ngettext_, taka
from coopledger.kernel.commands import (
    ClusterCommand,
    Code,
    Count,
    MemberNo,
    Number,
    OptionalText,
    Row,
    TakaOrZero,
    Text,
)
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit
from coopledger.money import paisa

table(
    "cluster_mous",
    """cluster_id TEXT NOT NULL, version INTEGER NOT NULL,
      position INTEGER NOT NULL, signed_on TEXT NOT NULL, parties TEXT NOT NULL,
      commitments TEXT NOT NULL""",
    ["cluster_id", "version"],
)
table(
    "cluster_extreme_poor",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      household TEXT NOT NULL, head TEXT NOT NULL, village TEXT NOT NULL,
      reason TEXT NOT NULL, identified_by TEXT NOT NULL, listed_on TEXT NOT NULL,
      group_code TEXT, member_no INTEGER""",
    ["cluster_id", "position"],
)
table(
    "cluster_safety_nets",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      entry INTEGER NOT NULL, scheme TEXT NOT NULL, applied_to TEXT NOT NULL,
      applied_on TEXT NOT NULL, outcome TEXT, decided_on TEXT, value BIGINT,
      note TEXT NOT NULL, partner_no INTEGER, value_applied BIGINT, period_start TEXT,
      period_end TEXT""",
    ["cluster_id", "position"],
)
table(
    "cluster_trainings",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      held_on TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL,
      facilitator TEXT NOT NULL, members_female INTEGER NOT NULL,
      members_male INTEGER NOT NULL, others_female INTEGER NOT NULL,
      others_male INTEGER NOT NULL, partner_no INTEGER""",
    ["cluster_id", "position"],
)

Scheme = Literal[
    "vgd",
    "vgf",
    "old-age-allowance",
    "widow-allowance",
    "khas-land",
    "khas-pond",
    "shelter",
    "other",
]
IdentifiedBy = Literal["well-being-analysis", "transect-visit", "other"]
TrainingKind = Literal[
    "training", "community-event", "workshop", "exchange-visit", "vaccination-camp"
]
CommitmentText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]
#: The choices, for forms.
SCHEMES: tuple[str, ...] = get_args(Scheme)
IDENTIFIED_BY: tuple[str, ...] = get_args(IdentifiedBy)
TRAINING_KINDS: tuple[str, ...] = get_args(TrainingKind)
ATTENDANCE = ("members_female", "members_male", "others_female", "others_male")


# ---------------------------------------------------------------------- the MoU
class MouSigned(NoMoney, LedgerEvent):
    """A version of the cluster's memorandum of understanding was signed.

    ``parties``: ``{"party", "role", "signed_by"}`` (each group's chairperson, the programme,
    the partner NGO); ``commitments``: ``{"no", "party", "text"}``, numbered. A revision is a
    new version; earlier versions stay readable.
    """

    version: int
    parties: list[dict[str, str]]
    commitments: list[dict[str, Any]]

    def apply(self, cluster: Cluster) -> None:
        cluster.mou_version = self.version
        cluster.mou_commitments = [int(c["no"]) for c in self.commitments]

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_mous",
            cluster_id=self.originator_id.hex,
            version=self.version,
            position=self.position,
            signed_on=self.business_date.isoformat(),
            parties=json.dumps(list(self.parties), ensure_ascii=False),
            commitments=json.dumps(list(self.commitments), ensure_ascii=False),
        )

    def describe(self) -> Message:
        return ngettext_(
            "MoU version {version} signed: {n} commitment",
            "MoU version {version} signed: {n} commitments",
            len(self.commitments),
            version=self.version,
        )

    def result(self) -> Any:
        return self.version


class Party(Row):
    """One party to the MoU and who signed for it."""

    party: Text
    role: Text
    signed_by: Text


class Commitment(Row):
    """One numbered commitment of a party."""

    no: Number
    party: Text
    text: CommitmentText


class SignMou(ClusterCommand):
    """Sign (a new version of) the cluster's MoU."""

    command: Literal["sign_mou"] = "sign_mou"
    parties: Annotated[list[Party], Field(min_length=1)]
    commitments: Annotated[list[Commitment], Field(min_length=1)]

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        names = {p.party for p in self.parties}
        for i, c in enumerate(self.commitments):
            if c.party not in names:
                raise InvalidInput(
                    f"commitments[{i}].party", c.party, _("is not one of the parties")
                )
        numbers = [c.no for c in self.commitments]
        if numbers != list(range(1, len(numbers) + 1)):
            raise InvalidInput("commitments", numbers, _("number the commitments 1, 2, 3 ..."))
        version = cluster.mou_version + 1
        cluster.record(
            MouSigned,
            on,
            unit.stamp,
            version=version,
            parties=[p.model_dump() for p in self.parties],
            commitments=[c.model_dump() for c in self.commitments],
        )
        return version


# ---------------------------------------------------------------------- the register
class ExtremePoorListed(NoMoney, LedgerEvent):
    """A household entered the platform's register of the extreme poor (its entry number
    is the event's position).

    Version 2 added ``group`` and ``member_no``: the member of one of the cluster's groups
    the household is (none when no one of the household is a member); version 1 events are
    read with neither.
    """

    class_version = 2
    household: str
    head: str
    village: str
    reason: str
    identified_by: str
    group: str | None
    member_no: int | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["group"] = None
        state["member_no"] = None

    def apply(self, cluster: Cluster) -> None:
        cluster.register.append(self.position)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_extreme_poor",
            cluster_id=self.originator_id.hex,
            position=self.position,
            household=self.household,
            head=self.head,
            village=self.village,
            reason=self.reason,
            identified_by=self.identified_by,
            listed_on=self.business_date.isoformat(),
            group_code=self.group,
            member_no=self.member_no,
        )

    def result(self) -> Any:
        return self.position  # the register entry's number

    def describe(self) -> Message:
        return _(
            "Household {household} ({head}, {village}) listed as extreme poor: {reason}",
            household=self.household,
            head=self.head,
            village=self.village,
            reason=self.reason,
        )


class ListExtremePoor(ClusterCommand):
    """Enter a household in the platform's register of the extreme poor."""

    command: Literal["list_extreme_poor"] = "list_extreme_poor"
    household: Text
    head: Text
    village: Text
    reason: Text
    identified_by: IdentifiedBy
    group: Annotated[Code | None, Field(description="the member's group, if a member")] = None
    member: Annotated[MemberNo | None, Field(description="her number in that group")] = None

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        group = None
        if self.group is not None or self.member is not None:
            if self.group is None or self.member is None:
                field = "group" if self.group is None else "member"
                raise InvalidInput(field, None, _("give both the group and the member number"))
            group = cluster.member_group("group", self.group)
            unit.group(group, write=False).member("member", self.member, on)
        cluster.record(
            ExtremePoorListed,
            on,
            unit.stamp,
            household=self.household,
            head=self.head,
            village=self.village,
            reason=self.reason,
            identified_by=self.identified_by,
            group=group,
            member_no=self.member,
        )
        return cluster.version


# ---------------------------------------------------------------------- safety nets
class SafetyNetApplied(NoMoney, LedgerEvent):
    """The platform applied for a safety-net service for a registered household (the
    application's number is the event's position).

    Version 2 added ``partner_no`` (the office applied to, in the partner register),
    ``value`` (the benefit's worth, taka a year) and ``period_start`` / ``period_end`` (the
    period it is for); version 1 events are read with none of them.
    """

    class_version = 2
    household_entry: int
    scheme: str
    applied_to: str
    partner_no: int | None
    value: Decimal | None
    period_start: date | None
    period_end: date | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        for name in ("partner_no", "value", "period_start", "period_end"):
            state[name] = None

    def apply(self, cluster: Cluster) -> None:
        cluster.pending.append(self.position)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_safety_nets",
            cluster_id=self.originator_id.hex,
            position=self.position,
            entry=self.household_entry,
            scheme=self.scheme,
            applied_to=self.applied_to,
            applied_on=self.business_date.isoformat(),
            outcome=None,
            decided_on=None,
            value=None,
            note="",
            partner_no=self.partner_no,
            value_applied=None if self.value is None else paisa(Decimal(self.value)),
            period_start=self.period_start.isoformat() if self.period_start else None,
            period_end=self.period_end.isoformat() if self.period_end else None,
        )

    def result(self) -> Any:
        return self.position  # the application's number

    def describe(self) -> Message:
        return _(
            "Applied to {applied_to} for {scheme} for register entry {entry}",
            applied_to=self.applied_to,
            scheme=self.scheme,
            entry=self.household_entry,
        )


class ApplySafetyNet(ClusterCommand):
    """Apply for a safety-net service for a registered household."""

    command: Literal["apply_safety_net"] = "apply_safety_net"
    household_entry: Annotated[Number, Field(description="the register entry's position")]
    scheme: Scheme
    applied_to: OptionalText = ""
    partner: Annotated[Number | None, Field(description="the office, in the register")] = None
    value: Annotated[TakaOrZero | None, Field(description="the benefit, taka a year")] = None
    period_start: Date | None = None
    period_end: Date | None = None

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        applied_to = self.applied_to
        if self.partner is not None:
            name = partner(cluster, "partner", self.partner)
            applied_to = applied_to or name
        if not applied_to:
            raise InvalidInput("applied_to", "", _("name the office applied to, or its partner"))
        if (self.period_start is None) != (self.period_end is None):
            field = "period_end" if self.period_end is None else "period_start"
            raise InvalidInput(field, None, _("give the period's first and last day"))
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise InvalidInput(
                "period_end",
                self.period_end,
                _("is before the period's first day ({day})", day=self.period_start),
            )
        if self.household_entry not in cluster.register:
            raise RuleBroken(
                "household_entry",
                self.household_entry,
                _("is not an entry of the extreme-poor register"),
            )
        cluster.record(
            SafetyNetApplied,
            on,
            unit.stamp,
            household_entry=self.household_entry,
            scheme=self.scheme,
            applied_to=applied_to,
            partner_no=self.partner,
            value=self.value,
            period_start=self.period_start,
            period_end=self.period_end,
        )
        return cluster.version


class SafetyNetDecided(NoMoney, LedgerEvent):
    """An application was granted or refused (``value``: taka a year, when granted)."""

    application: int
    outcome: str
    value: Decimal | None
    note: str

    def apply(self, cluster: Cluster) -> None:
        cluster.pending.remove(self.application)

    def project(self, rows: Rows) -> None:
        value = None if self.value is None else paisa(Decimal(self.value))
        rows.update(
            "cluster_safety_nets",
            {"cluster_id": self.originator_id.hex, "position": self.application},
            outcome=self.outcome,
            decided_on=self.business_date.isoformat(),
            value=value,
            note=self.note,
        )

    def describe(self) -> Message:
        if self.outcome == "granted":
            return _(
                "Application {application} granted ({value} a year)",
                application=self.application,
                value=taka(Decimal(self.value or 0)),
            )
        return _("Application {application} refused", application=self.application)


class DecideSafetyNet(ClusterCommand):
    """Record the decision on an application (value: taka a year, when granted)."""

    command: Literal["decide_safety_net"] = "decide_safety_net"
    application: Number
    outcome: Literal["granted", "refused"]
    value: TakaOrZero | None = None
    note: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        if self.application not in cluster.pending:
            raise RuleBroken(
                "application", self.application, _("is not an application waiting for a decision")
            )
        if self.value is not None and self.outcome == "refused":
            raise InvalidInput(
                "value", self.value, _("a value is for a granted service, taka a year")
            )
        cluster.record(
            SafetyNetDecided,
            on,
            unit.stamp,
            application=self.application,
            outcome=self.outcome,
            value=self.value,
            note=self.note,
        )
        return cluster.version


# ---------------------------------------------------------------------- trainings
class TrainingHeld(NoMoney, LedgerEvent):
    """A training or community event, with attendance split by member/non-member and
    gender.

    Version 2 added ``partner_no``: the partner who gave it (a para-vet at a vaccination
    camp, a line agency's trainer); version 1 events are read without one.
    """

    class_version = 2
    partner_no: int | None
    title: str
    kind: str
    facilitator: str
    members_female: int
    members_male: int
    others_female: int
    others_male: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["partner_no"] = None

    def apply(self, cluster: Cluster) -> None:
        """A training changes nothing the platform's rules read."""

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_trainings",
            cluster_id=self.originator_id.hex,
            position=self.position,
            held_on=self.business_date.isoformat(),
            title=self.title,
            kind=self.kind,
            facilitator=self.facilitator,
            **{k: getattr(self, k) for k in ATTENDANCE},
            partner_no=self.partner_no,
        )

    def describe(self) -> Message:
        return _(
            "{title} ({kind}): {members} members and {others} others attended",
            title=self.title,
            kind=self.kind,
            members=self.members_female + self.members_male,
            others=self.others_female + self.others_male,
        )


class HoldTraining(ClusterCommand):
    """A training or community event with attendance by member/non-member and gender."""

    command: Literal["hold_training"] = "hold_training"
    title: Text
    kind: TrainingKind = "training"
    facilitator: OptionalText = ""
    partner: Annotated[Number | None, Field(description="who gave it, in the register")] = None
    members_female: Count = 0
    members_male: Count = 0
    others_female: Count = 0
    others_male: Count = 0

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        counts = {k: getattr(self, k) for k in ATTENDANCE}
        if not sum(counts.values()):
            raise InvalidInput("members_female", 0, _("nobody attended: count who came"))
        facilitator = self.facilitator
        if self.partner is not None:
            name = partner(cluster, "partner", self.partner)
            facilitator = facilitator or name
        cluster.record(
            TrainingHeld,
            on,
            unit.stamp,
            partner_no=self.partner,
            title=self.title,
            kind=self.kind,
            facilitator=facilitator,
            **counts,
        )
        return cluster.version


__all__ = [
    "IDENTIFIED_BY",
    "SCHEMES",
    "TRAINING_KINDS",
    "ApplySafetyNet",
    "Commitment",
    "DecideSafetyNet",
    "ExtremePoorListed",
    "HoldTraining",
    "ListExtremePoor",
    "MouSigned",
    "Party",
    "SafetyNetApplied",
    "SafetyNetDecided",
    "SignMou",
    "TrainingHeld",
]
