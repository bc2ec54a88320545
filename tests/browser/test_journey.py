"""An animator's whole job in the web, in a real browser (Playwright driving Debian's
chromium), in Bangla and in English, on a phone and on a laptop: she adds a member, records a
meeting with a mistake (shown next to its field in her language, nothing recorded), corrects
it, lends after seeing the schedule, finds the loan in the member's passbook and corrects an
entry from the history. Each step's page is saved as a screenshot (``COOPWEB_SCREENSHOTS``:
a folder to keep them in, as docs/guide.md shows them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from browsing import need_chromium, record, served, shot

from coopledger import Ledger
from coopledger.testing import seed_group
from coopweb import create_app

CHROMIUM = need_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402

PASSWORD = "a-long-password"
TODAY = date(2016, 1, 15)
BANGLA = re.compile(r"[\u0980-\u09FF]")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Ledger]]:
    ledger = Ledger(str(tmp_path / "books.db"))
    ledger.pin_today(TODAY)
    seed_group(ledger, "JOBA", members=3)
    ledger.receive_grant("JOBA", source="ALRD", purpose="fund", taka="20000", date=TODAY)
    ledger.pay_expense("JOBA", category="stationery", payee="Shop", taka="500", date=TODAY)
    app = create_app(ledger, load_entry_points=False, secure_cookies=False)
    app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with served(app) as url:
        yield url, ledger
    ledger.close()


@pytest.mark.parametrize("lang", ["bn", "en"])
@pytest.mark.parametrize("size", [(360, 740), (1366, 768)], ids=["phone", "laptop"])
def test_an_animator_runs_the_books_in_the_web(
    site: tuple[str, Ledger], lang: str, size: tuple[int, int]
) -> None:
    url, ledger = site
    tag = f"{lang}-{'phone' if size[0] < 500 else 'laptop'}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        context = browser.new_context(
            base_url=url, viewport={"width": size[0], "height": size[1]}, locale="en-GB"
        )
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", "rina")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/groups")
        if lang != "en":  # English is what this browser asks for; Bangla is chosen
            page.click(f"nav.language a[lang={lang}]")  # the switch on every page
        expect(page.locator("html")).to_have_attribute("lang", lang)

        # A new member joins.
        page.goto("/groups/JOBA/entries/join_member")
        page.fill("input[name=name]", "Shapla Rani")
        page.fill("input[name=household]", "Roy, para 3")
        page.select_option("select[name=gender]", "female")
        page.select_option("select[name=wellbeing]", "poor")
        page.check("input[name=landless]")
        shot(page, f"{tag}-1-join")
        record(page)
        assert "Shapla Rani" in [m.name for m in ledger.reports.groups.members("JOBA")]

        # The weekly meeting, with a mistake: more rice sold than the group holds.
        page.goto("/groups/JOBA")
        before = ledger.load("JOBA").version
        page.fill("input[name=grams_1]", "1200")
        page.fill("input[name=sale_buyer_0]", "2")
        page.fill("input[name=sale_grams_0]", "9000")
        page.fill("input[name=sale_price_0]", "30")
        page.click("#meeting-form button[type=submit]")
        error = page.locator("#err-sale_grams_0")
        expect(error).to_be_visible()
        if lang == "bn":
            assert BANGLA.search(error.inner_text()), error.inner_text()
        shot(page, f"{tag}-2-meeting-refused")
        assert ledger.load("JOBA").version == before  # nothing recorded
        page.fill("input[name=sale_grams_0]", "900")  # corrected, the rest kept as typed
        page.click("#meeting-form button[type=submit]")
        expect(page.locator("#meeting-form .seal").first).to_be_visible()
        shot(page, f"{tag}-3-meeting-sealed")

        # A loan, after seeing its schedule.
        page.goto("/groups/JOBA/entries/disburse_loan")
        page.fill("input[name=member]", "1")
        page.fill("input[name=principal]", "6000")
        page.fill("input[name=instalments]", "6")
        page.fill("input[name=rate]", "12")
        page.select_option("select[name=method]", "flat")
        page.select_option("select[name=frequency]", "monthly")
        page.fill("input[name=purpose]", "goat")
        page.click("button[name=preview]")
        expect(page.locator("#preview table tbody tr")).to_have_count(6)
        shot(page, f"{tag}-4-loan-preview")
        assert ledger.reports.loans.loans("JOBA") == []  # a preview writes nothing
        record(page)
        (loan,) = ledger.reports.loans.loans("JOBA")

        # The loan in her passbook.
        page.goto("/groups/JOBA/members/1")
        owed = page.locator("[data-figure=loan-owed]")
        expect(owed).not_to_have_text(re.compile(r"^(0\.00|\u09e6\.\u09e6\u09e6)"))
        shot(page, f"{tag}-5-passbook")

        # An entry corrected from the history: an expense recorded by mistake (reversed).
        page.goto("/groups/JOBA/history")
        expense = next(e for e in ledger.events("JOBA") if type(e).__name__ == "ExpensePaid")
        page.click(f"a.correct[href$='target={expense.position}']")
        page.fill("input[name=reason]", "typed twice")
        page.click("button[name=preview]")
        expect(page.locator("#preview")).to_be_visible()
        shot(page, f"{tag}-6-correction-preview")
        cash_before = ledger.reports.books.position("JOBA").cash
        record(page)
        assert ledger.reports.books.position("JOBA").cash == cash_before + 500
        assert loan.principal > 0
        browser.close()


def test_a_wrong_password_without_javascript_is_an_html_page(site: tuple[str, Ledger]) -> None:
    url, _ = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        page = browser.new_context(base_url=url, java_script_enabled=False).new_page()
        page.goto("/login")
        page.fill("input[name=username]", "rina")
        page.fill("input[name=password]", "not-her-password")
        with page.expect_response("**/login") as answer:
            page.click("button[type=submit]")
        assert answer.value.status == 401
        assert answer.value.headers["content-type"].startswith("text/html")
        expect(page.locator("main")).to_contain_text("do not match")  # a page, not source
        browser.close()


#: The rest of a group's entries, in an order the books allow: (command, what to type).
#: A value ("select", v) picks a choice; ("check",) ticks a box.
TASKS: list[tuple[str, dict[str, object]]] = [
    ("save_cash", {"member": "2", "taka": "50"}),
    ("withdraw_cash", {"member": "2", "taka": "20"}),
    ("receive_grant", {"source": "BRAC", "purpose": "compost rings", "taka": "1000"}),
    ("pay_expense", {"category": "guard-wages", "payee": "Guard", "taka": "400"}),
    ("book_activity_cost", {"activity": "vermicompost", "taka": "300"}),
    ("book_activity_revenue", {"activity": "vermicompost", "taka": "450"}),
    ("assign_role", {"member": "1", "role": ("select", "cashier")}),
    (
        "set_loan_rules",
        {"rate": "12", "method": ("select", "flat"), "frequency": ("select", "monthly")},
    ),
    (
        "disburse_loan",
        {
            "member": "2",
            "principal": "1200",
            "instalments": "6",
            "purpose": "goat",
        },
    ),
    ("repay_loan", {"loan": "1", "taka": "100"}),
    (
        "reschedule_loan",
        {"loan": "1", "instalments": "8", "reason": "flood"},
    ),
    (
        "write_off_loan",
        {"loan": "1", "reason": "left the village"},
    ),
    ("leave_member", {"member": "3", "reason": "moved away"}),
]


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_every_other_entry_of_a_groups_year_in_the_web(site: tuple[str, Ledger], lang: str) -> None:
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
        for number, (name, typed) in enumerate(TASKS, start=1):
            page.goto(f"/groups/JOBA/entries/{name}")
            for field, value in typed.items():
                if isinstance(value, tuple) and value[0] == "select":
                    page.select_option(f"select[name={field}]", str(value[1]))
                else:
                    page.fill(f"input[name={field}]", str(value))
            before = ledger.load("JOBA").version
            seal = record(page)
            assert ledger.load("JOBA").version == before + 1, name
            assert seal
            shot(page, f"{lang}-phone-task-{number:02d}-{name}")
        for name in ("adopt_plan", "hold_review"):  # the yearly forms, as they open
            page.goto(f"/groups/JOBA/entries/{name}")
            expect(page.locator("#entry-form")).to_be_visible()
            shot(page, f"{lang}-phone-form-{name}")
        browser.close()
    assert [m.name for m in ledger.reports.groups.members("JOBA") if not m.active] == ["Member 3"]


#: A cluster platform's year, in the order the books allow: (form, what to type). Tables are
#: typed row by row (``parties.0.party``); ("select", v) picks a choice.
PLATFORM: list[tuple[str, dict[str, object]]] = [
    ("name_representative", {"group": "JOBA", "member": "1"}),
    (
        "sign_mou",
        {
            "parties.0.party": "JOBA",
            "parties.0.role": "group",
            "parties.0.signed_by": "Member 1",
            "parties.1.party": "UP",
            "parties.1.role": "union council",
            "parties.1.signed_by": "Chairman",
            "commitments.0.no": "1",
            "commitments.0.party": "JOBA",
            "commitments.0.text": "Meet every month",
            "commitments.1.no": "2",
            "commitments.1.party": "UP",
            "commitments.1.text": "Lease the khas pond",
        },
    ),
    (
        "list_extreme_poor",
        {
            "household": "Roy",
            "head": "Mala",
            "village": "Mohalbari",
            "reason": "widow",
            "identified_by": ("select", "transect-visit"),
        },
    ),
    (
        "apply_safety_net",
        {
            "household_entry": "{entry}",
            "scheme": ("select", "widow-allowance"),
            "applied_to": "Union Parishad",
        },
    ),
    (
        "decide_safety_net",
        {"application": "{application}", "outcome": ("select", "granted"), "value": "6000"},
    ),
    ("hold_training", {"title": "Bamboo management", "members_female": "9"}),
]


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_a_cluster_platform_in_the_web(tmp_path: Path, lang: str) -> None:
    """A manager records a platform's year on a phone: its forms are tables of rows, a
    mistake is shown at its field in her language and nothing is recorded."""
    import coopweb_cluster_platform  # noqa: PLC0415

    ledger = Ledger(str(tmp_path / "books.db"))
    ledger.pin_today(TODAY)
    seed_group(ledger, "JOBA", members=3)
    ledger.form_cluster(
        "CP1",
        name="Mohalbari platform",
        district="Dinajpur",
        upazila="Chirirbandar",
        villages=["Mohalbari"],
        households=150,
        partner="SUSTAIN",
        date=TODAY,
    )
    ledger.join_cluster("CP1", group="JOBA", date=TODAY)
    app = create_app(
        ledger, plugins=[coopweb_cluster_platform], load_entry_points=False, secure_cookies=False
    )
    app.state.accounts.save("mita", role="manager", password=PASSWORD, partner="SUSTAIN")
    with served(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        context = browser.new_context(
            base_url=url,
            viewport={"width": 360, "height": 740},
            locale="en-GB",
        )
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", "mita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/groups")
        if lang != "en":
            page.click(f"nav.language a[lang={lang}]")
        page.goto("/clusters/CP1")
        shot(page, f"{lang}-phone-platform-00-page")
        numbers: dict[str, str] = {}  # given back by a receipt, typed in a later form
        for number, (name, typed) in enumerate(PLATFORM, start=1):
            page.goto("/clusters/CP1")
            page.click(f"a[href='/clusters/CP1/entries/{name}']")
            for field, value in typed.items():
                if isinstance(value, tuple):
                    page.select_option(f"select[name='{field}']", str(value[1]))
                else:
                    page.fill(f"input[name='{field}']", str(value).format(**numbers))
            if name == "sign_mou":  # a commitment by a party that did not sign
                page.fill("input[name='commitments.1.party']", "DC")
                before = ledger.load_cluster("CP1").version
                page.click("#entry-form button[type=submit]:not([name])")
                error = page.locator("#err-commitments\\.1\\.party")
                expect(error).to_be_visible()
                if lang == "bn":
                    assert BANGLA.search(error.inner_text())
                assert ledger.load_cluster("CP1").version == before
                shot(page, f"{lang}-phone-platform-{number:02d}-{name}-refused")
                page.fill("input[name='commitments.1.party']", "UP")
            before = ledger.load_cluster("CP1").version
            assert record(page)
            assert ledger.load_cluster("CP1").version == before + 1, name
            given = page.locator("#entry-form .ok .number")
            if given.count():
                kind = {"list_extreme_poor": "entry", "apply_safety_net": "application"}
                numbers[kind.get(name, name)] = given.inner_text()
            shot(page, f"{lang}-phone-platform-{number:02d}-{name}")
        page.goto("/clusters/CP1/entries/adopt_cluster_plan")  # the yearly plan, as it opens
        expect(page.locator("#entry-form")).to_be_visible()
        shot(page, f"{lang}-phone-platform-form-adopt_cluster_plan")
        browser.close()
    platform = ledger.reports.clusters.platform("CP1")
    ledger.close()
    assert platform.mou is not None and len(platform.mou.commitments) == 2
    assert (platform.safety_nets_applied, platform.safety_nets_granted) == (1, 1)
    assert platform.trainings[0].members_female == 9
