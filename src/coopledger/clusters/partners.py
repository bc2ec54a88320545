"""The platform's register of partners and service providers: the union council, banks and
credit organisations, line agencies, local service providers (a para-vet), NGOs, donors.

Event: ``PartnerRegistered`` (the partner's number is its place in the register: 1, 2,
3 ...). Command: ``register_partner``. Table: ``cluster_partners``. Other records refer to a
partner by that number (a bank loan's lender, a safety-net application's office, a
training's or vaccination camp's provider, an agreement's party); :func:`partner` refuses
a number the register does not have.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import Field

from coopledger.clusters.aggregate import Cluster
from coopledger.errors import RuleBroken
from coopledger.i18n import Message, _
from coopledger.kernel.commands import ClusterCommand, OptionalText, Text
from coopledger.kernel.events import LedgerEvent, NoMoney
from coopledger.kernel.projection import Rows, table
from coopledger.kernel.unit import Unit

table(
    "cluster_partners",
    """cluster_id TEXT NOT NULL, partner_no INTEGER NOT NULL,
      position INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
      contact TEXT NOT NULL, services TEXT NOT NULL, registered_on TEXT NOT NULL""",
    ["cluster_id", "partner_no"],
)

PartnerKind = Literal[
    "union-council", "bank", "line-agency", "service-provider", "ngo", "donor", "other"
]
#: The kinds of partner, for forms.
PARTNER_KINDS: tuple[str, ...] = get_args(PartnerKind)


class PartnerRegistered(NoMoney, LedgerEvent):
    """A partner or service provider entered the platform's register (``services``: what
    it offers the platform's members, in a few words each)."""

    partner_no: int
    kind: str
    name: str
    contact: str
    services: list[str]

    def apply(self, cluster: Cluster) -> None:
        cluster.partners[str(self.partner_no)] = {"kind": self.kind, "name": self.name}

    def project(self, rows: Rows) -> None:
        rows.insert(
            "cluster_partners",
            cluster_id=self.originator_id.hex,
            partner_no=self.partner_no,
            position=self.position,
            kind=self.kind,
            name=self.name,
            contact=self.contact,
            services=json.dumps(list(self.services), ensure_ascii=False),
            registered_on=self.business_date.isoformat(),
        )

    def describe(self) -> Message:
        return _(
            "Partner {no} registered: {name} ({kind})",
            no=self.partner_no,
            name=self.name,
            kind=self.kind,
        )

    def result(self) -> Any:
        return self.partner_no


class RegisterPartner(ClusterCommand):
    """Enter a partner or service provider in the platform's register."""

    command: Literal["register_partner"] = "register_partner"
    kind: PartnerKind
    name: Text
    contact: OptionalText = ""
    services: Annotated[list[Text], Field(max_length=20)] = []

    def handle(self, unit: Unit) -> Any:
        cluster = unit.cluster(self.cluster)
        on = cluster.check_date(self.date, unit.stamp.today)
        for no, known in cluster.partners.items():
            if known["name"].casefold() == self.name.casefold():
                raise RuleBroken(
                    "name", self.name, _("is already partner {no} of the register", no=no)
                )
        number = len(cluster.partners) + 1
        cluster.record(
            PartnerRegistered,
            on,
            unit.stamp,
            partner_no=number,
            kind=self.kind,
            name=self.name,
            contact=self.contact,
            services=list(self.services),
        )
        return number


def partner(cluster: Cluster, field: str, number: int, kinds: tuple[str, ...] = ()) -> str:
    """The name of partner ``number`` of the cluster's register, refusing a number it does
    not have (or a partner of another kind than ``kinds``, when given)."""
    found = cluster.partners.get(str(number))
    if found is None:
        raise RuleBroken(field, number, _("is not a partner in the platform's register"))
    if kinds and found["kind"] not in kinds:
        raise RuleBroken(
            field,
            number,
            _(
                "is {name}, a partner of kind {kind}, not {kinds}",
                name=found["name"],
                kind=found["kind"],
                kinds=", ".join(kinds),
            ),
        )
    return str(found["name"])


__all__ = ["PARTNER_KINDS", "PartnerRegistered", "RegisterPartner", "partner"]
