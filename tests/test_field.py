"""Field ledgers: a group's books taken to a laptop, recorded there with no connection and
synced at the office, exactly once whatever cuts the sync. The office is a real server in
its own process (``coopledger serve``); the laptop is another ledger file, driven through
the command line in processes of its own and through the Python API."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

pytest.importorskip("litestar", reason="the office side needs the 'web' extra")

from coopledger import Ledger, RuleBroken, audit
from coopledger.field import PROTOCOL, SyncRefused, seal_news, version
from coopledger.kernel.integrity import seal as seal_of
from coopledger.sync import Office, checkout, give_back, sync
from coopledger.testing import seed_group
from coopweb import Accounts, create_app
from coopweb.accounts import User

BIN = Path(sys.executable).parent
MEETING = date(2016, 1, 8)
PASSWORD = "a-long-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    office_db: str
    laptop_db: str
    url: str
    token: str
    process: subprocess.Popen[bytes]

    def start(self) -> None:
        """(Re)start the office server and wait until it answers."""
        port = int(self.url.rsplit(":", 1)[1])
        self.process = subprocess.Popen(
            [str(BIN / "coopledger"), "--db", self.office_db, "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login", timeout=1)  # noqa: S310
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the office server did not start")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "coopledger"), "--db", self.laptop_db, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check:
            assert done.returncode == 0, done.stderr + done.stdout
        return done


@pytest.fixture
def site(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Site]:
    """The office (SQLite, or PostgreSQL with ``indirect`` "postgres") and a laptop."""
    backend = getattr(request, "param", "sqlite")
    office_db = (
        request.getfixturevalue("pg_url") if backend == "postgres" else str(tmp_path / "office.db")
    )
    laptop_db = str(tmp_path / "laptop.db")
    with Ledger(office_db) as office:
        seed_group(office, "JOBA", members=3, partner="SUSTAIN")
        seed_group(office, "DOEL", members=2)
        accounts = Accounts(office.db)
        accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
        token = accounts.issue_token(User("rina", "animator", groups=frozenset({"JOBA"}))).token
    s = Site(office_db, laptop_db, f"http://127.0.0.1:{free_port()}", token, None)  # type: ignore[arg-type]
    s.start()
    yield s
    s.stop()


def seals(db: str, code: str) -> list[str]:
    with Ledger(db) as ledger:
        return [m.seal for m in ledger.reports.meetings.reconciliation(code).meetings]


def meeting(ledger: Ledger, day: date, grams: int = 1000) -> str:
    receipt = ledger.record_meeting(
        "JOBA",
        date=day,
        key=f"meeting-{day}",
        attendance=[1, 2],
        deposits=[{"member": 1, "grams": grams}, {"member": 2, "grams": 500}],
    )
    return receipt.seal


# ---------------------------------------------------------------------- the whole round
BOTH = pytest.mark.parametrize(
    "site", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@BOTH
def test_a_meeting_recorded_in_the_field_reaches_the_office_with_its_seal(site: Site) -> None:
    site.cli("field", "checkout", "--server", site.url, "--token", site.token, "--group", "JOBA")
    with Ledger(site.office_db) as office, Ledger(site.laptop_db) as laptop:
        assert version(laptop, "JOBA") == version(office, "JOBA")
        assert laptop.in_field
        # The office refuses its own writes while the laptop holds the group ...
        with pytest.raises(RuleBroken, match="in the field with rina"):
            office.deposit_rice("JOBA", member=1, grams=100, date=MEETING)
        # ... and the laptop writes only the group it holds: a year of meetings, offline.
        paper = [meeting(laptop, MEETING + timedelta(weeks=w)) for w in range(52)]
    synced = site.cli("sync")  # in one go
    assert "52 events sent" in synced.stdout
    assert seals(site.office_db, "JOBA") == seals(site.laptop_db, "JOBA") == paper
    with Ledger(site.office_db) as office:
        checked = audit.audit(office)
        assert checked.ok, [
            (s.chain.group, s.differences[:3], s.snapshot, s.rules) for s in checked.streams
        ]
        assert office.reports.books.position("JOBA").rice_stock_grams == 52 * 1500
    with Ledger(site.laptop_db) as laptop:
        assert audit.audit(laptop).ok  # both sides verify and replay
    # Giving the books back: the office writes again, the laptop no longer does.
    site.cli("field", "return", "--group", "JOBA")
    with Ledger(site.office_db) as office, Ledger(site.laptop_db) as laptop:
        office.deposit_rice("JOBA", member=1, grams=100, date=MEETING)
        with pytest.raises(RuleBroken, match="does not hold"):
            laptop.deposit_rice("JOBA", member=1, grams=100, date=MEETING)


@BOTH
def test_a_sync_cut_at_random_moments_records_nothing_twice_and_loses_nothing(
    site: Site,
) -> None:
    site.cli("field", "checkout", "--server", site.url, "--token", site.token, "--group", "JOBA")
    paper = []
    with Ledger(site.laptop_db) as laptop:
        for week in range(30):
            paper.append(meeting(laptop, MEETING + timedelta(weeks=week), grams=900 + week))
    rng = random.Random(7)
    env = {**os.environ, "COOPLEDGER_SYNC_BATCH": "1"}  # one event a request: many cuts
    deadline = time.monotonic() + 45  # a few dozen cuts, bounded
    for round_ in range(24):
        if time.monotonic() > deadline:
            break
        child = subprocess.Popen(
            [str(BIN / "coopledger"), "--db", site.laptop_db, "sync"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.1, 0.9))
        child.send_signal(signal.SIGKILL)  # the laptop dies mid-sync
        child.wait(10)
        if round_ == 5:  # and once the office's server goes down and comes back
            site.stop()
            site.start()
    site.cli("sync")
    with Ledger(site.office_db) as office:
        assert seals(site.office_db, "JOBA") == paper  # every one, once, as on paper
        keys = [e.idempotency_key for e in office.events("JOBA")]
        assert len(keys) == len(set(keys))
        assert audit.audit(office).ok
    with Ledger(site.laptop_db) as laptop:  # verify and replay pass on both sides
        assert audit.audit(laptop).ok
        assert seals(site.laptop_db, "JOBA") == paper


# ---------------------------------------------------------------------- limited sight
def test_only_her_groups_and_only_with_a_live_token(site: Site) -> None:
    refused = site.cli(
        "field",
        "checkout",
        "--server",
        site.url,
        "--token",
        site.token,
        "--group",
        "DOEL",
        check=False,
    )
    assert refused.returncode == 2
    assert "403" in refused.stderr
    site.cli("field", "checkout", "--server", site.url, "--token", site.token, "--group", "JOBA")
    with Ledger(site.office_db) as office:  # the laptop is lost: its token is revoked
        Accounts(office.db).revoke_tokens("rina")
    with Ledger(site.laptop_db) as laptop:
        meeting(laptop, MEETING)
    gone = site.cli("sync", check=False)
    assert gone.returncode == 2
    assert "token" in gone.stderr
    with Ledger(site.office_db) as office:
        assert seals(site.office_db, "JOBA") == []
        assert version(office, "JOBA") < version(Ledger(site.laptop_db), "JOBA")


# ---------------------------------------------------------------------- people decide
def test_after_a_recall_the_laptops_entries_are_held_not_merged(site: Site) -> None:
    site.cli("field", "checkout", "--server", site.url, "--token", site.token, "--group", "JOBA")
    with Ledger(site.office_db) as office:
        from coopledger.field import RecallFromField  # noqa: PLC0415

        office.execute(RecallFromField(group="JOBA", reason="laptop lost", date=MEETING))
        office.deposit_rice("JOBA", member=3, grams=250, date=MEETING)  # the office writes again
        before = version(office, "JOBA")
    with Ledger(site.laptop_db) as laptop:
        seal = meeting(laptop, MEETING)
    held = site.cli("sync")
    assert "held there for a manager" in held.stderr
    with Ledger(site.office_db) as office:
        assert version(office, "JOBA") == before  # nothing merged
        row = office.db.query("SELECT * FROM cl_field_held")[0]
        events = json.loads(row["events"])
        commands = json.loads(row["commands"])
        # The held meeting keeps the seal written on paper, and the command that made it.
        assert [seal_of(json.loads(e["data"])["chain_hash"]) for e in events] == [seal]
        assert commands[0]["command"] == "record_meeting"
        assert commands[0]["key"] == f"meeting-{MEETING}"
    # A manager sees both versions and applies the laptop's meeting again on top.
    with Ledger(site.office_db) as office:
        app = create_app(office, load_entry_points=False, secure_cookies=False)
        app.state.accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
        with TestClient(app) as client:
            client.get("/login")
            client.post(
                "/login",
                data={
                    "username": "mita",
                    "password": PASSWORD,
                    "_csrf_token": client.cookies.get("csrftoken"),
                },
            )
            page = client.get(f"/field/held/{row['id']}")
            assert page.status_code == 200, page.text
            assert "recalled from the field: laptop lost" in page.text  # the office's side
            assert seal in page.text  # the laptop's side, with its paper seal
            applied = client.post(
                f"/field/held/{row['id']}/apply",
                headers={"x-csrftoken": client.cookies.get("csrftoken") or ""},
            )
            assert applied.status_code == 200, applied.text
            new = re.search(r'<strong class="seal">([^<]+)<', applied.text)
            assert new is not None and new.group(1) != seal
        assert seals(site.office_db, "JOBA") == [new.group(1)]
        news = seal_news(office, seal)
        assert news is not None and new.group(1) in str(news)
    proof = subprocess.run(
        [str(BIN / "coopledger"), "--db", site.office_db, "verify", "--seal", seal],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert f"recorded again at the office as {new.group(1)}" in proof.stdout


# ---------------------------------------------------------------------- bad days
def test_a_damaged_field_ledger_sends_nothing(site: Site) -> None:
    site.cli("field", "checkout", "--server", site.url, "--token", site.token, "--group", "JOBA")
    with Ledger(site.laptop_db) as laptop:
        meeting(laptop, MEETING)
    with sqlite3.connect(site.laptop_db) as db:  # a byte changed on the laptop's disk
        (state,) = db.execute(
            "SELECT state FROM stored_events ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = (SELECT MAX(rowid) FROM "
            "stored_events)",
            (bytes(state).replace(b"1000", b"9000"),),
        )
    damaged = site.cli("sync", check=False)
    assert damaged.returncode == 2
    assert "damaged" in damaged.stderr
    assert seals(site.office_db, "JOBA") == []


def test_a_wrong_clock_is_shown_and_an_old_protocol_refused(site: Site) -> None:
    far = datetime.now(tz=UTC) + timedelta(days=5)
    with Ledger(site.laptop_db, clock=lambda: far) as laptop:
        office = Office(site.url, site.token)
        report = checkout(laptop, office, "JOBA")
        assert report.warnings and "days off" in report.warnings[0]
        (again,) = sync(laptop, office)
        assert again.warnings
        give_back(laptop, "JOBA", office)
    with Ledger(site.office_db) as at_office:  # both times kept: recorded, and received
        (row,) = at_office.db.query("SELECT * FROM cl_field_received")
        recorded = at_office.events("JOBA")[row["position"] - 1].timestamp
        received = datetime.fromisoformat(row["received_at"])
        assert recorded - received > timedelta(days=4)  # the laptop's clock, 5 days ahead
        assert row["sent_by"] == "rina"
    old = urllib.request.Request(  # noqa: S310 - the test's own server
        site.url + "/api/v1/field/checkout",
        data=json.dumps({"protocol": PROTOCOL + 1, "device": "d" * 32, "group": "JOBA"}).encode(),
        headers={"Authorization": f"Bearer {site.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(old, timeout=10)  # noqa: S310
    assert refused.value.code == 409
    assert "upgrade the office" in refused.value.read().decode()
    with pytest.raises(SyncRefused, match="cannot be reached"):
        sync(Ledger(site.laptop_db), Office("http://127.0.0.1:9", site.token), ["JOBA"])


def test_the_laptops_pages_sync_with_a_button(site: Site) -> None:
    with Ledger(site.laptop_db) as laptop:
        checkout(laptop, Office(site.url, site.token), "JOBA")
        seal = meeting(laptop, MEETING)
        app = create_app(laptop, load_entry_points=False, secure_cookies=False)
        app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
        with TestClient(app) as client:
            client.get("/login")
            client.post(
                "/login",
                data={
                    "username": "rina",
                    "password": PASSWORD,
                    "_csrf_token": client.cookies.get("csrftoken"),
                },
            )
            groups = client.get("/groups").text
            assert 'id="field-sync"' in groups
            done = client.post(
                "/field/sync", headers={"x-csrftoken": client.cookies.get("csrftoken") or ""}
            )
            assert done.status_code == 200, done.text
            assert "1 entries sent" in done.text
    assert seals(site.office_db, "JOBA") == [seal]


def test_an_event_type_this_ledger_does_not_know_is_refused_naming_the_upgrade(
    tmp_path: Path,
) -> None:
    from coopledger.field import TakeToField, WireEvent, receive, wire_events  # noqa: PLC0415
    from coopledger.kernel.integrity import chain_hash  # noqa: PLC0415
    from coopledger.kernel.streams import stream_id  # noqa: PLC0415

    with Ledger(str(tmp_path / "o.db")) as office, Ledger(str(tmp_path / "l.db")) as laptop:
        seed_group(office, "JOBA")
        office.execute(TakeToField(group="JOBA", device=laptop.device, date=office.today()))
        at = version(office, "JOBA")
        (last,) = wire_events(office, "JOBA", after=at - 1)
        data = json.loads(last.data)
        topic = "coopledger/HarvestShared"  # from a later release
        fields = office.app.mapper.transcoder.decode(last.data.encode())
        data["chain_hash"] = chain_hash(
            stream_id("JOBA").hex, at + 1, topic, fields, fields["chain_hash"]
        )
        future = WireEvent(at + 1, topic, json.dumps(data))
        receive(laptop, "JOBA", wire_events(office, "JOBA"))
        with pytest.raises(SyncRefused, match="upgrade coopledger here"):
            receive(laptop, "JOBA", [future])
        assert version(laptop, "JOBA") == at  # nothing written


def test_two_laptops_cannot_hold_one_group_and_the_office_waits(site: Site, tmp_path: Path) -> None:
    office = Office(site.url, site.token)
    with Ledger(site.laptop_db) as first, Ledger(str(tmp_path / "second.db")) as second:
        checkout(first, office, "JOBA")
        with pytest.raises(SyncRefused, match="already in the field with rina"):
            checkout(second, office, "JOBA")
        with Ledger(site.office_db) as at_office, pytest.raises(RuleBroken):
            at_office.deposit_rice("JOBA", member=1, grams=100, date=MEETING)
        meeting(first, MEETING)
        give_back(first, "JOBA", office)
        taken = checkout(second, office, "JOBA")  # now the second may take them
        assert taken.version == version(first, "JOBA") + 1  # with the first one's meeting
        assert [m.seal for m in second.reports.meetings.reconciliation("JOBA").meetings] == seals(
            site.office_db, "JOBA"
        )
