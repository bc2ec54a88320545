"""Every group command has a page: built from its model, errors next to their fields,
recorded once, previewed before it is recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

import coopledger.capabilities  # noqa: F401 - every command is registered
from coopledger import Ledger
from coopledger.kernel.commands import COMMANDS, commands_for
from coopledger.testing import D1, D2, seed_group
from coopweb import Accounts, create_app
from coopweb.commandform import fields_of, input_names, read

PASSWORD = "a-long-password"
DAY = date(2016, 1, 15)


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    seed_group(sqlite_ledger, "JOBA", members=3)
    sqlite_ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=D1)
    sqlite_ledger.deposit_rice("JOBA", member=1, grams=1400, date=D2)
    return sqlite_ledger


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    accounts: Accounts = app.state.accounts
    accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    accounts.save("audit", role="auditor", password=PASSWORD)
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient[Any], username: str) -> None:
    client.get("/login")
    token = client.cookies.get("csrftoken")
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}
    )
    assert r.status_code == 200, r.text


def post(client: TestClient[Any], name: str, data: dict[str, str], htmx: bool = True) -> Any:
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    if htmx:
        headers["hx-request"] = "true"
    return client.post(f"/groups/JOBA/entries/{name}", data=data, headers=headers)


def seal_in(text: str) -> str:
    found = re.search(r'class="seal">([^<]+)<', text)
    assert found is not None, text
    return found.group(1)


# ---------------------------------------------------------------------- the forms
def test_every_entries_command_has_a_form_with_every_field(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    listing = client.get("/groups/JOBA/entries")
    assert listing.status_code == 200
    names = commands_for("entries")
    assert {"join_member", "pay_expense", "disburse_loan", "correct_entry"} <= set(names)
    for name in names:
        assert f"/groups/JOBA/entries/{name}" in listing.text
        page = client.get(f"/groups/JOBA/entries/{name}")
        assert page.status_code == 200, name
        assert page.headers["content-type"].startswith("text/html")
        for input_name in input_names(fields_of(COMMANDS[name])):
            assert f'name="{input_name}"' in page.text, (name, input_name)


def test_a_form_opens_clean(client: TestClient[Any]) -> None:
    sign_in(client, "rina")
    page = client.get("/groups/JOBA/entries/pay_expense").text
    assert 'id="preview"' not in page and "recorded already" not in page
    assert 'class="ok"' not in page


def test_every_cluster_command_has_a_form_with_every_field(
    client: TestClient[Any], ledger: Ledger
) -> None:
    ledger.form_cluster(
        "CP1",
        name="Cluster one",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Mohalbari"],
        households=150,
        date=D1,
    )
    ledger.join_cluster("CP1", group="JOBA", date=D1)
    sign_in(client, "rina")
    listing = client.get("/clusters/CP1/entries")
    assert listing.status_code == 200
    names = commands_for("cluster-entries")
    assert {"sign_mou", "adopt_cluster_plan", "name_representative"} <= set(names)
    for name in names:
        assert f"/clusters/CP1/entries/{name}" in listing.text
        page = client.get(f"/clusters/CP1/entries/{name}")
        assert page.status_code == 200, name
        assert 'name="cluster"' not in page.text  # the URL says which platform
        for input_name in input_names(fields_of(COMMANDS[name], None, "cluster")):
            assert f'name="{input_name}"' in page.text, (name, input_name)
    # a platform form refused: its rows counted from 1, the error at its field
    headers = {"x-csrftoken": client.cookies.get("csrftoken") or "", "hx-request": "true"}
    typed = {
        "date": str(D2),
        "parties.0.party": "JOBA",
        "parties.0.role": "group",
        "parties.0.signed_by": "Member 1",
        "commitments.0.no": "1",
        "commitments.0.party": "JOBA",
        "commitments.0.text": "Meet every month",
        "commitments.1.no": "2",
        "commitments.1.party": "UP",
        "commitments.1.text": "Give land",
    }
    r = client.post("/clusters/CP1/entries/sign_mou", data=typed, headers=headers)
    assert r.status_code == 422
    assert 'id="err-commitments.1.party"' in r.text
    assert 'value="Give land"' in r.text
    assert ledger.reports.clusters.platform("CP1").mou is None
    typed["parties.1.party"], typed["parties.1.role"] = "UP", "union council"
    typed["parties.1.signed_by"] = "Chairman"
    r = client.post("/clusters/CP1/entries/sign_mou", data=typed, headers=headers)
    assert r.status_code == 200 and seal_in(r.text)
    mou = ledger.reports.clusters.platform("CP1").mou
    assert mou is not None and [c.party for c in mou.commitments] == ["JOBA", "UP"]


def test_numbers_in_bengali_digits_are_read(client: TestClient[Any], ledger: Ledger) -> None:
    sign_in(client, "rina")
    r = post(
        client,
        "save_cash",
        # member \u09e8 (2), 1,250.50 taka typed with Bengali digits and grouping commas
        {"date": str(D2), "member": "\u09e8", "taka": "\u09e7,\u09e8\u09eb\u09e6.\u09eb\u09e6"},
    )
    assert r.status_code == 200, r.text
    assert 'value="\u09e8"' not in r.text  # recorded: the form is empty again
    book = ledger.reports.savings.passbook("JOBA", 2)
    assert book.lines[-1].cash_saved == Decimal("1250.50")


def test_a_plugin_command_is_labelled_in_its_own_words() -> None:
    from coopledger_vermicompost import SellCompost  # noqa: PLC0415

    labels = {f.name: f.label for f in fields_of(SellCompost)}
    assert str(labels["grams"]) == "Compost sold (grams)"  # not the core's "Rice (grams)"


def test_an_auditor_gets_no_entry_forms(client: TestClient[Any]) -> None:
    sign_in(client, "audit")
    assert client.get("/groups/JOBA/entries").status_code == 403
    assert client.get("/groups/JOBA/entries/pay_expense").status_code == 403
    assert client.get("/groups/JOBA/entries/nothing_such").status_code in (403, 404)


def test_a_member_joins_through_her_form_once(client: TestClient[Any], ledger: Ledger) -> None:
    sign_in(client, "rina")
    data = {
        "date": str(D2),
        "key": "join-1",
        "name": "Shapla Rani",
        "household": "Roy, para 3",
        "gender": "female",
        "wellbeing": "poor",
        "landless": "on",
    }
    r = post(client, "join_member", data)
    assert r.status_code == 200, r.text
    assert 'her member number: <strong class="number">4</strong>' in r.text
    assert seal_in(r.text)
    assert r.headers["hx-trigger"] == "ledger-changed"
    again = post(client, "join_member", data)  # a double submit: nothing doubled
    assert "already recorded" in again.text
    names = [m.name for m in ledger.reports.groups.members("JOBA")]
    assert names.count("Shapla Rani") == 1


def test_a_refusal_is_an_html_page_with_the_error_at_its_field(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "rina")
    before = ledger.load("JOBA").version
    data = {"date": str(D2), "category": "guard-wages", "payee": "Guard", "taka": "99999.50"}
    for htmx in (True, False):
        r = post(client, "pay_expense", {**data, "key": f"k-{htmx}"}, htmx=htmx)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("text/html")
        assert 'id="err-taka"' in r.text
        assert 'value="99999.50"' in r.text  # as typed
        assert ("<html" in r.text) is (not htmx)
    assert ledger.load("JOBA").version == before
    bad_number = post(client, "withdraw_cash", {"date": str(D2), "member": "two", "taka": "5"})
    assert bad_number.status_code == 422
    assert 'id="err-member"' in bad_number.text
    assert "&#39;two&#39; is not a whole number" in bad_number.text


def test_a_loan_is_previewed_with_its_schedule_then_recorded(
    client: TestClient[Any], ledger: Ledger
) -> None:
    sign_in(client, "rina")
    data = {
        "date": str(D2),
        "key": "loan-1",
        "member": "1",
        "principal": "6000",
        "instalments": "6",
        "rate": "12",
        "method": "flat",
        "frequency": "monthly",
        "purpose": "goat",
    }
    before = ledger.load("JOBA").version
    preview = post(client, "disburse_loan", {**data, "preview": "1"})
    assert preview.status_code == 200, preview.text
    assert 'id="preview"' in preview.text
    assert preview.text.count("1,000.00") == 6  # six instalments of 1,000.00 principal
    assert ledger.load("JOBA").version == before  # nothing written
    recorded = post(client, "disburse_loan", data)
    assert recorded.status_code == 200
    assert seal_in(recorded.text)
    (loan,) = ledger.reports.loans.loans("JOBA")
    assert loan.principal == Decimal("6000.00")


def test_an_entry_is_corrected_from_the_history(client: TestClient[Any], ledger: Ledger) -> None:
    sign_in(client, "rina")
    history = client.get("/groups/JOBA/history")
    position = ledger.load("JOBA").version  # the rice deposit
    link = f"/groups/JOBA/entries/correct_entry?target={position}"
    assert link in history.text
    form = client.get(link)
    assert 'id="entry-target"' in form.text
    assert 'value="' + str(position) + '"' in form.text
    data = {"date": str(D2), "key": "fix-1", "target": str(position), "reason": "weighed twice"}
    preview = post(client, "correct_entry", {**data, "preview": "1"})
    assert 'id="preview"' in preview.text
    assert ledger.reports.books.position("JOBA").rice_stock_grams == 1400
    done = post(client, "correct_entry", data)
    assert done.status_code == 200, done.text
    assert ledger.reports.books.position("JOBA").rice_stock_grams == 0


def test_a_plan_is_a_real_form_with_rows(client: TestClient[Any], ledger: Ledger) -> None:
    sign_in(client, "rina")
    data = {
        "date": str(D2),
        "key": "plan-1",
        "year": "2016",
        "wellbeing.categories.0.field": "poor",
        "wellbeing.categories.0.value": "12",
        "constraints.0": "no land",
        "micro_projects.0.no": "1",
        "micro_projects.0.name": "Vermicompost",
        "activities.0.id": "A1",
        "activities.0.micro_project": "1",
        "activities.0.name": "Build rings",
        "activities.0.budget": "1500",
        "activities.0.responsible": "Rina",
        "activities.0.start": "2016-02",
        "activities.0.end": "2016-03",
    }
    r = post(client, "adopt_plan", data)
    assert r.status_code == 200, r.text
    plan = ledger.reports.plans.plan("JOBA", 2016)
    assert plan is not None


# ---------------------------------------------------------------------- reading a form
def test_reading_keeps_types_drops_blank_rows_and_maps_errors() -> None:
    model = COMMANDS["adopt_plan"]
    form = read(
        model,
        {
            "year": "2016",
            "constraints.0": " no land ",
            "constraints.1": "",
            "micro_projects.0.no": "1",
            "micro_projects.0.name": "Goats",
            "micro_projects.1.no": "",
            "wellbeing.categories.0.field": "poor",
            "wellbeing.categories.0.value": "12",
        },
    )
    assert form.errors == {}
    assert form.data["year"] == 2016
    assert form.data["constraints"] == ["no land"]
    assert form.data["micro_projects"] == [{"no": 1, "name": "Goats"}]
    assert form.data["wellbeing"]["categories"] == {"poor": 12}
    form.error_for("micro_projects[0].name", "too short")
    form.error_for("activities", "add at least one")
    form.error_for("nothing", "?")
    assert form.errors == {
        "micro_projects.0.name": "too short",
        "activities.0.id": "add at least one",
        "form": "?",
    }
    money = read(COMMANDS["pay_expense"], {"taka": "12.50", "date": "2016-01-01"})
    assert money.data["taka"] == "12.50"  # read exactly by the model, never a float
