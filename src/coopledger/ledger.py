"""The ledger: the one object an embedding program talks to.

>>> from coopledger import Ledger
>>> ledger = Ledger(":memory:")            # or a path, or a postgresql:// URL

With ``read_db`` (a PostgreSQL streaming replica of a PostgreSQL ledger), reports read from
the replica while commands are decided and written on the primary (see
:mod:`coopledger.kernel.replica`).

Writes go through commands (``ledger.execute(command)``, or the convenience methods such as
``deposit_rice`` and ``record_meeting``): each is decided on fresh state and saved with its
projection rows in one transaction (see :mod:`coopledger.kernel.unit`); a batch
(``execute_all``, an import file) is one transaction too. Reads come from the projections
through ``ledger.reports``, one module per area (``reports.books``, ``reports.savings``,
``reports.loans`` ...).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import TopicError, resolve_topic

from coopledger.errors import InvalidInput, UnknownCluster, UnknownEventType, UnknownGroup
from coopledger.i18n import _
from coopledger.kernel import snapshots
from coopledger.kernel.events import LedgerEvent
from coopledger.kernel.postings import DatedPosting
from coopledger.kernel.projection import Projector, schema_version
from coopledger.kernel.storage import Database, DateAsISO, StoreConfig, schema_lock
from coopledger.kernel.streams import CLUSTER_PREFIX, Chained, Stamp, TimelineAsPairs, stream_id
from coopledger.kernel.unit import BatchRefused, Receipt, Streams, Unit, preview, record
from coopledger.reports import Reports

if TYPE_CHECKING:
    from coopledger.kernel.commands import Command
    from coopledger.kernel.replica import ReplicaLag

log = logging.getLogger(__name__)

#: Bangladesh Standard Time (no daylight saving): business dates are days in Dhaka.
DHAKA = timezone(timedelta(hours=6), "BST")


class LedgerMapper(Mapper[Any]):
    """eventsourcing's mapper, naming an event type no installed code defines (a plugin's
    not installed) in words instead of failing on an import."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            resolve_topic(stored_event.topic)
        except TopicError:
            raise UnknownEventType(stored_event.topic) from None
        return super().to_domain_event(stored_event)


class LedgerApplication(Application[Any]):
    """The eventsourcing application holding the streams (groups and clusters)."""

    name = "coopledger"

    def construct_mapper(self) -> Mapper[Any]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=LedgerMapper
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(TimelineAsPairs())


class Ledger:
    """Books of savings groups and cluster platforms, kept as events; the Python API."""

    def __init__(
        self,
        db: str | None = None,
        *,
        user: str | None = None,
        clock: Callable[[], datetime] | None = None,
        retries: int = 20,
        cache_size: int = 256,
        read_db: str | None = None,
    ) -> None:
        self.config = StoreConfig.parse(db)
        read_config = None
        if read_db:
            from coopledger.kernel.replica import replica_config  # noqa: PLC0415

            read_config = replica_config(self.config, read_db)
        self._pinned: date | bool | None = None  # read from the settings when first needed
        self._device: str | None = None
        self._office: str | None = None
        env = dict(self.config.env)
        env.update(CREATE_TABLE="n", IS_SNAPSHOTTING_ENABLED="y")
        with schema_lock(self.config):
            self.app = LedgerApplication(env=env)
            self.app.recorder.create_table()  # type: ignore[attr-defined]
            if self.app.snapshots is not None:
                self.app.snapshots.recorder.create_table()  # type: ignore[attr-defined]
            self.db = Database(self.config, self.app.recorder.datastore)  # type: ignore[attr-defined]
            self.projector = Projector(self.db)
            self._meta_table()
            self.write_lock = threading.RLock()
            self._cache_size = cache_size
            self._streams: Streams | None = None
            self._ensure_projections()
        self.user = user or _default_user()
        self.clock = clock or (lambda: datetime.now(tz=UTC))
        self.retries = retries
        #: The primary's reports: what commands read while they are decided.
        self.primary_reports = Reports(self.db, self.projector, today=self.today)
        #: Where reports are read: the replica's database when ``read_db`` is given.
        self.read_db = self.db
        self.reports = self.primary_reports
        if read_config is not None:
            from coopledger.kernel.replica import open_replica  # noqa: PLC0415

            self.read_db = open_replica(read_config)
            self.reports = Reports(self.read_db, Projector(self.read_db), today=self.today)

    @property
    def replica(self) -> bool:
        """Reports are read from a read replica (``read_db``)."""
        return self.read_db is not self.db

    def replica_lag(self) -> ReplicaLag | None:
        """How far the read replica is behind the primary now (None without one)."""
        if not self.replica:
            return None
        from coopledger.kernel.replica import lag  # noqa: PLC0415

        return lag(self.db, self.read_db)

    @property
    def streams(self) -> Streams:
        """The streams' cache, and through it every capability's events (loaded when the
        ledger first reads or writes events: a process that only reads reports never
        imports them)."""
        if self._streams is None:
            _capabilities()
            self._streams = Streams(self.app, self._cache_size)
        return self._streams

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        if self.replica:
            self.read_db.datastore.close()
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> date:
        """Today's date in Bangladesh by the ledger's clock, unless the ledger has a pinned
        'today' (the demo's last business day: see :meth:`pin_today`)."""
        if self._pinned is None:
            pinned = self.setting("today")
            self._pinned = date.fromisoformat(pinned) if pinned else False
        if isinstance(self._pinned, date):
            return self._pinned
        return self.clock().astimezone(DHAKA).date()

    def pin_today(self, day: date | None) -> None:
        """Make ``day`` this ledger's 'today' for reports and rules (None: the real date)."""
        self.set_setting("today", day.isoformat() if day else "")
        self._pinned = day or False

    def stamp(self, command: Command, fingerprint: str | None = None) -> Stamp:
        key = command.key or f"auto-{uuid.uuid4().hex}"
        return Stamp(
            recorded_by=command.recorded_by or self.user,
            idempotency_key=key,
            command_hash=fingerprint or command.fingerprint(),
            recorded_at=self.clock(),
            today=self.today(),
        )

    def lend(self, unit: Unit) -> None:
        """What commands may use besides streams: stored events, reports, and which ledger
        this is (its device id; whether it is a field ledger: see :mod:`coopledger.field`)."""
        unit.extra["event"] = self.event
        unit.extra["reports"] = self.primary_reports  # never a replica a moment behind
        unit.extra["device"], unit.extra["field_ledger"] = self.device, self.in_field

    @property
    def device(self) -> str:
        """This ledger's own id (made when first asked, kept in its settings): a field
        ledger is known at the office by it."""
        if self._device is None:
            found = self.setting("device")
            if not found:
                found = uuid.uuid4().hex
                self.set_setting("device", found)
            self._device = found
        return self._device

    @property
    def in_field(self) -> bool:
        """Whether this is a field ledger (taken from an office with ``coopledger field
        checkout``): it writes only the groups it holds."""
        if self._office is None:
            self._office = self.setting("field_office")
        return bool(self._office)

    def become_field_ledger(self, office: str) -> None:
        """Mark this ledger as a field copy of the office at ``office`` (a URL)."""
        self.set_setting("field_office", office)
        self._office = office

    # ------------------------------------------------------------------ settings
    def _meta_table(self) -> None:
        self.db.execute(
            [
                f"CREATE TABLE IF NOT EXISTS {self.db.table('cl_meta')} "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            ]
        )

    def setting(self, key: str) -> str:
        rows = self.db.query(f"SELECT value FROM {self.db.table('cl_meta')} WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else ""

    def set_setting(self, key: str, value: str) -> None:
        t = self.db.table("cl_meta")
        with self.db.cursor(commit=True) as c:
            c.execute(self.db.sql(f"DELETE FROM {t} WHERE key = ?"), (key,))
            c.execute(self.db.sql(f"INSERT INTO {t} (key, value) VALUES (?, ?)"), (key, value))

    # ------------------------------------------------------------------ loading
    def load(self, code: str) -> Chained:
        """The group with this code (or the cluster, for ``CLUSTER:<code>``), as its events
        say now."""
        found = self.streams.load(stream_id(code))
        if found is None:
            if code.upper().startswith(CLUSTER_PREFIX):
                raise UnknownCluster(code.upper().removeprefix(CLUSTER_PREFIX))
            raise UnknownGroup(code.upper())
        self.streams.keep(found)
        return found

    def load_cluster(self, code: str) -> Chained:
        """The cluster with this code, as its events say now."""
        return self.load(CLUSTER_PREFIX + code.upper().removeprefix(CLUSTER_PREFIX))

    # ------------------------------------------------------------------ commands
    def execute(self, command: Command) -> Receipt:
        """Record one command (a model from :mod:`coopledger.commands`)."""
        return record(self, [command])[0]

    def execute_all(self, commands: Sequence[Command]) -> list[Receipt]:
        """Record many commands in one transaction: all of them, or nothing.

        Every command is checked on the state the ones before it leave; if any is refused,
        :class:`~coopledger.kernel.unit.BatchRefused` lists every refusal (with each one's
        index) and nothing is written."""
        if not commands:
            return []
        return record(self, commands, batch=True)

    def preview(self, command: Command) -> list[LedgerEvent]:
        """The events ``command`` would record, checked by the same rules, with nothing
        written (see :func:`coopledger.kernel.unit.preview`)."""
        return preview(self, command)

    def _do(self, model: type[Command] | str, **fields: Any) -> Receipt:
        from coopledger.kernel.commands import validated  # noqa: PLC0415 - writes load it

        found: type[Command] = getattr(_commands(), model) if isinstance(model, str) else model
        return self.execute(validated(found, **fields))

    def form_group(self, code: str, **fields: Any) -> Receipt:
        return self._do("FormGroup", group=code, **fields)

    def join_member(self, group: str, **fields: Any) -> int:
        """Enrol a member; returns her member number."""
        return int(self._do("JoinMember", group=group, **fields).result)

    def leave_member(self, group: str, **fields: Any) -> Receipt:
        return self._do("LeaveMember", group=group, **fields)

    def assign_role(self, group: str, **fields: Any) -> Receipt:
        return self._do("AssignRole", group=group, **fields)

    def end_role(self, group: str, **fields: Any) -> Receipt:
        return self._do("EndRole", group=group, **fields)

    def deposit_rice(self, group: str, **fields: Any) -> Receipt:
        return self._do("DepositRice", group=group, **fields)

    def sell_rice(self, group: str, **fields: Any) -> Receipt:
        return self._do("SellRice", group=group, **fields)

    def receive_payment(self, group: str, **fields: Any) -> Receipt:
        return self._do("ReceivePayment", group=group, **fields)

    def save_cash(self, group: str, **fields: Any) -> Receipt:
        return self._do("SaveCash", group=group, **fields)

    def withdraw_cash(self, group: str, **fields: Any) -> Receipt:
        return self._do("WithdrawCash", group=group, **fields)

    def receive_grant(self, group: str, **fields: Any) -> Receipt:
        return self._do("ReceiveGrant", group=group, **fields)

    def pay_expense(self, group: str, **fields: Any) -> Receipt:
        return self._do("PayExpense", group=group, **fields)

    def book_activity_cost(self, group: str, **fields: Any) -> Receipt:
        return self._do("BookActivityCost", group=group, **fields)

    def book_activity_revenue(self, group: str, **fields: Any) -> Receipt:
        return self._do("BookActivityRevenue", group=group, **fields)

    def record_meeting(self, group: str, **fields: Any) -> Receipt:
        """Record a whole meeting as one event: all of it, or nothing."""
        return self._do("RecordMeeting", group=group, **fields)

    def add_to_meeting(self, group: str, **fields: Any) -> Receipt:
        """Add forgotten entries to the meeting held on ``date``."""
        return self._do("AddToMeeting", group=group, **fields)

    def correct(self, group: str, **fields: Any) -> Receipt:
        """Reverse or adjust an earlier entry (see :class:`~coopledger.commands.CorrectEntry`)."""
        return self._do("CorrectEntry", group=group, **fields)

    def set_loan_rules(self, group: str, **fields: Any) -> Receipt:
        return self._do("SetLoanRules", group=group, **fields)

    def disburse_loan(self, group: str, **fields: Any) -> int | dict[str, int]:
        """Lend from the group fund; returns the loan number, or ``{"waiting": n}`` when the
        group's rules want a second signature on it (see :mod:`coopledger.approvals`)."""
        result = self._do("DisburseLoan", group=group, **fields).result
        return result if isinstance(result, dict) else int(result)

    def repay_loan(self, group: str, **fields: Any) -> Receipt:
        return self._do("RepayLoan", group=group, **fields)

    def reschedule_loan(self, group: str, **fields: Any) -> Receipt:
        return self._do("RescheduleLoan", group=group, **fields)

    def write_off_loan(self, group: str, **fields: Any) -> Receipt:
        return self._do("WriteOffLoan", group=group, **fields)

    def __getattr__(self, name: str) -> Any:
        """Every other registered command as a method named after it
        (``ledger.sign_mou(cluster, ...)``); the first argument is the stream's code."""
        cmd = _commands()
        model = cmd.COMMANDS.get(name)
        if model is None:
            raise AttributeError(name)
        stream_field = (
            "cluster"
            if "cluster" in model.model_fields and issubclass(model, cmd.ClusterCommand)
            else "group"
        )

        def call(code: str, **fields: Any) -> Any:
            receipt = self._do(model, **{stream_field: code}, **fields)
            return receipt.result if name in _RESULTS else receipt

        return call

    # ------------------------------------------------------------------ reading events
    def event(self, code: str, position: int) -> LedgerEvent:
        """The event at ``position`` in a stream."""
        _capabilities()
        found = list(self.app.events.get(stream_id(code), gt=position - 1, lte=position))
        if not found:
            raise InvalidInput(
                "position", position, _("{code} has no such event", code=code.upper())
            )
        return cast("LedgerEvent", found[0])

    def events(self, code: str, *, after: int = 0, limit: int | None = None) -> list[LedgerEvent]:
        """A stream's events in order (optionally a page of them)."""
        _capabilities()
        found = cast(
            "list[LedgerEvent]",
            list(self.app.events.get(stream_id(code), gt=after or None, limit=limit)),
        )
        if not found and after == 0:
            self.load(code)  # raises the right "unknown" refusal
        return found

    def all_events(self, batch: int = 2000, start: int = 1) -> Iterator[LedgerEvent]:
        """Every event of every stream, in the order recorded (the notification log)."""
        _capabilities()
        for notes in self.notifications(batch, start):
            for n in notes:
                yield cast("LedgerEvent", self.app.mapper.to_domain_event(n))

    def notifications(self, batch: int = 2000, start: int = 1) -> Iterator[list[Any]]:
        """The stored events in recording order, ``batch`` at a time."""
        while True:
            notes = self.app.recorder.select_notifications(start, batch)
            if not notes:
                return
            yield list(notes)
            start = notes[-1].id + 1

    def postings(self, code: str, *, as_of: date | None = None) -> list[DatedPosting]:
        """Every posting of a stream, derived from its events (not stored)."""
        out = []
        for e in self.events(code):
            if as_of is not None and e.business_date > as_of:
                continue
            out += [DatedPosting(e.business_date, e.position, p) for p in e.postings()]
        return out

    # ------------------------------------------------------------------ projections
    @property
    def events_table(self) -> str:
        return str(self.app.recorder.events_table_name)  # type: ignore[attr-defined]

    def _ensure_projections(self) -> None:
        """Rebuild the projections when another shape of them made them (an upgrade).

        The check is cheap when the code is what last checked them (the same files): a
        process that only reads reports does not import every capability to tell."""
        made_by, _, shape = self.setting("projections").partition("|")
        code = _code_fingerprint()
        if made_by == code:
            return
        _capabilities()
        if shape == schema_version():
            self.set_setting("projections", f"{code}|{shape}")
            return
        if not self.db.query(f"SELECT 1 FROM {self.db.table(self.events_table)} LIMIT 1"):
            self.projector.drop_tables()
            self.projector.create_tables()
            self.set_setting("projections", f"{code}|{schema_version()}")
            return
        log.warning("the projections were made by another version: rebuilding them")
        try:
            self.rebuild_projections()
        except UnknownEventType as e:  # a plugin's events, the plugin not installed
            log.warning("the projections were kept as they were: %s", e)

    def rebuild_projections(
        self, *, batch: int = 5000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Rebuild every projection from the first event; returns the events replayed.

        The rebuild goes into tables aside while writers go on; then, holding off every
        writer, it projects what they recorded meanwhile and swaps the tables in, in one
        transaction: no projection row is lost or doubled."""
        _capabilities()
        prefix = f"cl_rb{uuid.uuid4().hex[:8]}_"
        aside = Projector(self.db, prefix)
        aside.create_tables(indexes=False)
        count, last = 0, 0
        try:
            for notes in self.notifications(batch):
                # Rows worked out before the transaction opens: a batch of meetings is
                # seconds of Python, and PostgreSQL ends a session idle in a transaction
                # (eventsourcing sets idle_in_transaction_session_timeout, 5 s by default).
                rows = aside.rows(self._decode(notes), claim_keys=False)
                with self.db.cursor(commit=True) as c:
                    rows.write(c)
                count += len(notes)
                last = notes[-1].id
                if progress:
                    progress(count)
            with self.write_lock:
                # An in-memory database lends no connection to a reader while its writer is
                # out: read the rest first (only this ledger's writers reach it, and they
                # wait for write_lock). Elsewhere, read once every writer is held off.
                rest = list(self.notifications(batch, last + 1)) if self.db.in_memory else None
                with self.db.cursor(commit=True) as c:
                    self.db.lock_writers(c, self.events_table)
                    for notes in self.notifications(batch, last + 1) if rest is None else rest:
                        aside.rows(self._decode(notes), claim_keys=False).write(c)
                        count += len(notes)
                    self.projector.swap_in(c, aside)
                    self._set_in(c, "projections", f"{_code_fingerprint()}|{schema_version()}")
        finally:
            aside.drop_tables()
        for sid in list(self.streams._cache):
            self.streams.evict(sid)
        if progress:
            progress(count)
        return count

    def _decode(self, notes: list[Any]) -> list[LedgerEvent]:
        return [cast("LedgerEvent", self.app.mapper.to_domain_event(n)) for n in notes]

    def _set_in(self, cursor: Any, key: str, value: str) -> None:
        t = self.db.table("cl_meta")
        cursor.execute(self.db.sql(f"DELETE FROM {t} WHERE key = ?"), (key,))
        cursor.execute(self.db.sql(f"INSERT INTO {t} (key, value) VALUES (?, ?)"), (key, value))

    def snapshot_check(self, code: str) -> snapshots.Check | None:
        """How the stream's latest snapshot fares (see :mod:`coopledger.kernel.snapshots`)."""
        found = snapshots.latest(self.app, stream_id(code))
        return None if found is None else found[1]


#: Registered commands whose convenience method returns the result, not the receipt.
_RESULTS = frozenset({"arrange_bank_loan"})


def _capabilities() -> None:
    """Every capability's events, lines, commands and tables (imported once)."""
    import coopledger.capabilities  # noqa: F401, PLC0415


@functools.cache
def _code_fingerprint() -> str:
    """Which code this is: the version, the size and time of every source file of the
    library, and the time the installed packages last changed (capability plugins among
    them). A change means: check the shape of the projections again."""
    from coopledger import __version__  # noqa: PLC0415

    digest = hashlib.sha1(__version__.encode(), usedforsecurity=False)
    # Installing or removing a package (a capability plugin among them) changes its folder:
    # the shape is then checked again, without reading every package's entry points here.
    for folder in sys.path[1:]:  # not the script's own folder (or the working one)
        if os.path.isdir(folder):
            digest.update(f"{folder}:{os.stat(folder).st_mtime_ns};".encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _commands() -> Any:
    """The commands (and, through them, every capability), imported when first needed: a
    process that only reads reports never loads them."""
    from coopledger import commands  # noqa: PLC0415

    return commands


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in containers
        return "unknown"


__all__ = ["DHAKA", "BatchRefused", "Ledger", "Receipt"]
