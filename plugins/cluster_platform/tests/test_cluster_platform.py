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


def test_a_platform_year_through_the_forms(manager: TestClient[Any], ledger: Ledger) -> None:
    assert (
        post(
            manager, "name_representative", {"date": str(D1), "group": "JOBA", "member": "1"}
        ).status_code
        == 200
    )
    post(manager, "name_representative", {"date": str(D1), "group": "DOEL", "member": "2"})
    r = post(
        manager,
        "sign_mou",
        {
            "date": str(D1),
            "parties": "JOBA | group chairperson | Member 1\nSUSTAIN | partner NGO | Coordinator",
            "commitments": "JOBA: Meet every month\nSUSTAIN: Train the leaders",
        },
    )
    assert "Recorded" in r.text
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
    post(
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
    post(
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
    post(
        manager,
        "decide_safety_net",
        {"date": str(D3), "application": str(application), "outcome": "granted", "value": "1800"},
    )
    post(
        manager,
        "hold_training",
        {"date": str(D3), "title": "Bamboo management", "members_female": "9", "others_male": "16"},
    )
    post(
        manager,
        "adopt_cluster_plan",
        {
            "date": str(D2),
            "year": "2016",
            "categories": "extreme-poor=1, poor=4",
            "micro_projects": "Compost",
            "constraints": "no land",
            "activities": "vc | 1 | Compost pits | vermicompost | 6000 | JOBA | 2015-11 | 2016-10",
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
    r = post(manager, "name_representative", {"date": str(D1), "group": "NOPE", "member": "1"})
    assert r.status_code == 422
    assert "Nothing was recorded" in r.text
    assert "NOPE" in r.text
    r = post(
        manager,
        "apply_safety_net",
        {"date": str(D1), "household_entry": "x", "scheme": "vgd", "applied_to": "UP"},
    )
    assert r.status_code == 422
    assert "household_entry" in r.text
    assert ledger.load("cluster:CP1").version == before


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
    assert (
        post(
            admin, "hold_training", {"date": str(D3), "title": "x", "members_female": "1"}
        ).status_code
        == 403
    )
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
    r = post(manager, "name_representative", {"date": str(D1), "group": "JOBA", "member": "x"})
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
    r = post(manager, "count_platform_guests", {"date": str(D1), "female": "2", "male": "x"})
    assert "male" in r.text and "Nothing was recorded" in r.text
    r = post(manager, "count_platform_guests", {"date": str(D1), "female": "2", "male": "1"})
    assert r.status_code == 200 and "Attendance by gender" in r.text
    (meeting,) = ledger.reports.attendance.platform("CP1").meetings
    assert meeting.guests == {"female": 2, "male": 1, "other": 0}
    r = manager.get("/clusters/CP1/attendance")
    assert r.status_code == 200 and "Women guests" in r.text
    assert manager.get("/clusters/CP1/attendance.csv").text.count("\n") == 3  # header, 1, total
