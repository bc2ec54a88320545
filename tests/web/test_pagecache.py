"""What a worker keeps of the books (coopweb.pagecache) is never stale: an event recorded
by another OS process shows on the next page of every worker, on both back ends; the
account is still read on every request, so a deactivation takes effect at once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.errors import InvalidInput
from coopledger.testing import D1, fixed_clock, seed_group
from coopweb import create_app
from coopweb.factory import CACHE_VAR, _size
from coopweb.pagecache import BooksCache, books_version

PASSWORD = "a-long-password"
#: Another OS process records 250 g for member 1 (1.400 kg before, 1.650 kg after).
DEPOSIT = (
    "import sys, datetime\n"
    "from coopledger import Ledger\n"
    "with Ledger(sys.argv[1], user='other-process') as ledger:\n"
    "    ledger.deposit_rice(sys.argv[2], member=1, grams=250,\n"
    "                        date=datetime.date.fromisoformat(sys.argv[3]))\n"
)
PAGES = ("/groups/JOBA", "/groups/JOBA/members/1", "/groups/JOBA/panels/position")


def deposit_in_another_process(db: str, group: str = "JOBA") -> None:
    subprocess.run(
        [sys.executable, "-c", DEPOSIT, db, group, D1.isoformat()],
        check=True,
        capture_output=True,
        timeout=120,
    )


def books(ledger: Ledger) -> Ledger:
    seed_group(ledger, "JOBA", members=3)
    seed_group(ledger, "SHAPLA", members=2)
    ledger.deposit_rice("JOBA", member=1, grams=1400, date=D1)
    ledger.deposit_rice("SHAPLA", member=1, grams=1400, date=D1)
    return ledger


def app_of(ledger: Ledger, **options: Any) -> Any:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False, **options)
    if app.state.accounts.user("rina") is None:
        app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    return app


def sign_in(client: Any) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": "rina",
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken"),
        },
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text


def test_an_entry_from_another_process_shows_on_the_next_page(any_ledger: Ledger) -> None:
    ledger = books(any_ledger)
    app = app_of(ledger)
    cache: BooksCache = app.state.coopweb.cache
    with TestClient(app) as client:
        sign_in(client)
        for url in PAGES:
            for _ in range(2):
                r = client.get(url)
                assert r.status_code == 200, url
                assert "1.400 kg" in r.text and "1.650 kg" not in r.text, url
        assert cache.hits > 0  # the second of each was kept
        before = books_version(ledger)
        deposit_in_another_process(ledger.config.setting)
        assert books_version(ledger) > before
        for url in PAGES:
            r = client.get(url)
            assert "1.650 kg" in r.text, url  # the next page, not a later one


def test_an_event_of_another_group_is_read_again_too(sqlite_ledger: Ledger) -> None:
    """The key is the ledger's last notification id: any event misses, which is safe (a
    position's bank loans come from a cluster's stream, not the group's)."""
    ledger = books(sqlite_ledger)
    app = app_of(ledger)
    cache: BooksCache = app.state.coopweb.cache
    with TestClient(app) as client:
        sign_in(client)
        client.get("/groups/JOBA")
        misses = cache.misses
        client.get("/groups/JOBA")
        assert cache.misses == misses
        deposit_in_another_process(ledger.config.setting, "SHAPLA")
        client.get("/groups/JOBA")
        assert cache.misses > misses


def test_a_deactivated_account_is_refused_at_once(sqlite_ledger: Ledger) -> None:
    ledger = books(sqlite_ledger)
    app = app_of(ledger)
    with TestClient(app) as client:
        sign_in(client)
        assert client.get("/groups/JOBA", follow_redirects=False).status_code == 200
        app.state.accounts.save("rina", role="animator", groups=["JOBA"], active=False)
        assert client.get("/groups/JOBA", follow_redirects=False).status_code in (302, 303)
        assert client.get("/groups/JOBA/members/1", follow_redirects=False).status_code in (
            302,
            303,
        )


def test_an_animator_moved_off_a_group_no_longer_reads_it(sqlite_ledger: Ledger) -> None:
    ledger = books(sqlite_ledger)
    app = app_of(ledger)
    with TestClient(app) as client:
        sign_in(client)
        assert client.get("/groups/JOBA").status_code == 200
        app.state.accounts.save("rina", role="animator", groups=["SHAPLA"])
        assert client.get("/groups/JOBA").status_code == 403
        assert client.get("/groups/JOBA/members/1").status_code == 403


def per_request(page: str) -> str:
    """A page without what differs from one request to the next (the CSRF token, the
    meeting form's fresh key)."""
    page = re.sub(r'name="key" value="[0-9a-f]+"', "KEY", page)
    page = re.sub(r'name="_csrf_token" value="[^"]+"', "CSRF", page)
    return re.sub(r'x-csrftoken": "[0-9a-f]+', "XCSRF", page)


def test_the_same_pages_with_the_cache_off(sqlite_ledger: Ledger) -> None:
    ledger = books(sqlite_ledger)
    with TestClient(app_of(ledger)) as kept, TestClient(app_of(ledger, page_cache=0)) as plain:
        sign_in(kept)
        sign_in(plain)
        for lang, digits in (("en", "latn"), ("bn", "beng")):
            for client in (kept, plain):
                client.get(f"/language?lang={lang}&digits={digits}&next=/groups")
            for url in (*PAGES, "/groups/JOBA/members/1?all=1", f"/groups/JOBA?as_of={D1}"):
                kept.get(url)  # the second is read from what was kept
                a, b = kept.get(url), plain.get(url)
                assert a.status_code == b.status_code == 200
                assert per_request(a.text) == per_request(b.text), (lang, url)
    assert len(app_of(ledger, page_cache=0).state.coopweb.cache) == 0


def test_the_setting_is_a_whole_number() -> None:
    assert _size(None) == _size("") == 256
    assert _size("0") == 0
    assert _size("12") == 12
    with pytest.raises(InvalidInput) as refused:
        _size("lots")
    assert refused.value.field == CACHE_VAR
    assert "lots" in str(refused.value.as_dict()["value"])


def test_the_cache_drops_the_least_recently_used() -> None:
    cache = BooksCache(2)
    assert cache.get("a", lambda: 1) == 1
    assert cache.get("b", lambda: 2) == 2
    assert cache.get("a", lambda: 0) == 1  # kept; now the most recent
    assert cache.get("c", lambda: 3) == 3  # drops b
    assert cache.get("b", lambda: 4) == 4
    assert len(cache) == 2


# ---------------------------------------------------------------------- two workers
SERVE = ("--workers", "2", "--port")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``coopledger serve --workers 2`` on a ledger of its own; its file and base URL."""
    db = str(tmp_path / "books.db")
    with Ledger(db, clock=fixed_clock, user="tester") as ledger:
        app_of(books(ledger))
    port = free_port()
    server = subprocess.Popen(
        [*(sys.executable, "-m", "coopledger", "--db", db, "serve"), *SERVE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, CACHE_VAR: "64"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError as e:
                if server.poll() is not None or time.monotonic() > deadline:
                    stderr = server.stderr.read().decode() if server.stderr else ""
                    raise AssertionError(f"the server did not start: {stderr}") from e
                time.sleep(0.2)
        yield db, base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_two_workers_show_an_entry_from_another_process_at_once(
    served: tuple[str, str],
) -> None:
    db, base = served
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        sign_in(client)
        # many requests on fresh connections, spread over both workers: each keeps them
        for _ in range(8):
            for url in PAGES:
                with httpx.Client(base_url=base, timeout=30, cookies=client.cookies) as one:
                    assert "1.400 kg" in one.get(url).text
        deposit_in_another_process(db)
        for _ in range(8):
            for url in PAGES:
                with httpx.Client(base_url=base, timeout=30, cookies=client.cookies) as one:
                    r = one.get(url)
                    assert r.status_code == 200
                    assert "1.650 kg" in r.text, url
