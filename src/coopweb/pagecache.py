"""What a page reads from the books, kept per worker until the ledger records anything.

A dashboard asks the books for some thirty figures and renders its panels; a passbook
reads 150 lines. Between two events nothing of that can change, so each worker keeps the
results (:class:`BooksCache`), keyed by the **ledger's last notification id**: every event
recorded, by this worker, another worker, the command line or a field laptop's sync, takes
the next id in the one events table, in the order of the transactions that commit them
(SQLite's single writer; PostgreSQL's lock on the events table), so the next request of
any worker reads a new id and misses. The key also holds ``today`` (overdue loans, the
day's meeting), the ``as_of`` day, the reader (language and digits) and the user, so that
what is kept is exactly what that request would have worked out.

The id is read once per request (one indexed ``SELECT MAX``) from the database the page's
reports read (a read replica's own, which follows its replay). Not kept: the session, the
account and its rights (read on every request, so a deactivation or a revocation takes
effect at once), the CSRF token and the meeting form's fresh key.

``COOPWEB_PAGE_CACHE`` (or ``create_app(..., page_cache=N)``): at most N results per worker
(default 256, least recently used dropped first); 0 turns it off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from coopledger import Ledger

T = TypeVar("T")

#: Results kept per worker unless told (``COOPWEB_PAGE_CACHE``).
DEFAULT_SIZE = 256


def books_version(ledger: Ledger) -> int:
    """The last notification id of the database ``ledger``'s reports read: raised by every
    event recorded anywhere (0 for an empty ledger)."""
    db = ledger.read_db
    table = db.table(ledger.events_table)
    column = "rowid" if db.dialect == "sqlite" else "notification_id"
    rows = db.tuples(f"SELECT MAX({column}) FROM {table}")
    return int(rows[0][0] or 0) if rows else 0


class BooksCache:
    """A worker's results of report queries and panels, least recently used dropped first;
    thread-safe (handlers run in a thread pool). Two threads missing the same key at once
    both work it out: the same result, kept once."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = max(0, size)
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The result kept for ``key``, or ``compute()`` kept for next time."""
        if self.size == 0:
            return compute()
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                found: T = self._kept[key]
                return found
            self.misses += 1
        value = compute()
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


__all__ = ["DEFAULT_SIZE", "BooksCache", "books_version"]
