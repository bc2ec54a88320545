"""``python -m coopledger.cli``: the command line, as the ``coopledger`` script runs it."""

from coopledger.cli import main

main()
