"""Loan products, fines and pay-overs through the web forms (in Bangla and English) and the
JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import seed_group
from coopweb import Accounts, create_app

PASSWORD = "a-long-password"
DAY = date(2016, 1, 15)
PRODUCT = {
    "date": "2016-01-01",
    "name": "Small business",
    "min_principal": "2000",
    "max_principal": "10000",
    "rate": "10",
    "method": "flat",
    "frequency": "4-weekly",
    "min_instalments": "6",
    "max_instalments": "13",
    "fine": "percent",
    "fine_amount": "5",
    "fine_grace_days": "7",
}


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    seed_group(sqlite_ledger, "JOBA", members=3)
    sqlite_ledger.receive_grant(
        "JOBA", source="ALRD", purpose="fund", taka="20000", date=date(2016, 1, 1)
    )
    return sqlite_ledger


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with TestClient(app) as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={
                "username": "rina",
                "password": PASSWORD,
                "_csrf_token": c.cookies.get("csrftoken"),
            },
        )
        assert r.status_code == 200, r.text
        yield c


def post(client: TestClient[Any], name: str, data: dict[str, str]) -> Any:
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or "", "hx-request": "true"}
    return client.post(f"/groups/JOBA/entries/{name}", data=data, headers=headers)


def test_a_product_is_defined_and_chosen_through_the_forms(
    client: TestClient[Any], ledger: Ledger
) -> None:
    page = client.get("/groups/JOBA/entries/define_loan_product")
    assert page.status_code == 200
    assert "Days of grace before a fine" in page.text
    assert '<option value="4-weekly"' in page.text
    assert post(client, "define_loan_product", {**PRODUCT, "key": "p1"}).status_code == 200
    loan = {
        "date": str(DAY),
        "member": "1",
        "principal": "12000",
        "instalments": "13",
        "purpose": "goats",
        "product": "Small business",
    }
    before = ledger.load("JOBA").version
    refused = post(client, "disburse_loan", {**loan, "key": "l1"})
    assert refused.status_code == 422
    assert 'id="err-principal"' in refused.text
    assert "lends from 2,000.00 Tk to 10,000.00 Tk" in refused.text
    assert ledger.load("JOBA").version == before
    preview = post(client, "disburse_loan", {**loan, "principal": "6500", "preview": "1"})
    assert preview.text.count("500.00") >= 13  # 13 four-weekly instalments of 500 principal
    assert (
        post(client, "disburse_loan", {**loan, "principal": "6500", "key": "l2"}).status_code == 200
    )
    dashboard = client.get("/groups/JOBA")
    assert 'id="loan-products"' in dashboard.text
    assert "every 4 weeks" in dashboard.text or "4-weekly" in dashboard.text


def test_the_forms_read_in_bangla(client: TestClient[Any]) -> None:
    client.get("/language", params={"lang": "bn", "next": "/groups/JOBA"})
    page = client.get("/groups/JOBA/entries/define_loan_product")
    assert "\u098b\u09a3\u09c7\u09b0 \u098f\u0995\u099f\u09bf \u09a7\u09b0\u09a8" in page.text
    assert "\u099c\u09b0\u09bf\u09ae\u09be\u09a8\u09be\u09b0 \u0986\u0997\u09c7" in page.text
    assert post(client, "define_loan_product", {**PRODUCT, "key": "p1"}).status_code == 200
    refused = post(
        client,
        "pay_loan_fine",
        {"date": "2016-02-01", "key": "f1", "loan": "7", "taka": "10"},
    )
    assert refused.status_code == 422
    assert 'id="err-loan"' in refused.text


def test_the_api_gives_loans_products_and_fines(client: TestClient[Any], ledger: Ledger) -> None:
    ledger.define_loan_product(
        "JOBA",
        name="Small business",
        min_principal="2000",
        max_principal="10000",
        rate="10",
        frequency="4-weekly",
        max_instalments=13,
        fine="fixed",
        fine_amount="25",
        date=date(2016, 1, 1),
    )
    loan = ledger.disburse_loan(
        "JOBA",
        member=2,
        principal="6500",
        instalments=13,
        purpose="goats",
        product="Small business",
        date=DAY,
    )
    ledger.assess_loan_fines("JOBA", loan=loan, date=date(2016, 2, 13))
    r = client.post("/api/v1/tokens", json={"username": "rina", "password": PASSWORD})
    auth = {"authorization": f"Bearer {r.json()['token']}"}
    body = client.get("/api/v1/groups/JOBA/loans", params={"member": 2}, headers=auth).json()
    assert body["products"][0]["frequency"] == "4-weekly"
    assert body["loans"][0]["product"] == "Small business"
    assert body["loans"][0]["fines_owed"] == "25.00"
    assert [f["taka"] for f in body["fines"]] == ["25.00"]
    early = client.get(
        "/api/v1/groups/JOBA/loans", params={"as_of": "2016-02-12"}, headers=auth
    ).json()
    assert early["fines"] == []
    entry = client.post(
        "/api/v1/groups/JOBA/entries",
        json={"command": "pay_loan_fine", "date": "2016-02-13", "loan": loan, "taka": "25"},
        headers=auth,
    )
    assert entry.status_code in (200, 201), entry.text
    assert ledger.reports.loans.loans("JOBA")[0].fines_owed == Decimal("0.00")
