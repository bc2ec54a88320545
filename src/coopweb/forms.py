"""The weekly meeting form: from what was typed to a ``RecordMeeting`` command and back.

No business rules here: this only reads text into numbers and remembers which input each
field of the command came from, so that the ledger's refusal can be shown next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from coopledger.errors import LedgerError
from coopledger.i18n import Message
from coopweb.language import text as text_


def reason_of(error: LedgerError) -> Message | str:
    """A refusal as shown next to its input: the reason alone, in the reader's language
    (the input it stands by already says which field and row, and shows the value as it
    was typed), never programmer notation such as ``sales[0].grams=99999:``."""
    return error.reason


SALE_ROWS = 6
PAYMENT_ROWS = 4
LOAN_ROWS = 4


@dataclass
class MeetingForm:
    """What was typed, what it means, and what went wrong where."""

    values: dict[str, str]
    command: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # command field -> input name
    errors: dict[str, Any] = field(default_factory=dict)  # input name -> message or refusal

    def error_for(self, command_field: str, message: Any) -> None:
        name = self.inputs.get(command_field)
        if name is None:  # e.g. "sales[1]" for a whole row, or an unknown field
            prefix = command_field.split(".", maxsplit=1)[0]
            name = self.inputs.get(prefix, "form")
        self.errors[name] = message


def _grams(form: MeetingForm, name: str) -> int | None:
    text = form.values.get(name, "").strip().replace(",", "")
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        form.errors[name] = text_("{value} is not a whole number of grams", value=text)
        return None
    return int(text)


def _taka(form: MeetingForm, name: str) -> Decimal | None:
    text = form.values.get(name, "").strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        form.errors[name] = text_("{value} is not an amount of taka", value=text)
        return None


def _member(form: MeetingForm, name: str) -> int | None:
    text = form.values.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        form.errors[name] = text_("{value} is not a member number", value=text)
        return None
    return int(text)


def _number_and_taka(
    form: MeetingForm, part: str, key: str, number_input: str, taka_input: str, rows: int
) -> list[dict[str, Any]]:
    """Rows of (a member or loan number, an amount of taka), remembering their inputs."""
    out: list[dict[str, Any]] = []
    for row in range(rows):
        number = _member(form, f"{number_input}_{row}")
        amount = _taka(form, f"{taka_input}_{row}")
        if number is None and amount is None:
            continue
        i = len(out)
        out.append({key: number, "taka": amount})
        form.inputs[f"{part}[{i}].{key}"] = f"{number_input}_{row}"
        form.inputs[f"{part}[{i}].taka"] = form.inputs[f"{part}[{i}]"] = f"{taka_input}_{row}"
    return out


def read_meeting(values: Mapping[str, str], members: list[int]) -> MeetingForm:
    """Build the command from the form's fields (see ``templates/partials/meeting_form``)."""
    form = MeetingForm({k: str(v) for k, v in values.items()})
    f = form.values
    cmd: dict[str, Any] = {
        "date": f.get("date", "").strip(),
        "key": f.get("key") or None,
        "notes": f.get("notes", "").strip(),
    }
    form.inputs.update(
        date="date",
        key="form",
        notes="notes",
        counted_cash="counted_cash",
        counted_rice_grams="counted_rice_grams",
    )
    attendance: list[int] = []
    deposits: list[dict[str, Any]] = []
    savings: list[dict[str, Any]] = []
    for m in members:
        if f.get(f"present_{m}"):
            attendance.append(m)
            form.inputs[f"attendance[{len(attendance) - 1}]"] = f"present_{m}"
        grams = _grams(form, f"grams_{m}")
        if grams is not None:
            i = len(deposits)
            deposits.append({"member": m, "grams": grams})
            form.inputs[f"deposits[{i}].grams"] = form.inputs[
                f"deposits[{i}].member"
            ] = form.inputs[f"deposits[{i}]"] = f"grams_{m}"
        saved = _taka(form, f"save_{m}")
        if saved is not None:
            i = len(savings)
            savings.append({"member": m, "taka": saved})
            form.inputs[f"savings[{i}].taka"] = form.inputs[f"savings[{i}].member"] = form.inputs[
                f"savings[{i}]"
            ] = f"save_{m}"
    sales: list[dict[str, Any]] = []
    for row in range(SALE_ROWS):
        buyer = _member(form, f"sale_buyer_{row}")
        grams = _grams(form, f"sale_grams_{row}")
        price = _taka(form, f"sale_price_{row}")
        paid = _taka(form, f"sale_paid_{row}")
        if buyer is None and grams is None and price is None and paid is None:
            continue
        i = len(sales)
        sale: dict[str, Any] = {"buyer": buyer, "grams": grams, "taka_per_kg": price}
        if paid is not None:
            sale["paid"] = paid
        sales.append(sale)
        for part, name in (
            ("buyer", "buyer"),
            ("grams", "grams"),
            ("taka_per_kg", "price"),
            ("paid", "paid"),
        ):
            form.inputs[f"sales[{i}].{part}"] = f"sale_{name}_{row}"
        form.inputs[f"sales[{i}]"] = f"sale_grams_{row}"
    payments = _number_and_taka(form, "payments", "member", "pay_member", "pay_taka", PAYMENT_ROWS)
    cmd["loan_repayments"] = _number_and_taka(
        form, "loan_repayments", "loan", "loan_no", "loan_taka", LOAN_ROWS
    )
    cmd.update(
        attendance=attendance,
        deposits=deposits,
        sales=sales,
        payments=payments,
        savings=savings,
        counted_cash=_taka(form, "counted_cash"),
        counted_rice_grams=_grams(form, "counted_rice_grams"),
    )
    form.command = cmd
    return form


def as_addition(form: MeetingForm, held: Mapping[str, Any]) -> None:
    """The meeting of the form's day is already recorded: what is typed now is added to it
    (``add_to_meeting``). Its attendance and counts were given with it and are not
    changed here (a correction changes them), so typing them is refused."""
    cmd = form.command
    given = [f for f in ("attendance", "counted_cash", "counted_rice_grams") if cmd.get(f)]
    for name in given:
        form.error_for(
            name + ("[0]" if name == "attendance" else ""),
            text_(
                "the meeting of {day} is already recorded (seal {seal}): its attendance and "
                "counts are not changed here; correct them from the history",
                day=cmd["date"],
                seal=held["seal"],
            ),
        )
    form.command = {
        k: v
        for k, v in cmd.items()
        if k not in ("attendance", "counted_cash", "counted_rice_grams")
    }
    form.command["command"] = "add_to_meeting"
