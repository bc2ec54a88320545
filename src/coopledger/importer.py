"""Import: a JSON Lines file of commands, checked whole, then applied all or nothing.

Each line is one command (see ``docs/import.md`` and ``docs/schema/commands.schema.json``).
First every line is parsed and validated against the schema; then every group's commands
are checked against the books together. If any line is refused, every problem is reported
by line number and nothing is written. Numbers in the file are read as exact decimals.
Lines with an idempotency ``key`` already recorded with the same content are skipped, so a
re-run import records nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from coopledger.commands import Command, parse_command
from coopledger.errors import InvalidInput, LedgerError
from coopledger.ledger import BatchRefused, Ledger, Receipt


def parse_lines(lines: Iterable[str]) -> list[Command]:
    """Parse and validate every line; raise BatchRefused listing every bad line."""
    commands: list[Command] = []
    errors: list[tuple[int, Exception]] = []
    for i, line in enumerate(lines):
        if not line.strip():
            errors.append((i, InvalidInput("line", "", "is empty")))
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as e:
            errors.append((i, InvalidInput("line", line[:40], f"is not JSON: {e.msg}")))
            continue
        try:
            commands.append(parse_command(data))
        except LedgerError as e:
            errors.append((i, e))
    if errors:
        raise BatchRefused(errors)
    return commands


def import_lines(ledger: Ledger, lines: Iterable[str]) -> list[Receipt]:
    return ledger.execute_all(parse_lines(lines))


def import_file(ledger: Ledger, path: Path) -> list[Receipt]:
    """Import a ``.jsonl`` file (a trailing newline is fine)."""
    text = path.read_text(encoding="utf-8")
    return import_lines(ledger, text.rstrip("\n").split("\n") if text.strip() else [])
