"""The rice-savings plugin, registered explicitly (installed plugins are not autoloaded)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coopweb_rice_savings
import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, fixed_clock, seed_group
from coopweb import create_app

PASSWORD = "a-long-password"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Any]]:
    ledger = Ledger(str(tmp_path / "books.db"), clock=fixed_clock)
    seed_group(ledger, "JOBA", members=3)
    ledger.record_meeting(
        "JOBA",
        date=D1,
        attendance=[1, 2],
        deposits=[{"member": 1, "grams": 1400}, {"member": 2, "grams": 1500}],
        sales=[{"buyer": 3, "grams": 2000, "taka_per_kg": "30", "paid": "20"}],
        counted_rice_grams=900,
    )
    ledger.deposit_rice("JOBA", member=3, grams=1300, date=D2)
    app = create_app(
        ledger, plugins=[coopweb_rice_savings], load_entry_points=False, secure_cookies=False
    )
    app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with TestClient(app) as c:
        c.get("/login")
        c.post(
            "/login",
            data={
                "username": "rina",
                "password": PASSWORD,
                "_csrf_token": c.cookies.get("csrftoken"),
            },
        )
        yield c
    ledger.close()


def test_the_plugin_claims_womens_groups(client: TestClient[Any]) -> None:
    page = client.get("/groups/JOBA")
    assert page.status_code == 200
    assert "People's Initiative" in page.text
    assert "Weekly rice sheet" in page.text
    assert 'id="panel-rice"' in page.text
    assert 'id="panel-savers"' in page.text
    assert 'id="panel-position"' in page.text  # the core's panels stay


def test_a_kind_it_does_not_claim_gets_the_generic_view(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOPWEB_RICE_SAVINGS_KINDS", "men")
    page = client.get("/groups/JOBA")
    assert "People's Initiative" not in page.text
    assert 'id="panel-rice"' not in page.text


def test_savings_per_member_panel(client: TestClient[Any]) -> None:
    panel = client.get("/groups/JOBA/panels/savers").text
    assert "1.400 kg" in panel  # member 1 saved
    assert "40.00" in panel  # member 3 owes 60 - 20


def test_rice_chart_shows_sales_by_month(client: TestClient[Any]) -> None:
    panel = client.get("/groups/JOBA/panels/rice").text
    assert "<svg" in panel
    assert "15-11: 2.000 kg" in panel


def test_the_weekly_rice_sheet_prints_every_member(client: TestClient[Any]) -> None:
    sheet = client.get("/groups/JOBA/rice-sheet")
    assert sheet.status_code == 200
    for i in (1, 2, 3):
        assert f"Member {i}" in sheet.text
    assert "/static/rice_savings/sheet.css" in sheet.text
    assert client.get("/static/rice_savings/sheet.css").status_code == 200


def test_another_groups_sheet_is_refused(client: TestClient[Any]) -> None:
    assert client.get("/groups/NOPE/rice-sheet").status_code == 404


def test_the_view_and_the_rice_sheet_in_bangla(client: TestClient[Any]) -> None:
    client.get("/language", params={"lang": "bn", "next": "/groups"})
    page = client.get("/groups/JOBA")
    assert "জনগণের উদ্যোগ" in page.text and "শুক্রবার" in page.text  # meets every Friday
    assert "চাল: মজুদ ও বিক্রি" in page.text  # the panel's title
    assert "মজুদ চাল" in page.text  # the chart's legend
    sheet = client.get("/groups/JOBA/rice-sheet")
    assert sheet.status_code == 200
    assert "সাপ্তাহিক চালের শিট: Joba Nari Dal" in sheet.text
    assert "শেষ গণনায় বস্তায় ছিল: ২.২০০ কেজি" in sheet.text  # in Bengali digits
