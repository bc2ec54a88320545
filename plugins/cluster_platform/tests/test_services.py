"""The partner register and agreements pages: recorded through their forms, shown in both
languages, bad input refused with the field named and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient
from test_cluster_platform import ledger, signed_in  # noqa: F401 - the fixture

from coopledger import Ledger
from coopledger.testing import D1, D2, D3


@pytest.fixture
def manager(ledger: Ledger) -> Iterator[TestClient[Any]]:  # noqa: F811
    client = signed_in(ledger, "mita", "manager", partner="SUSTAIN")
    yield client
    client.__exit__(None, None, None)


def post(client: TestClient[Any], page: str, form: str, data: dict[str, Any]) -> Any:
    """A platform command through its core entry form, linked from ``page``."""
    assert f"/clusters/CP1/entries/{form}" in client.get(f"/clusters/CP1/{page}").text
    token = client.cookies.get("csrftoken")
    return client.post(f"/clusters/CP1/entries/{form}", data={**data, "_csrf_token": token})


def test_partners_and_agreements_through_the_forms(
    manager: TestClient[Any],
    ledger: Ledger,  # noqa: F811
) -> None:
    for kind, name in (("union-council", "Alokdihi UP"), ("service-provider", "Para-vet")):
        r = post(
            manager,
            "partners",
            "register_partner",
            {
                "date": str(D1),
                "kind": kind,
                "name": name,
                "services.0": "VGD cards",
                "services.1": "vaccines",
            },
        )
        assert r.status_code == 200, r.text
    page = manager.get("/clusters/CP1/partners").text
    assert "Alokdihi UP" in page and "VGD cards" in page and "vaccines" in page
    r = post(
        manager,
        "agreements",
        "receive_platform_funds",
        {"date": str(D1), "source": "the groups", "taka": "1000"},
    )
    assert r.status_code == 200, r.text
    r = post(
        manager,
        "agreements",
        "make_agreement",
        {
            "date": str(D1),
            "kind": "payment",
            "title": "Sapling guard",
            "party": "Amena",
            "starts_on": str(D1),
            "monthly": "400",
        },
    )
    assert r.status_code == 200, r.text
    r = post(
        manager,
        "agreements",
        "make_agreement",
        {
            "date": str(D1),
            "kind": "share",
            "title": "Plantation",
            "party": "Alokdihi UP",
            "partner": "1",
            "starts_on": str(D1),
            "term_years": "0",
            "before_term": "split",
            "shares.0.party": "cluster members",
            "shares.0.share": "4",
            "shares.1.party": "Alokdihi UP",
            "shares.1.share": "1",
            "shares.1.partner": "1",
        },
    )
    assert r.status_code == 200, r.text
    assert (
        post(
            manager,
            "agreements",
            "pay_under_agreement",
            {"date": str(D2), "agreement": "1", "taka": "400"},
        ).status_code
        == 200
    )
    assert (
        post(
            manager,
            "agreements",
            "book_agreement_income",
            {"date": str(D3), "agreement": "2", "taka": "100.01", "source": "timber"},
        ).status_code
        == 200
    )
    page = manager.get("/clusters/CP1/agreements?as_of=2016-01-10").text
    assert "Sapling guard" in page and "80.01" in page and "20.00" in page
    a = ledger.reports.agreements.agreement("CP1", 1, as_of=date(2016, 1, 10))
    assert a.arrears == 400  # December's wage, due 5 January, unpaid
    bangla = manager.get("/clusters/CP1/agreements", headers={"Accept-Language": "bn"}).text
    assert "\u099a\u09c1\u0995\u09cd\u09a4\u09bf" in bangla  # "agreement" in Bangla


def test_a_bad_agreement_form_names_the_field_and_writes_nothing(
    manager: TestClient[Any],
    ledger: Ledger,  # noqa: F811
) -> None:
    before = ledger.load("cluster:CP1").version
    r = post(
        manager,
        "agreements",
        "make_agreement",
        {
            "date": str(D1),
            "kind": "payment",
            "title": "Guard",
            "party": "Amena",
            "starts_on": str(D1),
        },
    )
    assert r.status_code == 422
    assert 'id="err-monthly"' in r.text
    r = post(
        manager,
        "agreements",
        "pay_under_agreement",
        {"date": str(D2), "agreement": "x", "taka": "1"},
    )
    assert r.status_code == 422 and 'id="err-agreement"' in r.text
    token = manager.cookies.get("csrftoken")
    nope = manager.post("/clusters/CP1/entries/nope", data={"_csrf_token": token})
    assert nope.status_code == 404
    assert ledger.load("cluster:CP1").version == before


def test_platform_forms_name_partners_and_members(
    manager: TestClient[Any],
    ledger: Ledger,  # noqa: F811
) -> None:
    post(
        manager,
        "partners",
        "register_partner",
        {"date": str(D1), "kind": "union-council", "name": "Alokdihi UP"},
    )
    token = manager.cookies.get("csrftoken")

    def form(name: str, data: dict[str, Any]) -> Any:
        return manager.post(f"/clusters/CP1/entries/{name}", data={**data, "_csrf_token": token})

    r = form(
        "list_extreme_poor",
        {
            "date": str(D1),
            "household": "h",
            "head": "Member 2",
            "village": "v",
            "reason": "no land",
            "identified_by": "other",
            "group": "JOBA",
            "member": "2",
        },
    )
    assert r.status_code == 200, r.text
    (listed,) = ledger.reports.clusters.platform("CP1").extreme_poor
    assert (listed.group, listed.member_no) == ("JOBA", 2)
    entry = listed.entry
    r = form(
        "apply_safety_net",
        {
            "date": str(D2),
            "household_entry": str(entry),
            "scheme": "vgd",
            "partner": "1",
            "value": "1800",
            "period_start": "2016-07-01",
            "period_end": "2017-06-30",
        },
    )
    assert r.status_code == 200, r.text
    (net,) = ledger.reports.clusters.platform("CP1").safety_nets
    assert (net.applied_to, str(net.value_applied)) == ("Alokdihi UP", "1800.00")
    r = form(
        "list_extreme_poor",
        {
            "date": str(D1),
            "household": "h",
            "head": "x",
            "village": "v",
            "reason": "r",
            "identified_by": "other",
            "group": "JOBA",
            "member": "9",
        },
    )
    assert r.status_code == 422 and "member" in r.text
