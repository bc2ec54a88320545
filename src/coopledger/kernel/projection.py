"""Projections: the tables reports read, derived from events and rebuildable from zero.

Each capability declares its own tables with :func:`table` next to the events that fill
them; each event writes its rows in its ``project`` method through :class:`Rows`. Live, the
rows a save implies are written in the same transaction as its events (see
:mod:`coopledger.kernel.storage`); a rebuild replays the whole log through the same
:class:`Projector`. Amounts are integers: paisa for taka, grams for rice.

The kernel's own tables, written for every event:

| table | one row per |
|---|---|
| ``streams`` | stream (group or cluster): its code, length and head |
| ``commands`` | idempotency key of a stream: the command's hash, positions and result |
| ``movements`` | stream, account, commodity and business date: the day's net postings |
| ``month_movements`` | stream, group account (not a member's) and month: the month's net |
| ``balances`` | stream, account and commodity: the balance over every date (for "now") |
| ``passbook`` | member and line touching her: the passbook's columns |
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coopledger import accounts as acc
from coopledger.kernel.lines import COLUMNS, Delta, Line
from coopledger.kernel.storage import Database

if TYPE_CHECKING:
    from coopledger.kernel.events import LedgerEvent

#: Raise when the rows some event writes change without a table changing shape.
PROJECTION_VERSION = 2


@dataclass(frozen=True)
class Table:
    """A projection table: its columns (SQL shared by SQLite and PostgreSQL) and key."""

    name: str
    columns: str
    key: tuple[str, ...]
    indexes: tuple[str, ...] = ()
    #: Whether PostgreSQL is sent this table's inserted rows by ``COPY`` (a third of the
    #: client's work of an ``executemany``): for tables whose columns are text and integers,
    #: given ``str``, ``int`` or ``None`` (as they would be by an insert).
    copy: bool = False

    def ddl(self, qualified: str) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {qualified} ({self.columns}, "
            f"PRIMARY KEY ({', '.join(self.key)}))"
        )


#: Every projection table by name (the kernel's, each capability's, plugins').
TABLES: dict[str, Table] = {}


def table(name: str, columns: str, key: Sequence[str], *indexes: str, copy: bool = False) -> Table:
    """Declare a projection table; ``indexes``: column lists such as ``"(group_id, day)"``;
    ``copy``: see :attr:`Table.copy`."""
    declared = Table(name, " ".join(columns.split()), tuple(key), tuple(indexes), copy)
    if name in TABLES and TABLES[name] != declared:
        raise TypeError(f"two projection tables are named {name!r}")
    TABLES[name] = declared
    return declared


def schema_version() -> str:
    """What the projections' shape is: rebuilt when a ledger was projected otherwise."""
    shape = json.dumps(
        [
            [t.name, t.columns, t.key, t.indexes]
            for t in sorted(TABLES.values(), key=lambda t: t.name)
        ]
    )
    return f"{PROJECTION_VERSION}:{hashlib.sha256(shape.encode()).hexdigest()[:16]}"


table(
    "streams",
    """stream_id TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,
      version INTEGER NOT NULL, head TEXT NOT NULL, recorded_at TEXT NOT NULL""",
    ["stream_id"],
)
table(
    "commands",
    """stream_id TEXT NOT NULL, idempotency_key TEXT NOT NULL,
      command_hash TEXT NOT NULL, first_position INTEGER NOT NULL,
      last_position INTEGER NOT NULL, head TEXT NOT NULL, result TEXT NOT NULL""",
    ["stream_id", "idempotency_key"],
)
table(
    "movements",
    """stream_id TEXT NOT NULL, account TEXT NOT NULL, commodity TEXT NOT NULL,
      business_date TEXT NOT NULL, amount BIGINT NOT NULL""",
    ["stream_id", "business_date", "account", "commodity"],
)
table(
    "month_movements",
    """stream_id TEXT NOT NULL, account TEXT NOT NULL,
      commodity TEXT NOT NULL, month TEXT NOT NULL, amount BIGINT NOT NULL""",
    ["stream_id", "account", "commodity", "month"],
)
table(
    "balances",
    """stream_id TEXT NOT NULL, account TEXT NOT NULL, commodity TEXT NOT NULL,
      amount BIGINT NOT NULL""",
    ["stream_id", "account", "commodity"],
)
table(
    "passbook",
    """group_id TEXT NOT NULL, member_no INTEGER NOT NULL,
      position INTEGER NOT NULL, part TEXT NOT NULL, business_date TEXT NOT NULL,
      recorded_at TEXT NOT NULL, entry TEXT NOT NULL, rice_saved BIGINT NOT NULL,
      rice_bought BIGINT NOT NULL, bought_value BIGINT NOT NULL, paid BIGINT NOT NULL,
      cash_saved BIGINT NOT NULL, lent BIGINT NOT NULL, repaid BIGINT NOT NULL,
      charge BIGINT NOT NULL, written_off BIGINT NOT NULL, target INTEGER,
      memo TEXT NOT NULL""",
    ["group_id", "member_no", "position", "part"],
    # A passbook page reads its latest lines in date order and the totals of the earlier
    # ones from this index alone: as cheap at ten years of history as at one.
    "(group_id, member_no, business_date, position, part, rice_saved, rice_bought, "
    "bought_value, paid, cash_saved, lent, repaid, charge, written_off)",
    copy=True,
)


class Statements:
    """SQL text for one projector (table prefix and dialect), built once per shape."""

    def __init__(self, db: Database, prefix: str) -> None:
        self.db = db
        self.prefix = prefix
        self._cache: dict[tuple[Any, ...], str] = {}
        #: An insert statement -> the ``COPY`` that writes the same rows (PostgreSQL only).
        self.copies: dict[str, str] = {}
        #: An adding insert -> the same statement given its rows column by column, as
        #: arrays (PostgreSQL only: one statement, not one per row, for the summed rows).
        self.columnwise: dict[str, str] = {}

    def t(self, name: str) -> str:
        return self.db.table(self.prefix + name)

    def insert(self, name: str, columns: tuple[str, ...]) -> str:
        key = ("insert", name, columns)
        found = self._cache.get(key)
        if found is None:
            marks = ", ".join("?" for _ in columns)
            found = self._cache[key] = self.db.sql(
                f"INSERT INTO {self.t(name)} ({', '.join(columns)}) VALUES ({marks})"
            )
            declared = TABLES.get(name)
            if self.db.dialect == "postgres" and declared is not None and declared.copy:
                self.copies[found] = f"COPY {self.t(name)} ({', '.join(columns)}) FROM STDIN"
        return found

    def update(self, name: str, columns: tuple[str, ...], where: tuple[str, ...]) -> str:
        key = ("update", name, columns, where)
        found = self._cache.get(key)
        if found is None:
            sets = ", ".join(f"{c} = ?" for c in columns)
            cond = " AND ".join(f"{c} = ?" for c in where)
            found = self._cache[key] = self.db.sql(f"UPDATE {self.t(name)} SET {sets} WHERE {cond}")
        return found

    def raw(self, template: str) -> str:
        """A statement written with ``{name}`` placeholders for table names."""
        key = ("raw", template)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.db.sql(template.format_map(_Names(self)))
        return found

    def add(self, name: str, columns: tuple[str, ...], amount: str = "amount") -> str:
        """An insert that adds to ``amount`` when the row exists."""
        key = ("add", name, columns)
        found = self._cache.get(key)
        if found is None:
            keys = tuple(c for c in columns if c != amount)
            marks = ", ".join("?" for _ in columns)
            upsert = (
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {amount} = "
                f"{self.t(name)}.{amount} + excluded.{amount}"
            )
            insert = f"INSERT INTO {self.t(name)} ({', '.join(columns)})"
            found = self._cache[key] = self.db.sql(f"{insert} VALUES ({marks}) {upsert}")
            if self.db.dialect == "postgres":
                types = _column_types(TABLES[name])
                arrays = ", ".join(f"%s::{types[c]}[]" for c in columns)
                self.columnwise[found] = f"{insert} SELECT * FROM unnest({arrays}) {upsert}"
        return found


def _column_types(declared: Table) -> dict[str, str]:
    """Each column's SQL type, from the table's declaration (``amount BIGINT NOT NULL``)."""
    return {
        words[0]: words[1].lower()
        for words in (column.split() for column in declared.columns.split(","))
    }


class _Names(dict[str, str]):
    def __init__(self, statements: Statements) -> None:
        super().__init__()
        self.statements = statements

    def __missing__(self, name: str) -> str:
        return self.statements.t(name)


class Rows:
    """The rows some events imply, to write in one transaction: statements in event order,
    then the summed movements, the idempotency keys and the streams' heads."""

    def __init__(
        self,
        statements: Statements,
        *,
        claim_keys: bool = True,
        divert: frozenset[str] = frozenset(),
    ) -> None:
        self.sql = statements
        self.claim_keys = claim_keys
        #: Tables whose rows are only ever inserted, kept here instead of written (an audit
        #: compares them with the live tables without writing them anywhere).
        self.divert = divert
        self.diverted: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        #: Statements in order, each with its rows: consecutive inserts go to the list of
        #: the same insert met since the last other statement (inserts into different
        #: tables commute; an update or other statement stays after every insert made
        #: before it), so a batch of meetings is a few large ``executemany``, not one
        #: small one per event and table.
        self.steps: list[tuple[str, list[tuple[Any, ...]]]] = []
        self._open: dict[str, list[tuple[Any, ...]]] = {}
        self.movements: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.commands: dict[tuple[str, str], list[Any]] = {}
        self.heads: dict[str, tuple[int, str, Any]] = {}  # position, hash, recorded at
        #: Passbook rows and postings made so far (what a batch's memory follows).
        self.size = 0
        self._last: tuple[Any, str, str, str] | None = None

    # ------------------------------------------------------------------ for events
    def insert(self, table: str, /, **values: Any) -> None:
        """A new row of ``table``."""
        if table in self.divert:
            self.diverted[table].append(tuple(values.values()))
            return
        self._inserts(self.sql.insert(table, tuple(values))).append(tuple(values.values()))

    def _inserts(self, statement: str) -> list[tuple[Any, ...]]:
        """The rows an insert statement will be given (see :attr:`steps`)."""
        found = self._open.get(statement)
        if found is None:
            found = self._open[statement] = []
            self.steps.append((statement, found))
        return found

    def _other(self, statement: str, params: tuple[Any, ...]) -> None:
        """A statement that is not a plain insert: after every row added before it."""
        self._open.clear()
        if self.steps and self.steps[-1][0] == statement:
            self.steps[-1][1].append(params)
        else:
            self.steps.append((statement, [params]))

    def update(self, table: str, where: dict[str, Any], /, **values: Any) -> None:
        """Set columns of the row(s) matching ``where`` (equalities)."""
        self._other(
            self.sql.update(table, tuple(values), tuple(where)),
            (*values.values(), *where.values()),
        )

    def execute(self, template: str, *params: Any) -> None:
        """Any other statement; tables named as ``{name}`` (``{loans}``)."""
        self._other(self.sql.raw(template), params)

    def stream_started(self, event: LedgerEvent, kind: str, code: str) -> None:
        """The first event of a stream names it (``group`` or ``cluster``, and its code)."""
        self.insert(
            "streams",
            stream_id=event.originator_id.hex,
            kind=kind,
            code=code,
            version=event.position,
            head=event.chain_hash,
            recorded_at=event.timestamp.isoformat(),
        )

    def passbook(
        self,
        event: LedgerEvent,
        part: str,
        line: Line,
        *,
        sign: int = 1,
        entry: str | None = None,
        target: int | None = None,
        memo: str = "",
    ) -> None:
        """A line's passbook rows (one per member it touches)."""
        touched = line.passbook()
        for member, delta in sorted(touched.items()) if len(touched) > 1 else touched.items():
            self.passbook_row(
                event, part, member, delta.scaled(sign), entry or line.kind, target, memo
            )

    def passbook_row(
        self,
        event: LedgerEvent,
        part: str,
        member: int,
        delta: Delta,
        entry: str,
        target: int | None = None,
        memo: str = "",
    ) -> None:
        """One passbook row: what ``event`` adds to member ``member``'s passbook."""
        gid, day, at = self._stamp(event)
        row = (gid, member, event.position, part, day, at, entry, *delta, target, memo)
        self._passbook_rows().append(row)

    def _passbook_rows(self) -> list[tuple[Any, ...]]:
        if "passbook" in self.divert:
            return self.diverted["passbook"]
        return self._inserts(self.sql.insert("passbook", _PASSBOOK))

    # ------------------------------------------------------------------ for the projector
    def event(self, e: LedgerEvent) -> None:
        """Everything one event implies."""
        e.project(self)
        sid, day, at = self._stamp(e)
        out: list[tuple[Any, ...]] | None = None
        position = e.position
        # What self.passbook(e, part, line) writes, for every line, without a call per row.
        for part, line in e.lines():
            touched = line.passbook()
            if not touched:
                continue
            if out is None:
                out = self._passbook_rows()
            kind = line.kind
            for member, delta in sorted(touched.items()) if len(touched) > 1 else touched.items():
                out.append((sid, member, position, part, day, at, kind, *delta, None, ""))
                self.size += 1
        movements = self.movements
        for account, commodity, amount in e.postings():
            movements[sid, account, commodity, day] += amount
            self.size += 1
        key = (sid, e.idempotency_key)
        found = self.commands.get(key)
        if found is None:
            self.commands[key] = [e.command_hash, e.position, e.position, e.result(), e.chain_hash]
        else:
            found[2] = e.position
            found[4] = e.chain_hash
            if found[3] is None:
                found[3] = e.result()
        self.heads[sid] = (e.position, e.chain_hash, e.timestamp)  # text only for the last

    def statements(self) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        """Consecutive identical statements merged for ``executemany``."""
        yield from ((statement, rows) for statement, rows in self.steps if rows)
        yield from self._sums()
        if self.commands:
            columns = (
                "stream_id",
                "idempotency_key",
                "command_hash",
                "first_position",
                "last_position",
                "head",
                "result",
            )
            rows = [
                (*k, h, first, last, head, json.dumps(_plain(result)))
                for k, (h, first, last, result, head) in self.commands.items()
            ]
            if self.claim_keys:
                # A plain insert: a key already claimed makes the whole transaction fail.
                yield self.sql.insert("commands", columns), rows
            else:
                yield (
                    self.sql.raw(
                        "INSERT INTO {commands} (stream_id, idempotency_key, command_hash, "
                        "first_position, last_position, head, result) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (stream_id, idempotency_key) DO UPDATE SET last_position = "
                        "excluded.last_position, head = excluded.head"
                    ),
                    rows,
                )
        if self.heads:
            yield (
                self.sql.raw(
                    "UPDATE {streams} SET version = ?, head = ?, recorded_at = ? "
                    "WHERE stream_id = ?"
                ),
                [(v, h, at.isoformat(), s) for s, (v, h, at) in self.heads.items()],
            )

    def sort_inserts(self) -> None:
        """Put each plain insert's rows in key order (the key leads every row a table's
        insert is given here, as the tables are declared): a batch then adds to each key's
        index in runs, not page by page at random. Any order of one insert's rows writes
        the same table; updates and other statements keep their place."""
        for statement, rows in self.steps:
            if statement.startswith("INSERT") and "ON CONFLICT" not in statement:
                try:
                    rows.sort(key=_sort_key)
                except TypeError:  # a plugin's table led by a column that may be NULL
                    continue  # (the rows are all still there, in some order)

    def _stamp(self, event: LedgerEvent) -> tuple[str, str, str]:
        """An event's stream id, business date and recording time as stored (worked out
        once per event, not once per passbook row)."""
        last = self._last
        if last is None or last[0] is not event:
            last = self._last = (
                event,
                event.originator_id.hex,
                event.business_date.isoformat(),
                event.timestamp.isoformat(),
            )
        return last[1], last[2], last[3]

    def sums(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The postings summed per day, per month (the group's own accounts) and overall:
        the rows added to ``movements``, ``month_movements`` and ``balances``, in key
        order."""
        days = sorted(self.movements.items())
        months: dict[tuple[str, str, str, str], int] = defaultdict(int)
        totals: dict[tuple[str, str, str], int] = defaultdict(int)
        for (sid, account, commodity, day), v in days:
            if acc.member_of(account) is None:  # trends are of the group's own accounts
                months[sid, account, commodity, day[:7]] += v
            totals[sid, account, commodity] += v
        return (
            [(*k, v) for k, v in days],
            [(*k, v) for k, v in sorted(months.items())],
            [(*k, v) for k, v in sorted(totals.items())],
        )

    def _sums(self) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        if not self.movements or "movements" in self.divert:
            return
        days, months, totals = self.sums()
        yield (
            self.sql.add(
                "movements", ("stream_id", "account", "commodity", "business_date", "amount")
            ),
            days,
        )
        if months:
            yield (
                self.sql.add(
                    "month_movements", ("stream_id", "account", "commodity", "month", "amount")
                ),
                months,
            )
        yield (self.sql.add("balances", ("stream_id", "account", "commodity", "amount")), totals)

    def write(self, cursor: Any) -> None:
        copies = self.sql.copies
        for statement, params in self.statements():
            if len(params) == 1:
                cursor.execute(statement, params[0])
                continue
            arrays = self.sql.columnwise.get(statement)
            if arrays is not None:  # sums: no two rows of one statement share a key
                cursor.execute(arrays, [list(column) for column in zip(*params, strict=True)])
                continue
            copy = copies.get(statement)
            if copy is None:
                cursor.executemany(statement, params)
                continue
            with cursor.copy(copy) as rows:  # psycopg: the same rows, a third of the work
                for row in params:
                    rows.write_row(row)


_PASSBOOK = (
    "group_id",
    "member_no",
    "position",
    "part",
    "business_date",
    "recorded_at",
    "entry",
    *COLUMNS,
    "target",
    "memo",
)


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Rows compared by their leading columns (a None further on, such as a passbook row's
    target, would not compare with an int)."""
    return row[:4]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):  # an entry set aside for approval: {"waiting": 3}
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class Projector:
    """Turns events into projection rows (live, or under another prefix or database for a
    rebuild or a comparison)."""

    def __init__(self, db: Database, prefix: str = "cl_") -> None:
        self.db = db
        self.prefix = prefix
        self.sql = Statements(db, prefix)

    def t(self, name: str) -> str:
        return self.sql.t(name)

    def create_tables(self, *, indexes: bool = True) -> None:
        statements = [declared.ddl(self.t(name)) for name, declared in TABLES.items()]
        if indexes:
            statements += self._indexes()
        self.db.execute(statements)

    def _indexes(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.prefix}{name}_{i} ON {self.t(name)} {columns}"
            for name, declared in TABLES.items()
            for i, columns in enumerate(declared.indexes)
        ]

    def swap_in(self, cursor: Any, aside: Projector) -> None:
        """Inside a write transaction: replace these tables by ``aside``'s (made without
        indexes), and index them."""
        for name in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {self.t(name)}")
            cursor.execute(f"ALTER TABLE {aside.t(name)} RENAME TO {self.prefix}{name}")
        for statement in self._indexes():
            cursor.execute(statement)

    def drop_tables(self) -> None:
        self.db.execute([f"DROP TABLE IF EXISTS {self.t(n)}" for n in TABLES])

    def rows(
        self,
        events: Iterable[LedgerEvent],
        *,
        claim_keys: bool = True,
        divert: frozenset[str] = frozenset(),
    ) -> Rows:
        rows = Rows(self.sql, claim_keys=claim_keys, divert=divert)
        for e in events:
            rows.event(e)
        return rows

    def batches(
        self, events: Iterable[LedgerEvent], size: int, *, claim_keys: bool = True
    ) -> Iterator[Rows]:
        """The rows of ``events`` in batches of about ``size`` passbook rows and postings
        (whole events): a rebuild's memory then follows ``size``, not how many entries
        its batch of events holds nor how many groups they span."""
        rows = Rows(self.sql, claim_keys=claim_keys)
        for e in events:
            rows.event(e)
            if rows.size >= size:
                yield rows
                rows = Rows(self.sql, claim_keys=claim_keys)
        if rows.steps or rows.movements or rows.commands or rows.heads:
            yield rows

    def dump(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of one table in key order (zero movements dropped): for comparisons."""
        declared = TABLES[name]
        where = " WHERE amount <> 0" if "amount BIGINT" in declared.columns else ""
        rows = self.db.query(
            f"SELECT * FROM {self.t(name)}{where} ORDER BY {', '.join(declared.key)}"
        )
        return [tuple(_comparable(v) for v in r.values()) for r in rows]


def _comparable(value: Any) -> Any:
    """SQLite and PostgreSQL give back the same values in slightly different types."""
    if isinstance(value, bool):
        return int(value)
    return value
