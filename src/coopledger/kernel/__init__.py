"""The ledger's machinery, with no word of the field in it: events and their registry, lines,
commands, streams and their chains, the write path (one transaction per command or batch),
storage, projections, postings, integrity and snapshots.

The capabilities (``groups``, ``savings``, ``meetings``, ``loans``, ``clusters``, ``plans``
...) build on it; each defines its events, commands, lines and tables in its own modules.
"""
