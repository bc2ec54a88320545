"""Sign-in protection, security headers and safe CSV downloads.

* :class:`SignInGuard`: failed sign-ins counted per account and per address in the shared
  store; after too many in the window the account (or the address) is locked for a while
  and every sign-in there is answered 429 with ``Retry-After``, even with the right
  password. An admin sees and clears lockouts on the accounts page.
* :func:`security_headers`: a ``before_send`` hook that puts a Content-Security-Policy (only
  the app's own scripts and styles), frame denial, ``nosniff`` and a referrer policy on
  every response.
* :func:`csv_writer`: ``defusedcsv``'s writer (cells beginning with ``=``, ``+``, ``-``,
  ``@``, ``|`` or ``%`` that are not numbers get a leading ``'``), plus the same for cells
  beginning with a tab or a carriage return.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from defusedcsv import csv as defused  # type: ignore[import-untyped]
from litestar.datastructures import MutableScopeHeaders
from litestar.stores.base import Store
from litestar.types import Message, Scope

# ---------------------------------------------------------------------- headers
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def security_headers(*, https: bool) -> Any:
    """A Litestar ``before_send`` hook adding :data:`HEADERS` (and HSTS when served over
    HTTPS) to every response, error pages and static files included."""
    extra = dict(HEADERS)
    if https:
        extra["strict-transport-security"] = "max-age=31536000"

    async def before_send(message: Message, scope: Scope) -> None:  # noqa: ARG001
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            for name, value in extra.items():
                if name not in headers:
                    headers[name] = value

    return before_send


# ---------------------------------------------------------------------- CSV
class _Writer:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def writerow(self, row: list[Any]) -> None:
        self.inner.writerow(
            ["'" + v if isinstance(v, str) and v[:1] in ("\t", "\r") else v for v in row]
        )


def csv_writer(out: Any) -> _Writer:
    """A ``csv.writer`` whose cells cannot be read as formulas by a spreadsheet."""
    return _Writer(defused.writer(out))


# ---------------------------------------------------------------------- sign-in
#: Usernames are counted by their first characters (accounts have at most 60).
MAX_NAME = 64


@dataclass(frozen=True)
class Lockout:
    """A locked account (``kind`` "account") or address (``kind`` "address")."""

    kind: str
    subject: str
    seconds_left: int


class SignInGuard:
    """Failed sign-ins per account and per address, in a shared :class:`Store`.

    ``attempts`` failures for one account within ``window`` seconds lock that account for
    ``lockout`` seconds; ``address_attempts`` failures from one address (any accounts) lock
    the address. An office often signs in from one address, hence the higher limit.
    """

    def __init__(
        self,
        store: Store,
        *,
        attempts: int = 5,
        address_attempts: int = 20,
        window: int = 15 * 60,
        lockout: int = 15 * 60,
    ) -> None:
        self.store = store
        self.limits = {"account": attempts, "address": address_attempts}
        self.window = window
        self.lockout = lockout

    async def retry_after(self, username: str, address: str) -> int | None:
        """Seconds until a sign-in may be tried again, or None if it may be tried now."""
        username = username[:MAX_NAME]
        waits = []
        for kind, subject in (("account", username), ("address", address)):
            if subject and await self.store.exists(f"lock:{kind}:{subject}"):
                waits.append(await self.store.expires_in(f"lock:{kind}:{subject}") or 1)
        return max(waits) if waits else None

    async def failed(self, username: str, address: str) -> None:
        now, username = int(time.time()), username[:MAX_NAME]
        for kind, subject in (("account", username), ("address", address)):
            if not subject:
                continue
            key = f"fail:{kind}:{subject}"
            raw = await self.store.get(key)
            times = [t for t in (json.loads(raw) if raw else []) if t > now - self.window]
            times.append(now)
            if len(times) >= self.limits[kind]:
                await self.store.set(f"lock:{kind}:{subject}", str(now), self.lockout)
                await self.store.delete(key)
                if kind == "address":
                    await self._remember_address(subject, now + self.lockout)
            else:
                await self.store.set(key, json.dumps(times), self.window)

    async def succeeded(self, username: str) -> None:
        await self.store.delete(f"fail:account:{username[:MAX_NAME]}")

    async def _remember_address(self, address: str, until: int) -> None:
        """Locked addresses are listed for admins (accounts are listed by name)."""
        raw = await self.store.get("locked-addresses")
        known: dict[str, int] = json.loads(raw) if raw else {}
        now = int(time.time())
        known = {a: u for a, u in known.items() if u > now}
        known[address] = until
        await self.store.set("locked-addresses", json.dumps(known), self.lockout)

    async def lockouts(self, usernames: list[str]) -> list[Lockout]:
        """The accounts among ``usernames`` and the addresses that are locked now."""
        found = []
        for name in usernames:
            left = await self.store.expires_in(f"lock:account:{name}")
            if left:
                found.append(Lockout("account", name, left))
        raw = await self.store.get("locked-addresses")
        for address in sorted(json.loads(raw) if raw else {}):
            left = await self.store.expires_in(f"lock:address:{address}")
            if left:
                found.append(Lockout("address", address, left))
        return found

    async def clear(self, kind: str, subject: str) -> None:
        """Lift a lockout (and forget the failures counted so far)."""
        await self.store.delete(f"lock:{kind}:{subject}")
        await self.store.delete(f"fail:{kind}:{subject}")


__all__ = ["CSP", "HEADERS", "Lockout", "SignInGuard", "csv_writer", "security_headers"]
