"""Helpers for work over a whole log at once (a projection rebuild, an audit): Python's
cyclic garbage collector paused, and SQLite's commits of tables built aside left to the
operating system until the one durable commit that swaps them in."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coopledger.kernel.storage import Database, immediate


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees what is
    dropped): replaying a log makes hundreds of thousands of objects that hold no cycles
    (events, lines, rows), and each full collection walks every object alive: it was a
    fifth of a ten-year audit's time and half of a rebuild's derivation. Whoever paused it
    first enables it again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def aside_cursor(db: Database) -> Iterator[Any]:
    """A write transaction into tables built aside (a rebuild's), committed without waiting
    for the disk on a SQLite file in WAL mode (``synchronous=NORMAL``: a crash may lose
    the transaction, it cannot corrupt the file; the rebuild's tables aside are dropped
    and made again by the next rebuild anyway). The transaction that swaps them in is an
    ordinary durable one, and its sync makes every earlier transaction durable with it.
    Elsewhere (PostgreSQL, an in-memory database) an ordinary write transaction."""
    if db.dialect != "sqlite" or db.in_memory:
        with db.cursor(commit=True) as c:
            yield c
        return
    with db.datastore.get_connection(commit=True) as conn:
        was = _pragma(conn, "synchronous")
        if str(_pragma(conn, "journal_mode")).lower() == "wal":
            _pragma(conn, "synchronous=NORMAL")
        try:
            with immediate(conn) as c:
                yield c
        finally:
            _pragma(conn, f"synchronous={int(was)}")


def _pragma(conn: Any, pragma: str) -> Any:
    cursor = conn.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
        row = cursor.fetchone()
        return None if row is None else row[0]
    finally:
        cursor.sqlite_cursor.close()
