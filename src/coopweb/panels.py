"""Dashboard panels: a title and HTML, with an optional URL to refresh it through htmx."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Panel:
    """One box on a group's dashboard.

    ``refresh``: a URL returning the panel's new body; the panel reloads it whenever the
    books of the group change (the ``ledger-changed`` event).
    """

    name: str
    title: str
    html: Markup
    order: int = 50
    refresh: str | None = None
