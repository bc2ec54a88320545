"""Where the web layer keeps what every worker must share: sessions and sign-in counters.

Two stores, both Litestar :class:`~litestar.stores.base.Store` implementations, chosen by
one setting (``coopledger serve --store``):

* ``ledger`` (the default): :class:`LedgerStore`, a table ``cw_store`` in the ledger's own
  database (SQLite or PostgreSQL). Nothing more to run; it survives a restart.
* ``redis://host:port/db``: Litestar's :class:`~litestar.stores.redis.RedisStore`, for an
  office with many workers or servers (a Redis server that keeps nothing on disk signs
  everyone out when it restarts).

Accounts and API tokens always live in the ledger's database (``cw_accounts``,
``cw_api_tokens``): they are records to list and revoke, not expiring values.

Sessions use :class:`RotatingSessionBackend`: a new session id at sign-in (no fixation), no
write to the store on requests that change nothing.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import NamespacedStore
from litestar.types import Empty, Message, ScopeSession

from coopledger.errors import InvalidInput
from coopledger.kernel.storage import Database

#: Scope keys the session backend reads (set by :func:`rotate_session`).
ROTATE = "coopweb.rotate_session"
_NEW_ID = "coopweb.new_session_id"
_LOADED = "coopweb.session_loaded"


def _seconds(value: int | timedelta | None) -> int | None:
    if value is None:
        return None
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


class LedgerStore(NamespacedStore):
    """A Litestar store in the ledger's database: table ``cw_store`` (namespace, key,
    value, expires_at in whole epoch seconds). Every call runs in a worker thread, so the
    event loop never waits on the database. Expired rows are ignored when read and
    deleted now and then when written."""

    #: Delete expired rows once every this many writes (per process).
    SWEEP_EVERY = 200

    def __init__(self, db: Database, namespace: str = "coopweb") -> None:
        self.db = db
        self.namespace = namespace
        self._table = db.table("cw_store")
        self._writes = 0
        blob = "BYTEA" if db.dialect == "postgres" else "BLOB"
        db.execute(
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} (namespace TEXT NOT NULL, "
                f"key TEXT NOT NULL, value {blob} NOT NULL, expires_at BIGINT, "
                "PRIMARY KEY (namespace, key))",
                f"CREATE INDEX IF NOT EXISTS cw_store_expiry ON {self._table} (expires_at)",
            ]
        )

    def with_namespace(self, namespace: str) -> LedgerStore:
        child = object.__new__(type(self))
        child.db, child._table, child._writes = self.db, self._table, 0
        child.namespace = f"{self.namespace}_{namespace}"
        return child

    # ------------------------------------------------------------------ sync core
    def _get(self, key: str, renew_for: int | None) -> bytes | None:
        now = int(time.time())
        rows = self.db.tuples(
            f"SELECT value, expires_at FROM {self._table} WHERE namespace = ? AND key = ?",
            (self.namespace, key),
        )
        if not rows or (rows[0][1] is not None and rows[0][1] <= now):
            return None
        value, expires_at = rows[0]
        if renew_for and expires_at is not None:
            with self.db.cursor(commit=True) as c:
                c.execute(
                    self.db.sql(
                        f"UPDATE {self._table} SET expires_at = ? WHERE namespace = ? AND key = ?"
                    ),
                    (now + renew_for, self.namespace, key),
                )
        return bytes(value)

    def _set(self, key: str, value: bytes, expires_in: int | None) -> None:
        expires_at = int(time.time()) + expires_in if expires_in is not None else None
        self._writes += 1
        with self.db.cursor(commit=True) as c:
            c.execute(
                self.db.sql(
                    f"INSERT INTO {self._table} (namespace, key, value, expires_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET "
                    "value = excluded.value, expires_at = excluded.expires_at"
                ),
                (self.namespace, key, value, expires_at),
            )
            if self._writes % self.SWEEP_EVERY == 0:
                c.execute(
                    self.db.sql(f"DELETE FROM {self._table} WHERE expires_at <= ?"),
                    (int(time.time()),),
                )

    def _delete(self, key: str | None) -> None:
        with self.db.cursor(commit=True) as c:
            if key is None:
                c.execute(
                    self.db.sql(f"DELETE FROM {self._table} WHERE namespace = ?"),
                    (self.namespace,),
                )
            else:
                c.execute(
                    self.db.sql(f"DELETE FROM {self._table} WHERE namespace = ? AND key = ?"),
                    (self.namespace, key),
                )

    def _expires_in(self, key: str) -> int | None:
        rows = self.db.tuples(
            f"SELECT expires_at FROM {self._table} WHERE namespace = ? AND key = ?",
            (self.namespace, key),
        )
        if not rows or rows[0][0] is None:
            return None
        left = int(rows[0][0]) - int(time.time())
        return left if left > 0 else None

    # ------------------------------------------------------------------ Store
    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        await anyio.to_thread.run_sync(self._set, key, data, _seconds(expires_in))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await anyio.to_thread.run_sync(self._get, key, _seconds(renew_for))

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, key)

    async def delete_all(self) -> None:
        await anyio.to_thread.run_sync(self._delete, None)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        return await anyio.to_thread.run_sync(self._expires_in, key)


def open_store(setting: str | None, db: Database) -> NamespacedStore:
    """The shared store named by ``setting``: ``None``/``"ledger"`` (the ledger's database)
    or a ``redis://`` / ``rediss://`` / ``unix://`` URL."""
    if not setting or setting == "ledger":
        return LedgerStore(db)
    if setting.startswith(("redis://", "rediss://", "unix://")):
        try:
            from litestar.stores.redis import RedisStore  # noqa: PLC0415
        except ImportError as e:  # pragma: no cover - redis is in the web extra
            raise InvalidInput("store", setting, f"needs the redis package ({e})") from None
        return RedisStore.with_client(url=setting, namespace="coopweb")
    raise InvalidInput("store", setting, "use 'ledger' or a redis:// URL")


def shared_secret(db: Database, name: str) -> str:
    """A random secret kept in the ledger's database (``cw_secrets``), the same for every
    worker and after a restart (the CSRF tokens of open forms stay valid)."""
    t = db.table("cw_secrets")
    db.execute([f"CREATE TABLE IF NOT EXISTS {t} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"])
    with db.cursor(commit=True) as c:
        c.execute(
            db.sql(f"INSERT INTO {t} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
            (name, secrets.token_hex(32)),
        )
    rows = db.query(f"SELECT value FROM {t} WHERE name = ?", (name,))
    return str(rows[0]["value"])


# ---------------------------------------------------------------------- sessions
def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Give this connection's session a new id when the response is sent (sign-in)."""
    connection.scope[ROTATE] = True  # type: ignore[literal-required]


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, plus: a fresh id (the old one deleted from the
    store) when :func:`rotate_session` was called; no store write when the session did not
    change; nothing stored for an empty session."""

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[_LOADED] = data and self.serialize_data(data, connection.scope)  # type: ignore[literal-required]
        return data

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        new = connection.scope.get(_NEW_ID)
        return str(new) if new else super().get_session_id(connection)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        scope: Any = connection.scope
        rotating = bool(scope.get(ROTATE))
        if rotating and not scope.get(_NEW_ID):
            old = connection.cookies.get(self.config.key)
            if old and old != "null":
                await self.delete(old, store=self.config.get_store_from_app(scope["app"]))
            scope[_NEW_ID] = self.generate_session_id()
        if scope_session is not Empty and not rotating:
            if not scope_session:
                return  # an anonymous visit: nothing to keep
            if self.serialize_data(scope_session, scope) == scope.get(_LOADED):
                return  # unchanged: the client keeps its cookie, the store its row
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    """:class:`ServerSideSessionConfig` with :class:`RotatingSessionBackend`."""

    _backend_class = RotatingSessionBackend


__all__ = [
    "LedgerStore",
    "RotatingSessionBackend",
    "SessionConfig",
    "open_store",
    "rotate_session",
    "shared_secret",
]
