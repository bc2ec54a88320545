"""Loan products and fines in a real browser (Playwright driving Debian's chromium), on a
phone, in Bangla and English: the animator defines a product, lends under it, charges the
fine of a late instalment and records its payment; every page fits the screen
(``COOPWEB_SCREENSHOTS``: a folder to keep the pictures in)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from browsing import need_chromium, record, served, shot

from coopledger import Ledger
from coopledger.testing import seed_group
from coopweb import create_app

CHROMIUM = need_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402

PASSWORD = "a-long-password"
TODAY = date(2016, 3, 1)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Ledger]]:
    ledger = Ledger(str(tmp_path / "books.db"))
    ledger.pin_today(TODAY)
    seed_group(ledger, "JOBA", members=3)
    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=date(2016, 1, 1))
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with served(app) as url:
        yield url, ledger
    ledger.close()


STEPS: list[tuple[str, dict[str, object]]] = [
    (
        "define_loan_product",
        {
            "date": "2016-01-01",
            "name": "Small business",
            "min_principal": "2000",
            "max_principal": "10000",
            "rate": "10",
            "method": ("select", "flat"),
            "frequency": ("select", "4-weekly"),
            "min_instalments": "6",
            "max_instalments": "13",
            "fine": ("select", "percent"),
            "fine_amount": "5",
            "fine_grace_days": "7",
        },
    ),
    (
        "disburse_loan",
        {
            "date": "2016-01-15",
            "member": "1",
            "principal": "6500",
            "instalments": "13",
            "purpose": "goats",
            "product": "Small business",
        },
    ),
    ("assess_loan_fines", {"date": "2016-02-20"}),
    ("pay_loan_fine", {"date": "2016-02-26", "loan": "1", "taka": "27.50"}),
]


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_products_and_fines_on_a_phone(site: tuple[str, Ledger], lang: str) -> None:
    url, ledger = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        context = browser.new_context(
            base_url=url, viewport={"width": 360, "height": 740}, locale="en-GB"
        )
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", "rina")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/groups")
        if lang != "en":
            page.click(f"nav.language a[lang={lang}]")
        for number, (name, typed) in enumerate(STEPS, start=1):
            page.goto(f"/groups/JOBA/entries/{name}")
            for field, value in typed.items():
                if isinstance(value, tuple):
                    page.select_option(f"select[name={field}]", str(value[1]))
                else:
                    page.fill(f"input[name={field}]", str(value))
            record(page)
            shot(page, f"{lang}-phone-loan-products-{number:02d}-{name}")
        page.goto("/groups/JOBA")
        expect(page.locator("#loan-products")).to_be_visible()
        shot(page, f"{lang}-phone-loan-products-dashboard")
        browser.close()
    (loan,) = ledger.reports.loans.loans("JOBA")
    assert (loan.product, loan.fines_charged, loan.fines_owed) == (
        "Small business",
        Decimal("27.50"),
        Decimal("0.00"),
    )
