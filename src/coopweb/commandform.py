"""A web form for any command, built from the command's own model (its JSON Schema).

Every command the library registers for the group ``entries`` endpoint gets a page
(``/groups/JOBA/entries/pay_expense``) without a hand-written form: :func:`fields_of`
turns the model's fields into :class:`FieldSpec` (a date, a whole number, taka, a choice,
a tick box, text, a list of lines, rows of a table, a group of fields), the template
draws them, and :func:`read` turns what was typed back into the command's data, keeping
what was typed and where each command field was typed, so that a refusal is shown next
to its input with the value as the user typed it. The rules stay in the library: this
module only reads and writes form fields.

Input names: ``member``; rows ``activities.0.name`` (counted from 0 in the name, shown
from 1); lines ``constraints.0``; a group of fields ``wellbeing.poor``; a free set of
changes (a correction) ``changes.0.field`` and ``changes.0.value``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from coopweb.language import mark, text

#: The words a form shows for the commands' fields (marked for the catalogs). A command's
#: own ``form_labels`` come first (a plugin's, in its catalog); a field in neither is
#: labelled from its model.
LABELS: dict[str, str] = {
    "achieved": mark("Achieved"),
    "activities": mark("Activities"),
    "activity": mark("Activity"),
    "adopted_from": mark("Taken up from"),
    "application": mark("Application"),
    "applied_to": mark("Applied to"),
    "attendance": mark("Attendance"),
    "bank_loan": mark("Bank loan number"),
    "budget": mark("Budget"),
    "buyer": mark("Buyer"),
    "carry": mark("Carried forward"),
    "categories": mark("Households per category"),
    "category": mark("Category"),
    "chair": mark("Chair"),
    "changes": mark("Changes"),
    "commands": mark("Commands"),
    "commitments": mark("Commitments"),
    "community": mark("Community"),
    "constraints": mark("Constraints"),
    "cycle": mark("Cycle number"),
    "date": mark("Date"),
    "decisions": mark("Decisions"),
    "done_when": mark("What counts as done"),
    "end": mark("End"),
    "entry": mark("Waiting entry number"),
    "ep_initiatives": mark("Initiatives for the extreme poor"),
    "facilitator": mark("Facilitator"),
    "facilitator_role": mark("Facilitator's role"),
    "fine": mark("Fine for a late instalment"),
    "fine_amount": mark("Fine: taka, or percent of the late instalment"),
    "fine_grace_days": mark("Days of grace before a fine"),
    "female": mark("Women"),
    "frequency": mark("Frequency"),
    "gender": mark("Gender"),
    "grace": mark("Grace periods"),
    "grams": mark("Rice (grams)"),
    "group": mark("Group"),
    "guarantors": mark("Guarantors"),
    "head": mark("Head of the household"),
    "host": mark("Host"),
    "household": mark("Household"),
    "household_entry": mark("Register entry"),
    "id": mark("Number"),
    "identified_by": mark("Identified by"),
    "instalments": mark("Instalments"),
    "introducer": mark("Introduced by"),
    "items": mark("Tasks"),
    "kind": mark("Kind"),
    "landless": mark("Landless"),
    "lender": mark("Lender"),
    "loans": mark("Loans at the close"),
    "loan": mark("Loan number"),
    "loan_limit": mark("Loans above this need a second signature"),
    "max_instalments": mark("Most instalments"),
    "male": mark("Men"),
    "max_principal": mark("Largest loan"),
    "member": mark("Member number"),
    "min_instalments": mark("Fewest instalments"),
    "min_principal": mark("Smallest loan"),
    "members_female": mark("Women members"),
    "members_male": mark("Men members"),
    "memo": mark("Memo"),
    "method": mark("Method"),
    "micro_project": mark("Micro-project"),
    "micro_projects": mark("Micro-projects"),
    "month": mark("Month"),
    "months": mark("Months"),
    "name": mark("Name"),
    "no": mark("No."),
    "note": mark("Note"),
    "notes": mark("Notes"),
    "one_at_a_time": mark("One loan at a time"),
    "opportunities": mark("Opportunities"),
    "other": mark("Others"),
    "others_female": mark("Other women"),
    "others_male": mark("Other men"),
    "outcome": mark("Outcome"),
    "paid": mark("Paid now"),
    "part": mark("Part"),
    "parties": mark("Parties"),
    "party": mark("Party"),
    "payee": mark("Paid to"),
    "principal": mark("Principal"),
    "product": mark("Loan product"),
    "purpose": mark("Purpose"),
    "rate": mark("Yearly rate in percent"),
    "reason": mark("Reason"),
    "recommendations": mark("Recommendations"),
    "responsible": mark("Responsible"),
    "role": mark("Role"),
    "scheme": mark("Scheme"),
    "signed_by": mark("Signed by"),
    "source": mark("Source"),
    "start": mark("Start"),
    "status": mark("Status"),
    "surplus": mark("Surplus the group counted"),
    "taka": mark("Taka"),
    "taka_per_kg": mark("Taka per kg"),
    "target": mark("Entry number"),
    "task": mark("Task"),
    "text": mark("Text"),
    "title": mark("Title"),
    "use": mark("Use"),
    "value": mark("Value"),
    "village": mark("Village"),
    "weighting": mark("Share by"),
    "wellbeing": mark("Well-being"),
    "what": mark("What"),
    "year": mark("Year"),
}

#: Fields the page fills itself: the command (the URL), who records (the signed-in user) and
#: the idempotency key (a hidden input made with the form); and the books it records into,
#: from the URL: ``group`` on a group's page, ``cluster`` on a platform's (where ``group``
#: is a field to fill: the group whose representative is named, say).
HIDDEN = frozenset({"command", "recorded_by", "key"})
ROWS = 6  # rows of a table or lines of a list shown on a form, and how many "More rows" adds
MAX_ROWS = 120  # a table never grows past this (an MoU, a plan: a few dozen rows at most)
INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class FieldSpec:
    """One input (or a table of inputs) of a command's form."""

    name: str
    label: Any  # a marked string (the web's catalog) or a Message (the command's own)
    kind: str  # text, date, int, taka, choice, check, lines, rows, group, changes
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    children: tuple[FieldSpec, ...] = ()
    rows: int = 0


@dataclass
class CommandForm:
    """What was typed, the command's data read from it, and what went wrong where."""

    values: dict[str, str]
    inputs: list[str] = field(default_factory=list)  # every input name the form draws
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)  # input name -> message (or Message)

    def error_for(self, command_field: str, message: Any) -> None:
        """Put a refusal next to the input that holds ``command_field`` (``sales[1].grams``
        is typed in ``sales.1.grams``; a whole row's refusal goes to its first input)."""
        name = INDEX.sub(r".\1", command_field or "")
        while name and not any(k == name or k.startswith(name + ".") for k in self.inputs):
            name = name.rpartition(".")[0]
        if name and name not in self.inputs:
            name = next(k for k in self.inputs if k.startswith(name + "."))
        self.errors[name or "form"] = message


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" in node:
        return defs[str(node["$ref"]).rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return node


def _without_null(node: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """The type of an optional field (``anyOf: [T, null]``), and whether it was optional."""
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) < len(options):
            return (kept[0] if len(kept) == 1 else {**node, "anyOf": kept}), True
    return node, False


def _kind(node: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """What input a field needs (and, for rows and groups, the node of their fields)."""
    kind = node.get("type")
    options = {o.get("type") for o in node.get("anyOf", [])}
    if "decimal_places" in node or options == {"number", "string"}:
        return "taka", node
    found = "text"
    if "enum" in node:
        found = "choice"
    elif node.get("format") == "date":
        found = "date"
    elif kind in ("integer", "boolean"):
        found = "int" if kind == "integer" else "check"
    elif kind == "array":
        item = _resolve(node.get("items", {}), defs)
        is_rows = item.get("type") == "object" or "properties" in item
        return ("rows", item) if is_rows else ("lines", node)
    elif kind == "object":
        found = "group" if "properties" in node else "changes"
    return found, node


def _spec(
    name: str,
    node: Mapping[str, Any],
    defs: Mapping[str, Any],
    required: bool,
    labels: Mapping[str, Any],
) -> FieldSpec:
    node, optional = _without_null(_resolve(node, defs))
    node = _resolve(node, defs)
    kind, inner = _kind(node, defs)
    spec = FieldSpec(
        name=name,
        label=labels.get(name)
        or LABELS.get(name)
        or str(node.get("title") or name.replace("_", " ").capitalize()),
        kind=kind,
        required=required and not optional,
        help=str(node.get("description", "")),
    )
    if kind == "choice":
        return replace(spec, choices=tuple(map(str, node["enum"])))
    if kind in ("rows", "group"):
        spec = replace(spec, children=tuple(_children(inner, defs, labels)))
    rows = {"rows": ROWS, "lines": ROWS, "changes": 3}.get(kind, 0)
    return replace(spec, rows=rows)


def _children(
    node: Mapping[str, Any], defs: Mapping[str, Any], labels: Mapping[str, Any]
) -> list[FieldSpec]:
    required = set(node.get("required", []))
    return [
        _spec(name, sub, defs, name in required, labels)
        for name, sub in node.get("properties", {}).items()
    ]


def rows_shown(values: Mapping[str, str], name: str) -> int:
    """How many rows the table ``name`` shows: what the form showed last time (its hidden
    ``name._rows``), grown by ``ROWS`` when "More rows" was pressed for it."""
    shown = values.get(f"{name}._rows", "")
    n = int(shown) if shown.isdigit() else ROWS
    if values.get("more") == name:
        n += ROWS
    return max(ROWS, min(n, MAX_ROWS))


def fields_of(
    model: type[Any], values: Mapping[str, str] | None = None, books: str = "group"
) -> list[FieldSpec]:
    """The inputs of a command's form, in the model's order, the date first; with the
    ``values`` of a submitted form, its tables as long as they were shown (or longer).
    ``books``: the field the page's URL fills ("group" or "cluster")."""
    schema = model.model_json_schema()
    hidden = HIDDEN | {books}
    labels = getattr(model, "form_labels", {})
    found = _children(schema, schema.get("$defs", {}), labels)
    specs = [s for s in found if s.name not in hidden]
    if values is not None:
        specs = [
            replace(s, rows=rows_shown(values, s.name)) if s.kind in ("rows", "lines") else s
            for s in specs
        ]
    return sorted(specs, key=lambda s: s.name != "date")


#: Bengali digits (U+09E6 to U+09EF) as a Bangla reader types them, read as the digits they are.
LATIN_DIGITS = str.maketrans(
    "\u09e6\u09e7\u09e8\u09e9\u09ea\u09eb\u09ec\u09ed\u09ee\u09ef", "0123456789"
)


def _scalar(form: CommandForm, spec: FieldSpec, name: str) -> tuple[bool, Any]:
    """The value typed in input ``name`` (``False, None`` when left empty). Numbers, amounts
    and dates may be typed in Bengali digits, amounts with their grouping commas
    (1,23,456.50); names and other text stay exactly as typed."""
    typed = form.values.get(name, "").strip()
    if spec.kind == "check":
        return True, bool(typed)
    if not typed:
        return False, None
    if spec.kind in ("int", "taka", "date"):
        typed = typed.translate(LATIN_DIGITS)
        if spec.kind == "taka":
            typed = typed.replace(",", "")
    if spec.kind == "int":
        if not re.fullmatch(r"[0-9]+", typed):
            form.errors[name] = text("'{value}' is not a whole number", value=typed)
            return False, None
        return True, int(typed)
    return True, typed  # taka stay text: the model reads them exactly, never as floats


def _changes(form: CommandForm, spec: FieldSpec, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(spec.rows):
        key = form.values.get(f"{name}.{i}.field", "").strip()
        value = form.values.get(f"{name}.{i}.value", "").strip()
        if key or value:
            out[key] = int(value) if re.fullmatch(r"-?[0-9]+", value) else value
    return out


def _blank(value: Any) -> bool:
    """Nothing typed: an empty text, list or row, an unticked box."""
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    return value in (None, "", [], False)


def _read_into(
    form: CommandForm, specs: tuple[FieldSpec, ...] | list[FieldSpec], prefix: str
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for spec in specs:
        name = prefix + spec.name
        if spec.kind == "lines":
            lines = [form.values.get(f"{name}.{i}", "").strip() for i in range(spec.rows)]
            data[spec.name] = [line for line in lines if line]
        elif spec.kind == "rows":
            rows = []
            for i in range(spec.rows):
                row = _read_into(form, spec.children, f"{name}.{i}.")
                if not _blank(row):
                    rows.append(row)
            data[spec.name] = rows
        elif spec.kind == "group":
            group = _read_into(form, spec.children, name + ".")
            if spec.required or not _blank(group):  # an optional group left empty: none
                data[spec.name] = group
        elif spec.kind == "changes":
            changes = _changes(form, spec, name)
            if changes:
                data[spec.name] = changes
        else:
            given, value = _scalar(form, spec, name)
            if given:
                data[spec.name] = value
    return data


def read(model: type[Any], values: Mapping[str, str], books: str = "group") -> CommandForm:
    """The command's data from a submitted form (the model then validates it)."""
    specs = fields_of(model, {k: str(v) for k, v in values.items()}, books)
    form = CommandForm({k: str(v) for k, v in values.items() if k != "_csrf_token"})
    form.inputs = input_names(specs)
    form.data = _read_into(form, specs, "")
    return form


def input_names(specs: list[FieldSpec] | tuple[FieldSpec, ...], prefix: str = "") -> list[str]:
    """Every input name a form of ``specs`` draws (the template and the tests agree)."""
    out: list[str] = []
    for spec in specs:
        name = prefix + spec.name
        if spec.kind == "lines":
            out += [f"{name}.{i}" for i in range(spec.rows)]
        elif spec.kind == "rows":
            for i in range(spec.rows):
                out += input_names(spec.children, f"{name}.{i}.")
        elif spec.kind == "group":
            out += input_names(spec.children, name + ".")
        elif spec.kind == "changes":
            out += [f"{name}.{i}.{part}" for i in range(spec.rows) for part in ("field", "value")]
        else:
            out.append(name)
    return out


__all__ = ["CommandForm", "FieldSpec", "fields_of", "input_names", "read", "rows_shown"]
