"""Closing a group's savings cycle and sharing out its surplus (``close_cycle``), reversing
a close (``reverse_cycle_close``), and the share-out sheet (``reports.shareout``); see
``docs/shareout.md``."""

from __future__ import annotations

from coopledger.reports import area
from coopledger.shareout import cycle

area("shareout", "coopledger.shareout.reports:ShareOutReports")

__all__ = ["cycle"]
