"""Clusters and their platforms: groups joining and leaving, representatives, the rotation,
meetings, the MoU, the extreme-poor register, safety nets, trainings, bank loans the
platform guarantees, plans and joint reviews, the programme's figures."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopledger import (
    InvalidInput,
    Ledger,
    LedgerError,
    RuleBroken,
    UnknownCluster,
    UnknownGroup,
    parse_command,
)
from coopledger import commands as cmd
from coopledger.clusters.platform import fair_rotation
from coopledger.kernel.integrity import StoredRow, seal, walk
from coopledger.kernel.projection import TABLES
from coopledger.kernel.streams import stream_id
from coopledger.testing import D1, D2, D3, FORMED, seed_group

# ---------------------------------------------------------------------- helpers
# coopledger.testing's assert_refused and the auditor's tools (coopledger.audit) still
# speak the old core's API; these small stand-ins do the same on the new one.


def everything(ledger: Ledger, stream: str) -> tuple[int, dict[str, Any]]:
    """The stream's version and every projection row: to prove nothing was written."""
    return ledger.load(stream).version, {n: ledger.projector.dump(n) for n in TABLES}


def assert_refused(
    ledger: Ledger, stream: str, action: Callable[[], Any], error: type[LedgerError], field: str
) -> LedgerError:
    """``action`` is refused with ``error`` naming ``field``, and nothing is written."""
    before = everything(ledger, stream)
    with pytest.raises(error) as info:
        action()
    assert info.value.field == field, info.value
    assert str(info.value)
    assert everything(ledger, stream) == before
    return info.value


def chain_head(ledger: Ledger, stream: str) -> str:
    """Re-walk a stream's hash chain from the stored rows; its head, if every link holds."""
    table = ledger.db.table(ledger.events_table)
    sid = stream_id(stream)
    nid = "rowid" if ledger.db.dialect == "sqlite" else "notification_id"
    rows = ledger.db.query(
        f"SELECT {nid} AS nid, originator_version AS position, topic, state FROM {table} "
        "WHERE originator_id = ? ORDER BY originator_version",
        (sid.hex if ledger.db.dialect == "sqlite" else sid,),
    )
    mapper = ledger.app.mapper
    stored = [
        StoredRow(
            int(r["nid"]),
            int(r["position"]),
            str(r["topic"]),
            mapper.transcoder.decode(bytes(r["state"])),
        )
        for r in rows
    ]
    check = walk(UUID(str(sid)).hex, stored)
    assert check.ok, check.finding
    return check.head


def rebuild_matches(ledger: Ledger) -> bool:
    """A rebuild of every projection from the first event gives the live tables back."""
    live = {n: ledger.projector.dump(n) for n in TABLES}
    ledger.rebuild_projections()
    return live == {n: ledger.projector.dump(n) for n in TABLES}


def cluster(ledger: Ledger) -> None:
    seed_group(ledger, "JOBA")
    seed_group(ledger, "DOEL")
    seed_group(ledger, "SHAPLA")
    ledger.form_cluster(
        "RAJAGAON",
        name="Rajagaon cluster",
        district="Thakurgaon",
        upazila="Thakurgaon Sadar",
        ward="4",
        villages=["Rajagaon", "Dholarhat"],
        households=210,
        partner="SERP",
        date=D1,
        key="cl-1",
    )
    ledger.join_cluster("RAJAGAON", group="joba", date=D1)
    ledger.join_cluster("RAJAGAON", group="DOEL", date=D2)


def platform(ledger: Ledger) -> None:
    cluster(ledger)
    ledger.name_representative("RAJAGAON", group="JOBA", member=1, date=D2)
    ledger.name_representative("RAJAGAON", group="JOBA", member=2, date=D2)
    ledger.name_representative("RAJAGAON", group="DOEL", member=3, date=D2)


KEY = "cluster:RAJAGAON"


# ---------------------------------------------------------------------- membership
def test_groups_join_a_cluster_and_the_groups_list_filters_by_it(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    (row,) = any_ledger.reports.clusters.clusters()
    assert row.groups == ["JOBA", "DOEL"]
    assert row.villages == ["Rajagaon", "Dholarhat"]
    assert row.households == 210
    directory = any_ledger.reports.groups.directory
    assert [g.code for g in directory(cluster="rajagaon")] == ["DOEL", "JOBA"]
    assert {g.code: g.cluster for g in directory()} == {
        "JOBA": "RAJAGAON",
        "DOEL": "RAJAGAON",
        "SHAPLA": "",
    }
    assert any_ledger.reports.clusters.clusters(as_of=D1)[0].groups == ["JOBA"]


def test_a_group_leaves_and_may_then_join_another(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    any_ledger.form_cluster(
        "GAINPARA",
        name="Gainpara",
        district="Rajshahi",
        upazila="Puthia",
        villages=["Gainpara"],
        households=150,
        date=D1,
    )
    assert_refused(
        any_ledger,
        "cluster:GAINPARA",
        lambda: any_ledger.join_cluster("GAINPARA", group="JOBA", date=D3),
        RuleBroken,
        "group",
    )
    any_ledger.leave_cluster("RAJAGAON", group="JOBA", reason="moved ward", date=D3)
    any_ledger.join_cluster("GAINPARA", group="JOBA", date=D3)
    assert any_ledger.reports.clusters.cluster_of("JOBA") == "GAINPARA"
    assert any_ledger.reports.clusters.clusters(as_of=D2)[1].groups == ["JOBA", "DOEL"]


def test_bad_cluster_input_is_refused_and_writes_nothing(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    join, leave = any_ledger.join_cluster, any_ledger.leave_cluster
    assert_refused(
        any_ledger, KEY, lambda: join("RAJAGAON", group="NOPE", date=D3), UnknownGroup, "group"
    )
    assert_refused(
        any_ledger, KEY, lambda: join("RAJAGAON", group="JOBA", date=D3), RuleBroken, "group"
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: join("RAJAGAON", group="SHAPLA", date=date(2015, 11, 1)),
        InvalidInput,
        "date",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: leave("RAJAGAON", group="SHAPLA", reason="x", date=D3),
        RuleBroken,
        "group",
    )
    with pytest.raises(UnknownCluster):
        join("NOWHERE", group="JOBA", date=D3)
    with pytest.raises(InvalidInput):
        any_ledger.form_cluster(
            "RAJAGAON",
            name="again",
            district="d",
            upazila="u",
            villages=["v"],
            households=1,
            date=FORMED,
        )
    with pytest.raises(InvalidInput) as info:
        any_ledger.form_cluster(
            "EMPTY", name="x", district="d", upazila="u", villages=[], households=1, date=FORMED
        )
    assert info.value.field == "villages"


def test_cluster_streams_are_chained_and_rebuilt_alike(any_ledger: Ledger) -> None:
    platform(any_ledger)
    any_ledger.plan_rotation("RAJAGAON", start="2015-12", months=3, date=D3)
    head = chain_head(any_ledger, KEY)
    assert head == any_ledger.load_cluster("RAJAGAON").chain_head
    assert chain_head(any_ledger, "JOBA") == any_ledger.load("JOBA").chain_head
    assert rebuild_matches(any_ledger)


def test_cluster_commands_are_idempotent(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    again = any_ledger.form_cluster(
        "RAJAGAON",
        name="Rajagaon cluster",
        district="Thakurgaon",
        upazila="Thakurgaon Sadar",
        ward="4",
        villages=["Rajagaon", "Dholarhat"],
        households=210,
        partner="SERP",
        date=D1,
        key="cl-1",
    )
    assert again.replayed


def test_clusters_from_the_lines_of_an_import_file(any_ledger: Ledger) -> None:
    # The CLI's import still speaks the old core: this reads the same lines as it would,
    # each through the command registry, and records them in one batch.
    lines = [
        {
            "command": "form_group",
            "group": "DOEL",
            "date": "2016-01-01",
            "key": "g",
            "name": "Doel",
            "kind": "women",
            "meeting_day": "friday",
            "district": "Dinajpur",
            "upazila": "Chirirbandar",
            "village": "Surail",
        },
        {
            "command": "form_cluster",
            "cluster": "SURAIL",
            "date": "2016-01-02",
            "key": "c",
            "name": "Surail cluster",
            "district": "Dinajpur",
            "upazila": "Chirirbandar",
            "villages": ["Surail"],
            "households": 150,
        },
        {
            "command": "join_cluster",
            "cluster": "SURAIL",
            "date": "2016-01-03",
            "key": "j",
            "group": "DOEL",
        },
    ]
    any_ledger.execute_all([parse_command(line) for line in lines])
    assert any_ledger.reports.clusters.clusters()[0].groups == ["DOEL"]
    assert [g.code for g in any_ledger.reports.groups.directory(cluster="surail")] == ["DOEL"]


# ---------------------------------------------------------------------- the platform
@given(
    st.lists(st.sampled_from(["A", "B", "C", "D", "E"]), min_size=1, max_size=5, unique=True),
    st.integers(min_value=1, max_value=36),
)
def test_no_group_chairs_or_hosts_more_than_once_more_than_another(
    groups: list[str], months: int
) -> None:
    slots = fair_rotation(groups, "2016-11", months)
    assert [s["month"] for s in slots][:3] == ["2016-11", "2016-12", "2017-01"][:months]
    for role in ("chair", "host"):
        counts = Counter(s[role] for s in slots)
        every = [counts.get(g, 0) for g in groups]
        assert max(every) - min(every) <= 1
    if len(groups) > 1:
        assert all(s["chair"] != s["host"] for s in slots)


def test_representatives_rotation_and_monthly_meetings(any_ledger: Ledger) -> None:
    platform(any_ledger)
    any_ledger.plan_rotation("RAJAGAON", start="2015-12", months=6, date=D3)
    any_ledger.record_platform_meeting(
        "RAJAGAON",
        date=date(2015, 12, 10),
        attendance=[{"group": "JOBA", "member": 1}, {"group": "DOEL", "member": 3}],
        decisions=["ask the union chairman for VGD cards", "bamboo training in January"],
    )
    p = any_ledger.reports.clusters.platform("RAJAGAON")
    assert [(r.group_code, r.member_no) for r in p.representatives] == [
        ("DOEL", 3),
        ("JOBA", 1),
        ("JOBA", 2),
    ]
    assert p.representatives_by_gender == {"female": 3}
    assert p.representatives_by_wellbeing == {"poor": 3}
    assert [(r.month, r.chair, r.host) for r in p.rotation][:2] == [
        ("2015-12", "JOBA", "DOEL"),
        ("2016-01", "DOEL", "JOBA"),
    ]
    (meeting,) = p.meetings
    assert (meeting.chair, meeting.host, meeting.attended) == ("JOBA", "DOEL", 2)
    assert meeting.decisions[0] == "ask the union chairman for VGD cards"
    assert [str(s) for s in meeting.attendance] == ["JOBA/1", "DOEL/3"]
    any_ledger.representative_steps_down(
        "RAJAGAON", group="JOBA", member=2, reason="moved away", date=D3
    )
    assert len(any_ledger.reports.clusters.platform("RAJAGAON").representatives) == 2
    assert len(any_ledger.reports.clusters.platform("RAJAGAON", as_of=D2).representatives) == 3
    assert p.as_dict()["representatives"][0]["group_code"] == "DOEL"
    assert chain_head(any_ledger, KEY) == any_ledger.load_cluster("RAJAGAON").chain_head
    assert rebuild_matches(any_ledger)


def test_the_platform_as_of_a_past_day_keeps_the_rotation_planned_then(
    any_ledger: Ledger,
) -> None:
    platform(any_ledger)
    any_ledger.plan_rotation("RAJAGAON", start="2015-12", months=4, date=D3)
    before = any_ledger.reports.clusters.platform("RAJAGAON", as_of=D3)
    assert [(r.month, r.chair) for r in before.rotation] == [
        ("2015-12", "JOBA"),
        ("2016-01", "DOEL"),
        ("2016-02", "JOBA"),
        ("2016-03", "DOEL"),
    ]
    # A month later the platform plans again from February, DOEL chairing first.
    any_ledger.leave_cluster("RAJAGAON", group="JOBA", reason="moved ward", date=date(2015, 12, 20))
    any_ledger.plan_rotation("RAJAGAON", start="2016-02", months=3, date=date(2015, 12, 20))
    assert any_ledger.reports.clusters.platform("RAJAGAON", as_of=D3) == before
    now = any_ledger.reports.clusters.platform("RAJAGAON")
    assert [(r.month, r.chair, r.planned_on) for r in now.rotation] == [
        ("2015-12", "JOBA", "2015-11-20"),
        ("2016-01", "DOEL", "2015-11-20"),
        ("2016-02", "DOEL", "2015-12-20"),
        ("2016-03", "DOEL", "2015-12-20"),
        ("2016-04", "DOEL", "2015-12-20"),
    ]
    # The meeting's chair defaults to the rotation in force now.
    any_ledger.record_platform_meeting(
        "RAJAGAON", date=date(2016, 2, 5), attendance=[{"group": "DOEL", "member": 3}]
    )
    (meeting,) = any_ledger.reports.clusters.platform("RAJAGAON").meetings
    assert (meeting.chair, meeting.host) == ("DOEL", "DOEL")
    assert rebuild_matches(any_ledger)


def test_platform_rules_refuse_and_write_nothing(any_ledger: Ledger) -> None:
    platform(any_ledger)
    name = any_ledger.name_representative
    assert_refused(
        any_ledger,
        KEY,
        lambda: name("RAJAGAON", group="SHAPLA", member=1, date=D3),
        RuleBroken,
        "group",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: name("RAJAGAON", group="JOBA", member=1, date=D3),
        RuleBroken,
        "member",
    )
    name("RAJAGAON", group="JOBA", member=3, date=D3)
    assert_refused(
        any_ledger,
        KEY,
        lambda: name("RAJAGAON", group="DOEL", member=9, date=D3),
        LedgerError,
        "member",
    )
    meeting = any_ledger.record_platform_meeting
    assert_refused(
        any_ledger,
        KEY,
        lambda: meeting(
            "RAJAGAON",
            date=D3,
            attendance=[{"group": "DOEL", "member": 1}],
            chair="JOBA",
            host="DOEL",
        ),
        RuleBroken,
        "attendance[0]",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: meeting(
            "RAJAGAON",
            date=D3,
            attendance=[{"group": "DOEL", "member": 3}] * 2,
            chair="JOBA",
            host="DOEL",
        ),
        InvalidInput,
        "attendance[1]",
    )
    assert_refused(
        any_ledger, KEY, lambda: meeting("RAJAGAON", date=D3, attendance=[]), InvalidInput, "chair"
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: meeting("RAJAGAON", date=D3, chair="SHAPLA", host="DOEL"),
        RuleBroken,
        "chair",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.plan_rotation("RAJAGAON", start="2016-13", months=3, date=D3),
        InvalidInput,
        "start",
    )


PARTIES = [
    {"party": "JOBA", "role": "group chairperson", "signed_by": "Member 1"},
    {"party": "LEAF", "role": "programme", "signed_by": "Programme officer"},
    {"party": "SERP", "role": "partner NGO", "signed_by": "Executive director"},
]


def test_the_mou_is_signed_and_revised_and_old_versions_stay_readable(
    any_ledger: Ledger,
) -> None:
    cluster(any_ledger)
    first = any_ledger.sign_mou(
        "RAJAGAON",
        date=D2,
        parties=PARTIES,
        commitments=[
            {"no": 1, "party": "JOBA", "text": "Meet every month and keep minutes"},
            {"no": 2, "party": "LEAF", "text": "Train the leaders in planning"},
        ],
    )
    assert first.result == 1
    any_ledger.sign_mou(
        "RAJAGAON",
        date=D3,
        parties=PARTIES,
        commitments=[
            {"no": 1, "party": "JOBA", "text": "Meet every month; minutes in simple words"},
            {"no": 2, "party": "LEAF", "text": "Train the leaders in planning"},
            {"no": 3, "party": "SERP", "text": "Follow up the VGD applications"},
        ],
    )
    p = any_ledger.reports.clusters.platform("RAJAGAON")
    assert p.mou is not None
    assert p.mou.version == 2
    assert [m.version for m in p.mous] == [1, 2]
    assert p.mous[0].commitments[0].text == "Meet every month and keep minutes"
    earlier = any_ledger.reports.clusters.platform("RAJAGAON", as_of=D2).mou
    assert earlier is not None
    assert earlier.version == 1
    sign = any_ledger.sign_mou
    assert_refused(
        any_ledger,
        KEY,
        lambda: sign(
            "RAJAGAON",
            date=D3,
            parties=PARTIES,
            commitments=[{"no": 1, "party": "UNKNOWN", "text": "x"}],
        ),
        InvalidInput,
        "commitments[0].party",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: sign(
            "RAJAGAON",
            date=D3,
            parties=PARTIES,
            commitments=[{"no": 2, "party": "LEAF", "text": "x"}],
        ),
        InvalidInput,
        "commitments",
    )


def test_extreme_poor_register_and_safety_nets(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    entry = any_ledger.list_extreme_poor(
        "RAJAGAON",
        date=D2,
        household="Uddin, Gainpara",
        head="Md. Hafiz Uddin",
        village="Gainpara",
        reason="old, crippled, no income",
        identified_by="transect-visit",
    ).last
    application = any_ledger.apply_safety_net(
        "RAJAGAON",
        date=D2,
        household_entry=entry,
        scheme="old-age-allowance",
        applied_to="Union Parishad chairman",
    ).last
    other = any_ledger.apply_safety_net(
        "RAJAGAON", date=D2, household_entry=entry, scheme="vgf", applied_to="Union Parishad"
    ).last
    any_ledger.decide_safety_net(
        "RAJAGAON", date=D3, application=application, outcome="granted", value="1800"
    )
    any_ledger.decide_safety_net(
        "RAJAGAON", date=D3, application=other, outcome="refused", note="no cards left"
    )
    p = any_ledger.reports.clusters.platform("RAJAGAON")
    assert p.extreme_poor[0].head == "Md. Hafiz Uddin"
    assert (p.safety_nets_applied, p.safety_nets_granted) == (2, 1)
    granted = next(n for n in p.safety_nets if n.outcome == "granted")
    assert granted.value == Decimal("1800.00")
    before = any_ledger.reports.clusters.platform("RAJAGAON", as_of=D2)
    assert before.safety_nets_granted == 0
    assert [(n.outcome, n.note) for n in before.safety_nets] == [(None, ""), (None, "")]
    decide, apply = any_ledger.decide_safety_net, any_ledger.apply_safety_net
    assert_refused(
        any_ledger,
        KEY,
        lambda: decide("RAJAGAON", date=D3, application=application, outcome="refused"),
        RuleBroken,
        "application",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: apply("RAJAGAON", date=D3, household_entry=1, scheme="vgd", applied_to="UP"),
        RuleBroken,
        "household_entry",
    )
    third = apply("RAJAGAON", date=D3, household_entry=entry, scheme="vgd", applied_to="UP").last
    assert_refused(
        any_ledger,
        KEY,
        lambda: decide("RAJAGAON", date=D3, application=third, outcome="refused", value="10"),
        InvalidInput,
        "value",
    )


def test_a_training_counts_members_and_the_community_by_gender(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    any_ledger.hold_training(
        "RAJAGAON",
        date=D3,
        title="Bamboo management",
        facilitator="Upazila agriculture office",
        members_female=7,
        members_male=2,
        others_female=6,
        others_male=10,
    )
    (t,) = any_ledger.reports.clusters.platform("RAJAGAON").trainings
    assert (t.members, t.others) == (9, 16)
    with pytest.raises(InvalidInput):
        any_ledger.hold_training("RAJAGAON", date=D3, title="Empty")


# ---------------------------------------------------------------------- bank loans
BANK = "Krishi Bank, Jaldhaka"


def guaranteed(ledger: Ledger) -> tuple[int, int]:
    """Two bank loans to members of JOBA, JOBA's member 1 standing guarantor."""
    platform(ledger)

    def arrange(member: int, principal: str) -> int:
        return int(
            ledger.arrange_bank_loan(
                "RAJAGAON",
                lender=BANK,
                group="JOBA",
                member=member,
                principal=principal,
                rate="10",
                instalments=6,
                guarantors=[{"group": "JOBA", "member": 1}],
                introducer="UP chairman",
                date=date(2016, 2, 1),
            )
        )

    return arrange(2, "6000"), arrange(3, "3000")


def test_bank_loans_guaranteed_by_the_platform(any_ledger: Ledger) -> None:
    first, second = guaranteed(any_ledger)
    for month in (3, 4):
        any_ledger.collect_bank_instalment(
            "RAJAGAON", bank_loan=first, taka="1050", date=date(2016, month, 1)
        )
    any_ledger.collect_bank_instalment(
        "RAJAGAON", bank_loan=second, taka="525", date=date(2016, 3, 1)
    )
    any_ledger.pay_bank("RAJAGAON", lender=BANK, taka="2000", date=date(2016, 4, 5))
    report = any_ledger.reports.clusters.bank_loans("RAJAGAON", as_of=date(2016, 5, 31))
    one, two = report.loans
    assert one.outstanding == Decimal("4000.00")  # flat: 1000 principal a month
    assert (one.borrower, one.collected) == ("Member 2", Decimal("2100.00"))
    assert two.days_overdue == (date(2016, 5, 31) - date(2016, 4, 1)).days
    assert two.status == "late"
    assert report.held_for_banks == {"Krishi-Bank-Jaldhaka": Decimal("625.00")}
    assert report.paid_to_banks == {"Krishi-Bank-Jaldhaka": Decimal("2000.00")}
    assert report.guarantor_exposure == {"JOBA/1": one.outstanding + two.outstanding}
    assert report.outstanding == Decimal("6500.00")
    earlier = any_ledger.reports.clusters.bank_loans("RAJAGAON", as_of=date(2016, 4, 1))
    assert earlier.paid_to_banks == {}
    assert earlier.held_for_banks == {"Krishi-Bank-Jaldhaka": Decimal("2625.00")}
    assert any_ledger.load_cluster("RAJAGAON").balance("Assets:Cash") == 62500  # paisa
    assert chain_head(any_ledger, KEY) == any_ledger.load_cluster("RAJAGAON").chain_head
    assert rebuild_matches(any_ledger)


def test_bank_loan_rules_refuse_and_write_nothing(any_ledger: Ledger) -> None:
    first, _second = guaranteed(any_ledger)
    any_ledger.collect_bank_instalment(
        "RAJAGAON", bank_loan=first, taka="1050", date=date(2016, 3, 1)
    )
    any_ledger.pay_bank("RAJAGAON", lender=BANK, taka="1000", date=date(2016, 4, 5))
    pay, collect = any_ledger.pay_bank, any_ledger.collect_bank_instalment

    def arrange(**change: Any) -> Any:
        fields: dict[str, Any] = {
            "lender": BANK,
            "group": "JOBA",
            "member": 3,
            "principal": "100",
            "rate": "10",
            "instalments": 2,
            "guarantors": [{"group": "JOBA", "member": 1}],
            "introducer": "UP",
            "date": date(2016, 5, 1),
            **change,
        }
        return any_ledger.arrange_bank_loan("RAJAGAON", **fields)

    assert_refused(
        any_ledger,
        KEY,
        lambda: pay("RAJAGAON", lender=BANK, taka="700", date=date(2016, 5, 1)),
        RuleBroken,
        "taka",
    )
    # Paying the bank back-dated to before the money was collected: refused too.
    assert_refused(
        any_ledger,
        KEY,
        lambda: pay("RAJAGAON", lender=BANK, taka="50", date=date(2016, 2, 20)),
        RuleBroken,
        "taka",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: pay("RAJAGAON", lender="Grameen Bank", taka="10", date=date(2016, 5, 1)),
        RuleBroken,
        "taka",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: arrange(guarantors=[{"group": "JOBA", "member": 3}]),
        RuleBroken,
        "guarantors[0]",
    )  # not a representative
    assert_refused(
        any_ledger,
        KEY,
        lambda: arrange(
            guarantors=[{"group": "JOBA", "member": 1}, {"group": "JOBA", "member": 1}]
        ),
        InvalidInput,
        "guarantors[1]",
    )
    assert_refused(any_ledger, KEY, lambda: arrange(group="SHAPLA"), RuleBroken, "group")
    assert_refused(any_ledger, KEY, lambda: arrange(member=9), LedgerError, "member")
    assert_refused(
        any_ledger,
        KEY,
        lambda: collect("RAJAGAON", bank_loan=first, taka="99999", date=date(2016, 5, 1)),
        RuleBroken,
        "taka",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: collect("RAJAGAON", bank_loan=7, taka="10", date=date(2016, 5, 1)),
        InvalidInput,
        "bank_loan",
    )
    assert_refused(
        any_ledger,
        KEY,
        lambda: collect("RAJAGAON", bank_loan=first, taka="10", date=date(2016, 1, 5)),
        InvalidInput,
        "date",
    )


def test_a_representative_who_leaves_her_group_can_no_longer_stand_guarantor(
    any_ledger: Ledger,
) -> None:
    guaranteed(any_ledger)
    any_ledger.leave_member(
        "JOBA", member=1, reason="married into another village", date=date(2016, 3, 1)
    )
    assert not any_ledger.load_cluster("RAJAGAON").is_representative("JOBA", 1)
    assert [
        r.member_no
        for r in any_ledger.reports.clusters.platform("RAJAGAON").representatives
        if r.group_code == "JOBA"
    ] == [2]
    assert_refused(
        any_ledger,
        KEY,
        lambda: any_ledger.arrange_bank_loan(
            "RAJAGAON",
            lender=BANK,
            group="JOBA",
            member=3,
            principal="500",
            rate="10",
            instalments=2,
            guarantors=[{"group": "JOBA", "member": 1}],
            introducer="UP",
            date=date(2016, 3, 2),
        ),
        RuleBroken,
        "guarantors[0]",
    )
    # What she guaranteed before she left stays in the books.
    exposure = any_ledger.reports.clusters.bank_loans("RAJAGAON").guarantor_exposure
    assert exposure == {"JOBA/1": Decimal("9000.00")}


def test_what_a_groups_members_owe_banks(any_ledger: Ledger) -> None:
    first, _second = guaranteed(any_ledger)
    any_ledger.collect_bank_instalment(
        "RAJAGAON", bank_loan=first, taka="1050", date=date(2016, 3, 1)
    )
    owed = any_ledger.reports.clusters.owed_to_bank
    assert owed("JOBA") == Decimal("8000.00")
    assert owed("JOBA", as_of=date(2016, 2, 15)) == Decimal("9000.00")
    assert owed("JOBA", as_of=date(2016, 1, 31)) == Decimal("0.00")
    assert owed("DOEL") == Decimal("0.00")
    with pytest.raises(UnknownGroup):
        owed("NOPE")


def test_every_report_refuses_an_unknown_cluster_or_group(any_ledger: Ledger) -> None:
    platform(any_ledger)
    r = any_ledger.reports
    cluster_reports: list[Callable[[], Any]] = [
        lambda: r.clusters.cluster("NOPE"),
        lambda: r.clusters.platform("NOPE"),
        lambda: r.clusters.bank_loans("NOPE"),
        lambda: r.clusters.bank_loans("cluster:NOPE"),
        lambda: r.clusters.programme(by="cluster", clusters=["RAJAGAON", "NOPE"]),
        lambda: r.groups.directory(cluster="NOPE"),
        lambda: r.plans.plan("cluster:NOPE", 2016),
        lambda: r.plans.review("cluster:NOPE", 2016),
        lambda: r.plans.years("cluster:NOPE"),
    ]
    for report in cluster_reports:
        with pytest.raises(UnknownCluster) as info:
            report()
        assert (info.value.field, info.value.value) == ("cluster", "NOPE")
    group_reports: list[Callable[[], Any]] = [
        lambda: r.clusters.cluster_of("NOPE"),
        lambda: r.clusters.owed_to_bank("NOPE"),
        lambda: r.plans.plan("NOPE", 2016),
        lambda: r.plans.review("NOPE", 2016),
        lambda: r.plans.years("NOPE"),
        lambda: r.plans.group_plan_activities(["JOBA", "NOPE"]),
        lambda: r.plans.activity_money(["NOPE"], "vermicompost", "2016-01", "2016-02"),
        lambda: r.loans.portfolio(["JOBA", "NOPE"]),
        lambda: r.books.trend("NOPE", "Assets:Cash", "BDT"),
        lambda: r.books.monthly("NOPE", "Assets:Cash", "BDT"),
    ]
    for report in group_reports:
        with pytest.raises(UnknownGroup) as info:
            report()
        assert (info.value.field, info.value.value) == ("group", "NOPE")
    # Known codes with nothing to show yet are not refused.
    assert r.clusters.cluster("RAJAGAON", as_of=date(2015, 1, 1)) is None
    assert r.clusters.cluster_of("SHAPLA") is None
    assert r.plans.plan("cluster:rajagaon", 2016) is None
    assert r.plans.years("JOBA") == []
    assert r.clusters.bank_loans("rajagaon").loans == []


# ---------------------------------------------------------------------- plans and reviews
def group_plan() -> dict[str, Any]:
    return {
        "year": 2016,
        "wellbeing": {
            "categories": {"extreme-poor": 1, "poor": 2},
            "notes": "from the well-being ranking",
        },
        "constraints": ["no land of our own"],
        "opportunities": ["cow dung is at hand"],
        "micro_projects": [
            {"no": 1, "name": "Vermicompost"},
            {"no": 2, "name": "Homestead vegetables"},
        ],
        "ep_initiatives": ["first compost sales to the extreme-poor members"],
        "activities": [
            {
                "id": "vc-pit",
                "micro_project": 1,
                "name": "Build the compost pit",
                "activity": "vermicompost",
                "budget": "5000",
                "responsible": "leader",
                "start": "2015-11",
                "end": "2015-12",
            },
            {
                "id": "veg",
                "micro_project": 2,
                "name": "Seedlings for every homestead",
                "budget": "800",
                "responsible": "cashier",
                "start": "2016-01",
                "end": "2016-02",
            },
        ],
    }


def test_a_group_plan_and_its_review_with_the_money_booked(any_ledger: Ledger) -> None:
    platform(any_ledger)
    any_ledger.sign_mou(
        "RAJAGAON",
        date=D2,
        parties=PARTIES,
        commitments=[{"no": 1, "party": "JOBA", "text": "Meet every month"}],
    )
    any_ledger.execute(cmd.AdoptPlan(group="JOBA", date=D1, **group_plan()))
    any_ledger.receive_grant("JOBA", source="ALRD", purpose="pit", taka="5000", date=D2)
    any_ledger.book_activity_cost("JOBA", activity="vermicompost", taka="4200", date=D2)
    any_ledger.book_activity_revenue("JOBA", activity="vermicompost", taka="300", date=D3)
    # Outside the activity's months: not counted against it.
    any_ledger.book_activity_revenue(
        "JOBA", activity="vermicompost", taka="99", date=date(2016, 1, 8)
    )
    receipt = any_ledger.execute(
        cmd.HoldReview(
            group="JOBA",
            date=date(2016, 1, 15),
            year=2016,
            facilitator="Member 1",
            members_female=3,
            activities=[
                {"id": "vc-pit", "status": "done", "achieved": "pit built"},
                {"id": "veg", "status": "partly"},
            ],
            commitments=[{"no": 1, "status": "kept"}],
            changes=["members speak at the union council"],
            recommendations=[{"text": "sell compost at the bazar", "carry": True}],
        )
    )
    review = any_ledger.reports.plans.review("JOBA", 2016)
    assert review is not None
    pit = review.activities[0]
    assert (pit.costs, pit.revenue) == (Decimal("4200.00"), Decimal("300.00"))
    assert review.mou_version == 1
    assert review.seal == receipt.seal
    assert review.recommendations[0].carry is True
    assert review.attendance["members_female"] == 3
    plan = any_ledger.reports.plans.plan("JOBA", 2016)
    assert plan is not None
    assert plan.completion == Decimal("75.0")
    assert plan.activities[0].budget == Decimal("5000.00")
    assert plan.wellbeing == {"extreme-poor": 1, "poor": 2}
    then = any_ledger.reports.plans.plan("JOBA", 2016, as_of=D3)
    assert then is not None
    assert then.completion is None
    assert any_ledger.reports.plans.review("JOBA", 2016, as_of=D3) is None
    assert chain_head(any_ledger, "JOBA") == any_ledger.load("JOBA").chain_head
    assert rebuild_matches(any_ledger)


def test_a_cluster_plan_adopts_a_groups_activity_and_its_review_seals_the_groups(
    any_ledger: Ledger,
) -> None:
    platform(any_ledger)
    any_ledger.execute(cmd.AdoptPlan(group="JOBA", date=D1, **group_plan()))
    cluster_plan = group_plan()
    cluster_plan["activities"] = [
        {
            "id": "joint-vc",
            "micro_project": 1,
            "name": "Compost pits in every group",
            "activity": "vermicompost",
            "budget": "9000",
            "responsible": "platform",
            "start": "2015-11",
            "end": "2016-01",
            "adopted_from": {"group": "JOBA", "year": 2016, "id": "vc-pit"},
        }
    ]
    any_ledger.execute(cmd.AdoptClusterPlan(cluster="RAJAGAON", date=D2, **cluster_plan))
    plan = any_ledger.reports.plans.plan("cluster:RAJAGAON", 2016)
    assert plan is not None
    assert plan.as_dict()["activities"][0]["adopted_from"] == {
        "group": "JOBA",
        "year": 2016,
        "id": "vc-pit",
    }
    bad = group_plan()
    bad["activities"][0]["adopted_from"] = {"group": "DOEL", "year": 2016, "id": "vc-pit"}
    with pytest.raises(InvalidInput) as info:
        any_ledger.execute(
            cmd.AdoptClusterPlan(cluster="RAJAGAON", date=D2, **{**bad, "year": 2017})
        )
    assert info.value.field == "activities[0].adopted_from"
    with pytest.raises(InvalidInput) as info:
        any_ledger.execute(cmd.AdoptPlan(group="DOEL", date=D2, **{**bad, "year": 2017}))
    assert info.value.field == "activities[0].adopted_from"  # a group plan adopts nothing
    any_ledger.receive_grant("DOEL", source="ALRD", purpose="pit", taka="10", date=D2)
    any_ledger.book_activity_cost("DOEL", activity="vermicompost", taka="1", date=D3)
    any_ledger.receive_grant("JOBA", source="ALRD", purpose="pit", taka="500", date=D2)
    any_ledger.book_activity_cost("JOBA", activity="vermicompost", taka="400", date=D3)
    any_ledger.execute(
        cmd.HoldClusterReview(
            cluster="RAJAGAON",
            date=D3,
            year=2016,
            facilitator="Member 1",
            activities=[{"id": "joint-vc", "status": "not"}],
        )
    )
    review = any_ledger.reports.plans.review("cluster:RAJAGAON", 2016)
    assert review is not None
    assert review.activities[0].costs == Decimal("400.00")  # JOBA's only: the adopted one
    assert set(review.group_seals) == {"JOBA", "DOEL"}
    assert review.group_seals["JOBA"] == seal(chain_head(any_ledger, "JOBA"))
    assert review.mou_version is None
    assert rebuild_matches(any_ledger)


def test_bad_plans_and_reviews_are_refused(any_ledger: Ledger) -> None:
    platform(any_ledger)

    def adopt(plan: dict[str, Any]) -> Any:
        return any_ledger.execute(cmd.AdoptPlan(group="JOBA", date=D1, **plan))

    def review(**fields: Any) -> Any:
        return any_ledger.execute(cmd.HoldReview(group="JOBA", date=D3, facilitator="x", **fields))

    for change, field in [
        ({"micro_project": 5}, "activities[0].micro_project"),
        ({"start": "2016-13"}, "activities[0].start"),
        ({"end": "2015-10"}, "activities[0].end"),
        ({"id": "veg"}, "activities[1].id"),
    ]:
        bad = group_plan()
        bad["activities"][0].update(change)
        assert_refused(any_ledger, "JOBA", lambda bad=bad: adopt(bad), InvalidInput, field)
    bad = group_plan()
    bad["micro_projects"][0]["no"] = 3
    assert_refused(any_ledger, "JOBA", lambda: adopt(bad), InvalidInput, "micro_projects")
    adopt(group_plan())
    assert_refused(any_ledger, "JOBA", lambda: adopt(group_plan()), RuleBroken, "year")
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: review(year=2016, activities=[{"id": "vc-pit", "status": "done"}]),
        InvalidInput,
        "activities",
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: review(
            year=2016,
            activities=[{"id": "vc-pit", "status": "done"}, {"id": "nope", "status": "done"}],
        ),
        InvalidInput,
        "activities[1].id",
    )
    assert_refused(
        any_ledger,
        "JOBA",
        lambda: review(
            year=2016,
            activities=[{"id": "vc-pit", "status": "done"}, {"id": "veg", "status": "done"}],
            commitments=[{"no": 1, "status": "kept"}],
        ),
        InvalidInput,
        "commitments[0].no",
    )  # the cluster has no MoU yet
    assert_refused(any_ledger, "JOBA", lambda: review(year=2017, activities=[]), RuleBroken, "year")
    done = [{"id": "vc-pit", "status": "done"}, {"id": "veg", "status": "done"}]
    review(year=2016, activities=done)
    assert_refused(
        any_ledger, "JOBA", lambda: review(year=2016, activities=done), RuleBroken, "year"
    )


def test_plans_and_reviews_in_one_batch(any_ledger: Ledger) -> None:
    platform(any_ledger)
    plan = cmd.AdoptPlan(group="JOBA", date=D1, key="plan", **group_plan())
    review = cmd.HoldReview(
        group="JOBA",
        date=D3,
        key="review",
        year=2016,
        facilitator="Member 1",
        activities=[{"id": "vc-pit", "status": "done"}, {"id": "veg", "status": "not"}],
    )
    any_ledger.execute_all([plan, review])
    found = any_ledger.reports.plans.plan("JOBA", 2016)
    assert found is not None
    assert found.completion == Decimal("50.0")
    assert any_ledger.execute_all([plan, review])[1].replayed


def test_a_review_counts_the_money_booked_earlier_in_its_batch(any_ledger: Ledger) -> None:
    platform(any_ledger)
    any_ledger.execute(cmd.AdoptPlan(group="JOBA", date=D1, **group_plan()))
    cluster_plan = group_plan()
    cluster_plan["activities"] = [
        {**group_plan()["activities"][0], "id": "every-group"},
        {
            **group_plan()["activities"][0],
            "id": "joint-vc",
            "adopted_from": {"group": "JOBA", "year": 2016, "id": "vc-pit"},
        },
    ]
    any_ledger.execute(cmd.AdoptClusterPlan(cluster="RAJAGAON", date=D2, **cluster_plan))
    review = {"year": 2016, "facilitator": "Member 1", "date": date(2016, 1, 15)}
    any_ledger.execute_all(
        [
            cmd.ReceiveGrant(group="JOBA", source="ALRD", purpose="pit", taka="5000", date=D2),
            cmd.BookActivityCost(group="JOBA", activity="vermicompost", taka="4200", date=D2),
            cmd.BookActivityRevenue(group="JOBA", activity="vermicompost", taka="300", date=D3),
            cmd.ReceiveGrant(group="DOEL", source="ALRD", purpose="pit", taka="10", date=D2),
            cmd.BookActivityCost(group="DOEL", activity="vermicompost", taka="1", date=D3),
            # Outside the activity's months: not counted against it.
            cmd.BookActivityCost(
                group="DOEL", activity="vermicompost", taka="2", date=date(2016, 1, 8)
            ),
            cmd.HoldReview(
                group="JOBA",
                activities=[{"id": "vc-pit", "status": "done"}, {"id": "veg", "status": "not"}],
                **review,
            ),
            cmd.HoldClusterReview(
                cluster="RAJAGAON",
                activities=[
                    {"id": "every-group", "status": "partly"},
                    {"id": "joint-vc", "status": "done"},
                ],
                **review,
            ),
        ]
    )
    mine = any_ledger.reports.plans.review("JOBA", 2016)
    assert mine is not None
    assert (mine.activities[0].costs, mine.activities[0].revenue) == (
        Decimal("4200.00"),
        Decimal("300.00"),
    )
    joint = any_ledger.reports.plans.review(KEY, 2016)
    assert joint is not None
    every, adopted = joint.activities
    assert (every.costs, every.revenue) == (Decimal("4201.00"), Decimal("300.00"))
    assert (adopted.costs, adopted.revenue) == (Decimal("4200.00"), Decimal("300.00"))
    # What the reports say the books hold agrees with what the reviews recorded.
    booked = any_ledger.reports.plans.activity_money(
        ["JOBA", "DOEL"], "vermicompost", "2015-11", "2015-12"
    )
    assert (booked.costs, booked.revenue) == (every.costs, every.revenue)


def test_a_group_formed_plans_and_reviews_in_one_batch(any_ledger: Ledger) -> None:
    plan = group_plan()
    any_ledger.execute_all(
        [
            cmd.FormGroup(
                group="NOTUN",
                name="Notun Nari Dal",
                kind="women",
                meeting_day="friday",
                district="Dinajpur",
                upazila="Chirirbandar",
                village="Mohalbari",
                date=FORMED,
            ),
            cmd.AdoptPlan(group="NOTUN", date=FORMED, **plan),
            cmd.ReceiveGrant(group="NOTUN", source="ALRD", purpose="pit", taka="90", date=D1),
            cmd.BookActivityCost(group="NOTUN", activity="vermicompost", taka="80", date=D1),
            cmd.HoldReview(
                group="NOTUN",
                date=D3,
                year=2016,
                facilitator="Member 1",
                activities=[{"id": "vc-pit", "status": "done"}, {"id": "veg", "status": "not"}],
            ),
        ]
    )
    review = any_ledger.reports.plans.review("NOTUN", 2016)
    assert review is not None
    assert review.mou_version is None  # in no cluster
    assert review.activities[0].costs == Decimal("80.00")


# ---------------------------------------------------------------------- the programme
def test_programme_figures_by_district_and_by_cluster(any_ledger: Ledger) -> None:
    platform(any_ledger)
    entry = any_ledger.list_extreme_poor(
        "RAJAGAON",
        date=D2,
        household="H",
        head="A",
        village="Rajagaon",
        reason="r",
        identified_by="well-being-analysis",
    ).last
    application = any_ledger.apply_safety_net(
        "RAJAGAON", date=D2, household_entry=entry, scheme="vgd", applied_to="UP"
    ).last
    any_ledger.decide_safety_net(
        "RAJAGAON", date=D3, application=application, outcome="granted", value="1200"
    )
    any_ledger.form_cluster(
        "GAINPARA",
        name="Gainpara",
        district="Rajshahi",
        upazila="Puthia",
        villages=["Gainpara"],
        households=150,
        date=D1,
    )
    any_ledger.join_cluster("GAINPARA", group="SHAPLA", date=D2)
    cluster_plan = group_plan()
    any_ledger.execute(cmd.AdoptClusterPlan(cluster="RAJAGAON", date=D2, **cluster_plan))
    any_ledger.execute(
        cmd.HoldClusterReview(
            cluster="RAJAGAON",
            date=D3,
            year=2016,
            facilitator="Member 1",
            activities=[{"id": "vc-pit", "status": "done"}, {"id": "veg", "status": "partly"}],
        )
    )
    rows = {r.name: r for r in any_ledger.reports.clusters.programme(by="district")}
    thakurgaon = rows["Thakurgaon"]
    assert (thakurgaon.clusters, thakurgaon.groups, thakurgaon.households) == (1, 2, 210)
    assert thakurgaon.women_share == Decimal("100.0")
    assert (thakurgaon.applied_share, thakurgaon.received_share) == (
        Decimal("100.0"),
        Decimal("100.0"),
    )
    assert thakurgaon.representatives_by_gender == {"female": 3}
    assert thakurgaon.plan_completion == Decimal("75.0")
    assert rows["Rajshahi"].applied_share == Decimal("0.0")
    assert rows["Rajshahi"].plan_completion is None
    by_cluster = any_ledger.reports.clusters.programme(by="cluster")
    assert [r.name for r in by_cluster] == ["GAINPARA", "RAJAGAON"]
    only = any_ledger.reports.clusters.programme(by="cluster", clusters=["rajagaon"])
    assert [r.name for r in only] == ["RAJAGAON"]
    before = any_ledger.reports.clusters.programme(by="cluster", as_of=D2)
    assert [r.received for r in before] == [0, 0]
    with pytest.raises(InvalidInput):
        any_ledger.reports.clusters.programme(by="village")


def test_a_ledger_from_release_0_1_keeps_its_platforms(tmp_path: Path) -> None:
    data = Path(__file__).parent / "data"
    db = tmp_path / "ledger.db"
    db.write_bytes(gzip.decompress((data / "ledger-0.1.0.db.gz").read_bytes()))
    figures = json.loads((data / "ledger-0.1.0.json").read_text(encoding="utf-8"))
    later = datetime(2017, 1, 10, 6, tzinfo=UTC)
    with Ledger(str(db), clock=lambda: later, user="auditor") as ledger:
        for stream, head in figures["heads"].items():
            if stream.startswith("cluster:"):
                assert chain_head(ledger, stream) == head
                assert ledger.load(stream).chain_head == head
        for code, loans in figures["bank_loans"].items():
            found = ledger.reports.clusters.bank_loans(code).loans
            assert [
                {
                    "bank_loan_no": x.bank_loan_no,
                    "borrower": x.borrower,
                    "principal": str(x.principal),
                    "collected": str(x.collected),
                }
                for x in found
            ] == loans
        p = ledger.reports.clusters.platform("CHIRIRBANDAR-1")
        assert p.mou is not None
        assert (p.mou.version, len(p.meetings), p.safety_nets_granted) == (2, 12, 2)
        plan = ledger.reports.plans.plan("cluster:CHIRIRBANDAR-1", 2016)
        assert plan is not None
        assert plan.completion == Decimal("87.5")
        # The rules read the state the old events build: the next MoU is version 3.
        receipt = ledger.sign_mou(
            "CHIRIRBANDAR-1",
            date=date(2017, 1, 5),
            parties=PARTIES,
            commitments=[{"no": 1, "party": "LEAF", "text": "x"}],
        )
        assert receipt.result == 3
