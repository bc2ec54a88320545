"""A group forms, members join and leave, members take and give up roles.

Events: ``GroupFormed``, ``MemberJoined``, ``MemberLeft``, ``RoleAssigned``, ``RoleEnded``.
Commands: ``form_group``, ``join_member``, ``leave_member``, ``assign_role``, ``end_role``.
Tables: ``groups`` (the directory), ``members``, ``roles``.

When a member leaves, whatever else she held ends with her in the same transaction: other
capabilities register what must happen in :data:`WHEN_A_MEMBER_LEAVES` (a cluster platform
ends her seat, so she can no longer stand guarantor).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, Literal

from eventsourcing.domain import Aggregate

from coopledger.errors import InvalidInput, RuleBroken
from coopledger.groups.aggregate import Group
from coopledger.i18n import Message, _
from coopledger.kernel.commands import (
    GroupCommand,
    MemberNo,
    NewCode,
    OptionalText,
    Text,
)
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.streams import group_id
from coopledger.kernel.unit import Unit

table(
    "groups",
    """group_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
      kind TEXT NOT NULL, meeting_day TEXT NOT NULL, division TEXT NOT NULL,
      district TEXT NOT NULL, upazila TEXT NOT NULL, union_name TEXT NOT NULL,
      ward TEXT NOT NULL, village TEXT NOT NULL, partner TEXT NOT NULL, animator TEXT NOT NULL,
      formed_on TEXT NOT NULL""",
    ["group_id"],
    "(code)",
)
table(
    "members",
    """group_id TEXT NOT NULL, member_no INTEGER NOT NULL, name TEXT NOT NULL,
      household TEXT NOT NULL, gender TEXT NOT NULL, community TEXT NOT NULL,
      landless INTEGER NOT NULL, wellbeing TEXT NOT NULL, joined_on TEXT NOT NULL,
      left_on TEXT""",
    ["group_id", "member_no"],
)
table(
    "roles",
    """group_id TEXT NOT NULL, position INTEGER NOT NULL, member_no INTEGER NOT NULL,
      role TEXT NOT NULL, since TEXT NOT NULL, until TEXT""",
    ["group_id", "position"],
)

#: What else must happen, in the same transaction, when a member leaves:
#: ``f(unit, group, member_no, on)``.
WHEN_A_MEMBER_LEAVES: list[Callable[[Unit, Group, int, date], None]] = []

Kind = Literal["women", "men", "mixed"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Gender = Literal["female", "male", "other"]
Wellbeing = Literal["extreme-poor", "poor", "middle", "better-off"]
Role = Literal["leader", "cashier", "secretary", "cluster-representative", "female-mentor"]


# ---------------------------------------------------------------------- a group forms
class GroupFormed(NoMoney, LedgerEvent, Aggregate.Created):
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

    def apply(self, group: Group) -> None:
        group.code, group.name, group.kind = self.code, self.name, self.kind
        group.meeting_day, group.formed_on = self.meeting_day, self.business_date
        group.profile = {
            k: getattr(self, k)
            for k in (
                "division",
                "district",
                "upazila",
                "union",
                "ward",
                "village",
                "partner",
                "animator",
            )
        }
        group.members = {}
        group.balances = {}
        group.corrected = {}
        group.meetings = {}
        group.loans = {}
        group.loan_rules = None
        group.plans = {}
        group.reviewed = []
        group.held = None
        group.cluster = None

    def project(self, rows: Rows) -> None:
        rows.stream_started(self, "group", self.code)
        rows.insert(
            "groups",
            group_id=self.originator_id.hex,
            code=self.code,
            name=self.name,
            kind=self.kind,
            meeting_day=self.meeting_day,
            division=self.division,
            district=self.district,
            upazila=self.upazila,
            union_name=self.union,
            ward=self.ward,
            village=self.village,
            partner=self.partner,
            animator=self.animator,
            formed_on=self.business_date.isoformat(),
        )

    def describe(self) -> Message:
        return _(
            "Group {name} ({code}) formed in {village}",
            name=self.name,
            code=self.code,
            village=self.village,
        )

    def result(self) -> Any:
        return self.code


class FormGroup(GroupCommand):
    """Form a new group (its code names it for ever)."""

    command: Literal["form_group"] = "form_group"
    endpoint: ClassVar[str] = ""
    group: NewCode
    name: Text
    kind: Kind
    meeting_day: Weekday
    division: OptionalText = ""
    district: Text
    upazila: Text
    union: OptionalText = ""
    ward: OptionalText = ""
    village: Text
    partner: OptionalText = ""
    animator: OptionalText = ""

    def handle(self, unit: Unit) -> Any:
        if unit.exists(self.group):
            raise InvalidInput("group", self.group, _("a group with this code exists"))
        if self.date > unit.stamp.today:
            raise InvalidInput(
                "date", self.date, _("is in the future (today is {day})", day=unit.stamp.today)
            )
        content = self.model_dump(exclude={"command", "date", "key", "recorded_by", "group"})
        group = Group.start(
            GroupFormed,
            group_id(self.group),
            self.date,
            unit.stamp,
            {"code": self.group, **content},
        )
        unit.start(group)
        return self.group


# ---------------------------------------------------------------------- members
class MemberJoined(NoMoney, LedgerEvent):
    """A person from one household joined the group and got the next member number."""

    member_no: int
    name: str
    household: str
    gender: str
    community: str
    landless: bool
    wellbeing: str

    def apply(self, group: Group) -> None:
        group.members[str(self.member_no)] = {
            "name": self.name,
            "household": self.household,
            "gender": self.gender,
            "community": self.community,
            "landless": self.landless,
            "wellbeing": self.wellbeing,
            "joined_on": self.business_date,
            "left_on": None,
            "roles": [],
        }

    def project(self, rows: Rows) -> None:
        rows.insert(
            "members",
            group_id=self.originator_id.hex,
            member_no=self.member_no,
            name=self.name,
            household=self.household,
            gender=self.gender,
            community=self.community,
            landless=int(self.landless),
            wellbeing=self.wellbeing,
            joined_on=self.business_date.isoformat(),
            left_on=None,
        )

    def describe(self) -> Message:
        return _("{name} joined as member {no}", name=self.name, no=self.member_no)

    def result(self) -> Any:
        return self.member_no


class JoinMember(GroupCommand):
    """Enrol a member; her number is the next free one."""

    command: Literal["join_member"] = "join_member"
    name: Text
    household: Text
    gender: Gender
    community: OptionalText = ""
    landless: bool
    wellbeing: Wellbeing

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        number = len(group.members) + 1
        group.record(
            MemberJoined,
            on,
            unit.stamp,
            member_no=number,
            name=self.name,
            household=self.household,
            gender=self.gender,
            community=self.community,
            landless=self.landless,
            wellbeing=self.wellbeing,
        )
        return number


class MemberLeft(NoMoney, LedgerEvent):
    """A member left the group (her roles in the group end with her)."""

    member_no: int
    reason: str

    def apply(self, group: Group) -> None:
        m = group.members[str(self.member_no)]
        m["left_on"], m["roles"] = self.business_date, []

    def project(self, rows: Rows) -> None:
        gid, day = self.originator_id.hex, self.business_date.isoformat()
        rows.update("members", {"group_id": gid, "member_no": self.member_no}, left_on=day)
        rows.execute(
            "UPDATE {roles} SET until = ? WHERE group_id = ? AND member_no = ? AND until IS NULL",
            day,
            gid,
            self.member_no,
        )

    def describe(self) -> Message:
        return _("Member {no} left the group: {reason}", no=self.member_no, reason=self.reason)


class LeaveMember(GroupCommand):
    """A member leaves; her roles end, and so does her seat on a cluster platform."""

    command: Literal["leave_member"] = "leave_member"
    member: MemberNo
    reason: Text

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        group.member("member", self.member, on)
        group.record(MemberLeft, on, unit.stamp, member_no=self.member, reason=self.reason)
        for consequence in WHEN_A_MEMBER_LEAVES:
            consequence(unit, group, self.member, on)
        return None


# ---------------------------------------------------------------------- roles
class RoleAssigned(NoMoney, LedgerEvent):
    """A member took a role (leader, cashier, cluster representative, ...)."""

    member_no: int
    role: str

    def apply(self, group: Group) -> None:
        group.members[str(self.member_no)]["roles"].append(self.role)

    def project(self, rows: Rows) -> None:
        rows.insert(
            "roles",
            group_id=self.originator_id.hex,
            position=self.position,
            member_no=self.member_no,
            role=self.role,
            since=self.business_date.isoformat(),
            until=None,
        )

    def describe(self) -> Message:
        return _("Member {no} became {role}", no=self.member_no, role=role_name(self.role))


class RoleEnded(NoMoney, LedgerEvent):
    """A member's role ended."""

    member_no: int
    role: str

    def apply(self, group: Group) -> None:
        group.members[str(self.member_no)]["roles"].remove(self.role)

    def project(self, rows: Rows) -> None:
        rows.execute(
            "UPDATE {roles} SET until = ? WHERE group_id = ? AND member_no = ? AND "
            "role = ? AND until IS NULL",
            self.business_date.isoformat(),
            self.originator_id.hex,
            self.member_no,
            self.role,
        )

    def describe(self) -> Message:
        return _("Member {no} is no longer {role}", no=self.member_no, role=role_name(self.role))


class AssignRole(GroupCommand):
    """A member takes a role."""

    command: Literal["assign_role"] = "assign_role"
    member: MemberNo
    role: Role

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        m = group.member("member", self.member, on)
        if self.role in m["roles"]:
            raise RuleBroken(
                "role",
                self.role,
                _("{name} is already {role}", name=m["name"], role=role_name(self.role)),
            )
        group.record(RoleAssigned, on, unit.stamp, member_no=self.member, role=self.role)
        return None


class EndRole(GroupCommand):
    """A member gives up a role."""

    command: Literal["end_role"] = "end_role"
    member: MemberNo
    role: Role

    def handle(self, unit: Unit) -> Any:
        group = unit.group(self.group)
        on = group.check_date(self.date, unit.stamp.today)
        m = group.member("member", self.member, on)
        if self.role not in m["roles"]:
            raise RuleBroken(
                "role",
                self.role,
                _("{name} is not {role}", name=m["name"], role=role_name(self.role)),
            )
        group.record(RoleEnded, on, unit.stamp, member_no=self.member, role=self.role)
        return None


_ROLE_NAMES = {
    "leader": _("leader"),
    "cashier": _("cashier"),
    "secretary": _("secretary"),
    "cluster-representative": _("cluster representative"),
    "female-mentor": _("female mentor"),
}


def role_name(role: str) -> Message | str:
    """A role in words."""
    return _ROLE_NAMES.get(role, role)


__all__ = [
    "WHEN_A_MEMBER_LEAVES",
    "AssignRole",
    "EndRole",
    "FormGroup",
    "GroupFormed",
    "JoinMember",
    "LeaveMember",
    "MemberJoined",
    "MemberLeft",
    "RoleAssigned",
    "RoleEnded",
    "role_name",
]
