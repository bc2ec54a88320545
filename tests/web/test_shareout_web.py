"""The share-out on the web: the close form previewed and recorded, the cycles page, the
printable sheet in Bangla and English, the JSON API's sheets and preview, refusals by field."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopweb import Accounts, create_app

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_shareout import a_cycle

PASSWORD = "a-long-password"


@pytest.fixture
def client(sqlite_ledger: Ledger) -> Iterator[TestClient[Any]]:
    a_cycle(sqlite_ledger)
    app = create_app(sqlite_ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient[Any]) -> None:
    client.get("/login")
    token = client.cookies.get("csrftoken")
    r = client.post("/login", data={"username": "rina", "password": PASSWORD, "_csrf_token": token})
    assert r.status_code == 200, r.text


def post(client: TestClient[Any], data: dict[str, str]) -> Any:
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or "", "hx-request": "true"}
    return client.post("/groups/JOBA/entries/close_cycle", data=data, headers=headers)


def test_the_close_is_previewed_recorded_and_printed(client: TestClient[Any]) -> None:
    sign_in(client)
    page = client.get("/groups/JOBA/entries/close_cycle")
    assert page.status_code == 200
    assert 'name="weighting"' in page.text and 'name="surplus"' in page.text
    assert "recorded already" not in page.text  # a new form says nothing of a preview
    form = {"date": "2016-06-30", "weighting": "savings_days", "loans": "carry", "key": "k1"}
    refused = post(client, {**form, "surplus": "130.01"})
    assert refused.status_code == 422
    assert "130.00" in refused.text
    shown = post(client, {**form, "preview": "1"})
    assert shown.status_code == 200
    assert "68.42" in shown.text and "168.02" in shown.text
    assert client.get("/groups/JOBA/shareout").text.count("/sheet") == 0  # nothing written
    done = post(client, {**form, "surplus": "130.00"})
    assert done.status_code == 200, done.text
    assert "/groups/JOBA/shareout/1/sheet" in done.text
    listing = client.get("/groups/JOBA/shareout")
    assert "/groups/JOBA/shareout/1/sheet" in listing.text
    english = client.get("/groups/JOBA/shareout/1/sheet?lang=en")
    assert english.status_code == 200
    for figure in ("68.42", "45.16", "16.42", "1,068.42", "130.00", "Member 3"):
        assert figure in english.text, figure
    assert english.text.count('class="slip"') == 3  # one slip for each member
    assert "Cycle 1, closed on" in english.text
    bangla = client.get("/groups/JOBA/shareout/1/sheet")
    assert "\u09ec\u09ee.\u09ea\u09e8" in bangla.text  # 68.42 in Bengali digits
    assert client.get("/groups/JOBA/shareout/9/sheet").status_code in (404, 422)


def test_the_api_previews_and_reads_sheets(client: TestClient[Any]) -> None:
    r = client.post("/api/v1/tokens", json={"username": "rina", "password": PASSWORD})
    auth = {"authorization": f"Bearer {r.json()['token']}"}
    preview = client.post(
        "/api/v1/groups/JOBA/shareout/preview", json={"date": "2016-06-30"}, headers=auth
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["shared"] == "130.00"
    assert client.get("/api/v1/groups/JOBA/shareout", headers=auth).json() == []
    bad = client.post(
        "/api/v1/groups/JOBA/entries",
        json={"command": "close_cycle", "date": "2016-06-30", "surplus": "1.00"},
        headers=auth,
    )
    assert bad.status_code in (400, 409, 422), bad.text
    assert "surplus" in bad.text
    ok = client.post(
        "/api/v1/groups/JOBA/entries",
        json={"command": "close_cycle", "date": "2016-06-30", "surplus": "130.00"},
        headers=auth,
    )
    assert ok.status_code in (200, 201), ok.text
    sheet = client.get("/api/v1/groups/JOBA/shareout/1", headers=auth).json()
    assert [m["surplus"] for m in sheet["members"]] == ["68.42", "45.16", "16.42"]
    assert client.get("/api/v1/groups/JOBA/shareout/1").status_code == 401
