"""Projections: the tables reports read, derived from events and rebuildable from zero.

Live, the rows a save implies are written in the same transaction as its events (see
:mod:`coopledger.storage`). A rebuild replays the whole log through the same
:class:`Projector` into empty tables. Amounts are integers: paisa for taka, grams for rice.

| table | one row per |
|---|---|
| ``groups`` | group (directory, place, event count) |
| ``members`` | member of a group |
| ``roles`` | role a member held, from/until |
| ``movements`` | group, account, commodity and business date: the day's net postings |
| ``balances`` | group, account and commodity: the balance over every date (for "now") |
| ``passbook`` | member and event touching her: rice saved, rice bought, paid, cash saved |
| ``meetings`` | meeting, with the physical counts |
| ``commands`` | idempotency key of a stream: its command hash and stream positions |
| ``clusters`` | cluster (place, villages, households) |
| ``cluster_groups`` | a group's membership of a cluster, joined/left |
| ``cluster_representatives`` | a representative's seat on a platform, since/until |
| ``cluster_rotation`` | month of a platform: chair and host group |
| ``cluster_meetings`` | platform meeting: chair, host, attendance, decisions |
| ``cluster_mous`` | version of a cluster's MoU: parties, commitments |
| ``cluster_extreme_poor`` | household in a platform's extreme-poor register |
| ``cluster_safety_nets`` | safety-net application: scheme, applied, decided, value |
| ``cluster_trainings`` | training or event, attendance by member/non-member and gender |
| ``plans`` | group's or cluster's annual plan (the six parts, as JSON) |
| ``reviews`` | joint review (as JSON), with its seal |
| ``loans`` | loan from a group fund, with its (latest) schedule |
| ``loan_repayments`` | repayment, split into charge and principal |
| ``cluster_bank_loans`` | bank loan guaranteed by a platform, with schedule and guarantors |
| ``cluster_bank_collections`` | instalment a platform collected for a bank |
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from coopledger import events as ev
from coopledger.integrity import canonical, seal
from coopledger.money import paisa
from coopledger.postings import postings
from coopledger.storage import Database

TABLES = ("groups", "members", "roles", "movements", "balances", "passbook", "meetings",
          "commands", "clusters", "cluster_groups", "cluster_representatives",
          "cluster_rotation", "cluster_meetings", "cluster_mous", "cluster_extreme_poor",
          "cluster_safety_nets", "cluster_trainings", "plans", "reviews", "loans",
          "loan_repayments", "cluster_bank_loans", "cluster_bank_collections")

_DDL = {
    "groups": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        kind TEXT NOT NULL, meeting_day TEXT NOT NULL, division TEXT NOT NULL,
        district TEXT NOT NULL, upazila TEXT NOT NULL, union_name TEXT NOT NULL,
        ward TEXT NOT NULL, village TEXT NOT NULL, partner TEXT NOT NULL, animator TEXT NOT NULL,
        formed_on TEXT NOT NULL, events INTEGER NOT NULL, last_recorded_at TEXT NOT NULL)""",
    "members": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, member_no INTEGER NOT NULL, name TEXT NOT NULL,
        household TEXT NOT NULL, gender TEXT NOT NULL, community TEXT NOT NULL,
        landless INTEGER NOT NULL, wellbeing TEXT NOT NULL, joined_on TEXT NOT NULL,
        left_on TEXT, PRIMARY KEY (group_id, member_no))""",
    "roles": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, position INTEGER NOT NULL, member_no INTEGER NOT NULL,
        role TEXT NOT NULL, since TEXT NOT NULL, until TEXT,
        PRIMARY KEY (group_id, position))""",
    "movements": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, account TEXT NOT NULL, commodity TEXT NOT NULL,
        business_date TEXT NOT NULL, amount BIGINT NOT NULL,
        PRIMARY KEY (group_id, account, commodity, business_date))""",
    "balances": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, account TEXT NOT NULL, commodity TEXT NOT NULL,
        amount BIGINT NOT NULL, PRIMARY KEY (group_id, account, commodity))""",
    "passbook": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, member_no INTEGER NOT NULL, position INTEGER NOT NULL,
        business_date TEXT NOT NULL, recorded_at TEXT NOT NULL, entry TEXT NOT NULL,
        rice_saved BIGINT NOT NULL, rice_bought BIGINT NOT NULL, bought_value BIGINT NOT NULL,
        paid BIGINT NOT NULL, cash_saved BIGINT NOT NULL, memo TEXT NOT NULL,
        PRIMARY KEY (group_id, member_no, position))""",
    "meetings": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, position INTEGER NOT NULL, meeting_date TEXT NOT NULL,
        attended INTEGER NOT NULL, attendance TEXT NOT NULL, counted_cash BIGINT,
        counted_rice BIGINT, notes TEXT NOT NULL, recorded_at TEXT NOT NULL,
        seal TEXT NOT NULL, PRIMARY KEY (group_id, position))""",
    "clusters": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        division TEXT NOT NULL, district TEXT NOT NULL, upazila TEXT NOT NULL,
        union_name TEXT NOT NULL, ward TEXT NOT NULL, villages TEXT NOT NULL,
        households INTEGER NOT NULL, partner TEXT NOT NULL, formed_on TEXT NOT NULL)""",
    "cluster_groups": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, group_code TEXT NOT NULL,
        joined_on TEXT NOT NULL, left_on TEXT, PRIMARY KEY (cluster_id, position))""",
    "cluster_representatives": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, group_code TEXT NOT NULL,
        member_no INTEGER NOT NULL, name TEXT NOT NULL, gender TEXT NOT NULL,
        wellbeing TEXT NOT NULL, since TEXT NOT NULL, until TEXT,
        PRIMARY KEY (cluster_id, position))""",
    "cluster_rotation": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, month TEXT NOT NULL, chair TEXT NOT NULL,
        host TEXT NOT NULL, PRIMARY KEY (cluster_id, month))""",
    "cluster_meetings": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, meeting_date TEXT NOT NULL,
        chair TEXT NOT NULL, host TEXT NOT NULL, attended INTEGER NOT NULL,
        attendance TEXT NOT NULL, decisions TEXT NOT NULL, PRIMARY KEY (cluster_id, position))""",
    "cluster_mous": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
        signed_on TEXT NOT NULL, parties TEXT NOT NULL, commitments TEXT NOT NULL,
        PRIMARY KEY (cluster_id, version))""",
    "cluster_extreme_poor": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, household TEXT NOT NULL,
        head TEXT NOT NULL, village TEXT NOT NULL, reason TEXT NOT NULL,
        identified_by TEXT NOT NULL, listed_on TEXT NOT NULL,
        PRIMARY KEY (cluster_id, position))""",
    "cluster_safety_nets": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, entry INTEGER NOT NULL,
        scheme TEXT NOT NULL, applied_to TEXT NOT NULL, applied_on TEXT NOT NULL,
        outcome TEXT, decided_on TEXT, value BIGINT, note TEXT NOT NULL,
        PRIMARY KEY (cluster_id, position))""",
    "cluster_trainings": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, held_on TEXT NOT NULL,
        title TEXT NOT NULL, kind TEXT NOT NULL, facilitator TEXT NOT NULL,
        members_female INTEGER NOT NULL, members_male INTEGER NOT NULL,
        others_female INTEGER NOT NULL, others_male INTEGER NOT NULL,
        PRIMARY KEY (cluster_id, position))""",
    "plans": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, year INTEGER NOT NULL, position INTEGER NOT NULL,
        adopted_on TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (group_id, year))""",
    "reviews": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, year INTEGER NOT NULL, position INTEGER NOT NULL,
        held_on TEXT NOT NULL, body TEXT NOT NULL, seal TEXT NOT NULL,
        PRIMARY KEY (group_id, year))""",
    "loans": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, loan_no INTEGER NOT NULL, position INTEGER NOT NULL,
        member_no INTEGER NOT NULL, principal BIGINT NOT NULL, rate TEXT NOT NULL,
        method TEXT NOT NULL, frequency TEXT NOT NULL, instalments INTEGER NOT NULL,
        grace INTEGER NOT NULL, disbursed_on TEXT NOT NULL, purpose TEXT NOT NULL,
        approved_by TEXT NOT NULL, schedule TEXT NOT NULL, written_off BIGINT NOT NULL,
        written_off_on TEXT, PRIMARY KEY (group_id, loan_no))""",
    "loan_repayments": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, position INTEGER NOT NULL, loan_no INTEGER NOT NULL,
        paid_on TEXT NOT NULL, taka BIGINT NOT NULL, charge BIGINT NOT NULL,
        principal BIGINT NOT NULL, PRIMARY KEY (group_id, position))""",
    "cluster_bank_loans": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, bank_loan_no INTEGER NOT NULL, position INTEGER NOT NULL,
        lender TEXT NOT NULL, group_code TEXT NOT NULL, member_no INTEGER NOT NULL,
        borrower TEXT NOT NULL, principal BIGINT NOT NULL, arranged_on TEXT NOT NULL,
        guarantors TEXT NOT NULL, introducer TEXT NOT NULL, schedule TEXT NOT NULL,
        PRIMARY KEY (cluster_id, bank_loan_no))""",
    "cluster_bank_collections": """CREATE TABLE IF NOT EXISTS {t} (
        cluster_id TEXT NOT NULL, position INTEGER NOT NULL, bank_loan_no INTEGER NOT NULL,
        collected_on TEXT NOT NULL, taka BIGINT NOT NULL, charge BIGINT NOT NULL,
        principal BIGINT NOT NULL, PRIMARY KEY (cluster_id, position))""",
    "commands": """CREATE TABLE IF NOT EXISTS {t} (
        group_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, command_hash TEXT NOT NULL,
        first_position INTEGER NOT NULL, last_position INTEGER NOT NULL,
        PRIMARY KEY (group_id, idempotency_key))""",
}
# The movements' primary key (group, account, commodity, day) serves both "an account's
# days" and "a group's balances"; a (group, day) index made the planner scan every account.
_INDEXES = {
    "meetings": "CREATE INDEX IF NOT EXISTS {n}_by_date ON {t} (group_id, meeting_date)",
}

#: Passbook columns a movement can change, in order.
_LINE = ("rice_saved", "rice_bought", "bought_value", "paid", "cash_saved")


def passbook_lines(kind: str, f: Mapping[str, Any]) -> dict[int, tuple[int, ...]]:
    """Per member, what an entry of ``kind`` adds to her passbook columns."""
    if kind == "RiceDeposited":
        return {f["member_no"]: (f["grams"], 0, 0, 0, 0)}
    if kind == "RiceSold":
        return {f["buyer_no"]: (0, f["grams"], paisa(Decimal(f["value"])),
                                paisa(Decimal(f["paid"])), 0)}
    if kind == "RicePaymentReceived":
        return {f["member_no"]: (0, 0, 0, paisa(Decimal(f["taka"])), 0)}
    if kind == "CashSaved":
        return {f["member_no"]: (0, 0, 0, 0, paisa(Decimal(f["taka"])))}
    if kind == "CashWithdrawn":
        return {f["member_no"]: (0, 0, 0, 0, -paisa(Decimal(f["taka"])))}
    return {}


@dataclass
class ProjectionBatch:
    """Rows to write for some events: statements in event order, then summed movements."""

    db: Database
    prefix: str
    steps: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    movements: dict[tuple[str, str, str, str], int] = field(
        default_factory=lambda: defaultdict(int))
    commands: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    def t(self, name: str) -> str:
        return self.db.table(self.prefix + name)

    def add(self, statement: str, params: tuple[Any, ...]) -> None:
        self.steps.append((statement, params))

    def statements(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """Consecutive identical statements merged for ``executemany``."""
        merged: list[tuple[str, list[tuple[Any, ...]]]] = []
        for statement, params in self.steps:
            if merged and merged[-1][0] == statement:
                merged[-1][1].append(params)
            else:
                merged.append((statement, [params]))
        if self.movements:
            merged.append((
                f"INSERT INTO {self.t('movements')} (group_id, account, commodity, "
                "business_date, amount) VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, "
                "account, commodity, business_date) DO UPDATE SET amount = "
                f"{self.t('movements')}.amount + excluded.amount",
                [(*k, v) for k, v in sorted(self.movements.items())]))
        if self.movements:
            totals: dict[tuple[str, str, str], int] = defaultdict(int)
            for (gid, account, commodity, _), v in self.movements.items():
                totals[gid, account, commodity] += v
            merged.append((
                f"INSERT INTO {self.t('balances')} (group_id, account, commodity, amount) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (group_id, account, commodity) DO UPDATE "
                f"SET amount = {self.t('balances')}.amount + excluded.amount",
                [(*k, v) for k, v in sorted(totals.items())]))
        if self.commands:
            merged.append((
                f"INSERT INTO {self.t('commands')} (group_id, idempotency_key, command_hash,"
                " first_position, last_position) VALUES (?, ?, ?, ?, ?) ON CONFLICT "
                "(group_id, idempotency_key) DO UPDATE SET last_position = "
                "excluded.last_position",
                [(*k, *v) for k, v in self.commands.items()]))
        if self.heads:
            merged.append((f"UPDATE {self.t('groups')} SET events = ?, last_recorded_at = ? "
                           "WHERE group_id = ?",
                           [(v, at, g) for g, (v, at) in self.heads.items()]))
        return [(self.db.sql(s), p) for s, p in merged]

    def write(self, cursor: Any) -> None:
        for statement, params in self.statements():
            if len(params) == 1:
                cursor.execute(statement, params[0])
            else:
                cursor.executemany(statement, params)


class Projector:
    """Turns events into projection rows (live, or into another prefix for a rebuild)."""

    def __init__(self, db: Database, prefix: str = "cl_") -> None:
        self.db = db
        self.prefix = prefix
        self._names = {n: db.table(prefix + n) for n in TABLES}
        self._passbook_sql = (
            f"INSERT INTO {self._names['passbook']} (group_id, member_no, position, "
            "business_date, recorded_at, entry, rice_saved, rice_bought, bought_value, "
            "paid, cash_saved, memo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

    def t(self, name: str) -> str:
        return self._names[name]

    def create_tables(self) -> None:
        statements = [_DDL[n].format(t=self.t(n)) for n in TABLES]
        statements += [ddl.format(t=self.t(n), n=self.prefix + n)
                       for n, ddl in _INDEXES.items()]
        self.db.execute(statements)

    def drop_tables(self) -> None:
        self.db.execute([f"DROP TABLE IF EXISTS {self.t(n)}" for n in TABLES])

    def batch(self, events: Iterable[ev.LedgerEvent]) -> ProjectionBatch:
        b = ProjectionBatch(self.db, self.prefix)
        for e in events:
            self._project(b, e)
        return b

    def _project(self, b: ProjectionBatch, e: ev.LedgerEvent) -> None:
        gid = e.originator_id.hex
        day = e.business_date.isoformat()
        at = e.timestamp.isoformat()
        kind = type(e).__name__
        if isinstance(e, ev.GroupFormed):
            b.add(f"INSERT INTO {self.t('groups')} (group_id, code, name, kind, meeting_day, "
                  "division, district, upazila, union_name, ward, village, partner, animator, "
                  "formed_on, events, last_recorded_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (gid, e.code, e.name, e.kind, e.meeting_day, e.division, e.district,
                   e.upazila, e.union, e.ward, e.village, e.partner, e.animator, day, 1, at))
        elif isinstance(e, ev.MemberJoined):
            b.add(f"INSERT INTO {self.t('members')} (group_id, member_no, name, household, "
                  "gender, community, landless, wellbeing, joined_on, left_on) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                  (gid, e.member_no, e.name, e.household, e.gender, e.community,
                   int(e.landless), e.wellbeing, day))
        elif isinstance(e, ev.MemberLeft):
            b.add(f"UPDATE {self.t('members')} SET left_on = ? WHERE group_id = ? "
                  "AND member_no = ?", (day, gid, e.member_no))
            b.add(f"UPDATE {self.t('roles')} SET until = ? WHERE group_id = ? AND "
                  "member_no = ? AND until IS NULL", (day, gid, e.member_no))
        elif isinstance(e, ev.RoleAssigned):
            b.add(f"INSERT INTO {self.t('roles')} (group_id, position, member_no, role, "
                  "since, until) VALUES (?, ?, ?, ?, ?, NULL)",
                  (gid, e.position, e.member_no, e.role, day))
        elif isinstance(e, ev.RoleEnded):
            b.add(f"UPDATE {self.t('roles')} SET until = ? WHERE group_id = ? AND "
                  "member_no = ? AND role = ? AND until IS NULL",
                  (day, gid, e.member_no, e.role))
        elif isinstance(e, ev.ClusterFormed):
            b.add(f"INSERT INTO {self.t('clusters')} (cluster_id, code, name, division, "
                  "district, upazila, union_name, ward, villages, households, partner, "
                  "formed_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (gid, e.code, e.name, e.division, e.district, e.upazila, e.union, e.ward,
                   json.dumps(list(e.villages), ensure_ascii=False), e.households,
                   e.partner, day))
        elif isinstance(e, ev.GroupJoinedCluster):
            b.add(f"INSERT INTO {self.t('cluster_groups')} (cluster_id, position, group_code, "
                  "joined_on, left_on) VALUES (?, ?, ?, ?, NULL)", (gid, e.position, e.group,
                                                                     day))
        elif isinstance(e, ev.GroupLeftCluster):
            b.add(f"UPDATE {self.t('cluster_groups')} SET left_on = ? WHERE cluster_id = ? "
                  "AND group_code = ? AND left_on IS NULL", (day, gid, e.group))
            b.add(f"UPDATE {self.t('cluster_representatives')} SET until = ? WHERE "
                  "cluster_id = ? AND group_code = ? AND until IS NULL", (day, gid, e.group))
        elif isinstance(e, ev.RepresentativeNamed):
            b.add(f"INSERT INTO {self.t('cluster_representatives')} (cluster_id, position, "
                  "group_code, member_no, name, gender, wellbeing, since, until) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, NULL)", (gid, e.position, e.group, e.member_no,
                                                     e.name, e.gender, e.wellbeing, day))
        elif isinstance(e, ev.RepresentativeSteppedDown):
            b.add(f"UPDATE {self.t('cluster_representatives')} SET until = ? WHERE "
                  "cluster_id = ? AND group_code = ? AND member_no = ? AND until IS NULL",
                  (day, gid, e.group, e.member_no))
        elif isinstance(e, ev.RotationPlanned):
            for slot in e.slots:
                b.add(f"DELETE FROM {self.t('cluster_rotation')} WHERE cluster_id = ? AND "
                      "month = ?", (gid, slot["month"]))
                b.add(f"INSERT INTO {self.t('cluster_rotation')} (cluster_id, month, chair, "
                      "host) VALUES (?, ?, ?, ?)", (gid, slot["month"], slot["chair"],
                                                    slot["host"]))
        elif isinstance(e, ev.BankLoanArranged):
            b.add(f"INSERT INTO {self.t('cluster_bank_loans')} (cluster_id, bank_loan_no, "
                  "position, lender, group_code, member_no, borrower, principal, arranged_on, "
                  "guarantors, introducer, schedule) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (gid, e.bank_loan_no, e.position, e.lender, e.group, e.member_no, e.borrower,
                   paisa(e.principal), day, canonical(list(e.guarantors)), e.introducer,
                   canonical(list(e.schedule))))
        elif isinstance(e, ev.BankInstalmentCollected):
            b.add(f"INSERT INTO {self.t('cluster_bank_collections')} (cluster_id, position, "
                  "bank_loan_no, collected_on, taka, charge, principal) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?)", (gid, e.position, e.bank_loan_no, day, paisa(e.taka),
                                            paisa(e.charge), paisa(e.principal)))
        elif isinstance(e, ev.LoanDisbursed):
            b.add(f"INSERT INTO {self.t('loans')} (group_id, loan_no, position, member_no, "
                  "principal, rate, method, frequency, instalments, grace, disbursed_on, "
                  "purpose, approved_by, schedule, written_off, written_off_on) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)",
                  (gid, e.loan_no, e.position, e.member_no, paisa(e.principal), str(e.rate),
                   e.method, e.frequency, e.instalments, e.grace, day, e.purpose,
                   e.approved_by, canonical(list(e.schedule))))
        elif isinstance(e, ev.LoanRepaid):
            b.add(f"INSERT INTO {self.t('loan_repayments')} (group_id, position, loan_no, "
                  "paid_on, taka, charge, principal) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (gid, e.position, e.loan_no, day, paisa(e.taka), paisa(e.charge),
                   paisa(e.principal)))
        elif isinstance(e, ev.LoanRescheduled):
            b.add(f"UPDATE {self.t('loans')} SET schedule = ? WHERE group_id = ? AND "
                  "loan_no = ?", (canonical(list(e.schedule)), gid, e.loan_no))
        elif isinstance(e, ev.LoanWrittenOff):
            b.add(f"UPDATE {self.t('loans')} SET written_off = written_off + ?, "
                  "written_off_on = ? WHERE group_id = ? AND loan_no = ?",
                  (paisa(e.principal), day, gid, e.loan_no))
        elif isinstance(e, ev.PlanAdopted):
            b.add(f"INSERT INTO {self.t('plans')} (group_id, year, position, adopted_on, body) "
                  "VALUES (?, ?, ?, ?, ?)", (gid, e.year, e.position, day, canonical(
                      {k: v for k, v in e.content().items() if k != "year"})))
        elif isinstance(e, ev.ReviewHeld):
            b.add(f"INSERT INTO {self.t('reviews')} (group_id, year, position, held_on, body, "
                  "seal) VALUES (?, ?, ?, ?, ?, ?)", (gid, e.year, e.position, day, canonical(
                      {k: v for k, v in e.content().items() if k != "year"}),
                      seal(e.chain_hash)))
        elif isinstance(e, ev.MouSigned):
            b.add(f"INSERT INTO {self.t('cluster_mous')} (cluster_id, version, position, "
                  "signed_on, parties, commitments) VALUES (?, ?, ?, ?, ?, ?)",
                  (gid, e.version, e.position, day,
                   json.dumps(list(e.parties), ensure_ascii=False),
                   json.dumps(list(e.commitments), ensure_ascii=False)))
        elif isinstance(e, ev.ExtremePoorListed):
            b.add(f"INSERT INTO {self.t('cluster_extreme_poor')} (cluster_id, position, "
                  "household, head, village, reason, identified_by, listed_on) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?)", (gid, e.position, e.household, e.head,
                                               e.village, e.reason, e.identified_by, day))
        elif isinstance(e, ev.SafetyNetApplied):
            b.add(f"INSERT INTO {self.t('cluster_safety_nets')} (cluster_id, position, entry, "
                  "scheme, applied_to, applied_on, outcome, decided_on, value, note) VALUES "
                  "(?, ?, ?, ?, ?, ?, NULL, NULL, NULL, '')",
                  (gid, e.position, e.household_entry, e.scheme, e.applied_to, day))
        elif isinstance(e, ev.SafetyNetDecided):
            value = None if e.value is None else paisa(Decimal(e.value))
            b.add(f"UPDATE {self.t('cluster_safety_nets')} SET outcome = ?, decided_on = ?, "
                  "value = ?, note = ? WHERE cluster_id = ? AND position = ?",
                  (e.outcome, day, value, e.note, gid, e.application))
        elif isinstance(e, ev.TrainingHeld):
            b.add(f"INSERT INTO {self.t('cluster_trainings')} (cluster_id, position, held_on, "
                  "title, kind, facilitator, members_female, members_male, others_female, "
                  "others_male) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (gid, e.position, day, e.title, e.kind, e.facilitator, e.members_female,
                   e.members_male, e.others_female, e.others_male))
        elif isinstance(e, ev.PlatformMeetingHeld):
            b.add(f"INSERT INTO {self.t('cluster_meetings')} (cluster_id, position, "
                  "meeting_date, chair, host, attended, attendance, decisions) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?)",
                  (gid, e.position, day, e.chair, e.host, len(e.attendance),
                   json.dumps(list(e.attendance), ensure_ascii=False),
                   json.dumps(list(e.decisions), ensure_ascii=False)))
        elif isinstance(e, ev.MeetingHeld):
            self._meeting(b, gid, e.position, day, e.content(), at, insert=True,
                          sealed=seal(e.chain_hash))
        elif isinstance(e, ev.EntryCorrected):
            if e.target_type == "MeetingHeld" and e.now is not None:
                self._meeting(b, gid, e.target, day, e.now, at, insert=False)
            lines: dict[int, list[int]] = defaultdict(lambda: [0] * len(_LINE))
            for sign, content in ((-1, e.was), (1, e.now)):
                if content is None:
                    continue
                for member, line in passbook_lines(e.target_type, content).items():
                    for i, v in enumerate(line):
                        lines[member][i] += sign * v
            how = "adjusted" if e.now is not None else "reversed"
            self._passbook(b, gid, e.position, day, at, kind, lines,
                           f"#{e.target} {how}: {e.reason}")
        if e.is_movement:
            self._passbook(b, gid, e.position, day, at, kind,
                           passbook_lines(kind, e.content()), "")
        for p in postings(e):
            b.movements[gid, p.account, p.commodity, day] += p.amount
        key = (gid, e.idempotency_key)
        if key in b.commands:
            b.commands[key][2] = e.position
        else:
            b.commands[key] = [e.command_hash, e.position, e.position]
        b.heads[gid] = (e.position, at)

    def _passbook(self, b: ProjectionBatch, gid: str, position: int, day: str, at: str,
                  kind: str, lines: Mapping[int, Sequence[int]], memo: str) -> None:
        for member, line in sorted(lines.items()):
            b.add(self._passbook_sql, (gid, member, position, day, at, kind, *line, memo))

    def _meeting(self, b: ProjectionBatch, gid: str, position: int, day: str,
                 f: Mapping[str, Any], at: str, *, insert: bool, sealed: str = "") -> None:
        cash = None if f["counted_cash"] is None else paisa(Decimal(f["counted_cash"]))
        attendance = json.dumps(list(f["attendance"]))
        if insert:
            b.add(f"INSERT INTO {self.t('meetings')} (group_id, position, meeting_date, "
                  "attended, attendance, counted_cash, counted_rice, notes, recorded_at, seal) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (gid, position, day, len(f["attendance"]), attendance, cash,
                   f["counted_rice_grams"], f["notes"], at, sealed))
        else:
            b.add(f"UPDATE {self.t('meetings')} SET attended = ?, attendance = ?, "
                  "counted_cash = ?, counted_rice = ?, notes = ? WHERE group_id = ? AND "
                  "position = ?", (len(f["attendance"]), attendance, cash,
                                   f["counted_rice_grams"], f["notes"], gid, position))

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every projection row, sorted (zero movements dropped): for comparing rebuilds."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        for name in TABLES:
            rows = self.db.query(f"SELECT * FROM {self.t(name)}")
            if name in ("movements", "balances"):
                rows = [r for r in rows if r["amount"]]
            out[name] = sorted((tuple(r[k] for k in sorted(r)) for r in rows), key=repr)
        return out
