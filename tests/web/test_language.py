"""Bangla and English on every page: the switch, the browser's languages, Bengali digits
with the subcontinent's grouping, refusals in the reader's language, entries as sentences."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, seed_group
from coopweb import create_app
from coopweb.language import DIGITS_COOKIE, LANG_COOKIE, accepted, choose

PASSWORD = "a-long-password"


@pytest.fixture
def client(sqlite_ledger: Ledger) -> Iterator[TestClient[Any]]:
    seed_group(sqlite_ledger, "JOBA", members=3)
    sqlite_ledger.join_member(
        "JOBA",
        name="রহিমা খাতুন",
        household="H9",
        gender="female",
        community="Muslim",
        landless=True,
        wellbeing="poor",
        date=D1,
        key="bangla-name",
    )
    sqlite_ledger.save_cash("JOBA", member=1, taka=Decimal("123456.50"), date=D1)
    sqlite_ledger.deposit_rice("JOBA", member=2, grams=1750, date=D1)
    app = create_app(sqlite_ledger, load_entry_points=False, secure_cookies=False)
    app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    with TestClient(app) as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={
                "username": "rina",
                "password": PASSWORD,
                "_csrf_token": c.cookies.get("csrftoken"),
            },
        )
        assert r.status_code == 200, r.text
        yield c


def switch(client: TestClient[Any], back: str, **choice: str) -> Any:
    r = client.get("/language", params={**choice, "next": back}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    assert r.headers["location"] == back
    return client.get(back)


def test_switching_to_bangla_shows_bangla_headings_and_bengali_digits(
    client: TestClient[Any],
) -> None:
    english = client.get("/groups/JOBA")
    assert '<html lang="en">' in english.text
    assert "Record the weekly meeting" in english.text
    assert "1,23,456.50 Tk" in english.text  # the subcontinent's grouping in English too
    r = switch(client, "/groups/JOBA", lang="bn")
    assert client.cookies.get(LANG_COOKIE) == "bn"
    assert '<html lang="bn">' in r.text
    assert "সাপ্তাহিক সভা লিখুন" in r.text  # Record the weekly meeting
    assert "অবস্থান" in r.text  # the Position panel's title
    assert "১,২৩,৪৫৬.৫০ ৳" in r.text  # cash in hand: Bengali digits, lakh grouping, taka sign
    assert "Record the weekly meeting" not in r.text
    assert 'aria-label="সময়ের সাথে চাল"' in r.text  # the chart's label and legend
    assert "সদস্যদের চাল সঞ্চয়" in r.text
    panel = client.get("/groups/JOBA/panels/trend")  # a panel refreshed through htmx
    assert "হাতে নগদ" in panel.text and "cash in hand" not in panel.text
    assert "রহিমা খাতুন" in r.text  # names stay as entered
    # Latin digits in Bangla: the same grouping.
    r = switch(client, "/groups/JOBA", digits="latn")
    assert client.cookies.get(DIGITS_COOKIE) == "latn"
    assert "1,23,456.50 ৳" in r.text and "সাপ্তাহিক সভা লিখুন" in r.text
    # And back to English: the switch is on every page.
    r = switch(client, "/groups/JOBA/history", lang="en")
    assert "History of Joba Nari Dal" in r.text


def test_passbook_and_history_read_as_sentences_in_the_readers_language(
    client: TestClient[Any],
) -> None:
    r = client.get("/groups/JOBA/members/2")
    assert "Deposited 1.750 kg of rice" in r.text
    r = client.get("/groups/JOBA/history")
    assert "Member 2 deposited 1.750 kg of rice" in r.text
    assert "RiceDeposited" not in r.text and "CashSaved" not in r.text
    switch(client, "/groups/JOBA", lang="bn")
    r = client.get("/groups/JOBA/members/2")
    assert "১.৭৫০ কেজি চাল জমা দিয়েছেন" in r.text
    assert "পাসবই" in r.text
    r = client.get("/groups/JOBA/history")
    assert "সদস্য ২ ১.৭৫০ কেজি চাল জমা দিয়েছেন" in r.text
    assert "সদস্য ১ ১,২৩,৪৫৬.৫০ ৳ সঞ্চয় করেছেন" in r.text
    assert "RiceDeposited" not in r.text


def test_a_refusal_in_the_meeting_form_is_shown_in_bangla(
    client: TestClient[Any], sqlite_ledger: Ledger
) -> None:
    switch(client, "/groups/JOBA", lang="bn")
    before = len(sqlite_ledger.events("JOBA"))
    form = {
        "date": D2.isoformat(),
        "key": "k-bn-1",
        "present_1": "on",
        "grams_1": "12x",
        "_csrf_token": client.cookies.get("csrftoken"),
    }
    r = client.post("/groups/JOBA/meetings", data=form)
    assert r.status_code == 422
    assert "কিছুই লেখা হয়নি: চিহ্নিত ঘরগুলো ঠিক করুন।" in r.text
    assert "12x গ্রামের পূর্ণসংখ্যা নয়" in r.text  # the value as she typed it
    # A refusal by the ledger itself (a date in the future), in Bangla, next to the date.
    r = client.post(
        "/groups/JOBA/meetings",
        data={**form, "grams_1": "500", "date": "2099-01-01", "key": "k-bn-2"},
    )
    assert r.status_code == 422
    assert "ভবিষ্যতের তারিখ" in r.text, r.text
    assert 'id="err-date"' in r.text
    assert len(sqlite_ledger.events("JOBA")) == before  # nothing was written


def test_the_language_follows_the_browser_until_one_is_chosen(
    sqlite_ledger: Ledger,
) -> None:
    app = create_app(sqlite_ledger, load_entry_points=False, secure_cookies=False)
    with TestClient(app) as c:
        r = c.get("/login", headers={"Accept-Language": "bn-BD,bn;q=0.9,en;q=0.5"})
        assert '<html lang="bn">' in r.text and "প্রবেশ করুন" in r.text
        r = c.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,bn;q=0.8"})
        assert '<html lang="en">' in r.text and "Sign in" in r.text
        r = c.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        assert '<html lang="en">' in r.text  # neither offered: English
        c.get("/language", params={"lang": "bn", "next": "/login"})
        r = c.get("/login", headers={"Accept-Language": "en"})
        assert '<html lang="bn">' in r.text  # her choice wins over the browser's


def test_the_switch_goes_back_only_to_this_site(client: TestClient[Any]) -> None:
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "groups"):
        r = client.get("/language", params={"lang": "bn", "next": bad}, follow_redirects=False)
        assert r.headers["location"] == "/groups", bad
    r = client.get("/language", params={"lang": "xx", "next": "/groups"}, follow_redirects=False)
    assert LANG_COOKIE not in r.headers.get("set-cookie", "")


def test_accept_language_parsing_and_choice() -> None:
    assert accepted("en;q=0.3, bn-BD, bn;q=0.8") == ["bn-BD", "bn", "en"]
    assert accepted("bn;q=0, en") == ["en"]
    assert accepted("") == []
    assert choose({}, "bn-BD").lang == "bn"
    assert choose({}, "bn-BD").digits == "beng"
    assert choose({LANG_COOKIE: "bn", DIGITS_COOKIE: "latn"}, "").digits == "latn"
    assert choose({LANG_COOKIE: "zz"}, "de").lang == "en"


def test_error_pages_and_csv_keep_bangla(client: TestClient[Any]) -> None:
    switch(client, "/groups/JOBA", lang="bn")
    r = client.get("/groups/NOPE")
    assert r.status_code == 404 and "পাওয়া যায়নি" in r.text
    r = client.get("/groups/JOBA/reports/members.csv")
    assert r.status_code == 200
    assert "রহিমা খাতুন" in r.content.decode("utf-8")


def test_numbers_typed_in_bengali_digits_are_read_as_typed(
    client: TestClient[Any], sqlite_ledger: Ledger
) -> None:
    """A reader who writes Bengali digits may type them in the forms too."""
    switch(client, "/groups/JOBA", lang="bn")
    r = client.post(
        "/groups/JOBA/meetings",
        data={
            "date": D2.isoformat(),
            "key": "k-bn-digits",
            "present_1": "on",
            "grams_1": "১,৪০০",  # noqa: RUF001 - Bengali digits, as she types them
            "save_3": "১২৩.৫০",
            "_csrf_token": client.cookies.get("csrftoken"),
        },
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text
    book = sqlite_ledger.reports.savings.passbook("JOBA", 1)
    assert book.rice_saved_grams == 1400
    assert sqlite_ledger.reports.savings.passbook("JOBA", 3).cash_savings == Decimal("123.50")


def test_her_choice_follows_her_account_to_another_device(client: TestClient[Any]) -> None:
    switch(client, "/groups/JOBA", lang="bn")
    switch(client, "/groups/JOBA", digits="latn")
    app = client.app
    with TestClient(app) as other:  # another device: no cookies, an English browser
        english = {"Accept-Language": "en-GB,en;q=0.9"}
        r = other.get("/login", headers=english)
        assert '<html lang="en">' in r.text
        other.post(
            "/login",
            data={
                "username": "rina",
                "password": PASSWORD,
                "_csrf_token": other.cookies.get("csrftoken"),
            },
            headers=english,
        )
        r = other.get("/groups/JOBA", headers=english)
        assert '<html lang="bn">' in r.text and "1,23,456.50 ৳" in r.text
        # On this device she may choose otherwise: the cookie wins, and is saved again.
        r = other.get("/language", params={"lang": "en", "next": "/groups/JOBA"})
        assert '<html lang="en">' in r.text
    r = client.get("/groups/JOBA")
    assert '<html lang="bn">' in r.text  # the first device keeps its own cookie


def test_a_refused_page_says_why_in_bangla(client: TestClient[Any]) -> None:
    """A 403 and a 404 page give their reason in the reader's language."""
    switch(client, "/groups", lang="bn")
    forbidden = client.get("/admin/accounts")
    assert forbidden.status_code == 403
    assert "শুধু একজন অ্যাডমিন অ্যাকাউন্ট দেখাশোনা করেন।" in forbidden.text
    missing = client.get("/groups/NOPE")
    assert missing.status_code == 404
    assert "NOPE নামে কোনো দল নেই।" in missing.text
