"""The application factory that ``coopledger serve`` gives uvicorn: each worker process
calls :func:`from_environment` and opens the ledger itself.

Settings come from the environment (``coopledger serve`` sets them from its options):

* ``COOPLEDGER_DB``: the ledger (a SQLite path or a ``postgresql://`` URL);
* ``COOPWEB_STORE``: ``ledger`` (default) or a ``redis://`` URL for sessions and sign-in
  counters;
* ``COOPWEB_SECURE_COOKIES``: ``1`` to mark cookies Secure (HTTPS behind a proxy);
* ``COOPLEDGER_READ_DB``: a PostgreSQL streaming replica of the ledger that the report
  pages read (``--read-db``);
* ``COOPWEB_PAGE_CACHE``: how many results of the books each worker keeps until the ledger
  records an event (default 256; 0: none; see :mod:`coopweb.pagecache`).
"""

from __future__ import annotations

import os

from litestar import Litestar

from coopledger import Ledger
from coopledger.errors import InvalidInput
from coopweb.app import create_app
from coopweb.language import text
from coopweb.pagecache import DEFAULT_SIZE

STORE_VAR = "COOPWEB_STORE"
SECURE_VAR = "COOPWEB_SECURE_COOKIES"
READ_VAR = "COOPLEDGER_READ_DB"
CACHE_VAR = "COOPWEB_PAGE_CACHE"


def from_environment() -> Litestar:
    """One worker's application over the ledger named by ``COOPLEDGER_DB``."""
    ledger = Ledger()
    replica = os.environ.get(READ_VAR)
    read_ledger = Ledger(ledger.config.setting, read_db=replica) if replica else None
    app = create_app(
        ledger,
        store=os.environ.get(STORE_VAR) or None,
        secure_cookies=os.environ.get(SECURE_VAR) == "1",
        read_ledger=read_ledger,
        page_cache=_size(os.environ.get(CACHE_VAR)),
    )
    app.on_shutdown.append(ledger.close)
    if read_ledger is not None:
        app.on_shutdown.append(read_ledger.close)
    return app


def _size(setting: str | None) -> int:
    """``COOPWEB_PAGE_CACHE``: a whole number of results (0 or more, a negative number is
    taken as 0); refused otherwise, naming the setting and the value."""
    if setting is None or not setting.strip():
        return DEFAULT_SIZE
    try:
        return max(0, int(setting))
    except ValueError:
        raise InvalidInput(
            CACHE_VAR, setting, text("'{value}' is not a whole number", value=setting)
        ) from None


__all__ = ["CACHE_VAR", "READ_VAR", "SECURE_VAR", "STORE_VAR", "from_environment"]
