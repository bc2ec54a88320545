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
    ledger.book_activity_cost("JOBA", activity="vermicompost", taka="1800",
                              memo="earthworms", date=D1)
    cost = ledger.book_activity_cost("JOBA", activity="vermicompost", taka="2400",
                                     memo="rings", date=D1)
    ledger.book_activity_revenue("JOBA", activity="vermicompost", taka="960",
                                 memo="80 kg at 12 Tk/kg", date=D2)
    ledger.book_activity_revenue("JOBA", activity="vermicompost", taka="600",
                                 memo="50 kg at 12 Tk/kg", date=D3)
    ledger.correct("JOBA", target=cost.last, changes={"taka": "2200"}, reason="receipt",
                   date=D3)
    yield ledger
    ledger.close()


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(ledger, plugins=[coopweb_vermicompost], load_entry_points=False,
                     secure_cookies=False)
    app.state.accounts.save("audit", role="auditor", password=PASSWORD)
    with TestClient(app) as c:
        c.get("/login")
        c.post("/login", data={"username": "audit", "password": PASSWORD,
                               "_csrf_token": c.cookies.get("csrftoken")})
        yield c


def test_inputs_sales_margin_and_production_count_corrections(ledger: Ledger) -> None:
    act = coopweb_vermicompost.activity(ledger, "JOBA")
    assert act.inputs == Decimal("4000.00")  # 1800 + 2400, corrected to 2200
    assert act.sales == Decimal("1560.00")
    assert act.margin == Decimal("-2440.00")
    assert act.kg_sold == Decimal("130")
    position = ledger.reports.position("JOBA").activities[0]
    assert (position.costs, position.revenue) == (act.inputs, act.sales)


def test_the_panel_shows_only_where_there_is_vermicompost(client: TestClient[Any]) -> None:
    page = client.get("/groups/JOBA").text
    assert 'id="panel-vermicompost"' in page
    assert "-2,440.00" in page
    assert 'id="panel-vermicompost"' not in client.get("/groups/DOEL").text


def test_the_activity_page_lists_every_entry(client: TestClient[Any]) -> None:
    page = client.get("/groups/JOBA/vermicompost")
    assert page.status_code == 200
    assert "earthworms" in page.text
    assert "correction of #" in page.text
    assert client.get("/groups/DOEL/vermicompost").status_code == 404
