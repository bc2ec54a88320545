"""The event log's vocabulary: every event type by name (defined with its capability).

``EVENT_TYPES["RiceDeposited"]`` is the class; each class carries its own postings,
projection rows, wording, schema version and upcasters (see ``docs/events.md``).
"""

from __future__ import annotations

import coopledger.capabilities  # noqa: F401 - fills the registry
from coopledger.kernel.events import EVENTS, LedgerEvent
from coopledger.kernel.lines import LINES, Line

#: Every event type by its name.
EVENT_TYPES = EVENTS

__all__ = ["EVENTS", "EVENT_TYPES", "LINES", "LedgerEvent", "Line"]
