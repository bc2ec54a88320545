"""The JSON API of a platform's partners and agreements: recorded through the cluster
entries endpoint, read back as of a date, refused with the field named, only for those who
may read the cluster."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from test_hardening import app, bearer, client, ledger  # noqa: F401 - the fixtures

from coopledger import Ledger
from coopledger.testing import D1, D2, D3


def test_agreements_and_partners_through_the_api(
    client: TestClient[Any],  # noqa: F811
    ledger: Ledger,  # noqa: F811
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
    auth = bearer(client, "mita")

    def record(body: dict[str, Any]) -> Any:
        return client.post("/api/v1/clusters/CP1/entries", headers=auth, json=body)

    r = record(
        {
            "command": "register_partner",
            "date": str(D1),
            "kind": "union-council",
            "name": "Alokdihi UP",
        }
    )
    assert r.status_code == 201, r.text
    assert (
        record(
            {
                "command": "receive_platform_funds",
                "date": str(D1),
                "source": "groups",
                "taka": "1000",
            }
        ).status_code
        == 201
    )
    assert (
        record(
            {
                "command": "make_agreement",
                "date": str(D1),
                "kind": "payment",
                "title": "Sapling guard",
                "party": "Amena",
                "monthly": "400",
                "starts_on": str(D1),
            }
        ).status_code
        == 201
    )
    assert (
        record(
            {
                "command": "make_agreement",
                "date": str(D1),
                "kind": "share",
                "title": "Plantation",
                "party": "Alokdihi UP",
                "partner": 1,
                "starts_on": str(D1),
                "before_term": "split",
                "term_years": 15,
                "shares": [
                    {"party": "members", "share": 4},
                    {"party": "Alokdihi UP", "share": 1, "partner": 1},
                ],
            }
        ).status_code
        == 201
    )
    assert (
        record(
            {
                "command": "book_agreement_income",
                "date": str(D3),
                "agreement": 2,
                "taka": "0.03",
                "source": "prunings",
            }
        ).status_code
        == 201
    )
    r = record(
        {"command": "pay_under_agreement", "date": str(D2), "agreement": 1, "taka": "800.01"}
    )
    assert r.status_code == 422 and r.json()["field"] == "taka"
    r = record(
        {
            "command": "hold_training",
            "date": str(D2),
            "title": "Camp",
            "kind": "vaccination-camp",
            "partner": 5,
            "members_female": 3,
        }
    )
    assert r.status_code == 422 and r.json()["field"] == "partner"

    r = client.get("/api/v1/clusters/CP1/agreements?as_of=2016-01-10", headers=auth)
    assert r.status_code == 200, r.text
    guard, plantation = r.json()["agreements"]
    assert [m["status"] for m in guard["months"]] == ["unpaid", "unpaid", "not due yet"]
    assert guard["arrears"] == "800.00"
    assert [p["taka"] for p in plantation["income"][0]["split"]] == [
        "0.02",
        "0.01",
    ]  # 2.4 and 0.6 paisa
    r = client.get("/api/v1/clusters/CP1/partners", headers=auth)
    (partner,) = r.json()["partners"]
    assert (partner["name"], partner["agreements"], partner["owed"]) == ("Alokdihi UP", [2], "0.01")
    # An animator of another partner's group may not read this platform.
    r = client.get("/api/v1/clusters/CP1/partners", headers=bearer(client, "other"))
    assert r.status_code == 403
