"""The application object a route handler or a plugin works with: :class:`Coopweb`.

One per application (``app.state.coopweb``), holding the ledger, the staff accounts, the
plugin manager and the Jinja environment; ``Coopweb.of(request)`` gives it bound to one
request, with what a page needs: the signed-in user, a group or cluster the user may read
(or write), the ``as_of`` day asked for, a page to render, a command to record. Every
permission is asked of the ``coopweb_permission`` hook (the core answers last, from the
roles), and every command recorded here fires ``coopweb_recorded``. This is the public
surface for plugins (``from coopweb import Coopweb``); see ``docs/plugins.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
import pluggy
from jinja2 import Environment
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers import BaseRouteHandler
from litestar.response import Template
from markupsafe import Markup

from coopledger import Ledger
from coopledger.errors import UnknownCluster, UnknownGroup
from coopledger.kernel.commands import ClusterCommand, Command, GroupCommand
from coopledger.kernel.unit import Receipt
from coopweb.accounts import Accounts, User
from coopweb.language import say

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Request methods that only read; any other method under a group or cluster is a write.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NO_USER = object()


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in the thread pool (the event loop goes on serving others)."""
    return await anyio.to_thread.run_sync(partial(fn, *args))


def client_address(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address (behind a proxy: run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client else ""


@dataclass(frozen=True)
class Resource:
    """What a permission is asked about: its ``type`` (``"group"``, ``"cluster"``, or a
    plugin's own word) and its ``record`` (a group's or cluster's directory row)."""

    type: str
    record: Mapping[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return str(self.record.get("code", "")).upper()


def find_group(ledger: Ledger, code: str) -> dict[str, Any]:
    """One group (an indexed query), as the plain record the plugin hooks receive; 404
    for a code no group has."""
    try:
        return ledger.reports.groups.group(code).as_dict()
    except UnknownGroup:
        raise NotFoundException(say("There is no group {code}.", code=code.upper())) from None


def find_cluster(ledger: Ledger, code: str) -> dict[str, Any]:
    """One cluster, with the codes of its groups; ``UnknownCluster`` (404, naming the
    field and the value) for a code no cluster has."""
    found = ledger.reports.clusters.cluster(code)
    if found is None:
        raise UnknownCluster(code)
    return found.as_dict()


def as_of_param(request: ASGIConnection[Any, Any, Any, Any]) -> date | None:
    """The ``?as_of=YYYY-MM-DD`` day asked for (None: today); 400 naming the value."""
    text = request.query_params.get("as_of") or ""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            status_code=400, detail=say("as_of={day}: use YYYY-MM-DD.", day=repr(text))
        ) from None


@dataclass
class Coopweb:
    """The web application: its ledger, accounts, plugins (``pm``) and templates (``jinja``).

    ``Coopweb.of(request)`` is the same object bound to one request (``request``); the
    methods that need a request (the user, a group, a page) refuse without one.
    """

    ledger: Ledger
    accounts: Accounts
    pm: pluggy.PluginManager
    jinja: Environment
    request: ASGIConnection[Any, Any, Any, Any] | None = None
    _user: Any = field(default=_NO_USER, repr=False, compare=False)
    _checked: dict[tuple[str, str, str], dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # ------------------------------------------------------------------ one request
    @classmethod
    def of(cls, request: ASGIConnection[Any, Any, Any, Any]) -> Coopweb:
        """The application bound to ``request`` (one object per request: what it looked up,
        the user and the groups checked, is kept for the rest of the request)."""
        bound = request.scope.get("coopweb")
        if isinstance(bound, Coopweb):
            if isinstance(request, Request) and not isinstance(bound.request, Request):
                bound.request = request  # the handler's Request, after the guard's connection
            return bound
        app: Coopweb = request.app.state.coopweb
        bound = replace(app, request=request, _user=_NO_USER, _checked={})
        request.scope["coopweb"] = bound  # type: ignore[typeddict-unknown-key]
        return bound

    def _request(self) -> ASGIConnection[Any, Any, Any, Any]:
        if self.request is None:
            raise RuntimeError("this needs a request: use Coopweb.of(request)")
        return self.request

    @property
    def user(self) -> User | None:
        """The signed-in member of staff (from the session), or None."""
        if self._user is _NO_USER:
            request = self._request()
            name = request.session.get("user") if request.scope.get("session") else None
            self._user = self.accounts.user(name) if name else None
        found: User | None = self._user
        return found

    def need_user(self) -> User:
        """The signed-in user; 401 (the pages send the browser to sign in) when none."""
        user = self.user
        if user is None:
            raise NotAuthorizedException(say("Sign in first."))
        return user

    def as_of(self) -> date | None:
        """The day asked for with ``?as_of=YYYY-MM-DD``; None for today."""
        return as_of_param(self._request())

    def group(self, code: str, *, write: bool = False) -> dict[str, Any]:
        """The group ``code`` if the signed-in user may read it (``write``: record for it):
        401 signed out, 404 no such group, 403 not hers."""
        return self._resource("group", code, write=write)

    def cluster(self, code: str, *, write: bool = False) -> dict[str, Any]:
        """The cluster ``code`` (with its groups' codes) if the signed-in user may read it
        (``write``: record for it): 401, 404 or 403 otherwise."""
        return self._resource("cluster", code, write=write)

    def _resource(self, kind: str, code: str, *, write: bool) -> dict[str, Any]:
        action = "write" if write else "read"
        cached = self._checked.get((kind, code.upper(), action))
        if cached is not None:
            return cached
        user = self.need_user()
        record = (find_group if kind == "group" else find_cluster)(self.ledger, code)
        self.require(user, action, Resource(kind, record))
        self._checked[(kind, code.upper(), action)] = record
        return record

    def page(
        self,
        template: str,
        /,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> Template:
        """A page rendered from ``template``, with the navigation, the user and the
        plugins' template variables (``coopweb_template_vars``) beside ``context``."""
        user = self.user
        nav = [item for items in self.pm.hook.coopweb_nav_items(user=user) for item in items]
        extra: dict[str, Any] = {}
        for found in self.pm.hook.coopweb_template_vars(app=self, template=template, user=user):
            extra.update(found or {})
        return Template(
            template_name=template,
            status_code=status_code,
            headers=headers or {},
            context={**extra, "user": user, "nav": nav, **context},
        )

    # ------------------------------------------------------------------ the application
    def render(self, template: str, /, **context: Any) -> Markup:
        """One template rendered to HTML (a panel's body, a fragment)."""
        if self.request is not None:
            context.setdefault("request", self.request)
        return Markup(self.jinja.get_template(template).render(**context))

    def allowed(self, user: User, action: str, resource: Resource) -> bool:
        """May ``user`` do ``action`` (``"read"``, ``"write"``, or a plugin's own) to
        ``resource``? The first ``coopweb_permission`` answer wins; no answer is a no."""
        answer = self.pm.hook.coopweb_permission(
            app=self, user=user, action=action, resource=resource
        )
        return answer is True

    def require(self, user: User, action: str, resource: Resource) -> None:
        """Refuse with 403, naming the user and the resource, unless ``allowed``."""
        if not self.allowed(user, action, resource):
            if action == "read":
                detail = say("{user} may not see {code}.", user=user.username, code=resource.code)
            elif action == "write":
                detail = say(
                    "{user} may not record for {code}.", user=user.username, code=resource.code
                )
            else:
                detail = say("{user} may not do this.", user=user.username)
            raise PermissionDeniedException(detail)

    def record(self, user: User, command: Command) -> Receipt:
        """Record ``command`` as ``user``, then fire ``coopweb_recorded`` for each plugin.

        She must be allowed to write to its group or cluster (403; forming one is not done
        here: it does not exist yet, 404), or to its ``"stream"`` for another kind of
        command; ``recorded_by`` is set to her; the ledger's refusals are raised as they
        are, and nothing is recorded."""
        if isinstance(command, GroupCommand):
            action = getattr(command, "action", "write")  # "approve": a second signature
            self.require(user, action, Resource("group", find_group(self.ledger, command.group)))
        elif isinstance(command, ClusterCommand):
            cluster = find_cluster(self.ledger, command.cluster)
            self.require(user, "write", Resource("cluster", cluster))
        else:  # another kind of stream: refused unless a plugin's permission allows it
            self.require(user, "write", Resource("stream", {"code": command.stream}))
        command = command.model_copy(update={"recorded_by": user.username})
        receipt = self.ledger.execute(command)
        if not receipt.replayed:
            self._recorded(user, command, receipt)
        return receipt

    def _recorded(self, user: User, command: Command, receipt: Receipt) -> None:
        """Tell each plugin on its own: one failing does not stop the others, nor undo
        what is recorded (its error is logged)."""
        hook = "coopweb_recorded"
        plugins = [impl.plugin for impl in self.pm.hook.coopweb_recorded.get_hookimpls()]
        for plugin in plugins:
            caller = self.pm.subset_hook_caller(
                hook, remove_plugins=[p for p in plugins if p is not plugin]
            )
            try:
                caller(app=self, user=user, command=command, receipt=receipt)
            except Exception:
                name = self.pm.get_name(plugin)
                log.exception("%s of %s failed after %s was recorded", hook, name, receipt.seal)


_SCOPED = re.compile(r"^/(groups|clusters)/\{(\w+)(?::\w+)?\}(?:/|$)")


def scoped_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard on every page route (the core's and the plugins'): a route under
    ``/groups/{code}`` or ``/clusters/{code}`` is served only to a user who may read that
    group or cluster, or write to it for a method other than GET, HEAD and OPTIONS. So a
    plugin's route cannot forget the check; it may still ask ``Coopweb.group`` itself."""
    found = _SCOPED.match(str(connection.scope.get("path_template") or ""))
    if found is None:
        return
    kind = "group" if found[1] == "groups" else "cluster"
    code = str(connection.path_params[found[2]])
    write = connection.scope.get("method", "GET") not in SAFE_METHODS
    Coopweb.of(connection)._resource(kind, code, write=write)


__all__ = [
    "SAFE_METHODS",
    "Coopweb",
    "Resource",
    "as_of_param",
    "find_cluster",
    "find_group",
    "scoped_guard",
]
