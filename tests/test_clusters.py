"""Clusters: neighbouring groups within a ward, joining and leaving with dates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from coopledger import InvalidInput, Ledger, RuleBroken, UnknownCluster, UnknownGroup, audit
from coopledger import commands as cmd
from coopledger.cli import main
from coopledger.testing import D1, D2, D3, FORMED, assert_refused, seed_group


def cluster(ledger: Ledger) -> None:
    seed_group(ledger, "JOBA")
    seed_group(ledger, "DOEL")
    seed_group(ledger, "SHAPLA")
    ledger.form_cluster("RAJAGAON", name="Rajagaon cluster", district="Thakurgaon",
                        upazila="Thakurgaon Sadar", ward="4", villages=["Rajagaon", "Dholarhat"],
                        households=210, partner="SERP", date=D1, key="cl-1")
    ledger.join_cluster("RAJAGAON", group="joba", date=D1)
    ledger.join_cluster("RAJAGAON", group="DOEL", date=D2)


def test_groups_join_a_cluster_and_the_groups_list_filters_by_it(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    (row,) = any_ledger.reports.clusters()
    assert row["groups"] == ["JOBA", "DOEL"]
    assert row["villages"] == ["Rajagaon", "Dholarhat"]
    assert row["households"] == 210
    assert [g["code"] for g in any_ledger.reports.groups(cluster="rajagaon")] == ["DOEL", "JOBA"]
    assert {g["code"]: g["cluster"] for g in any_ledger.reports.groups()} == {
        "JOBA": "RAJAGAON", "DOEL": "RAJAGAON", "SHAPLA": ""}
    assert any_ledger.reports.clusters(as_of=D1)[0]["groups"] == ["JOBA"]


def test_a_group_leaves_and_may_then_join_another(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    any_ledger.form_cluster("GAINPARA", name="Gainpara", district="Rajshahi", upazila="Puthia",
                            villages=["Gainpara"], households=150, date=D1)
    assert_refused(any_ledger, "cluster:GAINPARA", lambda: any_ledger.join_cluster(
        "GAINPARA", group="JOBA", date=D3), RuleBroken, "group")
    any_ledger.leave_cluster("RAJAGAON", group="JOBA", reason="moved ward", date=D3)
    any_ledger.join_cluster("GAINPARA", group="JOBA", date=D3)
    assert any_ledger.reports.cluster_of("JOBA") == "GAINPARA"
    assert any_ledger.reports.clusters(as_of=D2)[1]["groups"] == ["JOBA", "DOEL"]


def test_bad_cluster_input_is_refused_and_writes_nothing(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    key = "cluster:RAJAGAON"
    assert_refused(any_ledger, key, lambda: any_ledger.join_cluster(
        "RAJAGAON", group="NOPE", date=D3), UnknownGroup, "group")
    assert_refused(any_ledger, key, lambda: any_ledger.join_cluster(
        "RAJAGAON", group="JOBA", date=D3), RuleBroken, "group")
    assert_refused(any_ledger, key, lambda: any_ledger.join_cluster(
        "RAJAGAON", group="SHAPLA", date=date(2015, 11, 1)), InvalidInput, "date")
    assert_refused(any_ledger, key, lambda: any_ledger.leave_cluster(
        "RAJAGAON", group="SHAPLA", reason="x", date=D3), RuleBroken, "group")
    with pytest.raises(UnknownCluster):
        any_ledger.join_cluster("NOWHERE", group="JOBA", date=D3)
    with pytest.raises(InvalidInput):
        any_ledger.form_cluster("RAJAGAON", name="again", district="d", upazila="u",
                                villages=["v"], households=1, date=FORMED)
    with pytest.raises(InvalidInput) as info:
        any_ledger.form_cluster("EMPTY", name="x", district="d", upazila="u", villages=[],
                                households=1, date=FORMED)
    assert info.value.field == "villages"


def test_cluster_streams_are_chained_replayed_and_exported(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    result = audit.verify(any_ledger)
    assert result.ok
    assert "cluster:RAJAGAON" in result.heads()
    assert audit.replay(any_ledger).ok
    assert audit.replay(any_ledger, "cluster:RAJAGAON").ok
    assert any_ledger.projections_match_rebuild()


def test_cluster_commands_are_idempotent(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    again = any_ledger.form_cluster("RAJAGAON", name="Rajagaon cluster", district="Thakurgaon",
                                    upazila="Thakurgaon Sadar", ward="4",
                                    villages=["Rajagaon", "Dholarhat"], households=210,
                                    partner="SERP", date=D1, key="cl-1")
    assert again.replayed


def test_clusters_from_an_import_file(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    lines = [
        {"command": "form_group", "group": "DOEL", "date": "2016-01-01", "key": "g",
         "name": "Doel", "kind": "women", "meeting_day": "friday", "district": "Dinajpur",
         "upazila": "Chirirbandar", "village": "Surail"},
        {"command": "form_cluster", "cluster": "SURAIL", "date": "2016-01-02", "key": "c",
         "name": "Surail cluster", "district": "Dinajpur", "upazila": "Chirirbandar",
         "villages": ["Surail"], "households": 150},
        {"command": "join_cluster", "cluster": "SURAIL", "date": "2016-01-03", "key": "j",
         "group": "DOEL"},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    result = CliRunner().invoke(main, ["--db", db, "import", str(path)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["--db", db, "report", "clusters", "--format", "json"])
    assert json.loads(result.output)[0]["groups"] == ["DOEL"]
    result = CliRunner().invoke(main, ["--db", db, "groups", "--cluster", "surail",
                                       "--format", "json"])
    assert [g["code"] for g in json.loads(result.output)] == ["DOEL"]


# ---------------------------------------------------------------------- the platform
from collections import Counter  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from coopledger.cluster import fair_rotation  # noqa: E402


@given(st.lists(st.sampled_from(["A", "B", "C", "D", "E"]), min_size=1, max_size=5,
                unique=True), st.integers(min_value=1, max_value=36))
def test_no_group_chairs_or_hosts_more_than_once_more_than_another(
        groups: list[str], months: int) -> None:
    slots = fair_rotation(groups, "2016-11", months)
    assert [s["month"] for s in slots][:3] == ["2016-11", "2016-12", "2017-01"][:months]
    for role in ("chair", "host"):
        counts = Counter(s[role] for s in slots)
        every = [counts.get(g, 0) for g in groups]
        assert max(every) - min(every) <= 1
    if len(groups) > 1:
        assert all(s["chair"] != s["host"] for s in slots)


def platform(ledger: Ledger) -> None:
    cluster(ledger)
    ledger.name_representative("RAJAGAON", group="JOBA", member=1, date=D2)
    ledger.name_representative("RAJAGAON", group="JOBA", member=2, date=D2)
    ledger.name_representative("RAJAGAON", group="DOEL", member=3, date=D2)


def test_representatives_rotation_and_monthly_meetings(any_ledger: Ledger) -> None:
    platform(any_ledger)
    any_ledger.plan_rotation("RAJAGAON", start="2015-12", months=6, date=D3)
    any_ledger.record_platform_meeting(
        "RAJAGAON", date=date(2015, 12, 10),
        attendance=[{"group": "JOBA", "member": 1}, {"group": "DOEL", "member": 3}],
        decisions=["ask the union chairman for VGD cards", "bamboo training in January"])
    p = any_ledger.reports.platform("RAJAGAON")
    assert [(r["group_code"], r["member_no"]) for r in p["representatives"]] == [
        ("DOEL", 3), ("JOBA", 1), ("JOBA", 2)]
    assert p["representatives_by_gender"] == {"female": 3}
    assert p["representatives_by_wellbeing"] == {"poor": 3}
    assert [(r["month"], r["chair"], r["host"]) for r in p["rotation"]][:2] == [
        ("2015-12", "JOBA", "DOEL"), ("2016-01", "DOEL", "JOBA")]
    (meeting,) = p["meetings"]
    assert (meeting["chair"], meeting["host"], meeting["attended"]) == ("JOBA", "DOEL", 2)
    assert meeting["decisions"][0] == "ask the union chairman for VGD cards"
    any_ledger.representative_steps_down("RAJAGAON", group="JOBA", member=2,
                                         reason="moved away", date=D3)
    assert len(any_ledger.reports.platform("RAJAGAON")["representatives"]) == 2
    assert len(any_ledger.reports.platform("RAJAGAON", as_of=D2)["representatives"]) == 3
    assert audit.verify(any_ledger).ok
    assert any_ledger.projections_match_rebuild()


def test_platform_rules_refuse_and_write_nothing(any_ledger: Ledger) -> None:
    platform(any_ledger)
    key = "cluster:RAJAGAON"
    assert_refused(any_ledger, key, lambda: any_ledger.name_representative(
        "RAJAGAON", group="SHAPLA", member=1, date=D3), RuleBroken, "group")
    assert_refused(any_ledger, key, lambda: any_ledger.name_representative(
        "RAJAGAON", group="JOBA", member=1, date=D3), RuleBroken, "member")
    any_ledger.name_representative("RAJAGAON", group="JOBA", member=3, date=D3)
    assert_refused(any_ledger, key, lambda: any_ledger.name_representative(
        "RAJAGAON", group="DOEL", member=9, date=D3), Exception, "member")
    assert_refused(any_ledger, key, lambda: any_ledger.record_platform_meeting(
        "RAJAGAON", date=D3, attendance=[{"group": "DOEL", "member": 1}], chair="JOBA",
        host="DOEL"), RuleBroken, "attendance[0]")
    assert_refused(any_ledger, key, lambda: any_ledger.record_platform_meeting(
        "RAJAGAON", date=D3, attendance=[]), InvalidInput, "chair")
    assert_refused(any_ledger, key, lambda: any_ledger.plan_rotation(
        "RAJAGAON", start="2016-13", months=3, date=D3), InvalidInput, "start")


PARTIES = [{"party": "JOBA", "role": "group chairperson", "signed_by": "Member 1"},
           {"party": "LEAF", "role": "programme", "signed_by": "Programme officer"},
           {"party": "SERP", "role": "partner NGO", "signed_by": "Executive director"}]


def test_the_mou_is_signed_and_revised_and_old_versions_stay_readable(
        any_ledger: Ledger) -> None:
    cluster(any_ledger)
    any_ledger.sign_mou("RAJAGAON", date=D2, parties=PARTIES, commitments=[
        {"no": 1, "party": "JOBA", "text": "Meet every month and keep minutes"},
        {"no": 2, "party": "LEAF", "text": "Train the leaders in planning"}])
    any_ledger.sign_mou("RAJAGAON", date=D3, parties=PARTIES, commitments=[
        {"no": 1, "party": "JOBA", "text": "Meet every month; minutes in simple words"},
        {"no": 2, "party": "LEAF", "text": "Train the leaders in planning"},
        {"no": 3, "party": "SERP", "text": "Follow up the VGD applications"}])
    p = any_ledger.reports.platform("RAJAGAON")
    assert p["mou"]["version"] == 2
    assert [m["version"] for m in p["mous"]] == [1, 2]
    assert p["mous"][0]["commitments"][0]["text"] == "Meet every month and keep minutes"
    assert any_ledger.reports.platform("RAJAGAON", as_of=D2)["mou"]["version"] == 1
    assert_refused(any_ledger, "cluster:RAJAGAON", lambda: any_ledger.sign_mou(
        "RAJAGAON", date=D3, parties=PARTIES, commitments=[
            {"no": 1, "party": "UNKNOWN", "text": "x"}]), InvalidInput, "commitments[0].party")
    assert_refused(any_ledger, "cluster:RAJAGAON", lambda: any_ledger.sign_mou(
        "RAJAGAON", date=D3, parties=PARTIES, commitments=[
            {"no": 2, "party": "LEAF", "text": "x"}]), InvalidInput, "commitments")


def test_extreme_poor_register_and_safety_nets(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    entry = any_ledger.list_extreme_poor(
        "RAJAGAON", date=D2, household="Uddin, Gainpara", head="Md. Hafiz Uddin",
        village="Gainpara", reason="old, crippled, no income",
        identified_by="transect-visit").last
    application = any_ledger.apply_safety_net(
        "RAJAGAON", date=D2, household_entry=entry, scheme="old-age-allowance",
        applied_to="Union Parishad chairman").last
    other = any_ledger.apply_safety_net("RAJAGAON", date=D2, household_entry=entry,
                                        scheme="vgf", applied_to="Union Parishad").last
    any_ledger.decide_safety_net("RAJAGAON", date=D3, application=application,
                                 outcome="granted", value="1800")
    any_ledger.decide_safety_net("RAJAGAON", date=D3, application=other, outcome="refused")
    p = any_ledger.reports.platform("RAJAGAON")
    assert p["extreme_poor"][0]["head"] == "Md. Hafiz Uddin"
    assert (p["safety_nets_applied"], p["safety_nets_granted"]) == (2, 1)
    granted = next(n for n in p["safety_nets"] if n["outcome"] == "granted")
    assert str(granted["value"]) == "1800.00"
    before = any_ledger.reports.platform("RAJAGAON", as_of=D2)
    assert before["safety_nets_granted"] == 0
    key = "cluster:RAJAGAON"
    assert_refused(any_ledger, key, lambda: any_ledger.decide_safety_net(
        "RAJAGAON", date=D3, application=application, outcome="refused"),
        RuleBroken, "application")
    assert_refused(any_ledger, key, lambda: any_ledger.apply_safety_net(
        "RAJAGAON", date=D3, household_entry=1, scheme="vgd", applied_to="UP"),
        RuleBroken, "household_entry")


def test_a_training_counts_members_and_the_community_by_gender(any_ledger: Ledger) -> None:
    cluster(any_ledger)
    any_ledger.hold_training("RAJAGAON", date=D3, title="Bamboo management",
                             facilitator="Upazila agriculture office", members_female=7,
                             members_male=2, others_female=6, others_male=10)
    (t,) = any_ledger.reports.platform("RAJAGAON")["trainings"]
    assert t["members_female"] + t["members_male"] == 9
    assert t["others_female"] + t["others_male"] == 16
    with pytest.raises(InvalidInput):
        any_ledger.hold_training("RAJAGAON", date=D3, title="Empty")


# ---------------------------------------------------------------------- plans and reviews
def group_plan() -> dict[str, Any]:
    return {"year": 2016, "wellbeing": {"categories": {"extreme-poor": 1, "poor": 2},
                                        "notes": "from the well-being ranking"},
            "constraints": ["no land of our own"], "opportunities": ["cow dung is at hand"],
            "micro_projects": [{"no": 1, "name": "Vermicompost"},
                               {"no": 2, "name": "Homestead vegetables"}],
            "ep_initiatives": ["first compost sales to the extreme-poor members"],
            "activities": [
                {"id": "vc-pit", "micro_project": 1, "name": "Build the compost pit",
                 "activity": "vermicompost", "budget": "5000", "responsible": "leader",
                 "start": "2015-11", "end": "2015-12"},
                {"id": "veg", "micro_project": 2, "name": "Seedlings for every homestead",
                 "budget": "800", "responsible": "cashier", "start": "2016-01",
                 "end": "2016-02"}]}


def test_a_group_plan_and_its_review_with_the_money_booked(any_ledger: Ledger) -> None:
    platform(any_ledger)
    any_ledger.sign_mou("RAJAGAON", date=D2, parties=PARTIES, commitments=[
        {"no": 1, "party": "JOBA", "text": "Meet every month"}])
    any_ledger.execute(cmd.AdoptPlan(
        group="JOBA", date=D1, **group_plan()))
    any_ledger.receive_grant("JOBA", source="ALRD", purpose="pit", taka="5000", date=D2)
    any_ledger.book_activity_cost("JOBA", activity="vermicompost", taka="4200", date=D2)
    any_ledger.book_activity_revenue("JOBA", activity="vermicompost", taka="300", date=D3)
    receipt = any_ledger.execute(cmd.HoldReview(
        group="JOBA", date=D3, year=2016, facilitator="Member 1", members_female=3,
        activities=[{"id": "vc-pit", "status": "done", "achieved": "pit built"},
                    {"id": "veg", "status": "partly"}],
        commitments=[{"no": 1, "status": "kept"}],
        changes=["members speak at the union council"],
        recommendations=[{"text": "sell compost at the bazar", "carry": True}]))
    review = any_ledger.reports.review("JOBA", 2016)
    assert review is not None
    pit = review["activities"][0]
    assert (str(pit["costs"]), str(pit["revenue"])) == ("4200.00", "300.00")
    assert review["mou_version"] == 1
    assert review["seal"] == receipt.seal
    assert review["recommendations"][0]["carry"] is True
    plan = any_ledger.reports.plan("JOBA", 2016)
    assert plan is not None
    assert str(plan["completion"]) == "75.0"
    assert audit.verify(any_ledger).ok
    assert any_ledger.projections_match_rebuild()


def test_a_cluster_plan_adopts_a_groups_activity_and_its_review_seals_the_groups(
        any_ledger: Ledger) -> None:
    platform(any_ledger)

    any_ledger.execute(cmd.AdoptPlan(group="JOBA", date=D1, **group_plan()))
    cluster_plan = group_plan()
    cluster_plan["activities"] = [
        {"id": "joint-vc", "micro_project": 1, "name": "Compost pits in every group",
         "activity": "vermicompost", "budget": "9000", "responsible": "platform",
         "start": "2015-11", "end": "2016-01",
         "adopted_from": {"group": "JOBA", "year": 2016, "id": "vc-pit"}}]
    any_ledger.execute(cmd.AdoptClusterPlan(cluster="RAJAGAON", date=D2, **cluster_plan))
    plan = any_ledger.reports.plan("cluster:RAJAGAON", 2016)
    assert plan is not None
    assert plan["activities"][0]["adopted_from"] == {"group": "JOBA", "year": 2016,
                                                     "id": "vc-pit"}
    bad = group_plan()
    bad["activities"][0]["adopted_from"] = {"group": "DOEL", "year": 2016, "id": "vc-pit"}
    with pytest.raises(InvalidInput) as info:
        any_ledger.execute(cmd.AdoptClusterPlan(cluster="RAJAGAON", date=D2,
                                                     **{**bad, "year": 2017}))
    assert info.value.field == "activities[0].adopted_from"
    any_ledger.execute(cmd.HoldClusterReview(
        cluster="RAJAGAON", date=D3, year=2016, facilitator="Member 1",
        activities=[{"id": "joint-vc", "status": "not"}]))
    review = any_ledger.reports.review("cluster:RAJAGAON", 2016)
    assert review is not None
    assert set(review["group_seals"]) == {"JOBA", "DOEL"}
    assert review["group_seals"]["JOBA"] == audit.verify(any_ledger, "JOBA").heads()["JOBA"]


def test_bad_plans_and_reviews_are_refused(any_ledger: Ledger) -> None:
    platform(any_ledger)

    bad = group_plan()
    bad["activities"][0]["micro_project"] = 5
    assert_refused(any_ledger, "JOBA", lambda: any_ledger.execute(
        cmd.AdoptPlan(group="JOBA", date=D1, **bad)), InvalidInput,
        "activities[0].micro_project")
    any_ledger.execute(cmd.AdoptPlan(group="JOBA", date=D1, **group_plan()))
    assert_refused(any_ledger, "JOBA", lambda: any_ledger.execute(
        cmd.AdoptPlan(group="JOBA", date=D1, **group_plan())), RuleBroken, "year")
    assert_refused(any_ledger, "JOBA", lambda: any_ledger.execute(cmd.HoldReview(
        group="JOBA", date=D3, year=2016, facilitator="x",
        activities=[{"id": "vc-pit", "status": "done"}])), InvalidInput, "activities")
    assert_refused(any_ledger, "JOBA", lambda: any_ledger.execute(cmd.HoldReview(
        group="JOBA", date=D3, year=2017, facilitator="x", activities=[])),
        RuleBroken, "year")


def test_programme_figures_by_district_and_by_cluster(any_ledger: Ledger) -> None:
    platform(any_ledger)
    entry = any_ledger.list_extreme_poor("RAJAGAON", date=D2, household="H", head="A",
                                         village="Rajagaon", reason="r",
                                         identified_by="well-being-analysis").last
    application = any_ledger.apply_safety_net("RAJAGAON", date=D2, household_entry=entry,
                                              scheme="vgd", applied_to="UP").last
    any_ledger.decide_safety_net("RAJAGAON", date=D3, application=application,
                                 outcome="granted", value="1200")
    any_ledger.form_cluster("GAINPARA", name="Gainpara", district="Rajshahi", upazila="Puthia",
                            villages=["Gainpara"], households=150, date=D1)
    any_ledger.join_cluster("GAINPARA", group="SHAPLA", date=D2)
    rows = {r["district"]: r for r in any_ledger.reports.programme(by="district")}
    thakurgaon = rows["Thakurgaon"]
    assert (thakurgaon["clusters"], thakurgaon["groups"], thakurgaon["households"]) == (1, 2, 210)
    assert str(thakurgaon["women_share"]) == "100.0"
    assert (str(thakurgaon["applied_share"]), str(thakurgaon["received_share"])) == (
        "100.0", "100.0")
    assert thakurgaon["representatives_by_gender"] == {"female": 3}
    assert str(rows["Rajshahi"]["applied_share"]) == "0.0"
    assert [r["cluster"] for r in any_ledger.reports.programme(by="cluster")] == [
        "GAINPARA", "RAJAGAON"]
    with pytest.raises(InvalidInput):
        any_ledger.reports.programme(by="village")
