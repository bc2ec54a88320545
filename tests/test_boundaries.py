"""Exactly once and all or nothing at every boundary, proven with OS processes on one
database (SQLite and PostgreSQL): the same key from two processes, a batch killed half-way
and run again, two joins of one group into two clusters, a member leaving while she is
named to the platform, a ledger opened by many processes at once, a rebuild beside a writer.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from coopledger import (
    HoldClusterReview,
    IdempotencyConflict,
    InvalidInput,
    Ledger,
    RuleBroken,
    StorageRefused,
    audit,
)
from coopledger.kernel import unit as unit_module
from coopledger.kernel.integrity import seal
from coopledger.kernel.projection import Rows
from coopledger.testing import D1, D2, FORMED, fixed_clock, seed_group

FORK = multiprocessing.get_context("fork")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database several processes can open: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "books.db")
    return str(request.getfixturevalue("pg_url"))


def opened(url: str) -> Ledger:
    return Ledger(url, clock=fixed_clock, user="tester")


def run(target: Callable[..., None], *args: Any) -> multiprocessing.process.BaseProcess:
    process = FORK.Process(target=target, args=args)
    process.start()
    return process


def once_at(barrier: Any) -> None:
    """Wait at ``barrier`` just before this process's first save (not on its retries)."""

    def hook(_unit: Any) -> None:
        unit_module.BEFORE_SAVE.remove(hook)
        barrier.wait(timeout=30)

    unit_module.BEFORE_SAVE.append(hook)


def results(queue: Any, n: int) -> list[Any]:
    return [queue.get(timeout=60) for _ in range(n)]


# ---------------------------------------------------------------------- children
def _deposit_at_the_barrier(url: str, barrier: Any, grams: int, out: Any) -> None:
    """Record one deposit under key K, waiting at the barrier just before saving (so both
    processes have decided before either saves)."""
    once_at(barrier)
    with opened(url) as ledger:
        try:
            r = ledger.deposit_rice("JOBA", member=1, grams=grams, date=D1, key="K")
            out.put(("ok", r.first, r.last, r.replayed))
        except IdempotencyConflict as e:
            out.put(("conflict", e.field, None, None))


def _join_at_the_barrier(url: str, barrier: Any, cluster: str, out: Any) -> None:
    once_at(barrier)
    with opened(url) as ledger:
        try:
            ledger.join_cluster(cluster, group="JOBA", date=D2)
            out.put(("joined", cluster))
        except RuleBroken as e:
            out.put(("refused", str(e)))


def _leave_or_name(url: str, barrier: Any, action: str, out: Any) -> None:
    once_at(barrier)
    with opened(url) as ledger:
        try:
            if action == "leave":
                ledger.leave_member("JOBA", member=2, reason="moved", date=D2)
            else:
                ledger.name_representative("C1", group="JOBA", member=2, date=D2)
            out.put((action, "ok"))
        except RuleBroken as e:
            out.put((action, str(e)))


def _import_and_die(url: str, path: str) -> None:
    """Import a file, killing this process in the middle of its one transaction."""
    real = Rows.write

    def write_half_then_die(self: Rows, cursor: Any) -> None:
        statements = list(self.statements())
        for statement, params in statements[: len(statements) // 2]:
            cursor.executemany(statement, params)
        os.kill(os.getpid(), signal.SIGKILL)

    Rows.write = write_half_then_die  # type: ignore[method-assign]
    from coopledger.importer import import_file  # noqa: PLC0415

    with opened(url) as ledger:
        import_file(ledger, Path(path))
    Rows.write = real  # type: ignore[method-assign]


def _open_once(url: str, out: Any) -> None:
    try:
        with opened(url) as ledger:
            out.put(("ok", ledger.reports.groups.directory() == []))
    except Exception as e:  # noqa: BLE001 - reported to the parent
        out.put(("error", repr(e)))


def _keep_writing(url: str, stop: Any) -> None:
    with opened(url) as ledger:
        i = 0
        while not stop.is_set():
            ledger.deposit_rice("JOBA", member=1 + i % 3, grams=100, date=D1, key=f"w{i}")
            i += 1


def _review_after_a_cost(url: str, decided: Any, go: Any, out: Any) -> None:
    """Hold the platform's joint review; the first time it is about to be saved, let the
    parent book a cost in a group it counted, and only then save."""
    attempts: list[int] = []

    def hook(_unit: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            decided.set()
            go.wait(30)

    unit_module.BEFORE_SAVE.append(hook)
    with opened(url) as ledger:
        ledger.execute(
            HoldClusterReview(
                cluster="C1",
                date=D2,
                year=2016,
                facilitator="Member 1",
                activities=[{"id": "pit", "status": "done"}],
            )
        )
        review = ledger.reports.plans.review("cluster:C1", 2016)
        assert review is not None
        out.put((len(attempts), str(review.activities[0].costs), review.group_seals))


# ---------------------------------------------------------------------- exactly once
def test_a_key_sent_from_two_processes_at_once_is_recorded_once(url: str) -> None:
    with opened(url) as ledger:
        seed_group(ledger)
        before = ledger.load("JOBA").version
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [run(_deposit_at_the_barrier, url, barrier, 1400, out) for _ in range(2)]
    answers = results(out, 2)
    for c in children:
        c.join(30)
    assert sorted(a[3] for a in answers) == [False, True]  # one recorded, one replayed
    assert {(a[1], a[2]) for a in answers} == {(before + 1, before + 1)}
    with opened(url) as ledger:
        assert ledger.load("JOBA").version == before + 1
        assert ledger.reports.books.position("JOBA").rice_stock_grams == 1400
        assert audit.audit(ledger).ok


def test_a_key_sent_with_other_content_from_another_process_is_refused(url: str) -> None:
    with opened(url) as ledger:
        seed_group(ledger)
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [run(_deposit_at_the_barrier, url, barrier, g, out) for g in (1400, 1500)]
    answers = results(out, 2)
    for c in children:
        c.join(30)
    assert sorted(a[0] for a in answers) == ["conflict", "ok"]
    with opened(url) as ledger:
        assert ledger.reports.books.position("JOBA").rice_stock_grams in (1400, 1500)


def test_a_number_spelled_two_ways_is_the_same_command(any_ledger: Ledger) -> None:
    seed_group(any_ledger)
    any_ledger.save_cash("JOBA", member=1, taka="12.5", date=D1, key="s")
    again = any_ledger.save_cash("JOBA", member=1, taka=Decimal("12.50"), date=D1, key="s")
    assert again.replayed
    assert any_ledger.reports.books.position("JOBA").cash == Decimal("12.50")


# ---------------------------------------------------------------------- all or nothing
def _file(tmp_path: Path) -> Path:
    lines = [
        {"command": "deposit_rice", "group": "JOBA", "member": 1, "grams": 1000, "date": str(D1)},
        {"command": "deposit_rice", "group": "SHAPLA", "member": 1, "grams": 2000, "date": str(D1)},
        {"command": "save_cash", "group": "SHAPLA", "member": 2, "taka": "20", "date": str(D2)},
        {
            "command": "deposit_rice",
            "group": "JOBA",
            "member": 1,
            "grams": 1000,
            "date": str(D1),
        },  # the same line again: a second, equal entry
    ]
    path = tmp_path / "commands.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def test_a_batch_killed_half_way_leaves_nothing_and_runs_again_once(
    url: str, tmp_path: Path
) -> None:
    with opened(url) as ledger:
        seed_group(ledger, "JOBA")
        seed_group(ledger, "SHAPLA")
    path = _file(tmp_path)
    child = run(_import_and_die, url, str(path))
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    from coopledger.importer import import_file  # noqa: PLC0415

    with opened(url) as ledger:
        assert ledger.reports.books.position("JOBA").rice_stock_grams == 0
        assert ledger.reports.books.position("SHAPLA").rice_stock_grams == 0
        first = import_file(ledger, path)
        again = import_file(ledger, path)
        assert [r.replayed for r in first] == [False] * 4
        assert [r.replayed for r in again] == [True] * 4
        assert ledger.reports.books.position("JOBA").rice_stock_grams == 2000
        assert ledger.reports.books.position("SHAPLA").cash == Decimal("20.00")
        assert audit.audit(ledger).ok


def test_a_refusal_in_a_batch_writes_nothing_and_names_every_line(any_ledger: Ledger) -> None:
    from coopledger.importer import BatchRefused, import_lines  # noqa: PLC0415

    seed_group(any_ledger)
    lines = [
        json.dumps(
            {"command": "deposit_rice", "group": "JOBA", "member": 1, "grams": 10, "date": str(D1)}
        ),
        json.dumps(
            {"command": "deposit_rice", "group": "JOBA", "member": 9, "grams": 10, "date": str(D1)}
        ),
        json.dumps(
            {"command": "withdraw_cash", "group": "JOBA", "member": 1, "taka": "5", "date": str(D1)}
        ),
    ]
    with pytest.raises(BatchRefused) as info:
        import_lines(any_ledger, lines)
    assert [i for i, _ in info.value.errors] == [1, 2]
    assert any_ledger.reports.books.position("JOBA").rice_stock_grams == 0


# ---------------------------------------------------------------------- across streams
def _two_clusters(ledger: Ledger) -> None:
    seed_group(ledger)
    for code in ("C1", "C2"):
        ledger.form_cluster(
            code,
            name=code,
            district="Dinajpur",
            upazila="Chirirbandar",
            villages=["Mohalbari"],
            households=120,
            date=FORMED,
        )


def test_two_joins_of_one_group_into_two_clusters_at_once_admit_one(url: str) -> None:
    with opened(url) as ledger:
        _two_clusters(ledger)
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [run(_join_at_the_barrier, url, barrier, c, out) for c in ("C1", "C2")]
    answers = results(out, 2)
    for c in children:
        c.join(30)
    assert sorted(a[0] for a in answers) == ["joined", "refused"]
    with opened(url) as ledger:
        homes = [c.code for c in ledger.reports.clusters.clusters() if "JOBA" in c.groups]
        assert len(homes) == 1
        assert ledger.load("JOBA").cluster == homes[0]  # type: ignore[attr-defined]
        assert audit.audit(ledger).ok


def test_a_member_leaving_while_she_is_named_is_never_left_seated(url: str) -> None:
    with opened(url) as ledger:
        _two_clusters(ledger)
        ledger.join_cluster("C1", group="JOBA", date=D1)
    barrier, out = FORK.Barrier(2), FORK.Queue()
    children = [run(_leave_or_name, url, barrier, a, out) for a in ("leave", "name")]
    results(out, 2)
    for c in children:
        c.join(30)
    with opened(url) as ledger:
        assert ledger.reports.groups.members("JOBA")[1].active is False
        assert 2 not in ledger.load_cluster("C1").representatives.get("JOBA", [])  # type: ignore[attr-defined]


def test_a_platform_review_is_decided_again_when_a_groups_books_move_under_it(
    url: str,
) -> None:
    with opened(url) as ledger:
        _two_clusters(ledger)
        seed_group(ledger, "DOEL")
        ledger.join_cluster("C1", group="JOBA", date=D1)
        ledger.join_cluster("C1", group="DOEL", date=D1)
        ledger.adopt_cluster_plan(
            "C1",
            date=D1,
            year=2016,
            wellbeing={"categories": {"poor": 3}},
            micro_projects=[{"no": 1, "name": "Vermicompost"}],
            activities=[
                {
                    "id": "pit",
                    "micro_project": 1,
                    "name": "A compost pit in every group",
                    "activity": "vermicompost",
                    "responsible": "platform",
                    "start": "2015-11",
                    "end": "2015-11",
                }
            ],
        )
        ledger.receive_grant("JOBA", source="ALRD", purpose="pit", taka="500", date=D1)
    decided, go, out = FORK.Event(), FORK.Event(), FORK.Queue()
    child = run(_review_after_a_cost, url, decided, go, out)
    try:
        assert decided.wait(60)  # the review read JOBA's books and is about to save
        with opened(url) as ledger:
            ledger.book_activity_cost("JOBA", activity="vermicompost", taka="300", date=D1)
            joba = ledger.load("JOBA").chain_head
    finally:
        go.set()
    attempts, costs, seals = out.get(timeout=60)
    child.join(30)
    assert attempts == 2  # JOBA moved under the review: decided again on the new books
    assert costs == "300.00"
    assert seals["JOBA"] == seal(joba)


def test_a_member_who_leaves_loses_her_platform_seat(any_ledger: Ledger) -> None:
    _two_clusters(any_ledger)
    any_ledger.join_cluster("C1", group="JOBA", date=D1)
    any_ledger.name_representative("C1", group="JOBA", member=2, date=D1)
    any_ledger.leave_member("JOBA", member=2, reason="moved away", date=D2)
    cluster: Any = any_ledger.load_cluster("C1")
    assert cluster.representatives["JOBA"] == []
    last = any_ledger.events("CLUSTER:C1")[-1]
    assert last.type_name == "RepresentativeSteppedDown"
    assert last.business_date == D2


# ---------------------------------------------------------------------- opening, rebuilding
@pytest.mark.postgres
def test_many_processes_open_a_new_postgres_ledger_at_once(pg_url: str) -> None:
    for _ in range(3):
        out = FORK.Queue()
        children = [run(_open_once, pg_url, out) for _ in range(8)]
        answers = results(out, 8)
        for c in children:
            c.join(60)
        assert all(a[0] == "ok" for a in answers), answers


def test_a_rebuild_beside_a_writer_loses_and_doubles_nothing(url: str) -> None:
    with opened(url) as ledger:
        seed_group(ledger)
    stop = FORK.Event()
    writer = run(_keep_writing, url, stop)
    try:
        with opened(url) as ledger:
            deadline = time.monotonic() + 30
            while ledger.reports.books.position("JOBA").rice_stock_grams < 1000:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            for _ in range(3):
                ledger.rebuild_projections()
    finally:
        stop.set()
        writer.join(30)
    with opened(url) as ledger:
        result = audit.replay(ledger)
        assert result.ok, result.differences[:5]
        deposits = ledger.load("JOBA").version - 4
        assert ledger.reports.books.position("JOBA").rice_stock_grams == 100 * deposits


# ---------------------------------------------------------------------- meetings
def test_a_second_meeting_on_the_same_day_is_refused_naming_the_first(
    any_ledger: Ledger,
) -> None:
    seed_group(any_ledger)
    first = any_ledger.record_meeting(
        "JOBA", date=D1, key="a", attendance=[1], deposits=[{"member": 1, "grams": 1400}]
    )
    with pytest.raises(RuleBroken) as info:
        any_ledger.record_meeting(
            "JOBA", date=D1, key="b", attendance=[1], deposits=[{"member": 1, "grams": 1400}]
        )
    assert info.value.field == "date"
    assert first.seal in str(info.value) and str(first.last) in str(info.value)
    added = any_ledger.add_to_meeting(
        "JOBA", date=D1, key="c", deposits=[{"member": 2, "grams": 900}]
    )
    assert added.last == first.last + 1
    assert any_ledger.reports.books.position("JOBA").rice_stock_grams == 2300
    assert len(any_ledger.reports.meetings.reconciliation("JOBA").meetings) == 1


def test_a_meetings_checked_lines_are_the_lines_its_stored_event_gives(
    sqlite_ledger: Ledger,
) -> None:
    """The lines a meeting hands its new event (checked, postings worked out) are those the
    event gives once stored and read back: same parts, lines, postings and passbooks."""
    ledger = sqlite_ledger
    seed_group(ledger, members=3)
    pending: list[Any] = []
    unit_module.BEFORE_SAVE.append(lambda unit: pending.extend(unit.pending()))
    try:
        ledger.record_meeting(
            "JOBA",
            date=D1,
            attendance=[1, 2, 3],
            deposits=[{"member": 1, "grams": 1400}, {"member": 2, "grams": 900}],
            sales=[{"buyer": 3, "grams": 1000, "taka_per_kg": "32.5", "paid": "10"}],
            savings=[{"member": 1, "taka": "20"}],
            withdrawals=[{"member": 1, "taka": "5"}],
            counted_cash="25",
        )
        ledger.add_to_meeting("JOBA", date=D1, payments=[{"member": 3, "taka": "2.5"}])
    finally:
        unit_module.BEFORE_SAVE.pop()
    assert len(pending) == 2
    mapper = ledger.app.mapper
    for live in pending:
        stored = mapper.to_domain_event(mapper.to_stored_event(live))
        given, built = list(live.lines()), list(stored.lines())
        assert given == built
        assert [line.legs() for _, line in given] == [line.legs() for _, line in built]
        assert [line.passbook() for _, line in given] == [line.passbook() for _, line in built]
        assert live.postings() == stored.postings()


# ---------------------------------------------------------------------- errors
def test_a_database_refusal_is_not_retried_as_another_writer(any_ledger: Ledger) -> None:
    seed_group(any_ledger)
    calls: list[int] = []
    table = any_ledger.projector.t("members")
    # A row the next member's insert will collide with: a constraint, not a writer.
    any_ledger.db.execute(
        [
            f"INSERT INTO {table} (group_id, member_no, name, household, gender, community, "
            "landless, wellbeing, joined_on, left_on) VALUES ("
            f"'{any_ledger.load('JOBA').id.hex}', 4, 'x', 'x', 'female', '', 1, 'poor', "
            "'2015-11-03', NULL)"
        ]
    )
    unit_module.BEFORE_SAVE.append(lambda _unit: calls.append(1))
    try:
        with pytest.raises(StorageRefused) as info:
            any_ledger.join_member(
                "JOBA",
                name="Rina",
                household="H4",
                gender="female",
                landless=True,
                wellbeing="poor",
                date=D1,
            )
    finally:
        unit_module.BEFORE_SAVE.clear()
    assert len(calls) == 1  # tried once, not twenty times
    assert "another writer" not in str(info.value)


@pytest.mark.parametrize("text", ["Rina\x00", "Rina\x07", "\udc80"])
def test_unstorable_text_is_refused_the_same_everywhere(any_ledger: Ledger, text: str) -> None:
    seed_group(any_ledger)
    with pytest.raises(InvalidInput) as info:
        any_ledger.join_member(
            "JOBA",
            name=text,
            household="H",
            gender="female",
            landless=True,
            wellbeing="poor",
            date=D1,
        )
    assert info.value.field == "name"


@pytest.mark.parametrize("value", ["1e30", "1e-30", "NaN", "Infinity", "9" * 40])
def test_absurd_amounts_are_invalid_input(value: str) -> None:
    from coopledger.money import to_taka  # noqa: PLC0415

    with pytest.raises(InvalidInput) as info:
        to_taka(value, "taka")
    assert info.value.field == "taka"
