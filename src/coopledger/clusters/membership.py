"""A cluster forms; groups join and leave it; groups seat representatives on its platform.

Events in the cluster's stream: ``ClusterFormed``, ``GroupJoinedCluster``,
``GroupLeftCluster``, ``RepresentativeNamed``, ``RepresentativeSteppedDown``. Events in the
group's own stream, recorded in the same transaction: ``JoinedCluster``, ``LeftCluster``.
Commands: ``form_cluster``, ``join_cluster``, ``leave_cluster``, ``name_representative``,
``representative_steps_down``. Tables: ``clusters``, ``cluster_groups``,
``cluster_representatives``.

Rules that span two streams are decided on state the saving transaction protects: a group
is in one cluster at a time because joining writes to the group's own stream too (two joins
of one group at once collide on it); a representative is named from her group's records,
which the save checks nobody changed; and when a member leaves her group, her seat on the
platform ends in the same transaction, so she can no longer stand guarantor.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, ClassVar, Literal

from eventsourcing.domain import Aggregate
from pydantic import Field

from coopledger.clusters.aggregate import MAX_REPRESENTATIVES, Cluster
from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.groups.members import WHEN_A_MEMBER_LEAVES
from coopledger.i18n import Message, _
from coopledger.kernel.commands import (
    ClusterCommand,
    Code,
    Count,
    MemberNo,
    NewCode,
    OptionalText,
    Text,
)
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.streams import cluster_key, stream_id
from coopledger.kernel.unit import Unit

table(
    "clusters",
    """cluster_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
      division TEXT NOT NULL, district TEXT NOT NULL, upazila TEXT NOT NULL,
      union_name TEXT NOT NULL, ward TEXT NOT NULL, villages TEXT NOT NULL,
      households INTEGER NOT NULL, partner TEXT NOT NULL, formed_on TEXT NOT NULL""",
    ["cluster_id"],
    "(code)",
)
table(
    "cluster_groups",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      group_code TEXT NOT NULL, joined_on TEXT NOT NULL, left_on TEXT""",
    ["cluster_id", "position"],
    "(group_code)",
)
table(
    "cluster_representatives",
    """cluster_id TEXT NOT NULL, position INTEGER NOT NULL,
      group_code TEXT NOT NULL, member_no INTEGER NOT NULL, name TEXT NOT NULL,
      gender TEXT NOT NULL, wellbeing TEXT NOT NULL, since TEXT NOT NULL, until TEXT""",
    ["cluster_id", "position"],
)


# ---------------------------------------------------------------------- a cluster forms
class ClusterFormed(NoMoney, LedgerEvent, Aggregate.Created):
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

    def apply(self, cluster: Cluster) -> None:
        cluster.code, cluster.name, cluster.formed_on = self.code, self.name, self.business_date
        cluster.groups = {}
        cluster.representatives = {}
        cluster.rotation = {}
        cluster.mou_version = 0
        cluster.mou_commitments = []
        cluster.register = []
        cluster.pending = []
        cluster.bank_loans = {}
        cluster.balances = {}
        cluster.plans = {}
        cluster.reviewed = []
        cluster.partners = {}
        cluster.agreements = {}

    def project(self, rows: Rows) -> None:
        rows.stream_started(self, "cluster", self.code)
        rows.insert(
            "clusters",
            cluster_id=self.originator_id.hex,
            code=self.code,
            name=self.name,
            division=self.division,
            district=self.district,
            upazila=self.upazila,
            union_name=self.union,
            ward=self.ward,
            villages=json.dumps(list(self.villages), ensure_ascii=False),
            households=self.households,
            partner=self.partner,
            formed_on=self.business_date.isoformat(),
        )

    def describe(self) -> Message:
        return _(
            "Cluster {name} ({code}) formed in ward {ward}",
            name=self.name,
            code=self.code,
            ward=self.ward,
        )

    def result(self) -> Any:
        return self.code


class FormCluster(ClusterCommand):
    """Form a cluster of neighbouring groups within one ward (its code names it for ever)."""

    command: Literal["form_cluster"] = "form_cluster"
    endpoint: ClassVar[str] = ""
    cluster: NewCode
    name: Text
    division: OptionalText = ""
    district: Text
    upazila: Text
    union: OptionalText = ""
    ward: OptionalText = ""
    villages: list[Text] = Field(min_length=1)
    households: Count = Field(description="households the cluster covers")
    partner: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        if unit.exists(cluster_key(self.cluster)):
            raise InvalidInput("cluster", self.cluster, _("a cluster with this code exists"))
        if self.date > unit.stamp.today:
            raise InvalidInput(
                "date", self.date, _("is in the future (today is {day})", day=unit.stamp.today)
            )
        content = self.model_dump(exclude={"command", "date", "key", "recorded_by", "cluster"})
        cluster = Cluster.start(
            ClusterFormed,
            stream_id(cluster_key(self.cluster)),
            self.date,
            unit.stamp,
            {"code": self.cluster, **content},
        )
        unit.start(cluster)
        return self.cluster


# ---------------------------------------------------------------------- groups join
class GroupJoinedCluster(NoMoney, LedgerEvent):
    """A group joined the cluster (its representatives sit on the platform)."""

    group: str

    def apply(self, cluster: Cluster) -> None:
        cluster.groups[self.group] = self.business_date

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_groups",
            cluster_id=self.originator_id.hex,
            position=self.position,
            group_code=self.group,
            joined_on=self.business_date.isoformat(),
            left_on=None,
        )

    def describe(self) -> Message:
        return _("Group {group} joined the cluster", group=self.group)


class GroupLeftCluster(NoMoney, LedgerEvent):
    """A group left the cluster (its representatives leave the platform with it)."""

    group: str
    reason: str

    def apply(self, cluster: Cluster) -> None:
        del cluster.groups[self.group]
        cluster.representatives.pop(self.group, None)

    def project(self, rows: Rows) -> None:
        cid, day = self.originator_id.hex, self.business_date.isoformat()
        rows.execute(
            "UPDATE {cluster_groups} SET left_on = ? WHERE cluster_id = ? AND "
            "group_code = ? AND left_on IS NULL",
            day,
            cid,
            self.group,
        )
        rows.execute(
            "UPDATE {cluster_representatives} SET until = ? WHERE cluster_id = ? AND "
            "group_code = ? AND until IS NULL",
            day,
            cid,
            self.group,
        )

    def describe(self) -> Message:
        return _("Group {group} left the cluster: {reason}", group=self.group, reason=self.reason)


class JoinedCluster(NoMoney, LedgerEvent):
    """(In the group's stream) the group joined a cluster."""

    cluster: str

    def apply(self, group: Group) -> None:
        group.cluster = self.cluster

    def project(self, rows: Rows) -> None:
        """The cluster's own event writes the membership rows."""

    def describe(self) -> Message:
        return _("Joined cluster {cluster}", cluster=self.cluster)


class LeftCluster(NoMoney, LedgerEvent):
    """(In the group's stream) the group left its cluster."""

    cluster: str

    def apply(self, group: Group) -> None:
        group.cluster = None

    def project(self, rows: Rows) -> None:
        """The cluster's own event writes the membership rows."""

    def describe(self) -> Message:
        return _("Left cluster {cluster}", cluster=self.cluster)


def cluster_of(unit: Unit, group: Group) -> str | None:
    """The cluster a group is in now: from its own stream; for a group that joined before
    release 0.2 (when only the cluster's stream recorded it), from the membership table,
    confirmed by that cluster's stream (read, so the save checks it)."""
    if group.cluster is not None:
        return str(group.cluster)
    if unit.base.get(group.id) == 0:
        return None  # formed in this very batch: not in the tables yet, nor in a cluster
    code = unit.extra["reports"].clusters.cluster_of(group.code)
    if code is None:
        return None
    cluster = unit.cluster(code, write=False)
    return str(code) if group.code in cluster.groups else None


class JoinCluster(ClusterCommand):
    """A group joins the cluster (it belongs to one cluster at a time)."""

    command: Literal["join_cluster"] = "join_cluster"
    group: Code

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        group = unit.group(self.group)
        elsewhere = cluster_of(unit, group)
        if elsewhere == cluster.code:
            raise RuleBroken(
                "group", group.code, _("is already in cluster {cluster}", cluster=cluster.code)
            )
        if elsewhere is not None:
            raise RuleBroken(
                "group",
                group.code,
                _(
                    "already belongs to cluster {cluster}; it leaves that one first",
                    cluster=elsewhere,
                ),
            )
        if on < group.formed_on:
            raise InvalidInput(
                "date",
                on,
                _(
                    "is before group {group} was formed ({day})",
                    group=group.code,
                    day=group.formed_on,
                ),
            )
        cluster.record(GroupJoinedCluster, on, unit.stamp, group=group.code)
        group.record(JoinedCluster, on, unit.stamp, cluster=cluster.code)
        return cluster.version


class LeaveCluster(ClusterCommand):
    """A group leaves the cluster (its representatives' seats end)."""

    command: Literal["leave_cluster"] = "leave_cluster"
    group: Code
    reason: Text

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        if self.group not in cluster.groups:
            raise RuleBroken(
                "group", self.group, _("is not in cluster {cluster}", cluster=cluster.code)
            )
        if on < cluster.groups[self.group]:
            raise InvalidInput(
                "date",
                on,
                _(
                    "is before {group} joined ({day})",
                    group=self.group,
                    day=cluster.groups[self.group],
                ),
            )
        group = unit.group(self.group)
        cluster.record(GroupLeftCluster, on, unit.stamp, group=self.group, reason=self.reason)
        group.record(LeftCluster, on, unit.stamp, cluster=cluster.code)
        return cluster.version


# ---------------------------------------------------------------------- representatives
class RepresentativeNamed(NoMoney, LedgerEvent):
    """A group named one of its members to the cluster platform (gender and well-being as
    her group's records had them that day)."""

    group: str
    member_no: int
    name: str
    gender: str
    wellbeing: str

    def apply(self, cluster: Cluster) -> None:
        cluster.representatives.setdefault(self.group, []).append(self.member_no)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_representatives",
            cluster_id=self.originator_id.hex,
            position=self.position,
            group_code=self.group,
            member_no=self.member_no,
            name=self.name,
            gender=self.gender,
            wellbeing=self.wellbeing,
            since=self.business_date.isoformat(),
            until=None,
        )

    def describe(self) -> Message:
        return _(
            "{name} ({group}, member {no}) named to the platform",
            name=self.name,
            group=self.group,
            no=self.member_no,
        )


class RepresentativeSteppedDown(NoMoney, LedgerEvent):
    """A representative left the platform."""

    group: str
    member_no: int
    reason: str

    def apply(self, cluster: Cluster) -> None:
        cluster.representatives[self.group].remove(self.member_no)

    def project(self, rows: Rows) -> None:
        rows.execute(
            "UPDATE {cluster_representatives} SET until = ? WHERE cluster_id = ? AND "
            "group_code = ? AND member_no = ? AND until IS NULL",
            self.business_date.isoformat(),
            self.originator_id.hex,
            self.group,
            self.member_no,
        )

    def describe(self) -> Message:
        return _(
            "Representative {group}/{no} stepped down: {reason}",
            group=self.group,
            no=self.member_no,
            reason=self.reason,
        )


class NameRepresentative(ClusterCommand):
    """A member group seats one of its members on the platform (two or three a group)."""

    command: Literal["name_representative"] = "name_representative"
    group: Code
    member: MemberNo

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        code = cluster.member_group("group", self.group)
        group = unit.group(code, write=False)
        member = group.member("member", self.member, on)
        seated = cluster.representatives.get(code, [])
        if self.member in seated:
            raise RuleBroken("member", self.member, _("already represents her group"))
        if len(seated) >= MAX_REPRESENTATIVES:
            raise RuleBroken(
                "member",
                self.member,
                _(
                    "group {group} already has {n} representatives",
                    group=code,
                    n=MAX_REPRESENTATIVES,
                ),
            )
        cluster.record(
            RepresentativeNamed,
            on,
            unit.stamp,
            group=code,
            member_no=self.member,
            name=member["name"],
            gender=member["gender"],
            wellbeing=member["wellbeing"],
        )
        return cluster.version


class RepresentativeStepsDown(ClusterCommand):
    """A representative leaves the platform."""

    command: Literal["representative_steps_down"] = "representative_steps_down"
    group: Code
    member: MemberNo
    reason: Text

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        code = cluster.member_group("group", self.group)
        if not cluster.is_representative(code, self.member):
            raise RuleBroken(
                "member", self.member, _("is not a representative of {group}", group=code)
            )
        cluster.record(
            RepresentativeSteppedDown,
            on,
            unit.stamp,
            group=code,
            member_no=self.member,
            reason=self.reason,
        )
        return cluster.version


def _seat_ends(unit: Unit, group: Group, member_no: int, on: date) -> None:
    """A member who leaves her group leaves its platform seat the same day."""
    code = cluster_of(unit, group)
    if code is None:
        return
    cluster = unit.cluster(code, write=False)
    if not cluster.is_representative(group.code, member_no):
        return
    cluster = unit.cluster(code)  # now written
    cluster.record(
        RepresentativeSteppedDown,
        on,
        unit.stamp,
        group=group.code,
        member_no=member_no,
        reason="left her group",
    )


WHEN_A_MEMBER_LEAVES.append(_seat_ends)
