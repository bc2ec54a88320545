"""Audit: tampering caught by verify on SQLite and PostgreSQL, seals, replay, as-recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from coopledger import Ledger, audit
from coopledger.cli import main
from coopledger.kernel.integrity import chain_hash, normalise_seal, seal
from coopledger.kernel.streams import group_id
from coopledger.testing import D1, D2, D3, seed_group

# ---------------------------------------------------------------------- helpers


def books(ledger: Ledger) -> list[str]:
    """A group with three meetings, each followed by two deposits brought in late (events
    1-4 form the group, meetings are at 5, 8 and 11); returns the seals written in the
    minutes."""
    seed_group(ledger, "JOBA", members=3)
    seals = []
    for day in (D1, D2, D3):
        receipt = ledger.record_meeting(
            "JOBA",
            date=day,
            attendance=[1, 2, 3],
            deposits=[{"member": m, "grams": 1400 + 10 * m} for m in (1, 2, 3)],
            sales=[{"buyer": 2, "grams": 1000, "taka_per_kg": "30"}],
            counted_rice_grams=None,
        )
        seals.append(receipt.seal)
        if day != D3:
            for m in (1, 2):
                ledger.deposit_rice("JOBA", member=m, grams=100, date=day)
    return seals


def table(ledger: Ledger) -> str:
    return ledger.db.table(ledger.events_table)


def sid(ledger: Ledger) -> Any:
    stream = group_id("JOBA")
    return stream.hex if ledger.db.dialect == "sqlite" else stream


def raw(ledger: Ledger, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """SQL straight on the database, as someone with the file or a database login could."""
    with ledger.db.cursor(commit=True) as c:
        c.execute(ledger.db.sql(statement), params)
        try:
            return [dict(r) for r in c.fetchall()]
        except Exception:  # noqa: BLE001 - statements without rows
            return []


def state_of(ledger: Ledger, position: int) -> dict[str, Any]:
    row = raw(
        ledger,
        f"SELECT state FROM {table(ledger)} WHERE originator_id = ? AND originator_version = ?",
        (sid(ledger), position),
    )[0]
    return ledger.app.mapper.transcoder.decode(bytes(row["state"]))  # type: ignore[no-any-return]


def put_state(ledger: Ledger, position: int, data: dict[str, Any]) -> None:
    raw(
        ledger,
        f"UPDATE {table(ledger)} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (ledger.app.mapper.transcoder.encode(data), sid(ledger), position),
    )


def first_finding(ledger: Ledger) -> tuple[int, str]:
    result = audit.verify(ledger, "JOBA")
    assert not result.ok
    finding = result.checks[0].finding
    assert finding is not None
    return finding.position, finding.kind


def deposit_position(ledger: Ledger) -> int:
    return next(e.position for e in ledger.events("JOBA") if type(e).__name__ == "RiceDeposited")


# ---------------------------------------------------------------------- tampering


def test_an_untouched_ledger_verifies(any_ledger: Ledger) -> None:
    seals = books(any_ledger)
    result = audit.verify(any_ledger)
    assert result.ok
    assert result.heads() == {"JOBA": seals[-1]}
    for code in seals:
        assert audit.verify(any_ledger, seal_code=code).ok


def test_an_edited_amount_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    p = deposit_position(any_ledger)
    data = state_of(any_ledger, p)
    data["grams"] += 1000
    put_state(any_ledger, p, data)
    assert first_finding(any_ledger) == (p, "changed")


def test_an_edited_recorder_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    data = state_of(any_ledger, 9)
    data["recorded_by"] = "someone-else"
    put_state(any_ledger, 9, data)
    assert first_finding(any_ledger) == (9, "changed")


def test_a_changed_event_type_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    p = deposit_position(any_ledger)
    raw(
        any_ledger,
        f"UPDATE {table(any_ledger)} SET topic = ? WHERE originator_id = ? AND "
        "originator_version = ?",
        ("coopledger/CashSaved", sid(any_ledger), p),
    )
    assert first_finding(any_ledger) == (p, "changed")


def test_a_deleted_event_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    raw(
        any_ledger,
        f"DELETE FROM {table(any_ledger)} WHERE originator_id = ? AND originator_version = ?",
        (sid(any_ledger), 7),
    )
    assert first_finding(any_ledger) == (7, "removed")


def test_a_deleted_and_renumbered_event_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    last = any_ledger.load("JOBA").version
    raw(
        any_ledger,
        f"DELETE FROM {table(any_ledger)} WHERE originator_id = ? AND originator_version = ?",
        (sid(any_ledger), 7),
    )
    for v in range(8, last + 1):
        raw(
            any_ledger,
            f"UPDATE {table(any_ledger)} SET originator_version = ? WHERE "
            "originator_id = ? AND originator_version = ?",
            (v - 1, sid(any_ledger), v),
        )
    assert first_finding(any_ledger)[0] == 7


def test_swapped_events_are_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    t, s = table(any_ledger), sid(any_ledger)
    raw(
        any_ledger,
        f"UPDATE {t} SET originator_version = -1 WHERE originator_id = ? AND "
        "originator_version = 8",
        (s,),
    )
    raw(
        any_ledger,
        f"UPDATE {t} SET originator_version = 8 WHERE originator_id = ? AND originator_version = 9",
        (s,),
    )
    raw(
        any_ledger,
        f"UPDATE {t} SET originator_version = 9 WHERE originator_id = ? AND "
        "originator_version = -1",
        (s,),
    )
    assert first_finding(any_ledger) == (8, "reordered")


def test_an_inserted_event_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    t, s = table(any_ledger), sid(any_ledger)
    last = any_ledger.load("JOBA").version
    copy = raw(
        any_ledger,
        f"SELECT topic, state FROM {t} WHERE originator_id = ? AND originator_version = 6",
        (s,),
    )[0]
    for v in range(last, 7, -1):  # make room at position 8
        raw(
            any_ledger,
            f"UPDATE {t} SET originator_version = ? WHERE originator_id = ? AND "
            "originator_version = ?",
            (v + 1, s, v),
        )
    raw(
        any_ledger,
        f"INSERT INTO {t} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
        (s, 8, copy["topic"], bytes(copy["state"])),
    )
    position, kind = first_finding(any_ledger)
    assert position == 8
    assert kind in ("inserted", "out-of-order")


def test_an_event_with_a_recomputed_hash_breaks_the_next_link(any_ledger: Ledger) -> None:
    books(any_ledger)
    p = deposit_position(any_ledger)
    data = state_of(any_ledger, p)
    prev = state_of(any_ledger, p - 1)["chain_hash"]
    data["grams"] += 1000
    data["chain_hash"] = chain_hash(group_id("JOBA"), p, "coopledger/RiceDeposited", data, prev)
    put_state(any_ledger, p, data)
    assert first_finding(any_ledger) == (p + 1, "changed")


def test_a_rewritten_chain_is_caught_by_a_later_seal(any_ledger: Ledger) -> None:
    """Someone who rewrites every hash after an edit passes the chain check; the seals
    written in the paper minutes after the edit no longer match, those before still do."""
    seals = books(any_ledger)
    meetings = [m.position for m in any_ledger.reports.meetings.reconciliation("JOBA").meetings]
    target = meetings[0] + 1  # a deposit of the second meeting
    last = any_ledger.load("JOBA").version
    prev = state_of(any_ledger, target - 1)["chain_hash"]
    for p in range(target, last + 1):
        data = state_of(any_ledger, p)
        if p == target:
            data["grams"] += 1000
        topic = raw(
            any_ledger,
            f"SELECT topic FROM {table(any_ledger)} WHERE originator_id "
            "= ? AND originator_version = ?",
            (sid(any_ledger), p),
        )[0]["topic"]
        data["chain_hash"] = chain_hash(group_id("JOBA"), p, topic, data, prev)
        prev = data["chain_hash"]
        put_state(any_ledger, p, data)
    assert audit.verify(any_ledger).ok  # the chain alone cannot tell
    assert audit.verify(any_ledger, seal_code=seals[0]).ok  # the first meeting still holds
    late = audit.verify(any_ledger, seal_code=seals[1])
    assert not late.ok
    assert late.sealed_position is None


def test_removing_the_last_events_needs_a_seal_to_show(any_ledger: Ledger) -> None:
    seals = books(any_ledger)
    last = any_ledger.load("JOBA").version
    raw(
        any_ledger,
        f"DELETE FROM {table(any_ledger)} WHERE originator_id = ? AND originator_version = ?",
        (sid(any_ledger), last),
    )
    assert audit.verify(any_ledger).ok  # documented limit: a shorter chain is still a chain
    assert not audit.verify(any_ledger, seal_code=seals[-1]).ok
    assert audit.verify(any_ledger, seal_code=seals[-2]).ok


def test_an_unreadable_row_is_caught(any_ledger: Ledger) -> None:
    books(any_ledger)
    raw(
        any_ledger,
        f"UPDATE {table(any_ledger)} SET state = ? WHERE originator_id = ? AND "
        "originator_version = 5",
        (b"\x00garbage", sid(any_ledger)),
    )
    assert first_finding(any_ledger) == (5, "unreadable")


def test_verify_on_the_command_line(sqlite_ledger: Ledger) -> None:
    seals = books(sqlite_ledger)
    db = sqlite_ledger.config.setting
    result = CliRunner().invoke(main, ["--db", db, "verify", "--seal", seals[1].lower()])
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output
    assert "nothing recorded up to there has changed" in result.output
    data = state_of(sqlite_ledger, 6)
    data["grams"] = 1
    put_state(sqlite_ledger, 6, data)
    result = CliRunner().invoke(main, ["--db", db, "verify", "--group", "JOBA"])
    assert result.exit_code == 1
    assert "TAMPERED group JOBA, position 6 (2015-11-06): changed" in result.output


# ---------------------------------------------------------------------- seals


def test_seals_are_short_and_unambiguous() -> None:
    code = seal("f" * 64)
    assert len(code) == 9
    assert code[4] == "-"
    assert not set(code) & set("01OIL")
    assert normalise_seal(code.lower().replace("-", " ")) == code
    with pytest.raises(Exception, match="seal"):
        normalise_seal("O0O0-1111")


def test_every_meeting_shows_its_seal(any_ledger: Ledger) -> None:
    seals = books(any_ledger)
    shown = [m.seal for m in any_ledger.reports.meetings.reconciliation("JOBA").meetings]
    assert shown == seals


# ---------------------------------------------------------------------- replay


def test_replay_matches_and_then_finds_a_tampered_projection(any_ledger: Ledger) -> None:
    books(any_ledger)
    assert audit.replay(any_ledger).ok
    assert audit.replay(any_ledger, "JOBA").ok
    raw(
        any_ledger,
        f"UPDATE {any_ledger.projector.t('movements')} SET amount = amount + 1 "
        "WHERE account = 'Assets:RiceStock'",
    )
    result = audit.replay(any_ledger, "JOBA")
    assert not result.ok
    assert {d.table for d in result.differences} == {"movements"}
    assert {d.side for d in result.differences} == {"live only", "replay only"}


def test_replay_on_the_command_line(sqlite_ledger: Ledger) -> None:
    books(sqlite_ledger)
    db = sqlite_ledger.config.setting
    result = CliRunner().invoke(main, ["--db", db, "replay"])
    assert result.exit_code == 0
    assert "every projection matches" in result.output
    raw(sqlite_ledger, f"DELETE FROM {sqlite_ledger.projector.t('passbook')} WHERE member_no = 2")
    result = CliRunner().invoke(main, ["--db", db, "replay", "--group", "JOBA"])
    assert result.exit_code == 1
    assert "passbook (replay only)" in result.output


# ---------------------------------------------------------------------- two kinds of time


JAN, FEB, MAR = (datetime(2016, m, 15, 12, tzinfo=UTC) for m in (1, 2, 3))


def test_a_correction_in_march_changes_january_as_of_but_not_as_recorded(
    any_ledger: Ledger,
) -> None:
    clock = {"now": JAN}
    any_ledger.clock = lambda: clock["now"]
    seed_group(any_ledger)
    meeting = any_ledger.record_meeting(
        "JOBA", date=date(2016, 1, 8), attendance=[1], deposits=[{"member": 1, "grams": 1500}]
    )
    clock["now"] = MAR
    any_ledger.correct(
        "JOBA",
        target=meeting.last,
        part="deposits.0",
        changes={"grams": 1400},
        reason="misread",
        date=date(2016, 3, 11),
    )
    january = date(2016, 1, 31)
    # As of business date: the correction is in January's figures.
    assert any_ledger.reports.books.position("JOBA", as_of=january).rice_stock_grams == 1400
    # As the books stood in February, before the correction was recorded: it is not.
    with audit.as_recorded(any_ledger, FEB) as feb:
        assert feb.books.position("JOBA", as_of=january).rice_stock_grams == 1500
        assert feb.savings.passbook("JOBA", 1).rice_saved_grams == 1500
    with audit.as_recorded(any_ledger, MAR) as mar:
        assert mar.books.position("JOBA", as_of=january).rice_stock_grams == 1400


def test_a_back_dated_entry_shows_as_of_but_not_before_it_was_recorded(any_ledger: Ledger) -> None:
    clock = {"now": JAN}
    any_ledger.clock = lambda: clock["now"]
    seed_group(any_ledger)
    any_ledger.deposit_rice("JOBA", member=1, grams=1000, date=date(2016, 1, 8))
    clock["now"] = MAR
    any_ledger.deposit_rice("JOBA", member=2, grams=700, date=date(2016, 1, 1))  # late
    january = any_ledger.reports.books.position("JOBA", as_of=date(2016, 1, 31))
    assert january.rice_stock_grams == 1700
    with audit.as_recorded(any_ledger, FEB) as feb:
        assert feb.books.position("JOBA", as_of=date(2016, 1, 31)).rice_stock_grams == 1000
        assert feb.books.trial_balance("JOBA").totals["RICE"] == 0


def test_as_recorded_on_the_command_line(sqlite_ledger: Ledger) -> None:
    clock = {"now": JAN}
    sqlite_ledger.clock = lambda: clock["now"]
    seed_group(sqlite_ledger)
    sqlite_ledger.save_cash("JOBA", member=1, taka="50", date=date(2016, 1, 8))
    clock["now"] = MAR
    sqlite_ledger.save_cash("JOBA", member=1, taka="25", date=date(2016, 1, 8))
    db = sqlite_ledger.config.setting
    result = CliRunner().invoke(
        main,
        [
            "--db",
            db,
            "report",
            "group",
            "--group",
            "JOBA",
            "--as-recorded",
            "2016-02-01T00:00:00+00:00",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"cash": "50.00"' in result.output
    result = CliRunner().invoke(
        main, ["--db", db, "report", "group", "--group", "JOBA", "--format", "json"]
    )
    assert '"cash": "75.00"' in result.output


# ---------------------------------------------------------------------- upcasting


def test_a_version_1_group_formed_event_is_read_with_an_empty_ward(any_ledger: Ledger) -> None:
    """GroupFormed v1 (before wards) stored as it was then, read back upcast to v2."""
    seed_group(any_ledger)
    data = state_of(any_ledger, 1)
    assert data.pop("class_version") == 2
    del data["ward"]
    data["chain_hash"] = chain_hash(group_id("JOBA"), 1, "coopledger/GroupFormed", data, "0" * 64)
    put_state(any_ledger, 1, data)
    # The chain from position 2 on was hashed over the v2 form; re-hash it as a store
    # migrated from v1 would have been written.
    prev = data["chain_hash"]
    for p in range(
        2,
        any_ledger.app.events.recorder.select_events(group_id("JOBA"), desc=True, limit=1)[
            0
        ].originator_version
        + 1,
    ):
        later = state_of(any_ledger, p)
        topic = raw(
            any_ledger,
            f"SELECT topic FROM {table(any_ledger)} WHERE originator_id "
            "= ? AND originator_version = ?",
            (sid(any_ledger), p),
        )[0]["topic"]
        later["chain_hash"] = chain_hash(group_id("JOBA"), p, topic, later, prev)
        prev = later["chain_hash"]
        put_state(any_ledger, p, later)
    any_ledger.streams.evict(group_id("JOBA"))  # read from the store, not the cache
    formed = any_ledger.events("JOBA")[0]
    assert formed.ward == ""
    assert formed.code == "JOBA"
    assert audit.verify(any_ledger, "JOBA").ok  # hashes cover the stored (v1) form
    group = any_ledger.load("JOBA")
    assert group.profile["ward"] == ""
    any_ledger.deposit_rice("JOBA", member=1, grams=100, date=D1)
    assert audit.verify(any_ledger, "JOBA").ok
    assert any_ledger.reports.books.position("JOBA").rice_stock_grams == 100
    assert any_ledger.reports.books.trial_balance("JOBA").totals["BDT"] == Decimal("0.00")
