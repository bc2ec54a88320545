"""The staff pages and the JSON API: sign-in, roles, the meeting form, CSRF, problem details."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, D3, seed_group
from coopweb import Accounts, create_app

PASSWORD = "a-long-password"


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    seed_group(sqlite_ledger, "JOBA", members=3)
    seed_group(sqlite_ledger, "DOEL", members=2)
    with sqlite_ledger.db.cursor(commit=True) as c:  # DOEL belongs to another partner
        c.execute("UPDATE cl_groups SET partner = 'SUSTAIN' WHERE code = 'JOBA'")
    sqlite_ledger.deposit_rice("JOBA", member=1, grams=1400, date=D1)
    return sqlite_ledger


@pytest.fixture
def app(ledger: Ledger) -> Any:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
    accounts.save("audit", role="auditor", password=PASSWORD)
    accounts.save("root", role="admin", password=PASSWORD)
    return app


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
    assert "/groups" in str(r.url)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient[Any]]:
    with TestClient(app) as c:
        yield c


def form_post(client: TestClient[Any], url: str, data: dict[str, str], htmx: bool = True) -> Any:
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    if htmx:
        headers["hx-request"] = "true"
    return client.post(url, data=data, headers=headers)


# ---------------------------------------------------------------------- sign in
def test_pages_need_a_sign_in(client: TestClient[Any]) -> None:
    r = client.get("/groups/JOBA", follow_redirects=False)
    assert r.status_code in (302, 303, 307)
    assert r.headers["location"] == "/login"


def test_a_wrong_password_is_refused(client: TestClient[Any]) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": "rina",
            "password": "nope",
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )
    assert r.status_code == 401
    assert "do not match" in r.text
    assert r.headers["content-type"].startswith("text/html")  # a page, not JSON


def test_forms_without_the_csrf_token_are_refused(client: TestClient[Any]) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "rina", "password": PASSWORD})
    assert r.status_code == 403


def test_session_cookie_flags(ledger: Ledger) -> None:
    app = create_app(ledger, load_entry_points=False, secure_cookies=True)
    app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with TestClient(app, base_url="https://testserver.local") as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={
                "username": "rina",
                "password": PASSWORD,
                "_csrf_token": c.cookies.get("csrftoken"),
            },
            follow_redirects=False,
        )
        cookie = r.headers.get("set-cookie", "").lower()
        assert "httponly" in cookie
        assert "secure" in cookie
        assert "samesite=lax" in cookie


# ---------------------------------------------------------------------- roles by route
PAGES = [
    "/groups/{g}",
    "/groups/{g}/members/1",
    "/groups/{g}/history",
    "/groups/{g}/reports",
    "/groups/{g}/reports/trial-balance.csv",
    "/groups/{g}/panels/position",
]
API = [
    "/api/v1/groups/{g}",
    "/api/v1/groups/{g}/members",
    "/api/v1/groups/{g}/members/1/passbook",
    "/api/v1/groups/{g}/trial-balance",
    "/api/v1/groups/{g}/reconciliation",
    "/api/v1/groups/{g}/events",
]
# role -> (may read JOBA, may read DOEL, may write JOBA, may write DOEL)
MATRIX = {
    "rina": (True, False, True, False),
    "mita": (True, False, True, False),
    "audit": (True, True, False, False),
    "root": (True, True, False, False),
}


def token(client: TestClient[Any], username: str) -> dict[str, str]:
    r = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"authorization": f"Bearer {r.json()['token']}"}


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_role_by_route_matrix(client: TestClient[Any], username: str) -> None:
    read_joba, read_doel, write_joba, write_doel = MATRIX[username]
    sign_in(client, username)
    auth = token(client, username)
    for group, allowed in (("JOBA", read_joba), ("DOEL", read_doel)):
        for url in PAGES:
            r = client.get(url.format(g=group))
            assert r.status_code == (200 if allowed else 403), (username, url, group)
        for url in API:
            r = client.get(url.format(g=group), headers=auth)
            assert r.status_code == (200 if allowed else 403), (username, url, group)
            if not allowed:
                assert r.headers["content-type"].startswith("application/problem+json")
    listed = {g["code"] for g in client.get("/api/v1/groups", headers=auth).json()}
    assert listed == ({"JOBA", "DOEL"} if read_doel else {"JOBA"})
    for group, allowed in (("JOBA", write_joba), ("DOEL", write_doel)):
        r = form_post(
            client,
            f"/groups/{group}/meetings",
            {"date": str(D2), "key": f"k-{username}-{group}", "grams_1": "100"},
        )
        assert r.status_code == (200 if allowed else 403), (username, group, r.text[:200])
        r = client.post(
            f"/api/v1/groups/{group}/entries",
            headers=auth,
            json={"command": "deposit_rice", "date": str(D2), "member": 1, "grams": 100},
        )
        assert r.status_code == (201 if allowed else 403), (username, group, r.text)
    assert (client.get("/admin/accounts").status_code == 200) == (username == "root")


def test_the_animator_cannot_reach_another_group_through_the_api(
    client: TestClient[Any], ledger: Ledger
) -> None:
    auth = token(client, "rina")
    before = ledger.load("DOEL").version
    r = client.post(
        "/api/v1/groups/DOEL/meetings",
        headers=auth,
        json={"date": str(D2), "deposits": [{"member": 1, "grams": 100}]},
    )
    assert r.status_code == 403
    assert ledger.load("DOEL").version == before


def test_the_api_needs_a_token(client: TestClient[Any]) -> None:
    r = client.get("/api/v1/groups")
    assert r.status_code == 401
    assert r.json()["status"] == 401
    r = client.get("/api/v1/groups", headers={"authorization": "Bearer forged"})
    assert r.status_code == 401


# ---------------------------------------------------------------------- the meeting form
def meeting_form(**extra: str) -> dict[str, str]:
    data = {
        "date": str(D2),
        "key": "form-1",
        "present_1": "on",
        "present_2": "on",
        "grams_1": "1400",
        "grams_2": "1500",
        "sale_buyer_0": "3",
        "sale_grams_0": "2000",
        "sale_price_0": "30",
        "sale_paid_0": "10",
        "counted_cash": "10",
        "counted_rice_grams": "2300",
    }
    data.update(extra)
    return data


def test_recording_a_meeting_through_the_form(client: TestClient[Any], ledger: Ledger) -> None:
    sign_in(client, "rina")
    r = form_post(client, "/groups/JOBA/meetings", meeting_form())
    assert r.status_code == 200, r.text
    assert r.headers["hx-trigger"] == "ledger-changed"
    seal = re.search(r'class="seal">([^<]+)<', r.text)
    assert seal is not None
    assert ledger.reports.meetings.reconciliation("JOBA").meetings[-1].seal == seal.group(1)
    position = ledger.reports.books.position("JOBA")
    assert position.rice_stock_grams == 2300
    assert position.receivables == Decimal("50.00")
    panel = client.get("/groups/JOBA/panels/position")
    assert "2.300 kg" in panel.text
    # a double submit of the same form records nothing more
    again = form_post(client, "/groups/JOBA/meetings", meeting_form())
    assert again.status_code == 200
    assert "already recorded" in again.text
    assert ledger.reports.books.position("JOBA").rice_stock_grams == 2300


def test_a_second_form_on_the_day_of_a_recorded_meeting_adds_to_it(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "rina")
    assert form_post(client, "/groups/JOBA/meetings", meeting_form()).status_code == 200
    page = client.get("/groups/JOBA")
    assert 'id="meeting-held"' not in page.text  # the dashboard's day is not D2
    # A forgotten deposit, typed on a new form (a new key) for the same day: added to it.
    late = {"date": str(D2), "key": "form-2", "grams_3": "250"}
    r = form_post(client, "/groups/JOBA/meetings", late)
    assert r.status_code == 200, r.text
    assert 'id="meeting-held"' in r.text
    assert ledger.reports.books.position("JOBA").rice_stock_grams == 2550
    assert type(ledger.events("JOBA")[-1]).__name__ == "MeetingSupplemented"
    assert len(ledger.reports.meetings.reconciliation("JOBA").meetings) == 1
    # Its attendance and counts are not changed by a later form: refused, nothing written.
    before = ledger.load("JOBA").version
    bad = form_post(
        client,
        "/groups/JOBA/meetings",
        {"date": str(D2), "key": "form-3", "grams_3": "100", "counted_cash": "99"},
    )
    assert bad.status_code == 422
    assert 'id="err-counted_cash"' in bad.text
    assert "already recorded" in bad.text
    assert ledger.load("JOBA").version == before


def test_an_invalid_entry_is_shown_next_to_its_field_and_nothing_is_recorded(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "rina")
    before = ledger.load("JOBA").version
    r = form_post(client, "/groups/JOBA/meetings", meeting_form(sale_grams_0="9000"))
    assert r.status_code == 422
    assert 'id="err-sale_grams_0"' in r.text
    assert "not enough rice" in r.text
    assert "sales[0]" not in r.text  # no programmer notation next to the field
    assert r.headers["content-type"].startswith("text/html")
    assert 'value="9000"' in r.text  # what was typed is kept
    assert 'value="1500"' in r.text
    assert ledger.load("JOBA").version == before
    r = form_post(client, "/groups/JOBA/meetings", meeting_form(grams_2="abc"))
    assert r.status_code == 422
    assert 'id="err-grams_2"' in r.text
    assert ledger.load("JOBA").version == before
    plain = form_post(client, "/groups/JOBA/meetings", meeting_form(grams_2="abc"), htmx=False)
    assert plain.status_code == 422  # without JavaScript: the whole page, as HTML
    assert plain.headers["content-type"].startswith("text/html")
    assert "<html" in plain.text and 'id="err-grams_2"' in plain.text


def test_a_plain_form_post_without_htmx_redirects_to_the_dashboard(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    r = form_post(client, "/groups/JOBA/meetings", meeting_form(), htmx=False)
    assert r.status_code == 200
    assert "/groups/JOBA" in str(r.url)


# ---------------------------------------------------------------------- pages
def test_groups_filter_and_search(client: TestClient[Any]) -> None:
    sign_in(client, "audit")
    assert "DOEL" in client.get("/groups").text
    r = client.get("/groups?q=doel", headers={"hx-request": "true"})
    assert "DOEL" in r.text
    assert "JOBA" not in r.text
    r = client.get("/groups?district=Nowhere")
    assert "No group matches" in r.text


def test_pages_stay_light(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    for url in (
        "/groups",
        "/groups/JOBA",
        "/groups/JOBA/members/1",
        "/groups/JOBA/history",
        "/groups/JOBA/reports",
    ):
        assert len(client.get(url).content) < 100_000, url


def test_the_history_shows_who_recorded_when_and_the_seal(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "audit")
    r = client.get("/groups/JOBA/history")
    # Entries read as sentences, never as the events' class names.
    assert "Member 1 deposited 1.400 kg of rice" in r.text
    assert "RiceDeposited" not in r.text
    assert "tester" in r.text
    last = ledger.events("JOBA")[-1]
    from coopledger.kernel.integrity import seal  # noqa: PLC0415

    assert seal(last.chain_hash) in r.text


def test_personal_data_is_hidden_from_an_admin(client: TestClient[Any]) -> None:
    sign_in(client, "root")
    r = client.get("/groups/JOBA/reports/members.csv")
    assert r.text.splitlines()[0] == "member_no,name,gender,joined_on,left_on,roles"
    sign_in(client, "audit")
    r = client.get("/groups/JOBA/reports/members.csv")
    assert "wellbeing" in r.text.splitlines()[0]


def test_admin_manages_accounts(client: TestClient[Any], app: Any) -> None:
    sign_in(client, "root")
    r = client.post(
        "/admin/accounts",
        data={
            "username": "new.animator",
            "role": "animator",
            "password": "long-enough-1",
            "groups": "JOBA DOEL",
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )
    assert r.status_code == 200
    assert app.state.accounts.user("new.animator").groups == frozenset({"JOBA", "DOEL"})
    r = client.post(
        "/admin/accounts",
        data={
            "username": "x",
            "role": "manager",
            "password": "long-enough-1",
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )
    assert r.status_code == 422
    assert "partner" in r.text


# ---------------------------------------------------------------------- the API
def test_api_records_a_meeting_and_reports_problems_by_field(client: TestClient[Any]) -> None:
    auth = token(client, "rina")
    body = {
        "date": str(D2),
        "key": "api-1",
        "attendance": [1],
        "deposits": [{"member": 1, "grams": 1400}],
        "sales": [{"buyer": 2, "grams": 1000, "taka_per_kg": 30.5}],
    }
    r = client.post("/api/v1/groups/JOBA/meetings", headers=auth, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["seal"]
    again = client.post("/api/v1/groups/JOBA/meetings", headers=auth, json=body)
    assert again.json()["replayed"] is True
    position = client.get("/api/v1/groups/JOBA", headers=auth).json()
    assert position["cash"] == "30.50"
    bad = client.post(
        "/api/v1/groups/JOBA/meetings",
        headers=auth,
        json={"date": str(D3), "sales": [{"buyer": 2, "grams": 99999, "taka_per_kg": "30"}]},
    )
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["field"] == "sales[0].grams"
    assert problem["value"] == 99999
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.headers["content-language"] == "en"
    # the same refusal for a Bangla reader: the detail in Bangla, the field and value as sent
    bangla = client.post(
        "/api/v1/groups/JOBA/meetings",
        headers={**auth, "accept-language": "bn-BD,bn;q=0.9,en;q=0.5"},
        json={"date": str(D3), "sales": [{"buyer": 2, "grams": 99999, "taka_per_kg": "30"}]},
    )
    assert bangla.status_code == 422
    assert bangla.headers["content-language"] == "bn"
    said = bangla.json()
    assert (said["field"], said["value"], said["title"]) == (
        "sales[0].grams",
        99999,
        problem["title"],
    )
    assert said["detail"] != problem["detail"]
    assert any("\u0980" <= ch <= "\u09ff" for ch in said["reason"])  # Bengali script
    refused = client.get("/api/v1/groups/JOBA", headers={"accept-language": "bn"})
    assert refused.status_code == 401
    assert any("\u0980" <= ch <= "\u09ff" for ch in refused.json()["detail"])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"{",
        b'{"date": 5}',
        b'{"command": "form_group"}',
        b'{"grams": 1.5}',
        b'{"date": "2015-11-13", "deposits": [{"member": "x"}]}',
        "\u0000\udcff".encode("utf-8", "surrogatepass"),
    ],
)
def test_malformed_api_input_never_gives_a_500(client: TestClient[Any], body: bytes) -> None:
    auth = token(client, "rina")
    for url in ("/api/v1/groups/JOBA/meetings", "/api/v1/groups/JOBA/entries"):
        r = client.post(url, headers={**auth, "content-type": "application/json"}, content=body)
        assert 400 <= r.status_code < 500, (url, body, r.text)
        assert r.json()["detail"]


def test_the_openapi_schema_is_served(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/groups/{code}/meetings" in schema["paths"]
    assert all(not p.startswith("/groups") for p in schema["paths"])


def test_the_savings_trend_equals_the_members_accounts(ledger: Ledger) -> None:
    from coopledger import accounts as acc  # noqa: PLC0415
    from coopledger.money import RICE  # noqa: PLC0415
    from coopweb.core_plugin import _saved  # noqa: PLC0415

    ledger.record_meeting(
        "JOBA",
        date=D2,
        deposits=[{"member": 2, "grams": 900}],
        sales=[{"buyer": 3, "grams": 1500, "taka_per_kg": "30"}],
    )
    stock = ledger.reports.books.trend("JOBA", acc.RICE_STOCK, RICE)
    sold = ledger.reports.books.trend("JOBA", acc.RICE_CONVERSION, RICE)
    members = [(d, -v) for d, v in ledger.reports.books.trend("JOBA", acc.RICE_SAVINGS, RICE)]
    assert _saved([(d, int(v)) for d, v in stock], [(d, int(v)) for d, v in sold]) == members


def test_groups_filter_by_cluster(client: TestClient[Any], ledger: Ledger) -> None:
    ledger.form_cluster(
        "CP1",
        name="Cluster one",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Mohalbari"],
        households=150,
        date=D1,
    )
    ledger.join_cluster("CP1", group="DOEL", date=D1)
    sign_in(client, "audit")
    r = client.get("/groups?cluster=CP1", headers={"hx-request": "true"})
    assert "DOEL" in r.text
    assert "JOBA" not in r.text
    assert '<option value="CP1" selected>CP1</option>' in client.get("/groups?cluster=CP1").text


def test_clusters_through_the_api_with_roles(client: TestClient[Any], ledger: Ledger) -> None:
    ledger.form_cluster(
        "CP1",
        name="Cluster one",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Mohalbari"],
        households=150,
        partner="SUSTAIN",
        date=D1,
    )
    ledger.join_cluster("CP1", group="JOBA", date=D1)
    rina, audit_, root = token(client, "rina"), token(client, "audit"), token(client, "root")
    r = client.post(
        "/api/v1/clusters/CP1/entries",
        headers=rina,
        json={"command": "name_representative", "date": str(D2), "group": "JOBA", "member": 1},
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/clusters/CP1/entries",
        headers=rina,
        json={
            "command": "list_extreme_poor",
            "date": str(D2),
            "household": "Roy",
            "head": "Mala",
            "village": "Mohalbari",
            "reason": "widow",
            "identified_by": "transect-visit",
        },
    )
    assert r.status_code == 201
    platform = client.get("/api/v1/clusters/CP1", headers=rina).json()
    assert platform["representatives"][0]["wellbeing"] == "poor"
    assert platform["extreme_poor"][0]["head"] == "Mala"
    hidden = client.get("/api/v1/clusters/CP1", headers=root).json()
    assert "wellbeing" not in hidden["representatives"][0]
    assert "head" not in hidden["extreme_poor"][0]
    assert (
        client.post(
            "/api/v1/clusters/CP1/entries",
            headers=audit_,
            json={"command": "hold_training", "date": str(D2), "title": "x", "members_female": 1},
        ).status_code
        == 403
    )
    bad = client.post(
        "/api/v1/clusters/CP1/entries",
        headers=rina,
        json={
            "command": "apply_safety_net",
            "date": str(D2),
            "household_entry": 99,
            "scheme": "vgd",
            "applied_to": "UP",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "household_entry"
    assert client.get("/api/v1/programme", headers=rina).status_code == 403
    rows = client.get("/api/v1/programme?by=cluster", headers=audit_).json()
    assert (rows[0]["by"], rows[0]["name"]) == ("cluster", "CP1")
    assert client.get("/api/v1/clusters/NOPE", headers=audit_).status_code == 404


def test_the_dashboard_shows_the_loans_panel(client: TestClient[Any], ledger: Ledger) -> None:
    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="5000", date=D1)
    ledger.disburse_loan(
        "JOBA",
        member=2,
        principal="1000",
        instalments=4,
        rate="12",
        purpose="goat",
        date=D1,
    )
    sign_in(client, "rina")
    page = client.get("/groups/JOBA").text
    assert 'id="panel-loans"' in page
    assert "1,000.00 Tk" in client.get("/groups/JOBA/panels/loans").text


def test_a_late_borrowers_passbook_shows_what_she_owes_and_what_is_overdue(
    client: TestClient[Any], ledger: Ledger
) -> None:
    from datetime import date  # noqa: PLC0415

    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="5000", date=D1)
    ledger.disburse_loan(
        "JOBA",
        member=2,
        principal="1000",
        instalments=4,
        rate="12",
        purpose="goat",
        date=D1,
    )
    ledger.pin_today(date(2016, 3, 1))  # two instalments fell due, none paid
    sign_in(client, "rina")
    book = client.get("/groups/JOBA/members/2").text
    owed = re.search(r'data-figure="loan-owed">([^<]+)<', book)
    overdue = re.search(r'data-figure="loan-overdue"[^>]*>([^<]+)<', book)
    assert owed is not None and overdue is not None
    assert owed.group(1) == "1,000.00 Tk"
    expected = ledger.reports.savings.passbook("JOBA", 2).loan_overdue
    assert expected > 0
    assert overdue.group(1) == f"{expected:,.2f} Tk"
    assert 'data-figure="lent">1,000.00 Tk' in book
    position = client.get("/groups/JOBA/panels/position").text
    assert 'data-figure="loans">1,000.00 Tk' in position


def test_loan_repayments_are_collected_in_the_meeting_form(
    client: TestClient[Any], ledger: Ledger
) -> None:
    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="5000", date=D1)
    loan = ledger.disburse_loan(
        "JOBA",
        member=2,
        principal="1000",
        instalments=4,
        rate="12",
        purpose="goat",
        date=D1,
    )
    sign_in(client, "rina")
    r = form_post(
        client,
        "/groups/JOBA/meetings",
        {"date": str(D2), "key": "with-loan", "loan_no_0": str(loan), "loan_taka_0": "5000"},
    )
    assert r.status_code == 422
    assert 'id="err-loan_taka_0"' in r.text  # more than is owed, shown at its field
    r = form_post(
        client,
        "/groups/JOBA/meetings",
        {"date": str(D2), "key": "with-loan-2", "loan_no_0": str(loan), "loan_taka_0": "250"},
    )
    assert r.status_code == 200, r.text
    (row,) = ledger.reports.loans.loans("JOBA")
    assert row.principal_paid == Decimal("250.00")


def test_pages_are_light_gzipped_and_static_files_cached(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    r = client.get("/groups/JOBA", headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    wire = int(r.headers.get("content-length") or len(r.content))
    assert wire < 100_000
    css = re.search(r'href="(/static/coopweb/app\.css\?v=[0-9a-f]{10})"', r.text)
    assert css is not None  # named by its content's digest
    static = client.get(css.group(1))
    assert static.status_code == 200
    assert "max-age=31536000" in static.headers["cache-control"]


def test_the_pictorial_meeting_sheet(client: TestClient[Any], ledger: Ledger) -> None:
    sign_in(client, "rina")
    assert form_post(client, "/groups/JOBA/meetings", meeting_form()).status_code == 200
    held = ledger.reports.meetings.held_on("JOBA", D2)
    assert held is not None
    panel = client.get("/groups/JOBA/panels/meetings").text
    assert f"/groups/JOBA/meetings/{D2}/sheet" in panel
    sheet = client.get(f"/groups/JOBA/meetings/{D2}/sheet?lang=en")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/html")
    assert f'<strong class="seal">{held["seal"]}</strong>' in sheet.text
    assert 'aria-label="rice"' in sheet.text and 'aria-label="taka"' in sheet.text
    rows = ledger.reports.savings.meeting_day("JOBA", D2)
    assert [r.rice_grams for r in rows] == [1400, 1500, 0]
    assert "1.400 kg" in sheet.text and "2.800 kg" in sheet.text  # today; her total
    assert "2.300 kg" in sheet.text  # the rice sack's count
    bangla = client.get(f"/groups/JOBA/meetings/{D2}/sheet").text  # Bangla by default
    assert '<html lang="bn">' in bangla
    assert "\u09e7.\u09ea\u09e6\u09e6 \u0995\u09c7\u099c\u09bf" in bangla  # 1.400 kg
    assert f'<strong class="seal">{held["seal"]}</strong>' in bangla
    client.get("/language?lang=en&next=/groups")  # she chose English: her choice holds
    assert '<html lang="en">' in client.get(f"/groups/JOBA/meetings/{D2}/sheet").text
    assert client.get(f"/groups/JOBA/meetings/{D1}/sheet").status_code == 404
    assert client.get("/groups/JOBA/meetings/yesterday/sheet").status_code == 404
