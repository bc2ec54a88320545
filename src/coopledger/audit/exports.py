"""Exports for auditors and other tools: the event log, every report, and Beancount.

* :func:`export_jsonl` - every event as stored, in recording order, with its chain hash and
  the previous one (schema ``docs/schema/export.schema.json``), then one line with each
  group's chain head and seal. ``docs/verify_export.py`` re-checks it with nothing but the
  Python standard library.
* :func:`export_csv` - every report as CSV files in a folder.
* :func:`export_beancount` - the postings as a Beancount ledger: commodities ``BDT`` (taka)
  and ``RICE`` (grams), accounts of the chart prefixed by the group code
  (``Assets:JOBA:Cash``), one transaction per entry that posts (each line of a meeting its
  own, with its part), and a ``balance`` assertion of cash and rice for every counted
  meeting (see ``docs/auditing.md``).
"""

from __future__ import annotations

import csv
import heapq
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from coopledger import accounts as acc
from coopledger.audit.check import stored_rows, streams
from coopledger.kernel.events import LedgerEvent
from coopledger.kernel.integrity import GENESIS, StoredRow, plain_data, seal
from coopledger.kernel.postings import net
from coopledger.kernel.streams import stream_id
from coopledger.money import RICE, TAKA, taka

if TYPE_CHECKING:
    from coopledger.ledger import Ledger

EVENT_SCHEMA = "coopledger.event/1"
HEADS_SCHEMA = "coopledger.heads/1"


# ---------------------------------------------------------------------- JSON Lines
def _rows_in_recording_order(ledger: Ledger, group: str | None) -> Iterator[tuple[str, StoredRow]]:
    targets = [stream_id(group)] if group else streams(ledger)
    per_stream = [[(r.notification_id, s.hex, r) for r in stored_rows(ledger, s)] for s in targets]
    for _, stream, row in heapq.merge(*per_stream, key=lambda t: t[0]):
        yield stream, row


def export_jsonl(ledger: Ledger, out: IO[str], group: str | None = None) -> dict[str, str]:
    """Write the event log; returns each group's head seal."""
    prev: dict[str, str] = {}
    codes: dict[str, str] = {}
    heads: dict[str, dict[str, Any]] = {}
    for stream, row in _rows_in_recording_order(ledger, group):
        data = dict(row.data or {})
        chain = str(data.pop("chain_hash", ""))
        if row.position == 1 and "code" in data:
            codes[stream] = str(data["code"])
            if row.topic == "coopledger/ClusterFormed":
                codes[stream] = "cluster:" + codes[stream]
        code = codes.get(stream, stream)
        line = {
            "schema": EVENT_SCHEMA,
            "group": code,
            "stream": stream,
            "position": row.position,
            "type": row.topic,
            "data": plain_data(data),
            "prev_hash": prev.get(stream, GENESIS),
            "hash": chain,
        }
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        prev[stream] = chain
        heads[code] = {
            "stream": stream,
            "position": row.position,
            "hash": chain,
            "seal": seal(chain),
        }
    out.write(
        json.dumps(
            {
                "schema": HEADS_SCHEMA,
                "exported_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
                "heads": heads,
            },
            sort_keys=True,
        )
        + "\n"
    )
    return {code: h["seal"] for code, h in heads.items()}


# ---------------------------------------------------------------------- CSV
def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def export_csv(ledger: Ledger, folder: Path, *, as_of: date | None = None) -> list[Path]:
    """Write every report as a CSV file in ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    r = ledger.reports
    groups = [g.as_dict() for g in r.groups.directory()]
    codes = [g["code"] for g in groups]
    files: dict[str, tuple[list[str], list[list[Any]]]] = {}
    files["groups"] = (
        [
            "code",
            "name",
            "kind",
            "meeting_day",
            "division",
            "district",
            "upazila",
            "union",
            "ward",
            "village",
            "partner",
            "animator",
            "formed_on",
            "events",
        ],
        [
            [
                g["code"],
                g["name"],
                g["kind"],
                g["meeting_day"],
                g["division"],
                g["district"],
                g["upazila"],
                g["union_name"],
                g["ward"],
                g["village"],
                g["partner"],
                g["animator"],
                g["formed_on"],
                g["events"],
            ]
            for g in groups
        ],
    )
    members, positions, trial, passbooks, meetings, activities = [], [], [], [], [], []
    for code in codes:
        for info in r.groups.members(code, as_of=as_of):
            m = info.as_dict()
            members.append(
                [
                    code,
                    m["member_no"],
                    m["name"],
                    m["household"],
                    m["gender"],
                    m["community"],
                    m["landless"],
                    m["wellbeing"],
                    m["joined_on"],
                    m["left_on"],
                    " ".join(m["roles"]),
                ]
            )
        p = r.books.position(code, as_of=as_of)
        positions.append(
            [
                code,
                p.name,
                p.members,
                p.rice_stock_grams,
                p.cash,
                p.receivables,
                p.cash_savings_owed,
                p.rice_savings_grams,
                p.rice_sold_grams,
                p.rice_sales,
                p.grants,
                sum(p.expenses.values(), Decimal(0)),
            ]
        )
        activities += [[code, a.name, a.costs, a.revenue, a.margin] for a in p.activities]
        trial += [
            [code, b.account, b.commodity, b.balance]
            for b in r.books.trial_balance(code, as_of=as_of).rows
        ]
        for info in r.groups.members(code, as_of=as_of):
            book = r.savings.passbook(code, info.member_no, as_of=as_of)
            passbooks += [
                [
                    code,
                    book.member_no,
                    book.name,
                    ln.business_date,
                    ln.position,
                    ln.entry,
                    str(ln.wording),
                    ln.rice_saved_grams,
                    ln.rice_bought_grams,
                    ln.bought_value,
                    ln.paid,
                    ln.owed,
                    ln.cash_saved,
                    ln.cash_savings,
                    ln.memo,
                ]
                for ln in book.lines
            ]
        meetings += [
            [
                code,
                c.meeting_date,
                c.position,
                c.attended,
                c.counted_cash,
                c.book_cash,
                c.cash_difference,
                c.counted_rice_grams,
                c.book_rice_grams,
                c.rice_difference_grams,
                c.matches,
                c.seal,
            ]
            for c in r.meetings.reconciliation(code, as_of=as_of).meetings
        ]
    files["members"] = (
        [
            "group",
            "member_no",
            "name",
            "household",
            "gender",
            "community",
            "landless",
            "wellbeing",
            "joined_on",
            "left_on",
            "roles",
        ],
        members,
    )
    files["positions"] = (
        [
            "group",
            "name",
            "members",
            "rice_stock_grams",
            "cash_taka",
            "receivables_taka",
            "cash_savings_owed_taka",
            "rice_savings_grams",
            "rice_sold_grams",
            "rice_sales_taka",
            "grants_taka",
            "expenses_taka",
        ],
        positions,
    )
    files["activities"] = (
        ["group", "activity", "costs_taka", "revenue_taka", "margin_taka"],
        activities,
    )
    files["trial_balance"] = (["group", "account", "commodity", "balance"], trial)
    files["passbooks"] = (
        [
            "group",
            "member_no",
            "name",
            "business_date",
            "position",
            "entry",
            "wording",
            "rice_saved_grams",
            "rice_bought_grams",
            "bought_value_taka",
            "paid_taka",
            "owed_taka",
            "cash_saved_taka",
            "cash_savings_taka",
            "memo",
        ],
        passbooks,
    )
    files["reconciliation"] = (
        [
            "group",
            "meeting_date",
            "position",
            "attended",
            "counted_cash_taka",
            "book_cash_taka",
            "cash_difference_taka",
            "counted_rice_grams",
            "book_rice_grams",
            "rice_difference_grams",
            "matches",
            "seal",
        ],
        meetings,
    )
    journal = []
    for code in codes:
        for e in ledger.events(code):
            if as_of is not None and e.business_date > as_of:
                continue
            for leg in e.postings():
                amount = taka(leg.amount) if leg.commodity == TAKA else leg.amount
                journal.append(
                    [
                        code,
                        e.position,
                        e.business_date,
                        e.timestamp.isoformat(),
                        e.recorded_by,
                        e.type_name,
                        leg.account,
                        leg.commodity,
                        amount,
                    ]
                )
    files["postings"] = (
        [
            "group",
            "position",
            "business_date",
            "recorded_at",
            "recorded_by",
            "event",
            "account",
            "commodity",
            "amount",
        ],
        journal,
    )
    written = []
    for name, (header, rows) in files.items():
        path = folder / f"{name}.csv"
        _write_csv(path, header, rows)
        written.append(path)
    return written


# ---------------------------------------------------------------------- Beancount
def _account(code: str, account: str) -> str:
    root, _, rest = account.partition(":")
    return f"{root}:{code}:{rest}" if rest else f"{root}:{code}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _amount(commodity: str, amount: int) -> str:
    return f"{taka(amount)} BDT" if commodity == TAKA else f"{amount} RICE"


def _narration(e: LedgerEvent) -> str:
    """An event's own wording (in English: the export is for auditors and tools)."""
    return str(e.describe())


def export_beancount(ledger: Ledger, out: IO[str], group: str | None = None) -> None:
    """Write a Beancount ledger of the postings, with balance assertions at meetings."""
    codes = [group.upper()] if group else [g.code for g in ledger.reports.groups.directory()]
    out.write(
        'option "title" "coopledger export"\noption "operating_currency" "BDT"\n'
        'option "render_commas" "TRUE"\n\n'
    )
    first = min(
        (ledger.reports.groups.group(c).formed_on for c in codes),
        default=ledger.today().isoformat(),
    )
    out.write(
        f'{first} commodity BDT\n  name: "Bangladeshi taka"\n'
        f'{first} commodity RICE\n  name: "Rice, in grams"\n\n'
    )
    for code in codes:
        _beancount_group(ledger, code, out)


def _beancount_group(ledger: Ledger, code: str, out: IO[str]) -> None:
    events = ledger.events(code)
    formed: Any = events[0]
    used: dict[str, set[str]] = {acc.CASH: {TAKA}, acc.RICE_STOCK: {RICE}}
    entries: list[tuple[date, int, int, str]] = []
    for e in events:
        stamp = (
            f"  recorded-at: {_quote(e.timestamp.isoformat())}\n"
            f"  recorded-by: {_quote(e.recorded_by)}\n  hash: {_quote(e.chain_hash)}\n"
        )
        for seq, (narration, part, legs) in enumerate(_transactions(e)):
            for account, commodity in legs:
                used.setdefault(account, set()).add(commodity)
            meta = f"  position: {e.position}\n" + (f"  part: {_quote(part)}\n" if part else "")
            lines = "".join(
                f"  {_account(code, a):<48} {_amount(c, v)}\n" for (a, c), v in sorted(legs.items())
            )
            entries.append(
                (
                    e.business_date,
                    e.position,
                    seq,
                    f"{e.business_date} * {_quote(code)} {_quote(narration)}\n{meta}{stamp}{lines}",
                )
            )
    for check in ledger.reports.meetings.reconciliation(code).meetings:
        if check.counted_cash is None and check.counted_rice_grams is None:
            continue
        day = check.meeting_date + timedelta(days=1)  # balance: at the start of the day
        for account, book, counted, diff in (
            (acc.CASH, f"{check.book_cash} BDT", check.counted_cash, check.cash_difference),
            (
                acc.RICE_STOCK,
                f"{check.book_rice_grams} RICE",
                check.counted_rice_grams,
                check.rice_difference_grams,
            ),
        ):
            if counted is None:
                continue
            flag = "" if not diff else f"  ; COUNT DIFFERS FROM THE BOOKS BY {diff}"
            entries.append(
                (
                    day,
                    -1,
                    0,
                    (
                        f"{day} balance {_account(code, account)} {book}{flag}\n"
                        f'  meeting: "{check.meeting_date}"\n'
                        f"  counted: {_quote(str(counted))}\n  seal: {_quote(check.seal)}\n"
                    ),
                )
            )
    out.write(
        f"; ---- {code}: {formed.name}, {formed.village}, {formed.upazila}, {formed.district}\n"
    )
    for account, commodities in sorted(used.items()):
        out.write(
            f"{formed.business_date} open {_account(code, account)} "
            f"{','.join(sorted(commodities))}\n"
        )
    out.write("\n")
    for *_, text in sorted(entries, key=lambda t: (t[0], t[1], t[2])):
        out.write(text + "\n")


def _transactions(e: LedgerEvent) -> list[tuple[str, str, dict[tuple[str, str], int]]]:
    """The transactions of one event: one per entry (line) that posts, with the entry's own
    narration and part (``deposits.3``), when the entries' postings add up to the event's
    (a meeting: what an auditor ticks against the minutes, member by member); else one for
    the whole event. Each is (narration, part, net postings)."""
    whole = net(e.postings())
    if not whole:
        return []
    split = [(str(line.describe()), part, net(line.legs())) for part, line in e.lines()]
    split = [t for t in split if t[2]]
    if len(split) > 1:
        total: dict[tuple[str, str], int] = defaultdict(int)
        for _, _, legs in split:
            for key, amount in legs.items():
                total[key] += amount
        if {k: v for k, v in total.items() if v} == whole:
            return split
    return [(_narration(e), "", whole)]


def beancount_accounts(code: str, account: str) -> str:
    """The Beancount name of a chart-of-accounts name for a group (for comparisons)."""
    return _account(code, account)
