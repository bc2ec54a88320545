"""The second signature (maker-checker): what a group's rules name waits, takes effect only
when a different person approves it (by the rules on the books then, in the same save), is
rejected with a reason, is recorded once for its key, and two checkers at once approve it
once (two OS processes)."""

from __future__ import annotations

import gzip
import multiprocessing
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from coopledger import InvalidInput, Ledger, RuleBroken
from coopledger.kernel import unit as unit_module
from coopledger.testing import D1, D2, D3, fixed_clock, replay_matches, seed_group, snapshot

FORK = multiprocessing.get_context("fork")
DATA = Path(__file__).parent / "data"


def books(ledger: Ledger) -> Ledger:
    """JOBA with 20,000 Tk in the cash box and the default second-signature rules (loans
    above 5,000 Tk, write-offs, reschedules, corrections of a sealed meeting)."""
    seed_group(ledger)
    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=D1)
    ledger.set_approval_rules("JOBA", date=D1)
    return ledger


def as_(ledger: Ledger, user: str) -> Ledger:
    ledger.user = user
    return ledger


def big_loan(ledger: Ledger, **extra: Any) -> Any:
    return ledger.disburse_loan(
        "JOBA", member=2, principal="8000", instalments=4, purpose="cow", date=D2, **extra
    )


def test_a_loan_above_the_limit_waits_and_takes_effect_when_another_person_approves(
    any_ledger: Ledger,
) -> None:
    ledger = as_(books(any_ledger), "rina")
    assert (
        ledger.disburse_loan(
            "JOBA", member=1, principal="2000", instalments=4, purpose="goat", date=D2
        )
        == 1
    )  # under the limit: at once
    assert big_loan(ledger) == {"waiting": 1}
    assert [x.loan_no for x in ledger.reports.loans.loans("JOBA")] == [1]  # not yet lent
    (waiting,) = ledger.reports.approvals.waiting("JOBA")
    assert (waiting.maker, waiting.command_name, waiting.status) == (
        "rina",
        "disburse_loan",
        "waiting",
    )
    assert waiting.command["principal"] == "8000.00"

    receipt = as_(ledger, "karim").approve_entry("JOBA", entry=1, date=D3)
    assert receipt.result == 2  # the loan's number, as disbursing gives it
    loans = ledger.reports.loans.loans("JOBA")
    assert [(x.loan_no, x.principal, x.approved_by) for x in loans] == [
        (1, Decimal("2000.00"), ""),
        (2, Decimal("8000.00"), "karim"),
    ]
    (done,) = ledger.reports.approvals.entries("JOBA")
    assert (done.status, done.maker, done.checker) == ("approved", "rina", "karim")
    assert ledger.reports.approvals.signatures("JOBA") == {done.first_position: ("rina", "karim")}
    lent, approved = ledger.events("JOBA", after=receipt.first - 1)
    assert (lent.type_name, lent.business_date) == ("LoanDisbursed", D2)  # the maker's date
    assert "karim approved entry 1 (disburse_loan) made by rina" in str(approved.describe())
    assert replay_matches(ledger)


def test_the_maker_herself_may_not_approve_and_nothing_is_written(any_ledger: Ledger) -> None:
    ledger = as_(books(any_ledger), "rina")
    big_loan(ledger)
    before = snapshot(ledger, "JOBA")
    with pytest.raises(RuleBroken) as refused:
        ledger.approve_entry("JOBA", entry=1, date=D3)
    assert (refused.value.field, refused.value.value) == ("recorded_by", "rina")
    assert "a different person must approve it" in str(refused.value)
    # nor may a checker send it in the maker's name
    with pytest.raises(RuleBroken):
        as_(ledger, "karim").approve_entry("JOBA", entry=1, date=D3, recorded_by="rina")
    assert snapshot(ledger, "JOBA") == before


def test_a_rejection_is_recorded_with_its_reason_and_the_entry_never_takes_effect(
    any_ledger: Ledger,
) -> None:
    ledger = as_(books(any_ledger), "rina")
    big_loan(ledger)
    as_(ledger, "karim").reject_entry("JOBA", entry=1, reason="she has a loan elsewhere", date=D3)
    (done,) = ledger.reports.approvals.entries("JOBA", status="rejected")
    assert (done.checker, done.reason) == ("karim", "she has a loan elsewhere")
    before = snapshot(ledger, "JOBA")
    with pytest.raises(RuleBroken, match="already rejected by karim"):
        as_(ledger, "selina").approve_entry("JOBA", entry=1, date=D3)
    with pytest.raises(InvalidInput) as unknown:
        ledger.approve_entry("JOBA", entry=9, date=D3)
    assert (unknown.value.field, unknown.value.value) == ("entry", 9)
    with pytest.raises(InvalidInput) as empty:
        ledger.reject_entry("JOBA", entry=1, reason=" ", date=D3)
    assert empty.value.field == "reason"
    assert snapshot(ledger, "JOBA") == before
    assert ledger.reports.loans.loans("JOBA") == []


def test_approval_decides_by_the_rules_on_the_books_then(any_ledger: Ledger) -> None:
    ledger = as_(books(any_ledger), "rina")
    big_loan(ledger)
    ledger.pay_expense("JOBA", category="seeds", payee="seed shop", taka="15000", date=D2)
    before = snapshot(ledger, "JOBA")
    with pytest.raises(RuleBroken) as refused:
        as_(ledger, "karim").approve_entry("JOBA", entry=1, date=D3)
    assert refused.value.field == "principal"
    assert "cash box" in str(refused.value)
    assert snapshot(ledger, "JOBA") == before  # still waiting; nothing written


def test_a_command_the_rules_refuse_is_refused_when_made_not_set_aside(
    any_ledger: Ledger,
) -> None:
    ledger = books(any_ledger)
    before = snapshot(ledger, "JOBA")
    with pytest.raises(RuleBroken) as refused:
        ledger.disburse_loan(
            "JOBA", member=1, principal="30000", instalments=4, purpose="x", date=D2
        )
    assert refused.value.field == "principal"
    assert snapshot(ledger, "JOBA") == before


def test_a_waiting_command_with_a_key_is_recorded_once(any_ledger: Ledger) -> None:
    ledger = as_(books(any_ledger), "rina")
    first = ledger.execute(_loan_command(key="L-1"))
    again = ledger.execute(_loan_command(key="L-1"))
    assert (first.result, again.result, again.replayed) == ({"waiting": 1}, {"waiting": 1}, True)
    assert len(ledger.reports.approvals.waiting("JOBA")) == 1
    as_(ledger, "karim").approve_entry("JOBA", entry=1, date=D3)
    after = as_(ledger, "rina").execute(_loan_command(key="L-1"))
    assert after.replayed
    assert len(ledger.reports.loans.loans("JOBA")) == 1


def _loan_command(key: str) -> Any:
    from coopledger.kernel.commands import parse_command  # noqa: PLC0415

    return parse_command(
        {
            "command": "disburse_loan",
            "group": "JOBA",
            "member": 2,
            "principal": "8000",
            "instalments": 4,
            "purpose": "cow",
            "date": D2.isoformat(),
            "key": key,
        }
    )


def test_rules_name_commands_and_a_bad_name_is_refused(any_ledger: Ledger) -> None:
    seed_group(any_ledger)
    before = snapshot(any_ledger, "JOBA")
    with pytest.raises(InvalidInput) as refused:
        any_ledger.set_approval_rules("JOBA", commands=["write_off_loan", "frob"], date=D1)
    assert (refused.value.field, refused.value.value) == ("commands[1]", "frob")
    with pytest.raises(InvalidInput) as itself:
        any_ledger.set_approval_rules("JOBA", commands=["approve_entry"], date=D1)
    assert itself.value.field == "commands[0]"
    assert snapshot(any_ledger, "JOBA") == before
    # a command another part of the books adds later (the share-out) may be named now
    any_ledger.set_approval_rules("JOBA", commands=["close_cycle"], loan_limit=None, date=D1)
    assert any_ledger.load("JOBA").approval_rules == {  # type: ignore[attr-defined]
        "commands": ["close_cycle"],
        "loan_limit": None,
    }


def test_every_loan_waits_without_a_limit_and_nothing_waits_without_rules(
    any_ledger: Ledger,
) -> None:
    seed_group(any_ledger)
    any_ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=D1)
    loan = any_ledger.disburse_loan(
        "JOBA", member=1, principal="100", instalments=1, purpose="x", date=D2
    )
    assert loan == 1  # no rules recorded: nothing waits
    any_ledger.set_approval_rules("JOBA", commands=["disburse_loan"], loan_limit=None, date=D2)
    assert any_ledger.disburse_loan(
        "JOBA", member=2, principal="100", instalments=1, purpose="x", date=D2
    ) == {"waiting": 1}
    # write-offs are not named this time: at once
    any_ledger.write_off_loan("JOBA", loan=1, reason="moved", date=D2)
    assert any_ledger.reports.loans.loans("JOBA")[0].status == "written off"


def test_a_correction_of_a_sealed_meeting_waits_and_one_of_a_lone_entry_does_not(
    any_ledger: Ledger,
) -> None:
    ledger = as_(books(any_ledger), "rina")
    meeting = ledger.record_meeting(
        "JOBA", date=D2, deposits=[{"member": 1, "grams": 700}, {"member": 2, "grams": 500}]
    )
    lone = ledger.deposit_rice("JOBA", member=3, grams=300, date=D2)
    ledger.correct("JOBA", target=lone.last, reason="typed twice", date=D3)
    waiting = ledger.correct(
        "JOBA", target=meeting.last, part="deposits.1", reason="wrong member", date=D3
    )
    assert waiting.result == {"waiting": 1}
    assert ledger.reports.savings.passbook("JOBA", 2).rice_saved_grams == 500
    as_(ledger, "karim").approve_entry("JOBA", entry=1, date=D3)
    assert ledger.reports.savings.passbook("JOBA", 2).rice_saved_grams == 0
    assert replay_matches(ledger)


def test_approved_by_of_older_loan_events_is_still_read_and_shown(tmp_path: Path) -> None:
    path = tmp_path / "ledger-0.1.0.db"
    with gzip.open(DATA / "ledger-0.1.0.db.gz") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    with Ledger(str(path), user="auditor") as old:
        found = [
            (code, e)
            for code in [g.code for g in old.reports.groups.directory()]
            for e in old.events(code)
            if e.type_name in ("LoanDisbursed", "LoanWrittenOff")
        ]
        assert found
        notes = {event.approval_note for _code, event in found}  # type: ignore[attr-defined]
        assert notes == {"group meeting", "group leader"}  # 0.1's free text, upcast
        for _code, event in found:
            note = event.approval_note  # type: ignore[attr-defined]
            assert f"(approved by {note})" in str(event.describe())
        lent = {e.approval_note for _c, e in found if e.type_name == "LoanDisbursed"}  # type: ignore[attr-defined]
        shown = {x.approved_by for code, _e in found for x in old.reports.loans.loans(code)}
        assert shown == lent


# ---------------------------------------------------------------------- two processes
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "books.db")
    return str(request.getfixturevalue("pg_url"))


def _approve_at_the_barrier(url: str, who: str, barrier: Any, out: Any) -> None:
    """Approve entry 1 as ``who``, waiting at the barrier just before the first save, so
    both processes have decided before either saves."""

    def hook(_unit: Any) -> None:
        unit_module.BEFORE_SAVE.remove(hook)
        barrier.wait(timeout=30)

    unit_module.BEFORE_SAVE.append(hook)
    with Ledger(url, clock=fixed_clock, user=who) as ledger:
        try:
            r = ledger.approve_entry("JOBA", entry=1, date=D3)
            out.put(("ok", who, r.result))
        except RuleBroken as e:
            out.put(("refused", e.field, str(e)))


def test_two_checkers_approving_at_once_record_the_entry_once(url: str) -> None:
    with Ledger(url, clock=fixed_clock, user="rina") as ledger:
        books(ledger)
        assert big_loan(ledger) == {"waiting": 1}
    barrier, out = FORK.Barrier(2), FORK.Queue()
    processes = [
        FORK.Process(target=_approve_at_the_barrier, args=(url, who, barrier, out))
        for who in ("karim", "selina")
    ]
    for p in processes:
        p.start()
    got = sorted([out.get(timeout=60) for _ in processes], key=lambda r: r[0])
    for p in processes:
        p.join(timeout=60)
    assert [r[0] for r in got] == ["ok", "refused"]
    winner = got[0][1]
    assert got[0][2] == 1  # the loan's number
    assert got[1][1] == "entry"
    assert f"already approved by {winner}" in got[1][2]
    with Ledger(url, clock=fixed_clock, user="auditor") as ledger:
        (loan,) = ledger.reports.loans.loans("JOBA")
        assert (loan.principal, loan.approved_by) == (Decimal("8000.00"), winner)
        assert ledger.reports.loans.loans("JOBA")[0].loan_no == 1
        types = [e.type_name for e in ledger.events("JOBA")]
        assert (types.count("LoanDisbursed"), types.count("EntryApproved")) == (1, 1)
        assert replay_matches(ledger)


def test_an_approval_dated_before_the_entry_is_refused(any_ledger: Ledger) -> None:
    ledger = as_(books(any_ledger), "rina")
    big_loan(ledger)
    with pytest.raises(InvalidInput) as refused:
        as_(ledger, "karim").approve_entry("JOBA", entry=1, date=date(2015, 11, 7))
    assert refused.value.field == "date"
