"""The cluster-platform plugin: a year of a platform recorded through its forms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coopweb_cluster_platform
import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, D3, fixed_clock, seed_group
from coopweb import create_app

PASSWORD = "a-long-password"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger(str(tmp_path / "books.db"), clock=fixed_clock)
    seed_group(ledger, "JOBA", members=3)
    seed_group(ledger, "DOEL", members=2)
    ledger.form_cluster(
        "CP1",
        name="Cluster one",
        district="Dinajpur",
        upazila="Chirirbandar",
        ward="3",
        villages=["Mohalbari"],
        households=150,
        partner="SUSTAIN",
        date=D1,
    )
    ledger.join_cluster("CP1", group="JOBA", date=D1)
    ledger.join_cluster("CP1", group="DOEL", date=D1)
    yield ledger
    ledger.close()


def signed_in(ledger: Ledger, username: str, role: str, **kw: Any) -> TestClient[Any]:
    app = create_app(
        ledger, plugins=[coopweb_cluster_platform], load_entry_points=False, secure_cookies=False
    )
    app.state.accounts.save(username, role=role, password=PASSWORD, **kw)
    client = TestClient(app)
    client.__enter__()
    client.get("/login")
    client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )
    return client


@pytest.fixture
def manager(ledger: Ledger) -> Iterator[TestClient[Any]]:
    client = signed_in(ledger, "mita", "manager", partner="SUSTAIN")
    yield client
    client.__exit__(None, None, None)


def post(client: TestClient[Any], form: str, data: dict[str, Any]) -> Any:
    return client.post(
        f"/clusters/CP1/forms/{form}", data={**data, "_csrf_token": client.cookies.get("csrftoken")}
    )


def record(client: TestClient[Any], name: str, data: dict[str, Any]) -> Any:
    """A platform command through its core entry form (``/clusters/CP1/entries/<name>``)."""
    r = client.post(
        f"/clusters/CP1/entries/{name}",
        data={**data, "_csrf_token": client.cookies.get("csrftoken")},
    )
    assert r.status_code == 200, r.text
    assert 'class="seal"' in r.text, r.text
    return r


def test_a_platform_year_through_the_forms(manager: TestClient[Any], ledger: Ledger) -> None:
    listing = manager.get("/clusters/CP1").text
    for name in ("name_representative", "sign_mou", "adopt_cluster_plan", "hold_training"):
        assert f'href="/clusters/CP1/entries/{name}"' in listing
    record(manager, "name_representative", {"date": str(D1), "group": "JOBA", "member": "1"})
    record(manager, "name_representative", {"date": str(D1), "group": "DOEL", "member": "2"})
    record(
        manager,
        "sign_mou",
        {
            "date": str(D1),
            "parties.0.party": "JOBA",
            "parties.0.role": "group chairperson",
            "parties.0.signed_by": "Member 1",
            "parties.1.party": "SUSTAIN",
            "parties.1.role": "partner NGO",
            "parties.1.signed_by": "Coordinator",
            "commitments.0.no": "1",
            "commitments.0.party": "JOBA",
            "commitments.0.text": "Meet every month",
            "commitments.1.no": "2",
            "commitments.1.party": "SUSTAIN",
            "commitments.1.text": "Train the leaders",
        },
    )
    post(
        manager,
        "record_platform_meeting",
        {
            "date": str(D2),
            "chair": "JOBA",
            "host": "DOEL",
            "present": ["JOBA/1", "DOEL/2"],
            "decisions": "list the extreme poor",
        },
    )
    record(
        manager,
        "list_extreme_poor",
        {
            "date": str(D2),
            "household": "Roy",
            "head": "Mala",
            "village": "Mohalbari",
            "reason": "widow",
            "identified_by": "transect-visit",
        },
    )
    entry = ledger.reports.clusters.platform("CP1").extreme_poor[0].entry
    record(
        manager,
        "apply_safety_net",
        {
            "date": str(D2),
            "household_entry": str(entry),
            "scheme": "widow-allowance",
            "applied_to": "UP",
        },
    )
    application = ledger.reports.clusters.platform("CP1").safety_nets[0].application
    record(
        manager,
        "decide_safety_net",
        {"date": str(D3), "application": str(application), "outcome": "granted", "value": "1800"},
    )
    record(
        manager,
        "hold_training",
        {"date": str(D3), "title": "Bamboo management", "members_female": "9", "others_male": "16"},
    )
    record(
        manager,
        "adopt_cluster_plan",
        {
            "date": str(D2),
            "year": "2016",
            "wellbeing.categories.0.field": "extreme-poor",
            "wellbeing.categories.0.value": "1",
            "wellbeing.categories.1.field": "poor",
            "wellbeing.categories.1.value": "4",
            "micro_projects.0.no": "1",
            "micro_projects.0.name": "Compost",
            "constraints.0": "no land",
            "activities.0.id": "vc",
            "activities.0.micro_project": "1",
            "activities.0.name": "Compost pits",
            "activities.0.activity": "vermicompost",
            "activities.0.budget": "6000",
            "activities.0.responsible": "JOBA",
            "activities.0.start": "2015-11",
            "activities.0.end": "2016-10",
        },
    )
    r = post(
        manager,
        "hold_cluster_review",
        {
            "date": str(D3),
            "year": "2016",
            "facilitator": "Member 1",
            "status_vc": "partly",
            "achieved_vc": "one pit",
            "kept_1": "kept",
            "kept_2": "partly",
            "changes": "women speak at the UP",
            "recommendations": "+ buy a sieve",
        },
    )
    assert "Recorded" in r.text
    p = ledger.reports.clusters.platform("CP1")
    assert len(p.representatives) == 2
    assert p.meetings[0].attended == 2
    assert (p.safety_nets_applied, p.safety_nets_granted) == (1, 1)
    assert p.trainings[0].others_male == 16
    page = manager.get("/clusters/CP1").text
    assert "Mala" in page  # a manager sees the register's names
    sheet = manager.get("/clusters/CP1/reviews/2016")
    review = ledger.reports.plans.review("cluster:CP1", 2016)
    assert review is not None
    assert review.seal in sheet.text
    assert review.group_seals["JOBA"] in sheet.text
    assert "buy a sieve" in sheet.text
    assert "50.0 % done" in sheet.text
    assert (
        "Carried from the last joint review: <strong>buy a sieve</strong>"
        in manager.get("/clusters/CP1").text
    )


def test_a_bad_form_shows_the_field_and_records_nothing(
    manager: TestClient[Any], ledger: Ledger
) -> None:
    before = ledger.load("cluster:CP1").version
    token = manager.cookies.get("csrftoken")
    r = manager.post(
        "/clusters/CP1/entries/name_representative",
        data={"date": str(D1), "group": "NOPE", "member": "1", "_csrf_token": token},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "Nothing was recorded" in r.text
    assert 'value="NOPE"' in r.text  # refilled as typed
    assert 'id="err-group"' in r.text  # the error next to its field
    r = manager.post(
        "/clusters/CP1/entries/apply_safety_net",
        data={"date": str(D1), "household_entry": "x", "scheme": "vgd", "_csrf_token": token},
    )
    assert r.status_code == 422
    assert 'id="err-household_entry"' in r.text and "&#39;x&#39;" in r.text
    # a platform's own form: refused, shown open, what was typed kept
    r = post(
        manager,
        "record_platform_meeting",
        {"date": "2016-02-30", "chair": "JOBA", "decisions": "buy a sieve"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert '<details class="card" id="record_platform_meeting" open>' in r.text
    assert ">buy a sieve</textarea>" in r.text
    assert 'id="err-date"' in r.text
    assert ledger.load("cluster:CP1").version == before


def test_an_mou_of_many_commitments_grows_its_table(manager: TestClient[Any]) -> None:
    token = manager.cookies.get("csrftoken")
    page = manager.get("/clusters/CP1/entries/sign_mou").text
    assert 'name="commitments.5.text"' in page and 'name="commitments.6.text"' not in page
    typed = {"commitments.0.text": "Meet every month", "commitments._rows": "6"}
    r = manager.post(
        "/clusters/CP1/entries/sign_mou",
        data={**typed, "more": "commitments", "_csrf_token": token},
    )
    assert r.status_code == 200  # nothing recorded, the same form six rows longer
    assert 'name="commitments.11.text"' in r.text
    assert 'value="Meet every month"' in r.text
    assert "Recorded" not in r.text


def test_roles_and_personal_data(ledger: Ledger) -> None:
    ledger.list_extreme_poor(
        "CP1",
        date=D2,
        household="Roy",
        head="Mala",
        village="M",
        reason="widow",
        identified_by="transect-visit",
    )
    admin = signed_in(ledger, "root", "admin")
    page = admin.get("/clusters/CP1")
    assert page.status_code == 200
    assert "Mala" not in page.text  # personal data is not for admins
    r = admin.post(
        "/clusters/CP1/entries/hold_training",
        data={"date": str(D3), "title": "x", "_csrf_token": admin.cookies.get("csrftoken")},
    )
    assert r.status_code == 403
    assert post(admin, "record_platform_meeting", {"date": str(D3)}).status_code == 403
    animator = signed_in(ledger, "rina", "animator", groups=["SHAPLA"])
    assert animator.get("/clusters/CP1").status_code == 403
    assert "CP1" not in animator.get("/clusters").text
    own = signed_in(ledger, "lily", "animator", groups=["JOBA"])
    assert own.get("/clusters/CP1").status_code == 200
    for client in (admin, animator, own):
        client.__exit__(None, None, None)


def test_the_platforms_bank_loan_view(ledger: Ledger) -> None:
    ledger.name_representative("CP1", group="JOBA", member=1, date=D1)
    ledger.arrange_bank_loan(
        "CP1",
        lender="Krishi Bank",
        group="DOEL",
        member=2,
        principal="6000",
        rate="10",
        instalments=6,
        guarantors=[{"group": "JOBA", "member": 1}],
        introducer="UP chairman",
        date=D1,
    )
    ledger.collect_bank_instalment("CP1", bank_loan=1, taka="1050", date=D3)
    client = signed_in(ledger, "audit", "auditor")
    page = client.get("/clusters/CP1").text
    assert "Bank loans guaranteed by the platform" in page
    assert "Krishi-Bank 1,050.00 Tk" in page  # held for the bank, not yet paid over
    client.__exit__(None, None, None)


def test_the_platform_page_and_a_refusal_in_bangla(
    manager: TestClient[Any], ledger: Ledger
) -> None:
    manager.get("/language", params={"lang": "bn", "next": "/clusters"})
    r = manager.get("/clusters")
    assert "ক্লাস্টার" in r.text and "১৫০" in r.text  # households, in Bengali digits
    r = manager.get("/clusters/CP1")
    assert r.status_code == 200
    assert "প্রতিনিধি" in r.text and "মাসিক প্ল্যাটফর্ম সভা" in r.text
    before = ledger.load_cluster("CP1").version
    r = manager.post(
        "/clusters/CP1/entries/name_representative",
        data={
            "date": str(D1),
            "group": "JOBA",
            "member": "x",
            "_csrf_token": manager.cookies.get("csrftoken"),
        },
    )
    assert r.status_code == 422
    assert "কিছুই লেখা হয়নি:" in r.text and "পূর্ণসংখ্যা নয়" in r.text
    assert ledger.load_cluster("CP1").version == before


def test_guests_at_a_platform_meeting_and_the_attendance_page(
    manager: TestClient[Any], ledger: Ledger
) -> None:
    ledger.name_representative("CP1", group="JOBA", member=1, date=D1)
    ledger.record_platform_meeting(
        "CP1", chair="JOBA", host="DOEL", attendance=[{"group": "JOBA", "member": 1}], date=D1
    )
    assert 'href="/clusters/CP1/entries/count_platform_guests"' in manager.get("/clusters/CP1").text
    assert "Attendance by gender" in manager.get("/clusters/CP1").text
    r = manager.post(
        "/clusters/CP1/entries/count_platform_guests",
        data={
            "date": str(D1),
            "female": "2",
            "male": "x",
            "_csrf_token": manager.cookies.get("csrftoken"),
        },
    )
    assert r.status_code == 422 and 'name="male"' in r.text
    assert ledger.reports.attendance.platform("CP1").meetings[0].guests["female"] == 0
    record(manager, "count_platform_guests", {"date": str(D1), "female": "2", "male": "1"})
    (meeting,) = ledger.reports.attendance.platform("CP1").meetings
    assert meeting.guests == {"female": 2, "male": 1, "other": 0}
    r = manager.get("/clusters/CP1/attendance")
    assert r.status_code == 200 and "Women guests" in r.text
    assert manager.get("/clusters/CP1/attendance.csv").text.count("\n") == 3  # header, 1, total
