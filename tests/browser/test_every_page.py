"""Every page a manager can reach from the demo's group list, followed link by link in a real
browser (Playwright driving Debian's chromium), in Bangla and in English on a 360 px phone:
each answers (no error page), fits the screen without sideways scrolling, and, in Bangla,
is in Bangla. New pages are found by following links, so a page added later is checked
without being listed here."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import coopweb_cluster_platform
import coopweb_rice_savings
import coopweb_vermicompost
import pytest
from browsing import need_chromium, served

from coopledger import Ledger, demo
from coopweb import DEMO_PASSWORD, create_app, demo_accounts

CHROMIUM = need_chromium()

from playwright.sync_api import sync_playwright  # noqa: E402

BANGLA = re.compile(r"[\u0980-\u09FF]")
#: Links not followed: signing out, switching language, downloads, the API and its schema.
SKIP = re.compile(r"^/(logout|language|api/|schema|static/)|[?&]format=|\.(csv|xlsx|json)$")
MOST = 400  # pages in all, a bound on the walk


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ledger = Ledger(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    demo.build(ledger)
    app = create_app(
        ledger,
        plugins=[coopweb_cluster_platform, coopweb_rice_savings, coopweb_vermicompost],
        load_entry_points=False,
        secure_cookies=False,
    )
    demo_accounts(app.state.accounts, demo.PARTNER)
    with served(app) as url:
        yield url
    ledger.close()


def _pattern(path: str) -> str:
    """A page's kind: numbers and dates in its path folded, so that one passbook stands for
    thirty and one form for each command."""
    return re.sub(r"/\d{4}-\d{2}-\d{2}|/\d+", "/N", path)


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_every_page_answers_fits_a_phone_and_speaks_her_language(site: str, lang: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        context = browser.new_context(base_url=site, viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", "manager.sustain")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/groups")
        page.goto(f"/language?lang={lang}&next=/groups")
        queue, seen, kinds, problems = ["/groups"], {"/groups"}, set(), []
        while queue and len(seen) <= MOST:
            path = queue.pop(0)
            answer = page.goto(path)
            status = answer.status if answer else 0
            if status >= 400:
                problems.append(f"{path}: {status}")
                continue
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 360:
                problems.append(f"{path}: {wide} px wide on a 360 px phone")
            main = page.locator("main").inner_text() if page.locator("main").count() else ""
            if lang == "bn" and not BANGLA.search(main):
                problems.append(f"{path}: no Bangla on the page")
            for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
                parts = urlsplit(href)
                if parts.netloc and parts.netloc != urlsplit(site).netloc:
                    continue
                found = parts.path + (f"?{parts.query}" if parts.query else "")
                if not found.startswith("/") or SKIP.search(found) or parts.query:
                    continue
                kind = _pattern(parts.path)
                if found not in seen and kind not in kinds:
                    kinds.add(kind)
                    seen.add(found)
                    queue.append(found)
        browser.close()
    assert len(seen) > 40, sorted(seen)  # the walk reached the pages, not just the list
    for must in ("/approvals", "/shareout", "/cutoff", "/welfare", "/partners", "/agreements"):
        assert any(must in s for s in seen), (must, sorted(seen))
    assert problems == [], problems
    folder = os.environ.get("COOPWEB_PAGE_LIST")
    if folder:
        Path(folder).write_text("\n".join(sorted(seen)))
