"""The staff pages in a real browser: Playwright driving Debian's chromium.

Without chromium these tests skip with a reason; under CI=true they must run (.ci/run
installs the chromium package).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from browsing import need_chromium, served

from coopledger import Ledger
from coopledger.testing import D1, fixed_clock, seed_group
from coopweb import create_app

PASSWORD = "a-long-password"
CHROMIUM = need_chromium()

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Ledger]]:
    ledger = Ledger(str(tmp_path_factory.mktemp("browser") / "books.db"), clock=fixed_clock)
    seed_group(ledger, "JOBA", members=3)
    seed_group(ledger, "DOEL", members=2)
    ledger.deposit_rice("JOBA", member=2, grams=500, date=D1)
    seed_group(ledger, "KOLI", members=2)  # a manager's group with a lakh of taka
    ledger.save_cash("KOLI", member=1, taka=Decimal("123456.50"), date=D1)
    with ledger.db.cursor(commit=True) as c:
        c.execute("UPDATE cl_groups SET partner = 'SUSTAIN' WHERE code = 'KOLI'")
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    app.state.accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
    with served(app) as url:
        yield url, ledger
    ledger.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, site: tuple[str, Ledger]) -> Iterator[Page]:
    context = browser.new_context(base_url=site[0])
    pg = context.new_page()
    pg.goto("/login")
    pg.fill("input[name=username]", "rina")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url("**/groups")
    yield pg
    context.close()


def test_sign_in_shows_only_her_groups(page: Page) -> None:
    expect(page.locator("#group-rows")).to_contain_text("JOBA")
    expect(page.locator("#group-rows")).not_to_contain_text("DOEL")


def test_recording_a_meeting_updates_the_dashboard_without_a_page_load(
    page: Page, site: tuple[str, Ledger]
) -> None:
    page.goto("/groups/JOBA")
    stock = page.locator("[data-figure=rice-stock]")
    expect(stock).to_have_text("0.500 kg")
    page.evaluate("window.__notReloaded = true")
    page.check("input[name=present_1]")
    page.fill("input[name=grams_1]", "1400")
    page.fill("input[name=grams_3]", "1250")
    page.fill("input[name=sale_buyer_0]", "2")
    page.fill("input[name=sale_grams_0]", "1000")
    page.fill("input[name=sale_price_0]", "31")
    page.fill("input[name=counted_rice_grams]", "2150")
    page.click("#meeting-form button[type=submit]")
    expect(page.locator("#meeting-form .seal")).to_be_visible()
    expect(stock).to_have_text("2.150 kg")  # refreshed through htmx
    assert page.evaluate("window.__notReloaded") is True
    seal = page.locator("#meeting-form .seal").inner_text()
    expect(page.locator("#panel-meetings")).to_contain_text(seal)
    assert site[1].reports.books.position("JOBA").rice_stock_grams == 2150


def test_an_invalid_entry_is_shown_inline_and_nothing_is_recorded(
    page: Page, site: tuple[str, Ledger]
) -> None:
    ledger = site[1]
    page.goto("/groups/JOBA")
    before = ledger.load("JOBA").version
    page.fill("input[name=grams_1]", "1000")
    page.fill("input[name=sale_buyer_0]", "1")
    page.fill("input[name=sale_grams_0]", "999000")
    page.fill("input[name=sale_price_0]", "30")
    page.click("#meeting-form button[type=submit]")
    error = page.locator("#err-sale_grams_0")
    expect(error).to_be_visible()
    expect(error).to_contain_text("not enough rice")
    expect(page.locator("input[name=grams_1]")).to_have_value("1000")  # nothing lost
    expect(page.locator("input[name=sale_grams_0]")).to_have_value("999000")
    assert ledger.load("JOBA").version == before


def test_an_animator_is_refused_another_group(page: Page) -> None:
    response = page.goto("/groups/DOEL")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("Not allowed")


def test_screenshot_of_the_dashboard(page: Page, tmp_path: Path) -> None:
    page.goto("/groups/JOBA")
    shot = Path(os.environ.get("COOPWEB_SCREENSHOT", str(tmp_path / "dashboard.png")))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


PAGES = [
    "/groups",
    "/groups/JOBA",
    "/groups/JOBA/members/2",
    "/groups/JOBA/history",
    "/groups/JOBA/reports",
    "/groups/JOBA/entries",
    "/groups/JOBA/entries/adopt_plan",
    "/groups/JOBA/entries/disburse_loan",
]


@pytest.mark.parametrize("size", [(360, 740), (1366, 768)], ids=["phone", "laptop"])
def test_no_page_is_wider_than_the_screen_and_targets_are_big_enough(
    page: Page, size: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for url in PAGES:
        page.goto(url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= size[0], f"{url} is {wide} px wide at {size[0]} px"
        small = page.evaluate(
            """() => [...document.querySelectorAll('button, select, input:not([type=hidden])')]
                .filter(e => e.offsetParent !== null)
                .map(e => [e.name || e.textContent.trim(), e.getBoundingClientRect().height])
                .filter(([, h]) => h < 43.5)"""
        )
        assert small == [], f"{url}: touch targets under 44 px: {small}"
    page.goto("/groups/JOBA")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('div.chart-top, div.chart-axis')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert sizes and min(sizes) >= 12, sizes


def test_a_manager_switches_language_and_the_numbers_change_grouping_and_digits(
    browser: Browser, site: tuple[str, Ledger]
) -> None:
    context = browser.new_context(base_url=site[0], locale="en-GB")
    pg = context.new_page()
    pg.goto("/login")
    pg.fill("input[name=username]", "mita")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url("**/groups")
    pg.goto("/groups/KOLI")
    cash = pg.locator("[data-figure=cash]")
    expect(cash).to_have_text("1,23,456.50 Tk")  # lakh grouping in English too
    pg.click("nav.language a[lang=bn]")  # the switch in the header: a plain link
    expect(pg.locator("html")).to_have_attribute("lang", "bn")
    expect(cash).to_have_text("১,২৩,৪৫৬.৫০ ৳")  # Bengali digits, the taka sign
    expect(pg.locator("#panel-position h2")).to_have_text("অবস্থান")
    expect(pg.locator("main h2", has_text="সাপ্তাহিক সভা লিখুন")).to_be_visible()
    pg.locator("nav.language .digits a", has_text="012").click()
    expect(cash).to_have_text("1,23,456.50 ৳")  # Bangla words, Latin digits
    pg.goto("/groups/KOLI/members/1")  # the choice stays while she moves around
    expect(pg.locator("table.passbook")).to_contain_text("1,23,456.50 ৳ সঞ্চয় করেছেন")
    pg.click("nav.language a[lang=en]")
    expect(pg.locator("table.passbook")).to_contain_text("Saved 1,23,456.50 Tk")
    context.close()


def test_a_browser_set_to_bangla_gets_bangla_before_signing_in(
    browser: Browser, site: tuple[str, Ledger]
) -> None:
    context = browser.new_context(base_url=site[0], locale="bn-BD")
    pg = context.new_page()
    pg.goto("/login")
    expect(pg.locator("html")).to_have_attribute("lang", "bn")
    expect(pg.locator("h1")).to_have_text("প্রবেশ করুন")
    expect(pg.locator("label").first).to_contain_text("ব্যবহারকারীর নাম")
    context.close()


def test_the_content_security_policy_refuses_nothing_the_pages_use(page: Page) -> None:
    """The real browser enforces the CSP: no page of ours trips it, and the print button
    (the app's own script file) and htmx still work under it."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    for url in ("/groups", "/groups/JOBA", "/groups/JOBA/members/2", "/groups/JOBA/history"):
        response = page.goto(url)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto("/groups/JOBA/members/2")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") is True
    page.goto("/groups")
    page.fill("#q", "joba")  # htmx filter, under the policy
    expect(page.locator("#group-rows")).to_contain_text("JOBA")
    # an inline script would be refused (the policy is really in force)
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = "
        "'window.__inline = 1'; document.body.appendChild(s); }"
    )
    assert page.evaluate("window.__inline") is None
    assert refused[-1:] and "Content Security" in refused[-1]
    assert len(refused) == 1, refused
