"""The plugin contract: the application object, the guard on group and cluster routes,
the permission, filter, template variable, startup and recorded hooks, the introspection
page and the hook tracer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.testing import TestClient

from coopledger import Ledger
from coopledger.testing import D1, D2, fixed_clock, seed_group
from coopweb import Coopweb, Resource, User, create_app, hookimpl

PASSWORD = "a-long-password"
HERE = Path(__file__).parent


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger(str(tmp_path / "books.db"), clock=fixed_clock)
    seed_group(ledger, "JOBA", members=2)
    seed_group(ledger, "DOEL", members=2)
    ledger.form_cluster(
        "CP1",
        name="Cluster one",
        district="Dinajpur",
        upazila="Chirirbandar",
        ward="3",
        villages=["Mohalbari"],
        households=150,
        partner="SUSTAIN",
        date=D1,
    )
    ledger.join_cluster("CP1", group="JOBA", date=D1)
    yield ledger
    ledger.close()


# A careless plugin: its routes never check who may see the group or the cluster.
@get("/groups/{code:str}/careless", include_in_schema=False)
async def careless_group(code: FromPath[str]) -> str:
    return f"the secrets of {code}"


@post("/groups/{code:str}/careless", include_in_schema=False, status_code=200)
async def careless_write(code: FromPath[str]) -> str:
    return f"written to {code}"


@get("/clusters/{name:str}/careless", include_in_schema=False)
async def careless_cluster(name: FromPath[str]) -> str:
    return f"the secrets of cluster {name}"


class Careless:
    @hookimpl
    def coopweb_routes(self) -> list[Any]:
        return [careless_group, careless_write, careless_cluster]


OPEN: list[TestClient[Any]] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().__exit__(None, None, None)


def client_for(ledger: Ledger, username: str | None, *plugins: Any, **account: Any) -> Any:
    """A client of an application with exactly ``plugins``, signed in as ``username``."""
    app = create_app(ledger, plugins=list(plugins), load_entry_points=False, secure_cookies=False)
    client = TestClient(app)
    client.__enter__()
    OPEN.append(client)
    if username is not None:
        app.state.accounts.save(username, password=PASSWORD, **account)
        client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": username,
                "password": PASSWORD,
                "_csrf_token": client.cookies.get("csrftoken"),
            },
        )
        assert r.status_code == 200, r.text
    return client


class Heard(logging.Handler):
    """The records of one logger (Litestar configures the root logger when an application
    starts, which takes pytest's caplog handler off it)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> list[str]:
        self.logger.addHandler(self)
        self.level_before = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.messages: list[str] = []
        return self.messages

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)
        self.messages += [
            r.getMessage() + (f" {r.exc_info[1]}" if r.exc_info else "") for r in self.records
        ]


def csrf(client: Any) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("csrftoken") or ""}


# ---------------------------------------------------------------------- the guard
def test_a_plugin_route_without_its_own_check_is_refused_to_a_stranger(ledger: Ledger) -> None:
    stranger = client_for(ledger, "rina", Careless(), role="animator", groups=["DOEL"])
    r = stranger.get("/groups/JOBA/careless")
    assert r.status_code == 403
    assert "secrets" not in r.text
    assert "rina may not see JOBA." in r.text
    # Her own group is served; a group no one has is 404, not the handler's answer.
    assert stranger.get("/groups/DOEL/careless").text == "the secrets of DOEL"
    assert stranger.get("/groups/NOPE/careless").status_code == 404
    # The cluster of a group she does not work with, whatever the parameter is called.
    r = stranger.get("/clusters/CP1/careless")
    assert r.status_code == 403
    assert "secrets" not in r.text
    assert stranger.get("/clusters/NOPE/careless").status_code == 404
    member = client_for(ledger, "mita", Careless(), role="manager", partner="SUSTAIN")
    assert member.get("/clusters/CP1/careless").text == "the secrets of cluster CP1"


def test_signed_out_the_guard_sends_to_the_sign_in(ledger: Ledger) -> None:
    nobody = client_for(ledger, None, Careless())
    r = nobody.get("/groups/JOBA/careless", follow_redirects=False)
    assert r.status_code in (302, 303, 307)
    assert r.headers["location"] == "/login"


def test_a_write_under_a_group_needs_the_right_to_record(ledger: Ledger) -> None:
    auditor = client_for(ledger, "audit", Careless(), role="auditor")
    assert auditor.get("/groups/JOBA/careless").status_code == 200  # reads everything
    r = auditor.post("/groups/JOBA/careless", headers=csrf(auditor))
    assert r.status_code == 403
    assert "audit may not record for JOBA." in r.text
    animator = client_for(ledger, "rina", Careless(), role="animator", groups=["JOBA"])
    r = animator.post("/groups/JOBA/careless", headers=csrf(animator))
    assert (r.status_code, r.text) == (200, "written to JOBA")


# ---------------------------------------------------------------------- permissions
class NoDoelForAuditors:
    """Narrows the core's roles: auditors do not see DOEL; widens them: auditors may
    record for JOBA."""

    @hookimpl
    def coopweb_permission(self, user: User, action: str, resource: Resource) -> bool | None:
        if user.role != "auditor" or resource.type != "group":
            return None
        if resource.code == "DOEL":
            return False
        if resource.code == "JOBA" and action == "write":
            return True
        return None


def test_the_permission_hook_decides_for_pages_and_the_api(ledger: Ledger) -> None:
    client = client_for(ledger, "audit", NoDoelForAuditors(), role="auditor")
    assert client.get("/groups/JOBA").status_code == 200
    assert client.get("/groups/DOEL").status_code == 403
    assert client.get("/groups/DOEL/history").status_code == 403
    listed = client.get("/groups").text
    assert "JOBA" in listed
    assert "DOEL" not in listed
    token = client.post("/api/v1/tokens", json={"username": "audit", "password": PASSWORD})
    auth = {"authorization": f"Bearer {token.json()['token']}"}
    assert client.get("/api/v1/groups/DOEL", headers=auth).status_code == 403
    assert [g["code"] for g in client.get("/api/v1/groups", headers=auth).json()] == ["JOBA"]
    # Widened: the auditor records a deposit for JOBA, as herself.
    r = client.post(
        "/api/v1/groups/JOBA/entries",
        headers=auth,
        json={"command": "deposit_rice", "date": str(D2), "member": 1, "grams": 300},
    )
    assert r.status_code == 201, r.text
    assert ledger.events("JOBA")[-1].recorded_by == "audit"


def test_without_the_hook_the_core_roles_decide(ledger: Ledger) -> None:
    client = client_for(ledger, "audit", role="auditor")
    assert client.get("/groups/DOEL").status_code == 200
    r = client.post(
        "/groups/JOBA/meetings",
        data={"date": str(D2), "key": "k1", "grams_1": "100"},
        headers={**csrf(client), "hx-request": "true"},
    )
    assert r.status_code == 403


# ---------------------------------------------------------------------- recorded
class Listener:
    def __init__(self) -> None:
        self.heard: list[tuple[str, str, str, str]] = []

    @hookimpl
    def coopweb_recorded(self, user: User, command: Any, receipt: Any) -> None:
        self.heard.append((user.username, command.command, command.recorded_by, receipt.seal))


class Broken:
    @hookimpl
    def coopweb_recorded(self) -> None:
        raise RuntimeError("a plugin's bug")


def test_recorded_fires_after_each_command_and_not_for_a_replay(ledger: Ledger) -> None:
    first, second = Listener(), Listener()
    client = client_for(ledger, "rina", first, Broken(), second, role="animator", groups=["JOBA"])
    form = {"date": str(D2), "key": "meeting-1", "grams_1": "250"}
    headers = {**csrf(client), "hx-request": "true"}
    with Heard("coopweb.application") as logged:
        r = client.post("/groups/JOBA/meetings", data=form, headers=headers)
    assert r.status_code == 200, r.text
    seal = ledger.reports.meetings.reconciliation("JOBA").meetings[-1].seal
    # Both listeners heard it, although a plugin between them failed; the record stands.
    assert first.heard == [("rina", "record_meeting", "rina", seal)]
    assert second.heard == first.heard
    assert len(logged) == 1
    assert logged[0].startswith("coopweb_recorded of ")
    assert f"failed after {seal} was recorded a plugin's bug" in logged[0]
    r = client.post("/groups/JOBA/meetings", data=form, headers=headers)  # resubmitted
    assert r.status_code == 200
    assert len(first.heard) == 1


def test_record_refuses_a_command_for_a_group_not_hers(ledger: Ledger) -> None:
    from coopledger.commands import DepositRice  # noqa: PLC0415
    from coopledger.kernel.commands import Command  # noqa: PLC0415

    client = client_for(ledger, None)
    site: Coopweb = client.app.state.coopweb
    rina = site.accounts.save("rina", role="animator", password=PASSWORD, groups=["JOBA"])
    before = ledger.load("DOEL").version
    command = DepositRice(group="DOEL", member=1, grams=100, date=D2)
    with pytest.raises(Exception, match="rina may not record for DOEL"):
        site.record(rina, command)
    assert ledger.load("DOEL").version == before
    receipt = site.record(rina, DepositRice(group="JOBA", member=1, grams=100, date=D2))
    assert ledger.event("JOBA", receipt.last).recorded_by == "rina"

    class OtherStream(Command):  # neither a group's nor a cluster's: refused by default
        @property
        def stream(self) -> str:
            return "ELSEWHERE:1"

    with pytest.raises(Exception, match=r"rina may not (do this|record for ELSEWHERE:1)"):
        site.record(rina, OtherStream(date=D2))


# ---------------------------------------------------------------------- templates
class Decorator:
    def __init__(self, tmp: Path) -> None:
        (tmp / "deco").mkdir()
        (tmp / "deco" / "page.html").write_text(
            '{% extends "base.html" %}{% block main %}'
            "<p>{{ group.name|shout }}</p><p>{{ motto }}</p><p>{{ 125000|taka }}</p>"
            "{% endblock %}"
        )
        self.tmp = tmp
        self.started: list[Coopweb] = []

    @hookimpl
    def coopweb_template_dirs(self) -> list[Path]:
        return [self.tmp]

    @hookimpl
    def coopweb_jinja_filters(self) -> dict[str, Any]:
        return {"shout": lambda s: str(s).upper() + "!"}

    @hookimpl
    def coopweb_template_vars(self, template: str, user: User | None) -> dict[str, Any]:
        return {"motto": f"{template} for {user.username if user else 'nobody'}"}

    @hookimpl
    def coopweb_startup(self, app: Coopweb) -> None:
        self.started.append(app)

    @hookimpl
    def coopweb_routes(self) -> list[Any]:
        @get("/groups/{code:str}/deco", include_in_schema=False)
        async def deco(request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
            site = Coopweb.of(request)  # the guard's object, now with the handler's request
            assert site is Coopweb.of(request)
            assert site.request is request
            return site.page("deco/page.html", group=site.group(code))

        return [deco]


def test_filters_template_variables_and_startup(ledger: Ledger, tmp_path: Path) -> None:
    plugin = Decorator(tmp_path)
    client = client_for(ledger, "rina", plugin, role="animator", groups=["JOBA"])
    assert len(plugin.started) == 1
    assert plugin.started[0] is client.app.state.coopweb
    r = client.get("/groups/JOBA/deco")
    assert r.status_code == 200, r.text
    assert "JOBA NARI DAL!" in r.text
    assert "deco/page.html for rina" in r.text
    assert "1,250.00" in r.text  # the core's own filter (paisa), through the same hook
    assert "htmx-2.0.11.min.js" in r.text  # the core's own template variable


# ---------------------------------------------------------------------- introspection
def test_the_plugins_page_lists_plugins_and_their_hooks(ledger: Ledger) -> None:
    nobody = client_for(ledger, None)
    assert nobody.get("/-/plugins.json", follow_redirects=False).status_code in (302, 303, 307)
    client = client_for(ledger, "audit", Listener(), role="auditor")
    listing = client.get("/-/plugins.json").json()
    web = {p["name"]: p for p in listing["web"]}
    assert web["coopweb.core"]["hooks"] == sorted(
        [
            "coopweb_group_panels",
            "coopweb_jinja_filters",
            "coopweb_nav_items",
            "coopweb_permission",
            "coopweb_static_dirs",
            "coopweb_template_dirs",
            "coopweb_template_vars",
        ]
    )
    assert web["coopweb.pages"]["hooks"] == ["coopweb_routes"]
    assert web["coopweb.core"]["builtin"] is True
    listener = [p for p in listing["web"] if not p["builtin"]]
    assert [p["hooks"] for p in listener] == [["coopweb_recorded"]]
    assert {"capabilities", "commands"} <= set(listing)
    page = client.get("/-/plugins")
    assert page.status_code == 200
    assert "coopweb_recorded" in page.text


def test_the_hook_tracer_logs_each_call(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOPWEB_TRACE_HOOKS", "1")
    client = client_for(ledger, "rina", role="animator", groups=["JOBA"])
    with Heard("coopweb.hooks") as traced:
        assert client.get("/groups/JOBA").status_code == 200
    panels = [t for t in traced if t.startswith("hook coopweb_group_panels(")]
    assert len(panels) == 1, traced
    assert " ms by [coopweb.core]" in panels[0]
    assert any(t.startswith("hook coopweb_permission(app, user, action, resource)") for t in traced)


def test_without_the_variable_nothing_is_traced(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COOPWEB_TRACE_HOOKS", raising=False)
    client = client_for(ledger, "rina", role="animator", groups=["JOBA"])
    with Heard("coopweb.hooks") as traced:
        assert client.get("/groups/JOBA").status_code == 200
    assert traced == []


def test_methods_needing_a_request_say_so(ledger: Ledger) -> None:
    site: Coopweb = client_for(ledger, None).app.state.coopweb
    with pytest.raises(RuntimeError, match=r"Coopweb\.of\(request\)"):
        site.group("JOBA")
