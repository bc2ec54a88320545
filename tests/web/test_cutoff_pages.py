"""The cut-off on the web: a sheet uploaded (checked, refused naming its row, sealed), typed
in the entries form, and pages before the cut-off saying so in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import seed_group
from coopweb import Accounts, create_app

PASSWORD = "a-long-password"
SHEET = """field,value
cut_off,2016-05-31
cash,5000.00
rice_stock_grams,30000
group_fund,5700.00
group_rice_grams,0
approved_by,Rina Begum

member,rice_grams,cash_savings,owes_for_rice
1,12000,1500.00,200.00
2,18000,1000.00,

loan,member,outstanding,rate,method,frequency,instalments,next_due,purpose
L-7,3,3000.00,12,declining,monthly,6,2016-05-15,goat
"""


@pytest.fixture
def client(sqlite_ledger: Ledger) -> Iterator[TestClient[Any]]:
    seed_group(sqlite_ledger, "JOBA", members=3)
    app = create_app(sqlite_ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with TestClient(app) as c:
        c.get("/login")
        token = c.cookies.get("csrftoken")
        r = c.post("/login", data={"username": "rina", "password": PASSWORD, "_csrf_token": token})
        assert r.status_code == 200, r.text
        yield c


def upload(client: TestClient[Any], text: str, **data: str) -> Any:
    page = client.get("/groups/JOBA/cutoff")
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert key is not None, page.text
    return client.post(
        "/groups/JOBA/cutoff",
        data={"key": key.group(1), **data},
        files={"sheet": ("joba.csv", text.encode(), "text/csv")},
        headers={"x-csrftoken": client.cookies.get("csrftoken") or ""},
    )


def test_a_sheet_is_checked_then_sealed(client: TestClient[Any]) -> None:
    checked = upload(client, SHEET, check="1")
    assert checked.status_code == 200, checked.text
    assert 'id="preview"' in checked.text
    assert "Books kept here from" not in checked.text  # nothing written
    sealed = upload(client, SHEET)
    assert sealed.status_code == 200, sealed.text
    assert 'class="seal"' in sealed.text
    assert "Books kept here from" in sealed.text
    page = client.get("/groups/JOBA/cutoff")
    assert "L-7" in page.text


def test_a_sample_sheet_is_offered(client: TestClient[Any]) -> None:
    page = client.get("/groups/JOBA/cutoff")
    found = re.search(r'href="(/static/coopweb/cutoff-sample.csv[^"]*)"', page.text)
    assert found is not None, page.text
    sample = client.get(found.group(1))
    assert sample.status_code == 200
    assert sample.text.startswith("field,value")


def test_a_sheet_that_does_not_add_up_is_refused_naming_its_row(client: TestClient[Any]) -> None:
    bad = upload(client, SHEET.replace("1,12000,1500.00", "1,12000,1600.00"))
    assert bad.status_code == 422
    assert "Row 5, column group_fund ('5700.00')" in bad.text
    assert "does not add up" in bad.text
    assert "Books kept here from" not in client.get("/groups/JOBA/cutoff").text


def test_pages_before_the_cut_off_say_so_in_both_languages(client: TestClient[Any]) -> None:
    upload(client, SHEET)
    for page in ("reports", "members/1", "panels/position"):
        text = client.get(f"/groups/JOBA/{page}?as_of=2016-01-01").text
        assert "Before the books were kept here" in text, page
        later = client.get(f"/groups/JOBA/{page}?as_of=2016-06-01").text
        assert "Before the books were kept here" not in later, page
    client.cookies.set("lang", "bn")
    bangla = client.get("/groups/JOBA/reports?as_of=2016-01-01", headers={"accept-language": "bn"})
    assert "\u0995\u09be\u099f-\u0985\u09ab" in bangla.text  # "cut-off" in Bangla


def test_the_sheet_can_be_typed_in_the_entries_form(client: TestClient[Any]) -> None:
    form = client.get("/groups/JOBA/entries/seal_cutoff")
    assert form.status_code == 200
    assert 'name="members.0.member"' in form.text
    assert "Checked against the paper books by" in form.text  # the command's own labels


def test_the_json_api_takes_the_sheet_and_refuses_one_that_does_not_add_up(
    client: TestClient[Any],
) -> None:
    r = client.post("/api/v1/tokens", json={"username": "rina", "password": PASSWORD})
    assert r.status_code == 201, r.text
    auth = {"authorization": f"Bearer {r.json()['token']}"}
    body: dict[str, Any] = {
        "command": "seal_cutoff",
        "date": "2016-05-31",
        "cash": "5000.00",
        "rice_stock_grams": 30000,
        "members": [{"member": 1, "rice_grams": 30000, "cash_savings": "1000.00"}],
        "group_fund": "4100.00",
        "approved_by": "Rina Begum",
    }
    bad = client.post("/api/v1/groups/JOBA/entries", json=body, headers=auth)
    assert bad.status_code == 422, bad.text
    assert bad.json()["field"] == "group_fund"
    body["group_fund"] = "4000.00"
    ok = client.post("/api/v1/groups/JOBA/entries", json=body, headers=auth)
    assert ok.status_code in (200, 201), ok.text
    again = client.post("/api/v1/groups/JOBA/entries", json=body, headers=auth)
    assert again.json()["replayed"] is True  # keyed "cutoff": sent twice, recorded once
    early = client.get("/api/v1/groups/JOBA?as_of=2016-01-01", headers=auth).json()
    assert early["before_cutoff"] == "2016-05-31"
    assert client.get("/api/v1/groups/JOBA", headers=auth).json()["before_cutoff"] is None


def test_a_sheet_typed_in_the_form_is_refused_next_to_its_field_then_sealed(
    client: TestClient[Any],
) -> None:
    form = client.get("/groups/JOBA/entries/seal_cutoff")
    key = re.search(r'name="key" value="([^"]+)"', form.text)
    assert key is not None
    data = {
        "key": key.group(1),
        "date": "2016-05-31",
        "cash": "5000.00",
        "rice_stock_grams": "30000",
        "members.0.member": "1",
        "members.0.rice_grams": "30000",
        "members.0.cash_savings": "1000.00",
        "loans.0.member": "2",
        "loans.0.outstanding": "800",
        "loans.0.rate": "12",
        "loans.0.instalments": "4",
        "loans.0.next_due": "2016-06-30",
        "loans.0.purpose": "a goat",
        "group_fund": "4700.00",
        "group_rice_grams": "0",
        "approved_by": "Rina Begum",
    }
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    bad = client.post("/groups/JOBA/entries/seal_cutoff", data=data, headers=headers)
    assert bad.status_code == 422
    assert 'id="err-group_fund"' in bad.text
    data["group_fund"] = "4800.00"
    ok = client.post("/groups/JOBA/entries/seal_cutoff", data=data, headers=headers)
    assert ok.status_code == 200, ok.text
    assert 'class="seal"' in ok.text
    assert "Books kept here from" in client.get("/groups/JOBA/cutoff").text
