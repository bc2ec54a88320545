"""Errors the ledger raises, in words a field worker or an auditor understands.

Every refusal names the field and the value it refused; when one is raised nothing has been
written.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base class of every refusal by the ledger."""

    field: str = ""
    value: Any = None

    def __init__(self, message: str, *, field: str = "", value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (used by the CLI, the importer and the web)."""
        return {"error": type(self).__name__, "field": self.field,
                "value": _jsonable(self.value), "message": self.message}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


class InvalidInput(LedgerError):
    """A field has a value the ledger cannot accept."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(f"{field}={value!r}: {reason}", field=field, value=value)
        self.reason = reason


class UnknownGroup(LedgerError):
    """No group has this code."""

    def __init__(self, code: Any) -> None:
        super().__init__(f"group={code!r}: no such group", field="group", value=code)


class UnknownCluster(LedgerError):
    """No cluster has this code."""

    def __init__(self, code: Any) -> None:
        super().__init__(f"cluster={code!r}: no such cluster", field="cluster", value=code)


class UnknownMember(LedgerError):
    """The group has no member with this number."""

    def __init__(self, field: str, member: Any, group: str) -> None:
        super().__init__(f"{field}={member!r}: group {group} has no such member",
                         field=field, value=member)


class RuleBroken(LedgerError):
    """The command is well formed but breaks a rule of the books (not enough rice, ...)."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(f"{field}={value!r}: {reason}", field=field, value=value)
        self.reason = reason


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different command."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"key={key!r}: this key was already used for a different entry; "
            "nothing was recorded", field="key", value=key)


class ConcurrencyConflict(LedgerError):
    """Other writers kept changing the group; the command was not recorded."""

    def __init__(self, group: str, attempts: int) -> None:
        super().__init__(
            f"group={group!r}: changed by another writer {attempts} times in a row; "
            "nothing was recorded, try again", field="group", value=group)
