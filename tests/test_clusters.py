"""Clusters: neighbouring groups within a ward, joining and leaving with dates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopledger import InvalidInput, Ledger, RuleBroken, UnknownCluster, UnknownGroup, audit
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
