"""The demo ledger: the four Chirirbandar groups of the first field report."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from coopledger import Ledger, demo
from coopledger.testing import assert_books_balance, assert_passbooks_add_up


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    ledger = Ledger(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    demo.build(ledger)
    return ledger


def test_four_womens_groups_in_three_villages_with_51_members(demo_ledger: Ledger) -> None:
    groups = demo_ledger.reports.groups.directory(upazila="Chirirbandar")
    assert len(groups) == 4
    assert {g.village for g in groups} == {"Mohalbari", "Surail", "Damoir"}
    assert {g.upazila for g in groups} == {"Chirirbandar"}
    assert {g.district for g in groups} == {"Dinajpur"}
    assert {g.kind for g in groups} == {"women"}
    members = [m for g in groups for m in demo_ledger.reports.groups.members(g.code)]
    assert len(members) == 51
    assert all(m.landless and m.gender == "female" for m in members)
    assert {m.community for m in members} >= {"Hindu", "Muslim", "Santal", "Oraon"}


def test_the_four_groups_form_one_cluster_among_three(demo_ledger: Ledger) -> None:
    clusters = {c.code: c for c in demo_ledger.reports.clusters.clusters()}
    assert len(clusters) == 3
    cluster = clusters["CHIRIRBANDAR-1"]
    assert sorted(cluster.groups) == ["EKOTA", "JOBA", "KAKOLI", "SHAPLA"]
    assert cluster.villages == ["Mohalbari", "Surail", "Damoir"]


def test_the_platforms_year(demo_ledger: Ledger) -> None:
    p = demo_ledger.reports.clusters.platform("CHIRIRBANDAR-1")
    assert p.mou is not None and p.mou.version == 2
    assert (p.safety_nets_applied, p.safety_nets_granted) == (4, 2)
    (training,) = [t for t in p.trainings if t.kind == "training"]
    assert training.partner_no is not None  # the upazila agriculture office, by number
    assert training.members_female + training.members_male == 9
    assert training.others_female + training.others_male == 16
    assert len(p.meetings) == 12  # a year of monthly meetings, Feb 2016 to Jan 2017
    review = demo_ledger.reports.plans.review("CLUSTER:CHIRIRBANDAR-1", 2016)
    assert review is not None
    assert set(review.group_seals) == {"SHAPLA", "JOBA", "KAKOLI", "EKOTA"}
    assert all(a.costs > 0 for a in review.activities)
    plan = demo_ledger.reports.plans.plan("CLUSTER:CHIRIRBANDAR-1", 2016)
    assert plan is not None
    assert str(plan.completion) == "87.5"
    rows = demo_ledger.reports.clusters.programme(by="district")
    assert {r.name for r in rows} == {"Dinajpur", "Thakurgaon", "Rajshahi"}


def test_a_year_of_friday_meetings_from_november_2015(demo_ledger: Ledger) -> None:
    for g in demo_ledger.reports.groups.directory(upazila="Chirirbandar"):
        meetings = demo_ledger.reports.meetings.reconciliation(g.code).meetings
        assert len(meetings) == 53
        assert meetings[0].meeting_date == date(2015, 11, 6)
        assert all(m.meeting_date.weekday() == 4 for m in meetings)  # Friday


def test_rice_deposits_are_about_fourteen_handfuls(demo_ledger: Ledger) -> None:
    weekly = [
        line.grams  # type: ignore[attr-defined]
        for e in demo_ledger.events("SHAPLA")
        for _, line in e.lines()
        if line.kind == "deposit"
    ]
    assert min(weekly) >= 11 * 90 and max(weekly) <= 14 * 160
    assert len(weekly) > 500


def test_sales_on_credit_vermicompost_grant_and_a_few_real_discrepancies(
    demo_ledger: Ledger,
) -> None:
    kinds: Counter[str] = Counter()  # the four Chirirbandar groups of the field report
    flagged = 0
    for g in demo_ledger.reports.groups.directory(upazila="Chirirbandar"):
        kinds.update(line.kind for e in demo_ledger.events(g.code) for _, line in e.lines())
        kinds.update(e.type_name for e in demo_ledger.events(g.code))
        position = demo_ledger.reports.books.position(g.code)
        assert position.grants > 0
        assert [a.name for a in position.activities] == ["vermicompost"]
        assert position.activities[0].revenue > 0 and position.activities[0].costs > 0
        flagged += len(demo_ledger.reports.meetings.reconciliation(g.code).flagged)
        assert_books_balance(demo_ledger, g.code)
        assert_passbooks_add_up(demo_ledger, g.code)
    assert kinds["rice_payment"] > 20  # rice bought on credit, paid later
    assert kinds["MeetingRecorded"] == 4 * 53  # a meeting is one event
    assert kinds["EntryCorrected"] == 4
    assert 2 <= flagged <= 10
    assert_books_balance(demo_ledger)


def test_the_demo_is_deterministic_and_idempotent(demo_ledger: Ledger, tmp_path: Path) -> None:
    with Ledger(str(tmp_path / "again.db")) as again:
        demo.build(again)
        first = [(e.originator_version, vars(e)) for e in demo_ledger.events("KAKOLI")]
        assert [(e.originator_version, vars(e)) for e in again.events("KAKOLI")] == first
        before = again.load("KAKOLI").version
        demo.build(again)  # every command carries its key: nothing is recorded twice
        assert again.load("KAKOLI").version == before
