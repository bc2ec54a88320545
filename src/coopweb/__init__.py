"""coopweb: the staff web front end of coopledger (Litestar, Jinja2, htmx).

Not built yet: the web issue adds the application factory here. It will hold no business
rules; every write goes through :class:`coopledger.Ledger`.
"""
