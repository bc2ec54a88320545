"""Commands: what a caller asks the ledger to record, as pydantic models, and their registry.

Each command is defined once, in its capability's module, next to the events it records: a
pydantic model (checking the shape of what was sent: types, ranges, text) with a ``handle``
method (the rules, deciding on the books' state and triggering events). The registry knows
every command by its name (``deposit_rice``), so the Python API, the import file, the web
API and the JSON Schema (``command_schema()``) all accept exactly the registered commands,
plugins' included, with no list kept by hand.

Taka are decimals with at most two places (a JSON number or a string; a Python ``float`` is
refused) and are normalised to two places, so ``12.5`` and ``12.50`` are the same command;
rice is whole grams; text may not hold characters a database cannot store.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from datetime import date as Date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from coopledger.errors import InvalidInput
from coopledger.i18n import Message, _
from coopledger.kernel.streams import CLUSTER_PREFIX
from coopledger.money import MAX_TAKA, PAISA

if TYPE_CHECKING:
    from coopledger.kernel.unit import Unit

#: Every command by its name (``deposit_rice``), core and plugins alike.
COMMANDS: dict[str, type[Command]] = {}


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('give taka as a decimal string such as "12.50", not a float')
    return value


def _to_paisa(value: Decimal) -> Decimal:
    return value.quantize(PAISA)


Taka = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(gt=0, le=MAX_TAKA, decimal_places=2, description="taka, to the paisa"),
    AfterValidator(_to_paisa),
]
#: Taka that may be below zero (a group's fund after losses, on a cut-off sheet), to the paisa.
SignedTaka = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=-MAX_TAKA, le=MAX_TAKA, decimal_places=2, description="taka, to the paisa"),
    AfterValidator(_to_paisa),
]
TakaOrZero = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, le=MAX_TAKA, decimal_places=2, description="taka, to the paisa"),
    AfterValidator(_to_paisa),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, le=100, decimal_places=2, description="yearly rate, percent"),
    AfterValidator(_to_paisa),
]
Grams = Annotated[int, Field(gt=0, le=10_000_000, strict=True, description="grams of rice")]
MemberNo = Annotated[
    int, Field(gt=0, le=1_000_000, strict=True, description="member number in the group")
]
Number = Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
Count = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=40)]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=24),
    Field(description="a code, e.g. JOBA"),
]
NewCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, max_length=24, pattern=r"^[A-Za-z][A-Za-z0-9-]*$"
    ),
    Field(
        description="letters, digits and hyphens, starting with a letter (names the "
        "stream for ever)"
    ),
]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="a month, YYYY-MM")]


def unstorable(text: str) -> str | None:
    """The first character of ``text`` a database cannot store or a person cannot see (NUL,
    other control characters but tab and line breaks, lone surrogates), if any."""
    for ch in text:
        if ch in "\t\n\r":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in "\ufffe\uffff":
            return ch
    return None


def _check_text(value: Any, path: str) -> None:
    if isinstance(value, str):
        bad = unstorable(value)
        if bad is not None:
            raise InvalidInput(
                path or "command",
                value,
                _("contains a character that cannot be stored (U+{code})", code=f"{ord(bad):04X}"),
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k, path)
            _check_text(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_text(v, f"{path}[{i}]")


class Row(BaseModel):
    """Base of the rows inside a command (a meeting's deposits, a plan's activities)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Command(BaseModel):
    """Fields every command has (each command is for one stream: a group or a cluster)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    date: Annotated[Date, Field(description="business date, YYYY-MM-DD")]
    key: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=120,
            description="idempotency key: the same key and content is recorded once",
        ),
    ] = None
    recorded_by: Annotated[str | None, Field(default=None, max_length=80)] = None

    #: The command's name on the wire (``deposit_rice``); set by each concrete command.
    command_name: ClassVar[str] = ""
    #: What a form for it is titled (a Message of its package's catalog), if not the first
    #: sentence of its docstring.
    form_title: ClassVar[Any] = None
    #: What a form calls its fields (field name -> a Message of its package's catalog),
    #: before the web's own words for common fields (a plugin's "grams" of compost, say).
    form_labels: ClassVar[dict[str, Any]] = {}
    #: Which web API endpoint accepts it: "entries" (group), "cluster-entries", "meetings"
    #: or "" (not through the web API: forming groups and clusters is an admin's job).
    endpoint: ClassVar[str] = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("command")
        if field is None or not isinstance(field.default, str):
            return  # an abstract intermediate class
        name = field.default
        if name in COMMANDS and COMMANDS[name].__qualname__ != cls.__qualname__:
            raise TypeError(f"two commands are named {name!r}")
        if cls.handle is Command.handle:
            raise TypeError(f"command {name} does not define handle()")
        cls.command_name = name
        COMMANDS[name] = cls
        _adapter.cache_clear()

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check_text(data, "")
        return data

    @property
    def stream(self) -> str:
        """The stream the command is for: a group code, or ``CLUSTER:<code>``."""
        raise NotImplementedError

    def handle(self, unit: Unit) -> Any:
        """Apply the rules on the books' state and trigger the events. What the command
        gives back (a new member's number ...) comes from its events' ``result()``, so a
        replay of the command gives back the same."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Short hash of the command's content (not of its key or recorder); amounts are
        already normalised, so ``"12.5"`` and ``"12.50"`` taka give the same hash."""
        content = self.model_dump(mode="json", exclude={"key", "recorded_by"})
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()[:16]


class GroupCommand(Command):
    """A command for one group's stream."""

    group: Annotated[Code, Field(description="the group's code, e.g. JOBA")]
    endpoint: ClassVar[str] = "entries"

    @property
    def stream(self) -> str:
        return self.group


class ClusterCommand(Command):
    """A command for one cluster's stream."""

    cluster: Annotated[Code, Field(description="the cluster's code, e.g. RAJAGAON")]
    endpoint: ClassVar[str] = "cluster-entries"

    @property
    def stream(self) -> str:
        return CLUSTER_PREFIX + self.cluster


@cache
def _adapter() -> TypeAdapter[Any]:
    members = tuple(COMMANDS[n] for n in sorted(COMMANDS))
    union: Any = Annotated[Union[members], Field(discriminator="command")]  # noqa: UP007 - built from the registry
    return TypeAdapter(union)


def commands_for(endpoint: str) -> list[str]:
    """Names of the commands a web API endpoint accepts."""
    return sorted(n for n, c in COMMANDS.items() if c.endpoint == endpoint)


def parse_command(data: Any) -> Command:
    """Validate one command (a dict with a ``command`` field); raises InvalidInput."""
    if not isinstance(data, dict):
        raise InvalidInput("command", None, _("send a JSON object with a 'command' field"))
    name = data.get("command")
    if not isinstance(name, str) or name not in COMMANDS:
        raise InvalidInput(
            "command",
            name if isinstance(name, str | int) else None,
            _("is not a command; use one of {names}", names=", ".join(sorted(COMMANDS))),
        )
    try:
        return _adapter().validate_python(data)  # type: ignore[no-any-return]
    except PydanticValidationError as e:
        raise invalid(e) from None


def validated(model: type[Command], **fields: Any) -> Any:
    """Build ``model`` from keyword arguments, raising InvalidInput on bad values."""
    try:
        return model(**fields)
    except PydanticValidationError as e:
        raise invalid(e) from None


def field_path(loc: tuple[Any, ...]) -> str:
    """pydantic's location as a field path: ``sales[1].grams``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part) in COMMANDS or str(part).startswith("function-"):
            continue  # the union's tag, a validator's name
        else:
            out += f".{part}" if out else str(part)
    return out


_REASONS: dict[str, Callable[[dict[str, Any]], Message]] = {
    "missing": lambda c: _("is required"),
    "extra_forbidden": lambda c: _("is not a field of this command"),
    "greater_than": lambda c: _("must be more than {gt}", gt=str(c.get("gt"))),
    "greater_than_equal": lambda c: _("must be {ge} or more", ge=str(c.get("ge"))),
    "less_than_equal": lambda c: _("must be at most {le}", le=str(c.get("le"))),
    "less_than": lambda c: _("must be less than {lt}", lt=str(c.get("lt"))),
    "int_type": lambda c: _("must be a whole number"),
    "int_parsing": lambda c: _("must be a whole number"),
    "int_from_float": lambda c: _("must be a whole number"),
    "decimal_parsing": lambda c: _("is not a number"),
    "decimal_type": lambda c: _("is not a number"),
    "decimal_max_places": lambda c: _(
        "has too many decimals (at most {n})", n=c.get("decimal_places", 2)
    ),
    "decimal_max_digits": lambda c: _("is too large"),
    "date_from_datetime_parsing": lambda c: _("must be a date (YYYY-MM-DD)"),
    "date_parsing": lambda c: _("must be a date (YYYY-MM-DD)"),
    "date_type": lambda c: _("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": lambda c: _("must be a date (YYYY-MM-DD)"),
    "string_type": lambda c: _("must be text"),
    "string_too_short": lambda c: _("must not be empty"),
    "string_too_long": lambda c: _("is longer than {n} characters", n=c.get("max_length", 0)),
    "string_pattern_mismatch": lambda c: _("is not in the expected form"),
    "literal_error": lambda c: _("must be one of {choices}", choices=str(c.get("expected"))),
    "bool_type": lambda c: _("must be true or false"),
    "bool_parsing": lambda c: _("must be true or false"),
    "list_type": lambda c: _("must be a list"),
    "too_short": lambda c: _("must have at least {n}", n=c.get("min_length", 1)),
    "too_long": lambda c: _("must have at most {n}", n=c.get("max_length", 0)),
    "model_type": lambda c: _("must be an object with named fields"),
    "dict_type": lambda c: _("must be an object with named fields"),
    "union_tag_invalid": lambda c: _("is not a command"),
    "union_tag_not_found": lambda c: _("name the command"),
}


def invalid(error: PydanticValidationError) -> InvalidInput:
    """The first problem of a pydantic error, as the ledger's InvalidInput (the reason in
    words the catalog can translate; pydantic's own English for anything else)."""
    first = error.errors()[0]
    field = field_path(tuple(first["loc"]))
    make = _REASONS.get(first["type"])
    reason: Message | str = make(first.get("ctx") or {}) if make else first["msg"]
    value = first.get("input")
    if first["type"] in ("missing", "model_type", "dict_type"):
        value = None
    return InvalidInput(field or "command", value, reason)


def is_core(cls: type) -> bool:
    """A command or event defined by coopledger itself (not by a plugin)."""
    return cls.__module__.startswith("coopledger.")


def command_schema(*, core_only: bool = False) -> dict[str, Any]:
    """JSON Schema of one line of an import file: every registered command, plugins'
    included (``core_only``: the commands coopledger itself defines, as published in
    ``docs/schema/commands.schema.json``)."""
    if core_only:
        members = tuple(COMMANDS[n] for n in sorted(COMMANDS) if is_core(COMMANDS[n]))
        union: Any = Annotated[Union[members], Field(discriminator="command")]  # noqa: UP007 - built from the registry
        schema = TypeAdapter(union).json_schema()
    else:
        schema = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "coopledger command (one line of an import file)"
    return schema


__all__ = [
    "COMMANDS",
    "ClusterCommand",
    "Code",
    "Command",
    "Count",
    "Grams",
    "GroupCommand",
    "Literal",
    "LongText",
    "MemberNo",
    "Month",
    "NewCode",
    "Number",
    "OptionalText",
    "Rate",
    "Row",
    "Slug",
    "Taka",
    "TakaOrZero",
    "Text",
    "command_schema",
    "commands_for",
    "invalid",
    "parse_command",
    "validated",
]
