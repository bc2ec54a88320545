"""The JSON API under ``/api/v1``: the same reads and writes as the pages.

Authenticate with ``POST /api/v1/tokens`` (username and password) and send the token as
``Authorization: Bearer <token>``. Tokens expire (30 days); ``GET /api/v1/tokens`` lists the
account's tokens, ``DELETE /api/v1/tokens/{id}`` revokes one, ``DELETE /api/v1/tokens``
all. Handlers that touch the ledger or Argon2 run in the thread pool. Bodies are checked by
pydantic models; a refusal comes back as ``application/problem+json`` naming the field and
the value. Taka are decimal strings,
rice whole grams.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, Router, delete, get, post
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel, ConfigDict, Field

import coopledger.capabilities  # noqa: F401 - every command, plugins' included, is registered
from coopledger import Ledger, LedgerError, RecordMeeting, parse_command
from coopledger.kernel.commands import commands_for
from coopledger.kernel.integrity import seal
from coopledger.reports import to_json
from coopweb.accounts import User
from coopweb.application import (
    Coopweb,
    Resource,
    as_of_param,
    client_address,
    find_cluster,
    find_group,
    in_thread,
)
from coopweb.field_api import field_router
from coopweb.language import say, text
from coopweb.reports_api import ROUTES as REPORT_ROUTES
from coopweb.security import SignInGuard
from coopweb.shareout import API_ROUTES as SHAREOUT_ROUTES

#: The largest event position SQLite and PostgreSQL can hold (a signed 64-bit integer).
MAX_POSITION = 2**63 - 1


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    id: str
    username: str
    role: str
    expires_at: datetime


class TokenInfo(BaseModel):
    id: str
    created_at: datetime
    expires_at: datetime


class Revoked(BaseModel):
    revoked: int


class ReceiptOut(BaseModel):
    group: str
    first: int
    last: int
    replayed: bool
    seal: str
    result: Any = None


def _receipt_out(receipt: Any) -> ReceiptOut:
    return ReceiptOut(
        group=receipt.group,
        first=receipt.first,
        last=receipt.last,
        replayed=receipt.replayed,
        seal=receipt.seal,
        result=_plain(receipt.result),
    )


def _plain(value: Any) -> Any:
    """Reports as JSON values: Decimals as strings, never floats."""
    return json.loads(to_json(value))


def _user(request: Request[Any, Any, Any]) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    user: User | None = (
        request.app.state.accounts.by_token(token.strip())
        if scheme.lower() == "bearer" and token.strip()
        else None
    )
    if user is None:
        raise NotAuthorizedException(
            say("Send Authorization: Bearer <token> (POST /api/v1/tokens).")
        )
    return user


def _group(
    request: Request[Any, Any, Any], code: str, *, write: bool = False
) -> tuple[User, dict[str, Any]]:
    user = _user(request)
    group = find_group(request.app.state.ledger, code)
    site = Coopweb.of(request)
    site.require(user, "read", Resource("group", group))
    if write:
        site.require(user, "write", Resource("group", group))
    return user, group


def _as_of(request: Request[Any, Any, Any]) -> Any:
    return as_of_param(request)


@post("/tokens", status_code=201, summary="Sign in: get an API token (expires in 30 days)")
async def issue_token(request: Request[Any, Any, Any], data: JSONBody[Credentials]) -> TokenOut:
    accounts = request.app.state.accounts
    guard: SignInGuard = request.app.state.guard
    username, address = data.username.strip(), client_address(request)
    wait = await guard.retry_after(username, address)
    if wait is not None:
        raise TooManyRequestsException(
            say(
                "username={username}: too many failed sign-ins; try again in {wait} s.",
                username=repr(username),
                wait=wait,
            ),
            headers={"Retry-After": str(wait)},
            extra={"field": "username", "value": username, "retry_after": wait},
        )
    user = await in_thread(accounts.authenticate, username, data.password)
    if user is None:
        await guard.failed(username, address)
        raise NotAuthorizedException(say("That username and password do not match."))
    await guard.succeeded(username)
    issued = await in_thread(accounts.issue_token, user)
    return TokenOut(
        token=issued.token,
        id=issued.id,
        username=user.username,
        role=user.role,
        expires_at=issued.expires_at,
    )


def _token_owner(request: Request[Any, Any, Any], username: str) -> str:
    """Whose tokens a request may see or revoke: its own; an admin's, anyone's."""
    user = _user(request)
    if not username or username == user.username:
        return user.username
    if user.role != "admin":
        raise PermissionDeniedException(
            say("{user} may not manage the tokens of {owner}.", user=user.username, owner=username)
        )
    return username


@get(
    "/tokens", summary="The account's live API tokens (an admin: username=...)", sync_to_thread=True
)
def list_tokens(request: Request[Any, Any, Any], username: FromQuery[str] = "") -> list[TokenInfo]:
    owner = _token_owner(request, username)
    return [TokenInfo(**t) for t in request.app.state.accounts.tokens(owner)]


@delete("/tokens/{token_id:str}", summary="Revoke one API token", sync_to_thread=True)
def revoke_token(
    request: Request[Any, Any, Any], token_id: FromPath[str], username: FromQuery[str] = ""
) -> None:
    owner = _token_owner(request, username)
    if not request.app.state.accounts.revoke_token(owner, token_id):
        raise NotFoundException(
            say("token_id={token}: {owner} has no such token.", token=repr(token_id), owner=owner)
        )


@delete(
    "/tokens", status_code=200, summary="Revoke every API token of the account", sync_to_thread=True
)
def revoke_tokens(request: Request[Any, Any, Any], username: FromQuery[str] = "") -> Revoked:
    owner = _token_owner(request, username)
    return Revoked(revoked=request.app.state.accounts.revoke_tokens(owner))


@get("/groups", summary="Groups this account may read", sync_to_thread=True)
def list_groups(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    user, site = _user(request), Coopweb.of(request)
    groups = (g.as_dict() for g in site.ledger.reports.groups.directory())
    return [_plain(g) for g in groups if site.allowed(user, "read", Resource("group", g))]


@get("/groups/{code:str}", summary="A group's position (as_of=YYYY-MM-DD)", sync_to_thread=True)
def group_position(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    _group(request, code)
    ledger: Ledger = request.app.state.ledger
    return _plain(ledger.reports.books.position(code, as_of=_as_of(request)).as_dict())  # type: ignore[no-any-return]


@get("/groups/{code:str}/members", summary="A group's members", sync_to_thread=True)
def group_members(request: Request[Any, Any, Any], code: FromPath[str]) -> list[dict[str, Any]]:
    user, _ = _group(request, code)
    members = request.app.state.ledger.reports.groups.members(code, as_of=_as_of(request))
    rows = [m.as_dict() for m in members]
    if not user.sees_personal_data:
        for r in rows:
            for private in ("household", "community", "wellbeing", "landless"):
                r.pop(private, None)
    return _plain(rows)  # type: ignore[no-any-return]


@get(
    "/groups/{code:str}/members/{member:int}/passbook",
    summary="A member's passbook",
    sync_to_thread=True,
)
def passbook(
    request: Request[Any, Any, Any], code: FromPath[str], member: FromPath[int]
) -> dict[str, Any]:
    _group(request, code)
    book = request.app.state.ledger.reports.savings.passbook(code, member, as_of=_as_of(request))
    return _plain(book.as_dict())  # type: ignore[no-any-return]


@get(
    "/groups/{code:str}/loans",
    summary="A group's loans, loan products and fines (as_of=YYYY-MM-DD, member=N)",
    sync_to_thread=True,
)
def group_loans(
    request: Request[Any, Any, Any], code: FromPath[str], member: FromQuery[int | None] = None
) -> dict[str, Any]:
    _group(request, code)
    reports = request.app.state.ledger.reports.loans
    as_of, who = _as_of(request), member
    return _plain(  # type: ignore[no-any-return]
        {
            "loans": [x.as_dict() for x in reports.loans(code, as_of=as_of, member=who)],
            "products": [x.as_dict() for x in reports.products(code, as_of=as_of)],
            "fines": [x.as_dict() for x in reports.fines(code, as_of=as_of, member=who)],
        }
    )


@get("/groups/{code:str}/trial-balance", summary="Trial balance", sync_to_thread=True)
def trial_balance(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    _group(request, code)
    tb = request.app.state.ledger.reports.books.trial_balance(code, as_of=_as_of(request))
    return _plain(tb.as_dict())  # type: ignore[no-any-return]


@get(
    "/groups/{code:str}/reconciliation",
    summary="Meeting counts against the books",
    sync_to_thread=True,
)
def reconciliation(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    _group(request, code)
    rec = request.app.state.ledger.reports.meetings.reconciliation(code, as_of=_as_of(request))
    return _plain(rec.as_dict())  # type: ignore[no-any-return]


@get(
    "/groups/{code:str}/events",
    summary="A page of the group's events, with seals",
    sync_to_thread=True,
)
def events(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    _group(request, code)
    found = request.app.state.ledger.events(code, after=after, limit=limit)
    return [
        _plain(
            {
                "position": e.position,
                "type": type(e).__name__,
                "business_date": e.business_date,
                "recorded_at": e.timestamp,
                "recorded_by": e.recorded_by,
                "hash": e.chain_hash,
                "seal": seal(e.chain_hash),
                "data": e.content(),
            }
        )
        for e in found
    ]


@get(
    "/groups/{code:str}/approvals",
    summary="Entries that needed a second signature (status=waiting|approved|rejected)",
    sync_to_thread=True,
)
def approvals(
    request: Request[Any, Any, Any], code: FromPath[str], status: FromQuery[str | None] = None
) -> list[dict[str, Any]]:
    _group(request, code)
    found = request.app.state.ledger.reports.approvals.entries(code, status=status)
    return [_plain(a.as_dict()) for a in found]


def _command_name(body: dict[str, Any], allowed: set[str]) -> str:
    """The body's ``command``, if it is one of ``allowed`` (a 422 naming the field if not)."""
    name = body.get("command")
    if not isinstance(name, str) or name not in allowed:
        raise LedgerError(
            f"command={name!r}: use one of {', '.join(sorted(allowed))}",
            field="command",
            value=name if isinstance(name, str | int | float | bool) or name is None else str(name),
        )
    return name


def _record(
    request: Request[Any, Any, Any],
    code: str,
    body: dict[str, Any],
    allowed: set[str],
) -> ReceiptOut:
    user, group = _group(request, code, write=True)
    if "group" in body and str(body["group"]).upper() != group["code"]:
        raise LedgerError(
            f"group={body['group']!r}: the body names another group than the URL",
            field="group",
            value=str(body["group"]),
        )
    _command_name(body, allowed)
    command = parse_command({**body, "group": group["code"], "recorded_by": user.username})
    receipt = Coopweb.of(request).record(user, command)
    return _receipt_out(receipt)


async def _body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise LedgerError("body: is not JSON", field="body", value=None) from None
    except RecursionError:
        raise LedgerError("body: is nested too deeply", field="body", value=None) from None
    if not isinstance(data, dict):
        raise LedgerError("body: send a JSON object", field="body", value=None)
    return data


#: Group commands the entries endpoint accepts (from the command registry).
ENTRY_COMMANDS = set(commands_for("entries"))


def _body_operation(schema: dict[str, Any], description: str) -> type[Operation]:
    """An OpenAPI operation that documents the JSON body the handler reads itself (it reads
    the raw body so that numbers become exact decimals, never floats)."""

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                required=True,
                description=description,
                content={
                    "application/json": OpenAPIMediaType(schema=Schema(**_openapi_schema(schema)))
                },
            )

    return WithBody


def _command_body(names: set[str], what: str) -> type[Operation]:
    """The body of an entries endpoint: one of ``names`` (fields as in the schema)."""
    return _body_operation(
        {
            "type": "object",
            "required": ["command", "date"],
            "properties": {
                "command": {"type": "string", "enum": sorted(names)},
                "date": {"type": "string", "format": "date"},
                "key": {"type": "string", "description": "idempotency key"},
            },
        },
        f"{what} of docs/schema/commands.schema.json (its other fields as there)",
    )


def _openapi_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (from pydantic) as keyword arguments of Litestar's Schema: inline the
    $defs, keep the fields Litestar's Schema knows."""
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].split("/")[-1]])
            return {k: resolve(v) for k, v in node.items() if k not in ("$defs", "$schema")}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    plain = resolve(schema)
    url_fields = {"group", "recorded_by"}  # from the URL and the token, not the body
    return {
        "type": OpenAPIType.OBJECT,
        "description": plain.get("description"),
        "properties": {
            k: Schema(**_known(v))
            for k, v in plain.get("properties", {}).items()
            if k not in url_fields
        },
        "required": [r for r in plain.get("required", []) if r not in url_fields],
    }


def _known(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("description", "minimum", "maximum", "pattern", "format", "enum", "const"):
        if key in node:
            out[key] = node[key]
    if isinstance(node.get("type"), str):
        out["type"] = OpenAPIType(node["type"])
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        out["items"] = Schema(**_known(node["items"]))
    if "anyOf" in node:
        out["one_of"] = [Schema(**_known(n)) for n in node["anyOf"] if isinstance(n, dict)]
    return out


@post(
    "/groups/{code:str}/meetings",
    status_code=201,
    summary="Record a weekly meeting (one transaction; idempotent on its key)",
    operation_class=_body_operation(
        RecordMeeting.model_json_schema(),
        "a record_meeting command; the group comes from the URL (taka: decimal strings "
        "or JSON numbers, read exactly)",
    ),
)
async def record_meeting(request: Request[Any, Any, Any], code: FromPath[str]) -> ReceiptOut:
    body = await _body(request)
    body.setdefault("command", "record_meeting")
    return await in_thread(_record, request, code, body, {"record_meeting"})


@post(
    "/groups/{code:str}/entries",
    status_code=201,
    summary="Record one entry: any command of docs/schema/commands.schema.json",
    operation_class=_command_body(ENTRY_COMMANDS, "one group command"),
)
async def record_entry(request: Request[Any, Any, Any], code: FromPath[str]) -> ReceiptOut:
    body = await _body(request)
    return await in_thread(_record, request, code, body, ENTRY_COMMANDS)


#: Cluster commands the cluster entries endpoint accepts (from the command registry).
CLUSTER_COMMANDS = set(commands_for("cluster-entries"))
PERSONAL = ("gender", "wellbeing")


def _cluster(
    request: Request[Any, Any, Any], code: str, *, write: bool = False
) -> tuple[User, dict[str, Any]]:
    user = _user(request)
    cluster = find_cluster(request.app.state.ledger, code)
    Coopweb.of(request).require(user, "write" if write else "read", Resource("cluster", cluster))
    return user, cluster


@get("/clusters", summary="Clusters this account may read", sync_to_thread=True)
def list_clusters(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    user, site = _user(request), Coopweb.of(request)
    return [
        _plain(c)
        for c in (x.as_dict() for x in site.ledger.reports.clusters.clusters())
        if site.allowed(user, "read", Resource("cluster", c))
    ]


@get("/clusters/{code:str}", summary="A cluster platform (as_of=YYYY-MM-DD)", sync_to_thread=True)
def cluster_platform(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    user, _ = _cluster(request, code)
    reports = request.app.state.ledger.reports.clusters
    report = reports.platform(code, as_of=_as_of(request)).as_dict()
    report["bank_loans"] = reports.bank_loans(code, as_of=_as_of(request))
    if not user.sees_personal_data:
        for r in report["representatives"]:
            for private in PERSONAL:
                r.pop(private, None)
        report["extreme_poor"] = [
            {"entry": e["entry"], "listed_on": e["listed_on"]} for e in report["extreme_poor"]
        ]
    return _plain(report)  # type: ignore[no-any-return]


@get(
    "/clusters/{code:str}/agreements",
    summary="A platform's agreements: each month due, paid or not; income split (as_of=)",
    sync_to_thread=True,
)
def cluster_agreements(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    _cluster(request, code)
    report = request.app.state.ledger.reports.agreements.agreements(code, as_of=_as_of(request))
    return _plain(report)  # type: ignore[no-any-return]


@get(
    "/clusters/{code:str}/partners",
    summary="A platform's partners and what refers to each (as_of=YYYY-MM-DD)",
    sync_to_thread=True,
)
def cluster_partners(request: Request[Any, Any, Any], code: FromPath[str]) -> dict[str, Any]:
    _cluster(request, code)
    report = request.app.state.ledger.reports.partners.register(code, as_of=_as_of(request))
    return _plain(report)  # type: ignore[no-any-return]


@get(
    "/programme",
    summary="Programme figures (by=district|upazila|union|cluster)",
    sync_to_thread=True,
)
def programme(
    request: Request[Any, Any, Any], by: FromQuery[str] = "district", clusters: FromQuery[str] = ""
) -> list[dict[str, Any]]:
    """``clusters``: a comma-separated set of cluster codes (default: every cluster)."""
    user = _user(request)
    if user.role not in ("manager", "auditor", "admin"):
        raise PermissionDeniedException(say("Programme figures are for managers and auditors."))
    chosen = [c for c in clusters.split(",") if c.strip()] or None
    rows = request.app.state.ledger.reports.clusters.programme(
        by=by, clusters=chosen, as_of=_as_of(request)
    )
    return _plain(rows)  # type: ignore[no-any-return]


@post(
    "/clusters/{code:str}/entries",
    status_code=201,
    summary="Record one cluster command of docs/schema/commands.schema.json",
    operation_class=_command_body(CLUSTER_COMMANDS, "one cluster command"),
)
async def record_cluster_entry(request: Request[Any, Any, Any], code: FromPath[str]) -> ReceiptOut:
    body = await _body(request)
    return await in_thread(_record_cluster, request, code, body)


#: Cluster commands that change which groups a cluster has.
MEMBERSHIP = ("join_cluster", "leave_cluster")


def _record_cluster(request: Request[Any, Any, Any], code: str, body: dict[str, Any]) -> ReceiptOut:
    user, cluster = _cluster(request, code, write=True)
    if "cluster" in body and str(body["cluster"]).upper() != cluster["code"]:
        raise LedgerError(
            f"cluster={body['cluster']!r}: the body names another cluster",
            field="cluster",
            value=str(body["cluster"]),
        )
    name = _command_name(body, CLUSTER_COMMANDS)
    if name in MEMBERSHIP:
        # A group joins or leaves only by someone who records for that group: its own
        # animator or a manager of its partner organisation.
        target = body.get("group")
        if not isinstance(target, str) or not target.strip():
            raise LedgerError(
                text("name the group that joins or leaves"),
                field="group",
                value=target if isinstance(target, str | int) else None,
            )
        if not user.can_write(find_group(request.app.state.ledger, target)):
            raise PermissionDeniedException(
                say(
                    "{user} may not make group {group} join or leave a cluster: that needs "
                    "its animator or a manager of its partner organisation.",
                    user=user.username,
                    group=target.upper(),
                )
            )
    command = parse_command({**body, "cluster": cluster["code"], "recorded_by": user.username})
    receipt = Coopweb.of(request).record(user, command)
    return _receipt_out(receipt)


def api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[
            issue_token,
            list_tokens,
            revoke_token,
            revoke_tokens,
            list_groups,
            group_position,
            group_loans,
            group_members,
            passbook,
            trial_balance,
            reconciliation,
            events,
            approvals,
            record_meeting,
            record_entry,
            list_clusters,
            cluster_platform,
            cluster_agreements,
            cluster_partners,
            programme,
            record_cluster_entry,
            *SHAREOUT_ROUTES,
            *REPORT_ROUTES,
            field_router(),
        ],
        tags=["coopledger"],
    )


__all__ = ["api_router"]
