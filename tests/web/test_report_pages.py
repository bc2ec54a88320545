"""The meeting and programme report pages and their JSON API: both languages, CSV cells
that cannot become formulas, managers only for the programme, bad input named."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, seed_group
from coopweb import Accounts, create_app

PASSWORD = "a-long-password"


@pytest.fixture
def client(sqlite_ledger: Ledger) -> Iterator[TestClient[Any]]:
    ledger = sqlite_ledger
    seed_group(ledger, "JOBA", members=3, partner="SUSTAIN")
    ledger.record_meeting("JOBA", attendance=[1, 2], date=D1)
    ledger.count_guests("JOBA", female=2, male=1, note="=HYPERLINK(1)", date=D1)
    ledger.receive_welfare_gift("JOBA", source="=cmd|' /C calc'!A0", taka="500", date=D1)
    ledger.pay_welfare("JOBA", use="burial", member=3, taka="200", date=D2)
    ledger.adopt_work_plan(
        "JOBA",
        start="2015-11",
        items=[{"task": "Open the savings book", "responsible": "cashier", "month": "2015-11"}],
        date=D1,
    )
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient[Any], username: str) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )
    assert r.status_code == 200, r.text


def test_group_report_pages_in_english_and_bangla(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    r = client.get("/groups/JOBA/attendance")
    assert r.status_code == 200 and "Women guests" in r.text
    r = client.get("/groups/JOBA/welfare")
    assert r.status_code == 200 and "burial" in r.text and "300.00" in r.text
    r = client.get("/groups/JOBA/work-plan")
    assert r.status_code == 200 and "Open the savings book" in r.text
    client.get("/language?lang=bn")
    client.cookies.set("lang", "bn")
    r = client.get("/groups/JOBA/attendance", headers={"accept-language": "bn"})
    assert r.status_code == 200
    assert "\u0989\u09aa\u09b8\u09cd\u09a5\u09bf\u09a4\u09bf" in r.text  # "attendance" in Bangla


def test_csv_downloads_neutralise_formulas(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    r = client.get("/groups/JOBA/welfare.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "'=cmd" in r.text or "\"'=cmd" in r.text
    assert "\n=cmd" not in r.text and ",=cmd" not in r.text
    r = client.get("/groups/JOBA/attendance.csv?since=2015-11-01")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("meeting_date,meeting,members_female")
    assert lines[1].startswith("2015-11-06,weekly,2,0,0,1,2,1,0,5")


def test_bad_dates_are_named_and_the_programme_is_for_managers(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    r = client.get("/groups/JOBA/attendance?since=someday")
    assert r.status_code in (400, 422) and "since" in r.text
    assert client.get("/programme/loans").status_code == 403
    client.post("/logout", headers={"x-csrftoken": client.cookies.get("csrftoken") or ""})
    sign_in(client, "mita")
    r = client.get("/programme/loans?by=upazila")
    assert r.status_code == 200 and "Chirirbandar" in r.text and "PAR30" in r.text
    r = client.get("/programme/loans.csv?by=union&as_of=2015-12-31")
    assert r.text.splitlines()[0].startswith("by,name,groups,loans")
    r = client.get("/programme/loans?by=village")
    assert r.status_code in (400, 422) and "by" in r.text


def test_the_json_api_reads_the_same_reports(client: TestClient[Any]) -> None:
    def token(username: str) -> dict[str, str]:
        r = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
        return {"authorization": f"Bearer {r.json()['token']}"}

    rina, mita = token("rina"), token("mita")
    r = client.get("/api/v1/groups/JOBA/attendance", headers=rina)
    assert r.status_code == 200, r.text
    assert r.json()["totals"]["guests"] == {"female": 2, "male": 1, "other": 0}
    r = client.get("/api/v1/groups/JOBA/welfare?as_of=2015-11-06", headers=rina)
    assert r.json()["balance"] == "500.00"
    r = client.get("/api/v1/groups/JOBA/work-plan", headers=rina)
    assert r.json()["tasks"][0]["status"] is None
    assert client.get("/api/v1/programme/loans", headers=rina).status_code == 403
    r = client.get("/api/v1/programme/loans?by=cluster", headers=mita)
    assert r.status_code == 200 and r.json()["rows"][0]["name"] == "-"
    r = client.get("/api/v1/groups/JOBA/attendance?since=2015-13-01", headers=rina)
    assert r.status_code in (400, 422) and "since" in r.text
    # The entries endpoint takes the new commands, and refuses bad ones naming the field.
    r = client.post(
        "/api/v1/groups/JOBA/entries",
        headers=rina,
        json={
            "command": "pay_welfare",
            "use": "burial",
            "member": 1,
            "taka": "301",
            "date": str(D2),
        },
    )
    assert r.status_code in (400, 409, 422) and r.json().get("field") == "taka", r.text
    assert date(2015, 11, 6) == D1


def test_the_work_plan_and_welfare_forms_are_real_forms(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    page = client.get("/groups/JOBA/entries/adopt_work_plan")
    assert page.status_code == 200
    assert 'name="items.0.task"' in page.text and 'name="items.0.month"' in page.text
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or "", "hx-request": "true"}
    data = {
        "date": "2015-12-04",
        "start": "2015-12",
        "items.0.task": "Choose a cashier",
        "items.0.responsible": "the group",
        "items.0.month": "2016-03",
    }
    r = client.post("/groups/JOBA/entries/adopt_work_plan", data=data, headers=headers)
    assert r.status_code == 422 and "items" in r.text  # March is not one of its three months
    data["items.0.month"] = "2016-02"
    r = client.post("/groups/JOBA/entries/adopt_work_plan", data=data, headers=headers)
    assert r.status_code == 200, r.text
    r = client.get("/groups/JOBA/work-plan?start=2015-12")
    assert "Choose a cashier" in r.text
    r = client.post(
        "/groups/JOBA/entries/pay_welfare",
        data={"date": "2015-11-20", "use": "winter-clothes", "member": "2", "taka": "300.01"},
        headers=headers,
    )
    assert r.status_code == 422 and "300.00" in r.text  # the fund holds only 300 Tk
