"""coopweb: the staff web front end of coopledger (Litestar, Jinja2, htmx).

It holds no business rules: every write goes through :class:`coopledger.Ledger`.
``create_app(ledger)`` builds the application; plugins add views through the hooks in
:mod:`coopweb.hookspecs` and work with the application object :class:`Coopweb` (see
``docs/plugins.md``). The names in ``__all__`` are the whole public surface: a plugin
imports from ``coopweb`` and nothing deeper.
"""

from __future__ import annotations

from coopweb.accounts import Accounts, User
from coopweb.app import create_app
from coopweb.application import Coopweb, Resource, in_thread
from coopweb.charts import bar_chart, line_chart, month_ends
from coopweb.hookspecs import hookimpl
from coopweb.language import current_reader, mark, say
from coopweb.panels import Panel

__all__ = [
    "Accounts",
    "Coopweb",
    "Panel",
    "Resource",
    "User",
    "bar_chart",
    "create_app",
    "current_reader",
    "demo_accounts",
    "hookimpl",
    "in_thread",
    "line_chart",
    "mark",
    "month_ends",
    "say",
]

DEMO_PASSWORD = "coopledger-demo"  # noqa: S105 - printed for the demo sign-ins


def demo_accounts(accounts: Accounts, partner: str) -> list[tuple[str, str]]:
    """Sign-ins for the demo ledger (one per role); returns (username, role) pairs."""
    made = [
        ("animator.shirin", "animator", ["SHAPLA", "JOBA"]),
        ("animator.delowar", "animator", ["KAKOLI", "EKOTA"]),
        ("manager.sustain", "manager", []),
        ("auditor", "auditor", []),
        ("admin", "admin", []),
    ]
    for username, role, groups in made:
        if accounts.user(username) is None:
            accounts.save(
                username,
                role=role,
                password=DEMO_PASSWORD,
                groups=groups,
                partner=partner if role == "manager" else "",
            )
    return [(u, r) for u, r, _ in made]
