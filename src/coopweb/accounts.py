"""Staff accounts, roles and who may read or write which group's books.

| role | reads | writes |
|---|---|---|
| ``animator`` | the groups assigned to her (and their clusters) | the same |
| ``manager`` | every group and cluster of her partner organisation | the same |
| ``auditor`` | everything | nothing |
| ``admin`` | everything | accounts and assignments (not the books) |

Passwords are hashed with Argon2id (argon2-cffi). API tokens are random, stored as their
SHA-256, expire (30 days by default) and are revoked when the account's password or role
changes or the account is deactivated. Accounts live in the ledger's database (tables
``cw_accounts``, ``cw_api_tokens``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coopledger.errors import InvalidInput
from coopledger.kernel.storage import Database
from coopweb.language import text

ROLES = ("animator", "manager", "auditor", "admin")
_HASHER = PasswordHasher()
#: How long an API token lives unless asked otherwise.
TOKEN_DAYS = 30


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret (shown once), its public id and its expiry."""

    token: str
    id: str
    username: str
    expires_at: datetime


@dataclass(frozen=True)
class User:
    """A signed-in member of staff."""

    username: str
    role: str
    partner: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)

    def can_read(self, group: dict[str, Any]) -> bool:
        if self.role in ("auditor", "admin"):
            return True
        return self.can_write(group)

    def can_write(self, group: dict[str, Any]) -> bool:
        if self.role == "animator":
            return str(group["code"]).upper() in self.groups
        if self.role == "manager":
            return bool(self.partner) and group["partner"] == self.partner
        return False

    def can_read_cluster(self, cluster: dict[str, Any]) -> bool:
        if self.role in ("auditor", "admin"):
            return True
        return self.can_write_cluster(cluster)

    def can_write_cluster(self, cluster: dict[str, Any]) -> bool:
        """Managers of the cluster's partner organisation, and animators of any of its
        groups, record for a cluster platform."""
        if self.role == "animator":
            return bool(self.groups & {str(g).upper() for g in cluster["groups"]})
        if self.role == "manager":
            return bool(self.partner) and cluster["partner"] == self.partner
        return False

    @property
    def sees_personal_data(self) -> bool:
        """Community, well-being and household are shown only to roles that work with them."""
        return self.role in ("animator", "manager", "auditor")


class Accounts:
    """Accounts and API tokens, in the ledger's database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.db.execute(
            [
                "CREATE TABLE IF NOT EXISTS " + db.table("cw_accounts") + " ("
                "username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, "
                "partner TEXT NOT NULL, groups TEXT NOT NULL, active INTEGER NOT NULL, "
                "created_at TEXT NOT NULL)",
                # Tokens of releases before expiry (table cw_tokens) are not read: they
                # never expired, so they are retired.
                "CREATE TABLE IF NOT EXISTS " + db.table("cw_api_tokens") + " ("
                "id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, username TEXT NOT NULL, "
                "created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
                "CREATE INDEX IF NOT EXISTS cw_api_tokens_user ON "
                + db.table("cw_api_tokens")
                + " (username)",
            ]
        )

    def save(
        self,
        username: str,
        *,
        role: str,
        password: str | None = None,
        partner: str = "",
        groups: list[str] | None = None,
        active: bool = True,
    ) -> User:
        """Create or update an account (a new account needs a password). A new password, a
        new role or a deactivation revokes the account's API tokens."""
        username = username.strip()
        if not username or len(username) > 60 or any(c.isspace() for c in username):
            raise InvalidInput("username", username, text("one word, at most 60 characters"))
        if role not in ROLES:
            raise InvalidInput(
                "role", role, text("must be one of {choices}", choices=", ".join(ROLES))
            )
        if role == "manager" and not partner.strip():
            raise InvalidInput("partner", partner, text("a manager needs a partner organisation"))
        codes = sorted({g.strip().upper() for g in groups or [] if g.strip()})
        existing = self._row(username)
        if password is not None and len(password) < 8:
            raise InvalidInput("password", "***", text("use at least 8 characters"))
        if existing is None and password is None:
            raise InvalidInput("password", None, text("a new account needs a password"))
        hashed = _HASHER.hash(password) if password is not None else existing["password_hash"]  # type: ignore[index]
        t = self.db.table("cw_accounts")
        with self.db.cursor(commit=True) as c:
            c.execute(self.db.sql(f"DELETE FROM {t} WHERE username = ?"), (username,))
            c.execute(
                self.db.sql(
                    f"INSERT INTO {t} (username, password_hash, role, partner, groups, active, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    username,
                    hashed,
                    role,
                    partner.strip(),
                    json.dumps(codes),
                    int(active),
                    existing["created_at"] if existing else datetime.now(tz=UTC).isoformat(),
                ),
            )
            if existing is not None and (
                password is not None or role != existing["role"] or not active
            ):
                c.execute(
                    self.db.sql(f"DELETE FROM {self.db.table('cw_api_tokens')} WHERE username = ?"),
                    (username,),
                )
        return User(username, role, partner.strip(), frozenset(codes))

    def _row(self, username: str) -> dict[str, Any] | None:
        rows = self.db.query(
            f"SELECT * FROM {self.db.table('cw_accounts')} WHERE username = ?", (username,)
        )
        return rows[0] if rows else None

    def user(self, username: str) -> User | None:
        row = self._row(username)
        if row is None or not row["active"]:
            return None
        return User(
            row["username"], row["role"], row["partner"], frozenset(json.loads(row["groups"]))
        )

    def all(self) -> list[dict[str, Any]]:
        rows = self.db.query(
            f"SELECT username, role, partner, groups, active FROM "
            f"{self.db.table('cw_accounts')} ORDER BY username"
        )
        for r in rows:
            r["groups"] = json.loads(r["groups"])
        return rows

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, if the password is right (constant-time; Argon2id)."""
        row = self._row(username.strip())
        if row is None or not row["active"]:
            _HASHER.hash("spend-the-same-time")  # do not reveal which usernames exist
            return None
        try:
            _HASHER.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return self.user(row["username"])

    def issue_token(self, user: User, days: int = TOKEN_DAYS) -> IssuedToken:
        """A new API token for ``user``, valid for ``days`` days."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(tz=UTC).replace(microsecond=0)
        issued = IssuedToken(token, secrets.token_hex(8), user.username, now + timedelta(days))
        with self.db.cursor(commit=True) as c:
            c.execute(
                self.db.sql(
                    f"INSERT INTO {self.db.table('cw_api_tokens')} (id, token_hash, username, "
                    "created_at, expires_at) VALUES (?, ?, ?, ?, ?)"
                ),
                (
                    issued.id,
                    _digest(token),
                    user.username,
                    now.isoformat(),
                    issued.expires_at.isoformat(),
                ),
            )
        return issued

    def by_token(self, token: str) -> User | None:
        """The active account a live (unexpired, unrevoked) token belongs to."""
        rows = self.db.query(
            f"SELECT username, expires_at FROM {self.db.table('cw_api_tokens')} "
            "WHERE token_hash = ?",
            (_digest(token),),
        )
        if not rows or datetime.fromisoformat(rows[0]["expires_at"]) <= datetime.now(tz=UTC):
            return None
        return self.user(rows[0]["username"])

    def tokens(self, username: str) -> list[dict[str, Any]]:
        """The account's live tokens (id, created_at, expires_at; never the secret)."""
        rows = self.db.query(
            f"SELECT id, created_at, expires_at FROM {self.db.table('cw_api_tokens')} "
            "WHERE username = ? ORDER BY created_at, id",
            (username,),
        )
        now = datetime.now(tz=UTC)
        return [r for r in rows if datetime.fromisoformat(r["expires_at"]) > now]

    def revoke_token(self, username: str, token_id: str) -> bool:
        """Revoke one of the account's tokens; False if it has no such token."""
        t = self.db.table("cw_api_tokens")
        if not self.db.query(
            f"SELECT 1 AS x FROM {t} WHERE username = ? AND id = ?", (username, token_id)
        ):
            return False
        with self.db.cursor(commit=True) as c:
            c.execute(
                self.db.sql(f"DELETE FROM {t} WHERE username = ? AND id = ?"), (username, token_id)
            )
        return True

    def revoke_tokens(self, username: str) -> int:
        """Revoke every token of the account (and drop expired ones); how many were live."""
        live = len(self.tokens(username))
        with self.db.cursor(commit=True) as c:
            c.execute(
                self.db.sql(f"DELETE FROM {self.db.table('cw_api_tokens')} WHERE username = ?"),
                (username,),
            )
        return live


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
