"""How tests/data/ledger-0.1.0.db.gz was made (run once, with coopledger 0.1.0 at commit
4eb4604; it will not run against later versions, whose API changed).

The demo of 0.1.0, plus the event types the demo does not record (a role ended, a group
leaving a cluster, a representative stepping down, a loan rescheduled and another written
off), then the figures 0.1.0's reports gave, for the upcasting test to compare with.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from coopledger import Ledger, audit
from coopledger import demo as demo_module
from coopledger.reports import to_json

HERE = Path(__file__).parent


def main(out: Path) -> None:
    db = out / "ledger-0.1.0.db"
    db.unlink(missing_ok=True)
    with Ledger(str(db), user="maker") as ledger:
        demo_module.build(ledger)
        ledger.clock = lambda: datetime(2016, 11, 30, 8, 0, tzinfo=UTC)
        day = date(2016, 11, 25)
        ledger.end_role("JOBA", member=1, role="leader", date=day, key="x-role")
        ledger.assign_role("JOBA", member=2, role="leader", date=day, key="x-role2")
        open_loans = [
            (g["code"], x["loan_no"])
            for g in ledger.reports.groups()
            for x in ledger.reports.loans(g["code"])
            if x["outstanding"] > 0
        ]
        ledger.reschedule_loan(
            open_loans[0][0],
            loan=open_loans[0][1],
            instalments=6,
            reason="harvest failed",
            approved_by="group leader",
            date=day,
            key="x-resched",
        )
        ledger.write_off_loan(
            open_loans[-1][0],
            loan=open_loans[-1][1],
            reason="member migrated",
            approved_by="group leader",
            date=day,
            key="x-writeoff",
        )
        platform = ledger.reports.platform("CHIRIRBANDAR-1")
        rep = platform["representatives"][0]
        ledger.representative_steps_down(
            "CHIRIRBANDAR-1",
            group=rep["group_code"],
            member=rep["member_no"],
            reason="moved away",
            date=day,
            key="x-stepdown",
        )
        other = next(c for c in ledger.reports.clusters() if c["code"] != "CHIRIRBANDAR-1")
        ledger.leave_cluster(
            other["code"],
            group=other["groups"][0],
            reason="joined a union network",
            date=day,
            key="x-leave",
        )
        figures: dict[str, object] = {"groups": {}, "heads": {}}
        for g in ledger.reports.groups():
            code = g["code"]
            figures["groups"][code] = {  # type: ignore[index]
                "position": ledger.reports.position(code).as_dict(),
                "position_2016_03_31": ledger.reports.position(
                    code, as_of=date(2016, 3, 31)
                ).as_dict(),
                "trial_balance": ledger.reports.trial_balance(code).as_dict(),
                "members": ledger.reports.member_totals(code),
                "loans": [
                    {
                        k: x[k]
                        for k in (
                            "loan_no",
                            "member_no",
                            "principal",
                            "principal_paid",
                            "charge_paid",
                            "written_off",
                            "outstanding",
                        )
                    }
                    for x in ledger.reports.loans(code, as_of=date(2016, 11, 25))
                ],
                "seals": [m.seal for m in ledger.reports.reconciliation(code).meetings],
            }
        for c in ledger.reports.clusters():
            figures.setdefault("bank_loans", {})[c["code"]] = [  # type: ignore[index]
                {k: x[k] for k in ("bank_loan_no", "borrower", "principal", "collected")}
                for x in ledger.reports.bank_loans(c["code"])["loans"]
            ]
        for check in audit.verify(ledger).checks:
            figures["heads"][check.group] = check.head  # type: ignore[index]
        events = ledger.db.query("SELECT COUNT(*) AS n FROM stored_events")[0]["n"]
        figures["events"] = events
    # Keep the log (and eventsourcing's snapshots); the projections are rebuilt by any
    # later version, so they are left out of the stored file.
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cl_%'"
    ).fetchall():
        conn.execute(f'DROP TABLE "{name}"')
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("VACUUM")
    conn.close()
    with db.open("rb") as src, gzip.open(out / "ledger-0.1.0.db.gz", "wb", 9) as dst:
        shutil.copyfileobj(src, dst)
    db.unlink()
    (out / "ledger-0.1.0.json").write_text(to_json(figures) + "\n", encoding="utf-8")
    print(f"{events} events", file=sys.stderr)


if __name__ == "__main__":
    main(HERE)
