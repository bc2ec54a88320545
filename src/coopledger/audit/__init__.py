"""The auditor's tools: one pass over the stored events that checks the hash chains, the
projections, the snapshots and the rules; the books as they stood at a recording time; and
exports (JSON Lines with the chain, CSV reports, Beancount).
"""

from __future__ import annotations

from coopledger.audit.check import (
    Audit,
    Difference,
    RuleProblem,
    StreamAudit,
    audit,
    event_of,
    replay,
    stored_rows,
    streams,
    verify,
)
from coopledger.audit.recorded import RecordedReports, as_recorded

__all__ = [
    "Audit",
    "Difference",
    "RecordedReports",
    "RuleProblem",
    "StreamAudit",
    "as_recorded",
    "audit",
    "event_of",
    "replay",
    "stored_rows",
    "streams",
    "verify",
]
