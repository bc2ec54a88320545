"""The second-signature page and API: an animator's loan above the limit waits; a manager of
the group's partner approves or rejects it; the maker may not approve her own (a clear
refusal naming the field, nothing written); the history shows maker and checker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

import coopledger.capabilities  # noqa: F401 - every command is registered
from coopledger import Ledger
from coopledger.testing import D1, D2, seed_group, snapshot
from coopweb import Accounts, create_app

PASSWORD = "a-long-password"


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    seed_group(sqlite_ledger, "JOBA", members=3, partner="ALRD")
    sqlite_ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=D1)
    sqlite_ledger.set_approval_rules("JOBA", date=D1)
    return sqlite_ledger


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    accounts.save("karim", role="manager", password=PASSWORD, partner="ALRD")
    accounts.save("moni", role="manager", password=PASSWORD, partner="ALRD")
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient[Any], username: str) -> None:
    client.cookies.clear()
    client.get("/login")
    token = client.cookies.get("csrftoken")
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}
    )
    assert r.status_code == 200, r.text


def post(client: TestClient[Any], url: str, data: dict[str, str]) -> Any:
    return client.post(
        url, data=data, headers={"x-csrftoken": client.cookies.get("csrftoken") or ""}
    )


def lend(client: TestClient[Any]) -> Any:
    return post(
        client,
        "/groups/JOBA/entries/disburse_loan",
        {
            "member": "2",
            "principal": "8000",
            "instalments": "4",
            "purpose": "cow",
            "date": D2.isoformat(),
            "key": "web-loan-1",
        },
    )


def test_a_loan_made_on_the_web_waits_and_a_manager_approves_it(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "rina")
    made = lend(client)
    assert made.status_code == 200, made.text
    assert "waiting for a second signature: number 1" in made.text
    page = client.get("/groups/JOBA/approvals")
    assert page.status_code == 200
    assert "Made by rina" in page.text
    assert "/approvals/1/approve" not in page.text  # an animator does not approve
    refused = post(client, "/groups/JOBA/approvals/1/approve", {"date": D2.isoformat()})
    assert refused.status_code == 403
    assert ledger.reports.loans.loans("JOBA") == []

    sign_in(client, "karim")
    page = client.get("/groups/JOBA/approvals")
    assert "/groups/JOBA/approvals/1/approve" in page.text
    rules = re.search(r'href="(/groups/JOBA/entries/set_approval_rules\?[^"]+)"', page.text)
    assert rules is not None  # the rules' form, filled with the rules in force
    form = client.get(rules.group(1).replace("&amp;", "&"))
    assert form.status_code == 200
    assert 'value="write_off_loan"' in form.text
    assert 'value="5000.00"' in form.text
    done = post(client, "/groups/JOBA/approvals/1/approve", {"date": D2.isoformat(), "key": "a1"})
    assert done.status_code == 200, done.text
    assert "Entry 1 approved and recorded" in done.text
    assert 'class="seal"' in done.text
    (loan,) = ledger.reports.loans.loans("JOBA")
    assert (loan.approved_by, str(loan.principal)) == ("karim", "8000.00")
    history = client.get("/groups/JOBA/history")
    assert "made by rina, approved by karim" in history.text
    again = post(client, "/groups/JOBA/approvals/1/approve", {"date": D2.isoformat(), "key": "a2"})
    assert again.status_code == 422
    assert "already approved by karim" in again.text


def test_the_maker_may_not_approve_her_own_entry_on_the_web(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "karim")  # a manager who makes a loan herself
    lend(client)
    before = snapshot(ledger, "JOBA")
    refused = post(client, "/groups/JOBA/approvals/1/approve", {"date": D2.isoformat()})
    assert refused.status_code == 422
    assert "recorded_by" in refused.text
    assert "a different person must approve it" in refused.text
    assert snapshot(ledger, "JOBA") == before
    sign_in(client, "moni")
    empty = post(client, "/groups/JOBA/approvals/1/reject", {"date": D2.isoformat(), "reason": ""})
    assert empty.status_code == 422
    assert "reason" in empty.text
    assert snapshot(ledger, "JOBA") == before
    rejected = post(
        client,
        "/groups/JOBA/approvals/1/reject",
        {"date": D2.isoformat(), "reason": "too large for her"},
    )
    assert rejected.status_code == 200
    assert "too large for her" in client.get("/groups/JOBA/approvals").text
    assert ledger.reports.loans.loans("JOBA") == []


def test_the_page_in_bangla(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    lend(client)
    page = client.get("/groups/JOBA/approvals", headers={"accept-language": "bn"})
    assert page.status_code == 200
    assert "Entries waiting for a second signature" not in page.text


def test_the_api_lists_waiting_entries_and_approves_through_entries(
    client: TestClient[Any],
) -> None:
    def token(user: str) -> dict[str, str]:
        r = client.post("/api/v1/tokens", json={"username": user, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return {"authorization": f"Bearer {r.json()['token']}"}

    rina, karim = token("rina"), token("karim")
    made = client.post(
        "/api/v1/groups/JOBA/entries",
        headers=rina,
        json={
            "command": "disburse_loan",
            "member": 2,
            "principal": "8000",
            "instalments": 4,
            "purpose": "cow",
            "date": D2.isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["result"] == {"waiting": 1}
    (waiting,) = client.get("/api/v1/groups/JOBA/approvals?status=waiting", headers=rina).json()
    assert (waiting["maker"], waiting["command"]["principal"]) == ("rina", "8000.00")
    body = {"command": "approve_entry", "entry": 1, "date": D2.isoformat()}
    assert client.post("/api/v1/groups/JOBA/entries", headers=rina, json=body).status_code == 403
    approved = client.post("/api/v1/groups/JOBA/entries", headers=karim, json=body)
    assert approved.status_code == 201, approved.text
    assert approved.json()["result"] == 1
    (done,) = client.get("/api/v1/groups/JOBA/approvals", headers=rina).json()
    assert (done["status"], done["checker"]) == ("approved", "karim")
    bad = client.get("/api/v1/groups/JOBA/approvals?status=maybe", headers=rina)
    assert bad.status_code in (400, 422)
    assert "status" in bad.text
