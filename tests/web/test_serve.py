"""Serving many offices: handlers off the event loop, sessions shared by workers and kept
across restarts (the ledger's database or a real Redis), a new session id at sign-in and
sign-out, and ``coopledger serve --workers 2`` end to end."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, fixed_clock, seed_group
from coopweb import create_app
from coopweb.stores import LedgerStore

PASSWORD = "a-long-password"
REDIS_URL = os.environ.get("COOPLEDGER_TEST_REDIS", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "books.db")
    with Ledger(path, clock=fixed_clock, user="tester") as ledger:
        seed_group(ledger, "JOBA", members=3)
        ledger.deposit_rice("JOBA", member=1, grams=1400, date=D1)
    return path


def make_app(ledger: Ledger, **options: Any) -> Any:
    app = create_app(ledger, load_entry_points=False, secure_cookies=False, **options)
    if app.state.accounts.user("rina") is None:
        app.state.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
        app.state.accounts.save("audit", role="auditor", password=PASSWORD)
    return app


@pytest.fixture
def ledger(db: str) -> Iterator[Ledger]:
    with Ledger(db, clock=fixed_clock, user="tester") as ledger:
        yield ledger


def sign_in(client: Any, username: str = "rina") -> httpx.Response:
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken"),
        },
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text
    return r


def session_cookie(response: httpx.Response) -> str | None:
    found = re.search(r"(?:^|,\s*)session=([^;]*)", response.headers.get("set-cookie", ""))
    return found.group(1) if found else None


def signed_in_with(app: Any, session: str) -> bool:
    """Does ``session`` open a page on ``app`` (a fresh client, no other cookie)?"""
    with TestClient(app) as other:
        other.cookies.set("session", session)
        r = other.get("/groups/JOBA", follow_redirects=False)
        return r.status_code == 200


# ---------------------------------------------------------------------- the event loop
@pytest.mark.parametrize(
    ("slow", "other"),
    [
        ("/api/v1/groups/JOBA/members/1/passbook", "/api/v1/groups/JOBA"),
        ("/groups/JOBA/members/1", "/groups/JOBA/history"),
    ],
)
def test_a_slow_request_does_not_hold_up_another(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, slow: str, other: str
) -> None:
    """One request is held inside the ledger (waiting on an Event); another request on
    the same server completes meanwhile. Were the handlers run on the event loop, the
    second would wait for the first."""
    app = make_app(ledger)
    entered, release = threading.Event(), threading.Event()
    savings = ledger.reports.savings
    real = savings.passbook

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(60), "never released"
        return real(*args, **kwargs)

    monkeypatch.setattr(savings, "passbook", held)
    results: dict[str, int] = {}
    with TestClient(app) as client:
        sign_in(client)
        r = client.post("/api/v1/tokens", json={"username": "rina", "password": PASSWORD})
        auth = {"authorization": f"Bearer {r.json()['token']}"}

        def first() -> None:
            results["slow"] = client.get(slow, headers=auth).status_code

        thread = threading.Thread(target=first)
        thread.start()
        try:
            assert entered.wait(60), "the slow request never reached the ledger"
            assert client.get(other, headers=auth).status_code == 200
            assert "slow" not in results  # the first is still held while the second is done
        finally:
            release.set()
            thread.join(60)
    assert results["slow"] == 200


# ---------------------------------------------------------------------- shared sessions
def test_two_app_instances_on_one_database_share_a_session(db: str) -> None:
    """Two workers (or a server before and after a restart): separate ledgers and apps
    on one database file. A sign-in on one is a sign-in on the other."""
    with Ledger(db, clock=fixed_clock) as first, Ledger(db, clock=fixed_clock) as second:
        one, two = make_app(first), make_app(second)
        with TestClient(one) as client:
            session = session_cookie(sign_in(client))
        assert session
        assert signed_in_with(two, session)
        # and a form rendered by one worker is accepted by the other (one CSRF secret)
        with TestClient(one) as a, TestClient(two) as b:
            sign_in(a)
            b.cookies.update(a.cookies)
            r = b.post(
                "/logout", data={"_csrf_token": a.cookies.get("csrftoken")}, follow_redirects=False
            )
            assert r.status_code in (302, 303)
        assert not signed_in_with(two, str(session_cookie(r) or "x"))


def test_the_ledger_store_keeps_values_until_they_expire(ledger: Ledger) -> None:
    import anyio  # noqa: PLC0415

    store = LedgerStore(ledger.db).with_namespace("test")
    other = LedgerStore(ledger.db).with_namespace("other")

    async def check() -> None:
        await store.set("k", b"v", expires_in=60)
        await store.set("gone", "x", expires_in=-1)
        assert await store.get("k") == b"v"
        assert await other.get("k") is None  # namespaces are apart
        assert await store.get("gone") is None
        assert 0 < (await store.expires_in("k") or 0) <= 60
        await store.set("k", b"w")  # no expiry
        assert await store.expires_in("k") is None
        assert await store.exists("k")
        await store.delete("k")
        assert not await store.exists("k")
        await store.set("a", b"1")
        await other.set("a", b"2")
        await store.delete_all()
        assert await store.get("a") is None
        assert await other.get("a") == b"2"

    anyio.run(check)


@pytest.mark.postgres
def test_the_store_works_on_postgresql(pg_url: str) -> None:
    with Ledger(pg_url, clock=fixed_clock, user="tester") as ledger:
        seed_group(ledger, "JOBA", members=1)
        one, two = make_app(ledger), make_app(ledger)
        with TestClient(one) as client:
            session = session_cookie(sign_in(client))
        assert session
        assert signed_in_with(two, session)


# ---------------------------------------------------------------------- Redis
def _redis_reason() -> str | None:
    try:
        import redis  # noqa: PLC0415
    except ImportError:
        return "the redis package is not installed (pip install -e '.[web]')"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as e:
        return f"no Redis at {REDIS_URL}: {e}"
    return None


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    reason = _redis_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but Redis is unavailable: {reason}")
        pytest.skip(reason)
    import redis  # noqa: PLC0415

    namespace = f"coopweb-test-{uuid.uuid4().hex[:12]}"
    yield namespace
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{namespace}*"):
        client.delete(key)
    client.close()


def redis_store(namespace: str) -> Any:
    from litestar.stores.redis import RedisStore  # noqa: PLC0415

    return RedisStore.with_client(url=REDIS_URL, namespace=namespace)


def test_sessions_and_lockouts_in_a_real_redis(ledger: Ledger, redis_namespace: str) -> None:
    import redis  # noqa: PLC0415

    # two workers, each with its own client of one Redis
    one = make_app(ledger, store=redis_store(redis_namespace))
    two = make_app(ledger, store=redis_store(redis_namespace))
    with TestClient(one) as client:
        session = session_cookie(sign_in(client))
    assert session
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{redis_namespace}*")
    assert any(session.encode() in k for k in keys)  # the session is in Redis
    assert signed_in_with(two, session)
    # failed sign-ins counted on one worker lock the account on the other
    with TestClient(one) as client:
        for _ in range(5):
            r = client.post("/api/v1/tokens", json={"username": "audit", "password": "wrong!!"})
            assert r.status_code == 401
    with TestClient(two) as client:
        r = client.post("/api/v1/tokens", json={"username": "audit", "password": PASSWORD})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0


def test_serve_refuses_an_unknown_store(db: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "coopledger", "--db", db, "serve", "--store", "memcached://x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode != 0
    assert "store" in (r.stdout + r.stderr)


# ---------------------------------------------------------------------- session ids
def test_sign_in_gives_a_new_session_id(ledger: Ledger) -> None:
    app = make_app(ledger)
    with TestClient(app) as client:
        planted = "a" * 64  # an id an attacker set in the victim's browser
        client.cookies.set("session", planted)
        first = session_cookie(sign_in(client))
        assert first
        assert first != planted
        assert not signed_in_with(app, planted)
        assert signed_in_with(app, first)
        # signing in again (another account on the same browser) gives another id
        client.cookies.set("session", first)
        second = session_cookie(sign_in(client, "audit"))
        assert second
        assert second not in (first, planted)
        assert not signed_in_with(app, first)


def test_sign_out_ends_the_session_in_the_store(ledger: Ledger) -> None:
    app = make_app(ledger)
    with TestClient(app) as client:
        session = session_cookie(sign_in(client))
        assert session
        r = client.post(
            "/logout",
            data={"_csrf_token": client.cookies.get("csrftoken")},
            follow_redirects=False,
        )
        assert session_cookie(r) in ("null", '""', "")
        assert not signed_in_with(app, session)  # even if the old cookie was kept
        client.cookies.set("session", session)
        again = session_cookie(sign_in(client))
        assert again
        assert again != session


def test_pages_that_change_nothing_write_nothing_to_the_store(ledger: Ledger) -> None:
    app = make_app(ledger)
    with TestClient(app) as client:
        sign_in(client)
        before = ledger.db.query("SELECT COUNT(*) AS n FROM cw_store")[0]["n"]
        for _ in range(3):
            r = client.get("/groups/JOBA")
            assert r.status_code == 200
            assert session_cookie(r) is None  # the browser keeps its cookie
    with TestClient(app) as anonymous:  # a visit without signing in stores nothing
        assert anonymous.get("/login").status_code == 200
        assert session_cookie(anonymous.get("/login")) is None
    assert ledger.db.query("SELECT COUNT(*) AS n FROM cw_store")[0]["n"] == before


# ---------------------------------------------------------------------- serve --workers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coopledger",
            "--db",
            db,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return server
        except httpx.TransportError as e:
            if server.poll() is not None:
                stderr = server.stderr.read().decode() if server.stderr else ""
                raise AssertionError(stderr) from e
            time.sleep(0.2)
    server.kill()
    raise AssertionError("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def test_serve_with_two_workers_keeps_everyone_signed_in_across_a_restart(
    db: str, ledger: Ledger
) -> None:
    make_app(ledger)  # the accounts
    port = free_port()
    server = start_server(db, port, workers=2)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            sign_in(client)
            # many requests, spread over both workers: every one is signed in
            for _ in range(12):
                assert client.get("/groups/JOBA", follow_redirects=False).status_code == 200
            r = client.get("/groups/JOBA")
            assert r.headers["x-frame-options"] == "DENY"
    finally:
        stop_server(server)
    server = start_server(db, port, workers=2)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as again:
            again.cookies.update(client.cookies)
            assert again.get("/groups/JOBA", follow_redirects=False).status_code == 200
            form = again.get("/groups/JOBA").text
            assert "csrf" in form.lower()
            r = again.post(
                "/logout",
                data={"_csrf_token": client.cookies.get("csrftoken")},
                follow_redirects=False,
            )
            assert r.status_code in (302, 303)  # a form from before the restart is accepted
    finally:
        stop_server(server)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _sockets(pid: int, port: int, state: str) -> int:
    """How many TCP sockets on local ``port`` in ``state`` (``/proc/net/tcp``: 01
    established, 0A listening) the process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if int(cols[1].split(":")[1], 16) == port and cols[3] == state and cols[9] in inodes:
            held += 1
    return held


def _connections_held(pid: int, port: int) -> int:
    """How many established TCP connections to ``port`` the process ``pid`` holds."""
    return _sockets(pid, port, "01")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")
def test_two_workers_share_connections_opened_at_once(db: str) -> None:
    """Sixteen connections opened at the same moment (as a busy office or a browser opens
    them) are spread over both workers, not all accepted by the first to wake up: each
    worker listens on a socket of its own (``coopweb.workers``, ``SO_REUSEPORT``)."""
    port = free_port()
    server = start_server(db, port, workers=2)
    try:
        # (a worker still starting finds its connections waiting on its own socket)
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        try:
            request = b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n"
            for c in connections:
                c.sendall(request)
            for c in connections:
                assert c.recv(64).startswith(b"HTTP/1.1 200")
            held = {pid: _connections_held(pid, port) for pid in _children(server.pid)}
        finally:
            for c in connections:
                c.close()
        serving = [n for n in held.values() if n]  # (not spawn's resource tracker)
        assert sum(serving) == 16, held
        assert len(serving) == 2, f"one worker took every connection: {held}"
    finally:
        stop_server(server)


def test_a_second_server_on_a_port_in_use_is_refused(db: str) -> None:
    """``SO_REUSEPORT`` must not let a second ``coopledger serve`` share the port."""
    port = free_port()
    server = start_server(db, port, workers=2)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "coopledger", "--db", db, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode != 0
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    finally:
        stop_server(server)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")
def test_a_worker_that_dies_is_replaced_and_stopping_leaves_no_worker_behind(db: str) -> None:
    """A worker killed outright is started again on its own socket (the page still
    answers), and stopping the server stops every worker and frees the port."""
    port = free_port()
    server = start_server(db, port, workers=2)
    try:
        serving = [p for p in _children(server.pid) if _listening(p, port)]
        assert len(serving) == 2, serving
        os.kill(serving[0], 9)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = [p for p in _children(server.pid) if _listening(p, port)]
            if len(now) == 2 and serving[0] not in now:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the dead worker was not replaced: {now}")
        for _ in range(8):  # fresh connections, spread over both sockets
            assert httpx.get(f"http://127.0.0.1:{port}/login", timeout=30).status_code == 200
        workers = _children(server.pid)
    finally:
        stop_server(server)
    _none_left(workers)
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def _none_left(workers: list[int]) -> None:
    """Every one of ``workers`` ends within seconds of its server."""
    deadline = time.monotonic() + 10
    while (left := [p for p in workers if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"a worker outlived the server: {left}"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (an ended one not yet reaped by its
    new parent is a zombie, state Z)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _listening(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on ``port``."""
    return _sockets(pid, port, "0A") > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")
def test_sighup_replaces_every_worker_and_the_server_goes_on(db: str) -> None:
    """A service manager's reload (``SIGHUP``) replaces each worker in turn, on its socket;
    the server goes on answering and still stops cleanly afterwards."""
    port = free_port()
    server = start_server(db, port, workers=2)
    try:
        before = {p for p in _children(server.pid) if _listening(p, port)}
        assert len(before) == 2, before
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = {p for p in _children(server.pid) if _listening(p, port)}
            if len(now) == 2 and not now & before:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the workers were not replaced: {before} -> {now}")
        for _ in range(8):
            assert httpx.get(f"http://127.0.0.1:{port}/login", timeout=30).status_code == 200
        workers = _children(server.pid)
    finally:
        stop_server(server)
    assert server.returncode == 0
    _none_left(workers)
