"""Import: a JSON Lines file of commands, checked whole, then recorded in one transaction.

Each line is one command (see ``docs/import.md`` and ``docs/schema/commands.schema.json``).
Every line is parsed and validated against the schema, then every command is checked against
the books in order; if any line is refused, every problem is reported by line number and
nothing is written. Otherwise the whole file is recorded in **one transaction**: a failure
half-way (a lock timeout, a full disk, the process killed) leaves nothing behind.

Running a file again is safe: a line with an idempotency ``key`` already recorded with the
same content is skipped; a line without one gets a key derived from its content (the
command's fingerprint) and how many identical lines came before it in the file, so the same
file, or the same file with lines added, records each line once however often it is run.
Numbers in the file are read as exact decimals.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from coopledger.errors import InvalidInput, LedgerError
from coopledger.i18n import _
from coopledger.kernel.commands import Command, parse_command
from coopledger.kernel.unit import BatchRefused, Receipt
from coopledger.ledger import Ledger


def parse_lines(lines: Iterable[str]) -> list[Command]:
    """Parse and validate every line; raise BatchRefused listing every bad line."""
    commands: list[Command] = []
    errors: list[tuple[int, LedgerError]] = []
    for i, line in enumerate(lines):
        if not line.strip():
            errors.append((i, InvalidInput("line", "", _("is empty"))))
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except (json.JSONDecodeError, RecursionError) as e:
            reason = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
            errors.append(
                (i, InvalidInput("line", line[:40], _("is not JSON: {reason}", reason=reason)))
            )
            continue
        try:
            commands.append(parse_command(data))
        except LedgerError as e:
            errors.append((i, e))
    if errors:
        raise BatchRefused(errors)
    return with_line_keys(commands)


def with_line_keys(commands: list[Command]) -> list[Command]:
    """Give each keyless command a key from its content and how many identical commands
    came before it in the batch (``line:<fingerprint>:<n>``)."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for c in commands:
        if c.key is not None:
            out.append(c)
            continue
        fingerprint = c.fingerprint()
        n = seen[c.stream, fingerprint]
        seen[c.stream, fingerprint] += 1
        out.append(c.model_copy(update={"key": f"line:{fingerprint}:{n}"}))
    return out


def import_lines(ledger: Ledger, lines: Iterable[str]) -> list[Receipt]:
    return ledger.execute_all(parse_lines(lines))


def import_file(ledger: Ledger, path: Path) -> list[Receipt]:
    """Import a ``.jsonl`` file (a trailing newline is fine)."""
    text = path.read_text(encoding="utf-8")
    return import_lines(ledger, text.rstrip("\n").split("\n") if text.strip() else [])
