"""What every command of the command line shares: opening the ledger, the reader's
language, printing tables, turning refusals into readable messages and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coopledger.errors import LedgerError
from coopledger.i18n import Message, Reader, _, day, money, ngettext_, number, render, weight

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])
# Piped output (CI logs, files) gets a wide page instead of rich's 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False)


def reader(ctx: click.Context) -> Reader:
    obj = ctx.find_root().ensure_object(dict)
    return Reader.of(obj.get("lang"), obj.get("digits"))


def words(ctx: click.Context, text: Message | str) -> str:
    """A message in the command line's language."""
    return render(text, reader(ctx))


def refusals(func: F) -> F:
    """Turn the ledger's refusals into a readable message and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return func(*args, **kwargs)
        except LedgerError as e:
            who = reader(ctx)
            problems = getattr(e, "errors", None)
            if problems:
                err.print(
                    "[bold red]"
                    + escape(
                        render(
                            ngettext_(
                                "refused: {n} problem; nothing was written",
                                "refused: {n} problems; nothing was written",
                                len(problems),
                            ),
                            who,
                        )
                    )
                )
                for line, problem in problems:
                    where = render(_("line {line}", line=line + 1), who)
                    err.print(escape(f"  {where}: {problem.render(who)}"))
            else:
                err.print(
                    "[bold red]"
                    + escape(
                        render(
                            _("refused: {reason}; nothing was written", reason=e.render(who)), who
                        )
                    )
                )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def open_ledger(ctx: click.Context) -> Ledger:
    from coopledger.ledger import Ledger  # noqa: PLC0415 - the ledger loads when used

    obj = ctx.find_root().ensure_object(dict)
    if "ledger" not in obj:
        obj["ledger"] = Ledger(obj.get("db"), user=obj.get("user"), read_db=obj.get("read_db"))
        ctx.find_root().call_on_close(obj["ledger"].close)
    return obj["ledger"]  # type: ignore[no-any-return]


def need(value: Any, option: str) -> Any:
    if value is None:
        raise click.UsageError(f"this needs {option}")
    return value


class Shown:
    """Values as the reader reads them: money, rice, numbers and dates."""

    def __init__(self, who: Reader) -> None:
        self.who = who

    def tk(self, value: Decimal | None) -> str:
        return "" if value is None else money(value, self.who, sign=False)

    def kg(self, grams: int | None) -> str:
        return "" if grams is None else weight(grams, self.who)

    def n(self, value: int | Decimal | None) -> str:
        return "" if value is None else number(value, self.who)

    def day(self, value: date | str | None) -> str:
        if value is None or value == "":
            return ""
        return day(
            date.fromisoformat(value) if isinstance(value, str) else value, self.who, form="medium"
        )

    def text(self, value: Message | str) -> str:
        return render(value, self.who)


def table(
    ctx: click.Context,
    title: Message | str,
    columns: Sequence[Message | str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[int] = (),
) -> None:
    """Print a table whose title and column headings are in the reader's language."""
    t = Table(title=words(ctx, title))
    for i, c in enumerate(columns):
        t.add_column(words(ctx, c), justify="right" if i in right else "left")
    for r in rows:
        t.add_row(*r)
    out.print(t)


def as_of_day(value: datetime | None) -> date | None:
    return value.date() if value else None


def dated(func: F) -> F:
    """The options every report takes: ``--as-of``, ``--as-recorded`` and ``--format``."""
    func = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")(
        func
    )
    func = click.option(
        "--as-recorded",
        "recorded",
        default=None,
        metavar="TIME",
        help="Only what was recorded by this time (ISO 8601, e.g. 2016-03-01T18:00+06:00).",
    )(func)
    return click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Business date YYYY-MM-DD (default: everything recorded).",
    )(func)
