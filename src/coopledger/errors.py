"""Errors the ledger raises, in words a field worker or an auditor understands.

Every refusal names the field and the value it refused, and says why in a
:class:`~coopledger.i18n.Message` that renders in the reader's language; when one is raised
nothing has been written. ``str(error)`` is the English text (``field=value: reason``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from coopledger.i18n import ENGLISH, Message, Reader, _, render


class LedgerError(Exception):
    """Base class of every refusal by the ledger."""

    field: str = ""
    value: Any = None

    def __init__(
        self, reason: Message | str, *, field: str = "", value: Any = None, bare: bool = False
    ) -> None:
        self.reason = reason
        self.field = field
        self.value = value
        self.bare = bare  # the reason alone, without "field=value: "
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The refusal in English (what the CLI and the logs print)."""
        return self.render(ENGLISH)

    def render(self, reader: Reader = ENGLISH) -> str:
        """The refusal in the reader's language: ``field=value: reason``."""
        text = render(self.reason, reader)
        if self.bare or not self.field:
            return text
        return f"{self.field}={shown(self.value)}: {text}"

    def as_dict(self, reader: Reader = ENGLISH) -> dict[str, Any]:
        """A JSON-ready description (used by the CLI, the importer and the web)."""
        return {
            "error": type(self).__name__,
            "field": self.field,
            "value": _jsonable(self.value),
            "message": self.render(reader),
            "reason": render(self.reason, reader),
        }

    def prefixed(self, prefix: str) -> LedgerError:
        """The same refusal, its field named inside a larger command (``sales[2].grams``)."""
        self.field = f"{prefix}.{self.field}" if self.field else prefix
        self.args = (self.message,)
        return self


def shown(value: Any) -> str:
    """A value as a person typed it: ``2030-01-15``, ``12.50``, ``'JOBA'``, never a repr of a
    Python object."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | int | bool) or value is None:
        return str(value)
    if isinstance(value, str):
        return repr(value)
    return repr(_jsonable(value))


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class InvalidInput(LedgerError):
    """A field has a value the ledger cannot accept."""

    def __init__(self, field: str, value: Any, reason: Message | str) -> None:
        super().__init__(reason, field=field, value=value)


class UnknownGroup(LedgerError):
    """No group has this code."""

    def __init__(self, code: Any) -> None:
        super().__init__(_("no such group"), field="group", value=code)


class UnknownCluster(LedgerError):
    """No cluster has this code."""

    def __init__(self, code: Any) -> None:
        super().__init__(_("no such cluster"), field="cluster", value=code)


class UnknownMember(LedgerError):
    """The group has no member with this number."""

    def __init__(self, field: str, member: Any, group: str) -> None:
        super().__init__(
            _("group {group} has no such member", group=group), field=field, value=member
        )


class RuleBroken(LedgerError):
    """The command is well formed but breaks a rule of the books (not enough rice, ...)."""

    def __init__(self, field: str, value: Any, reason: Message | str) -> None:
        super().__init__(reason, field=field, value=value)


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different command."""

    def __init__(self, key: str) -> None:
        super().__init__(
            _("this key was already used for a different entry; nothing was recorded"),
            field="key",
            value=key,
        )


class ConcurrencyConflict(LedgerError):
    """Other writers kept changing the same books; the command was not recorded."""

    def __init__(self, stream: str, attempts: int) -> None:
        super().__init__(
            _(
                "changed by another writer {n} times in a row; nothing was recorded, try again",
                n=attempts,
            ),
            field="group",
            value=stream,
        )


class StorageRefused(LedgerError):
    """The database refused the write for a reason other than another writer (a
    constraint, a full disk, text it cannot store); nothing was recorded."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            _("the database refused the write ({detail}); nothing was recorded", detail=detail),
            field="database",
            value=None,
            bare=True,
        )


class UnknownEventType(LedgerError):
    """The ledger holds events of a type no installed code defines: a plugin that recorded
    them is not installed (the events are intact; they cannot be read here)."""

    def __init__(self, topic: str) -> None:
        super().__init__(
            _(
                "these books hold events of type {topic}, which no installed plugin defines: "
                "install the plugin that recorded them (see 'coopledger plugins')",
                topic=topic,
            ),
            field="event type",
            value=topic,
            bare=True,
        )
