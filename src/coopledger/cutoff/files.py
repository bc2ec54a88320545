"""Reading a cut-off sheet from a CSV or XLSX file, the way a cashier fills it in.

The sheet has three sections, each starting with its header row (blank rows are skipped)::

    field,value
    cut_off,2024-06-30
    cash,5000.00
    ...
    member,rice_grams,cash_savings,owes_for_rice
    1,12000,1500.00,200.00
    ...
    loan,member,outstanding,rate,method,frequency,instalments,next_due,purpose
    L-7,3,3000.00,12,declining,monthly,6,2024-06-15,goat

CSV is read with the ``csv`` module (UTF-8, with or without Excel's byte-order mark); XLSX
with openpyxl (the first worksheet, values not formulas). Either way, as ``defusedcsv``
guards what we write, a text cell that a spreadsheet would run as a formula (``=``, ``+``,
``-``, ``@`` and not a number) is refused, and so are files too large to be a group's sheet.
A refusal names the row as the spreadsheet shows it (counted from 1), the column, and the
value as typed; nothing is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from coopledger.errors import InvalidInput, LedgerError
from coopledger.i18n import _
from coopledger.kernel.commands import validated

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

#: A group's sheet is a few dozen rows; anything far bigger is not one.
MAX_BYTES = 2_000_000
MAX_ROWS = 5_000
FIELDS = (
    "cut_off",
    "cash",
    "rice_stock_grams",
    "group_fund",
    "group_rice_grams",
    "approved_by",
)
MEMBER_COLUMNS = ("member", "rice_grams", "cash_savings", "owes_for_rice")
LOAN_COLUMNS = (
    "loan",
    "member",
    "outstanding",
    "rate",
    "method",
    "frequency",
    "instalments",
    "next_due",
    "purpose",
)
#: Columns whose cells are whole numbers in the command.
WHOLE = frozenset({"member", "rice_grams", "rice_stock_grams", "group_rice_grams", "instalments"})
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    """A sheet as read: the command's fields, and where each was typed (row counted from 1,
    column, the text as typed) so that a refusal can point at the cell."""

    source: str
    data: dict[str, Any] = field(default_factory=dict)
    where: dict[str, tuple[int, str, str]] = field(default_factory=dict)

    def command(self, group: str, **extra: Any) -> Any:
        """The ``seal_cutoff`` command for ``group``, refusals pointing at the sheet's cells."""
        from coopledger.cutoff.sheet import SealCutoff  # noqa: PLC0415

        try:
            return validated(SealCutoff, group=group, source=self.source, **self.data, **extra)
        except LedgerError as e:
            raise self.locate(e) from None

    def locate(self, error: LedgerError) -> LedgerError:
        """The refusal with its field named as the sheet's cell: ``row 7, cash_savings``."""
        path = error.field
        found = self.where.get(path)
        while found is None and path:
            path = path.rpartition(".")[0] if "." in path else ""
            found = self.where.get(path)
        if found is None:
            return error
        row, column, typed = found
        error.field = f"row {row}, {column}"
        error.value = typed
        error.args = (error.message,)
        return error


def read_sheet(content: bytes, filename: str) -> Sheet:
    """A cut-off sheet from the bytes of a ``.csv`` or ``.xlsx`` file."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(
            "file", filename, _("is larger than {n} bytes: not a cut-off sheet", n=MAX_BYTES)
        )
    if filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(content, filename)
    elif filename.lower().endswith(".csv"):
        rows = _csv_rows(content, filename)
    else:
        raise InvalidInput("file", filename, _("must be a .csv or .xlsx file"))
    sheet = Sheet(source=filename.replace("\\", "/").rsplit("/", 1)[-1][:200])
    _parse(sheet, rows)
    return sheet


def _csv_rows(content: bytes, filename: str) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file", filename, _("is not UTF-8 text")) from None
    out = []
    for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
        if n > MAX_ROWS:
            raise InvalidInput("file", filename, _("has more than {n} rows", n=MAX_ROWS))
        out.append((n, [cell.strip() for cell in row]))
    return out


def _cell_text(value: Any) -> str:
    """A spreadsheet value as the text it shows (no float arithmetic: a number is read back
    from its shortest decimal form)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value).strip()
    shown = repr(value)  # a float: its shortest round-tripping decimal
    return shown[:-2] if shown.endswith(".0") else shown


def _xlsx_rows(content: bytes, filename: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal
        raise InvalidInput("file", filename, _("is not an XLSX workbook")) from None
    try:
        out = []
        for n, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            if n > MAX_ROWS:
                raise InvalidInput("file", filename, _("has more than {n} rows", n=MAX_ROWS))
            out.append((n, [_cell_text(v) for v in row]))
        return out
    finally:
        book.close()


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _value(column: str, text: str, row: int) -> Any:
    """A cell's text as the command wants it (whole numbers as ints; taka stay text)."""
    if text.startswith(FORMULA) and not _is_number(text):
        raise InvalidInput(
            f"row {row}, {column}",
            text,
            _("looks like a spreadsheet formula: type the value itself"),
        )
    if column in WHOLE and text.lstrip("-").isdigit():
        return int(text)
    return text


def _parse(sheet: Sheet, rows: list[tuple[int, list[str]]]) -> None:
    section, columns = "", tuple[str, ...]()
    for n, typed in rows:
        cells = list(typed)
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        head = cells[0].lower()
        if head in ("field", "member", "loan") and cells[1:2] and not _is_number(cells[1]):
            section, columns = head, _header(head, cells, n)
            continue
        if section == "field":
            _field_row(sheet, cells, n)
        elif section:
            _table_row(sheet, section, columns, cells, n)
        else:
            raise InvalidInput(
                f"row {n}", cells[0], _("comes before any header row (field, member or loan)")
            )


def _header(section: str, cells: list[str], n: int) -> tuple[str, ...]:
    """A section's columns as its header row names them (in any order)."""
    known = {"field": ("field", "value"), "member": MEMBER_COLUMNS, "loan": LOAN_COLUMNS}[section]
    columns = tuple(c.lower() for c in cells)
    for column in columns:
        if column not in known or columns.count(column) > 1:
            raise InvalidInput(
                f"row {n}",
                column,
                _("is not a column of the sheet; use {names}", names=", ".join(known)),
            )
    return columns


def _field_row(sheet: Sheet, cells: list[str], n: int) -> None:
    name = cells[0].lower()
    if name not in FIELDS:
        raise InvalidInput(
            f"row {n}",
            cells[0],
            _("is not a field of the sheet; use {names}", names=", ".join(FIELDS)),
        )
    typed = cells[1] if len(cells) > 1 else ""
    key = "date" if name == "cut_off" else name
    sheet.data[key] = _value(name, typed, n)
    sheet.where[key] = (n, name, typed)


def _table_row(
    sheet: Sheet, section: str, columns: tuple[str, ...], cells: list[str], n: int
) -> None:
    if len(cells) > len(columns):
        raise InvalidInput(
            f"row {n}", cells[len(columns)], _("is beyond the last column of the header")
        )
    listed = "members" if section == "member" else "loans"
    rows = sheet.data.setdefault(listed, [])
    prefix = f"{listed}[{len(rows)}]"
    sheet.where[prefix] = (n, columns[0], cells[0])
    row: dict[str, Any] = {}
    for column, typed in zip(columns, cells, strict=False):
        if not typed:
            continue
        target = "paper_ref" if column == "loan" else column
        row[target] = _value(column, typed, n)
        sheet.where[f"{prefix}.{target}"] = (n, column, typed)
    rows.append(row)


def seal_sheet(
    ledger: Ledger,
    code: str,
    content: bytes,
    filename: str,
    *,
    check: bool = False,
    **extra: Any,
) -> Any:
    """Read a sheet file and seal it for group ``code`` (``check``: only decide, by the same
    rules, and write nothing: gives the events it would record). Refusals name the cell."""
    sheet = read_sheet(content, filename)
    command = sheet.command(code.upper(), **extra)
    try:
        return ledger.preview(command) if check else ledger.execute(command)
    except LedgerError as e:
        raise sheet.locate(e) from None


__all__ = ["Sheet", "read_sheet", "seal_sheet"]
