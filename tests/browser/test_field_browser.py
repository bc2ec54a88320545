"""A recalled laptop's entries decided by a manager, in a real browser (Playwright driving
Debian's chromium): both versions side by side, applied again with the paper seal mapped to
the new one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from browsing import need_chromium, served

from coopledger import Ledger
from coopledger.field import RecallFromField
from coopledger.sync import Office, checkout, sync
from coopledger.testing import seed_group
from coopweb import create_app

CHROMIUM = need_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402

PASSWORD = "a-long-password"
DAY = date(2016, 1, 8)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[str, Ledger, str]]:
    """The office's server, its ledger, and the seal of a meeting a recalled laptop holds."""
    ledger = Ledger(str(tmp_path / "office.db"))
    seed_group(ledger, "JOBA", members=3, partner="SUSTAIN")
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    rina = app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    app.state.accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
    with served(app) as url:
        with Ledger(str(tmp_path / "laptop.db")) as laptop:
            field_office = Office(url, app.state.accounts.issue_token(rina).token)
            checkout(laptop, field_office, "JOBA")
            ledger.execute(RecallFromField(group="JOBA", reason="laptop lost", date=DAY))
            paper = laptop.record_meeting(
                "JOBA", date=DAY, key="m-1", attendance=[1], deposits=[{"member": 1, "grams": 900}]
            ).seal
            (synced,) = sync(laptop, field_office)
            assert synced.held == 1
        yield url, ledger, paper
    ledger.close()


def test_a_manager_applies_a_recalled_laptops_meeting_again(
    office: tuple[str, Ledger, str],
) -> None:
    url, ledger, paper = office
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        page = browser.new_context(base_url=url, locale="en-GB").new_page()
        page.goto("/login")
        page.fill("input[name=username]", "mita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/groups")
        page.click("header nav a[href='/field/held']")
        page.click("a[href='/field/held/1']")
        main = page.locator("main")
        expect(main).to_contain_text("recalled from the field: laptop lost")  # the office
        expect(main).to_contain_text(paper)  # the laptop's meeting, with its paper seal
        page.click("button:has-text('Apply again')")
        new = page.locator("#applied strong.seal")
        expect(new).to_be_visible()
        expect(page.locator("#held-status")).to_have_text("applied")
        new_seal = new.inner_text()
        assert new_seal != paper
        browser.close()
    assert [m.seal for m in ledger.reports.meetings.reconciliation("JOBA").meetings] == [new_seal]
