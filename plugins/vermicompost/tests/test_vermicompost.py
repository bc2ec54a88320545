"""The vermicompost plugin, registered explicitly."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import coopweb_vermicompost
import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, D3, fixed_clock, seed_group
from coopweb import create_app

PASSWORD = "a-long-password"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger(str(tmp_path / "books.db"), clock=fixed_clock)
    seed_group(ledger, "JOBA", members=2)
    seed_group(ledger, "DOEL", members=2)
    ledger.receive_grant("JOBA", source="ALRD", purpose="inputs", taka="5000", date=D1)
    ledger.buy_compost_inputs("JOBA", what="earthworms", taka="1800", date=D1)
    rings = ledger.buy_compost_inputs("JOBA", what="rings", taka="2400", date=D1)
    ledger.harvest_compost("JOBA", grams=150_000, notes="pit 1", date=D2)
    ledger.sell_compost("JOBA", buyer="Karim", grams=80_000, taka="960", date=D2)
    ledger.sell_compost("JOBA", buyer="Nursery", grams=50_000, taka="600", date=D3)
    ledger.correct_entry(
        "JOBA", target=rings.last, changes={"taka": "2200"}, reason="receipt", date=D3
    )
    yield ledger
    ledger.close()


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(
        ledger, plugins=[coopweb_vermicompost], load_entry_points=False, secure_cookies=False
    )
    app.state.accounts.save("audit", role="auditor", password=PASSWORD)
    with TestClient(app) as c:
        c.get("/login")
        c.post(
            "/login",
            data={
                "username": "audit",
                "password": PASSWORD,
                "_csrf_token": c.cookies.get("csrftoken"),
            },
        )
        yield c


def test_the_figures_are_the_books_report_with_corrections(ledger: Ledger) -> None:
    act = coopweb_vermicompost.activity(ledger, "JOBA")
    assert act == ledger.reports.vermicompost.activity("JOBA")
    assert act.inputs == Decimal("4000.00")  # 1800 + 2400, corrected to 2200
    assert act.sales == Decimal("1560.00")
    assert act.margin == Decimal("-2440.00")
    assert (act.sold_grams, act.stock_grams) == (130_000, 20_000)
    position = ledger.reports.books.position("JOBA").activities[0]
    assert (position.costs, position.revenue) == (act.inputs, act.sales)
    assert coopweb_vermicompost.monthly_sales(act) == [("15-11", 156_000)]


def test_the_panel_shows_only_where_there_is_vermicompost(client: TestClient[Any]) -> None:
    page = client.get("/groups/JOBA").text
    assert 'id="panel-vermicompost"' in page
    assert "-2,440.00" in page
    assert 'id="panel-vermicompost"' not in client.get("/groups/DOEL").text


def test_the_activity_page_lists_every_entry(client: TestClient[Any]) -> None:
    page = client.get("/groups/JOBA/vermicompost")
    assert page.status_code == 200
    for text in ("earthworms", "pit 1", "Karim", "Nursery", "-200.00", "150.000 kg"):
        assert text in page.text
    assert "20.000 kg" in page.text  # in stock
    assert "12.00 Tk" in page.text  # a kilogram fetched on average
    assert client.get("/groups/DOEL/vermicompost").status_code == 404


def test_the_page_as_of_an_earlier_day(client: TestClient[Any]) -> None:
    page = client.get(f"/groups/JOBA/vermicompost?as_of={D2}").text
    assert "Karim" in page
    assert "Nursery" not in page
    assert client.get(f"/groups/JOBA/vermicompost?as_of={D1}").status_code == 200


def test_the_pages_and_entries_read_in_bangla(client: TestClient[Any]) -> None:
    client.get("/language", params={"lang": "bn", "next": "/groups"})
    r = client.get("/groups/JOBA/vermicompost")
    assert r.status_code == 200
    assert "কেঁচো সার: Joba Nari Dal" in r.text  # the heading; the group's name as entered
    assert "৪,০০০.০০ ৳" in r.text  # noqa: RUF001 - inputs, in Bengali digits
    assert "উপকরণ" in r.text and "বিক্রি" in r.text  # the kinds of entry, translated
    r = client.get("/groups/JOBA")
    assert "মাসভিত্তিক বিক্রি" in r.text  # the panel's chart caption
    r = client.get("/groups/JOBA/history")
    assert "Karim-এর কাছে" in r.text  # the plugin's own entries as Bangla sentences
