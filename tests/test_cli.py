"""The coopledger command line, end to end on a file."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopledger.cli import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("cli") / "demo.db")
    result = CliRunner().invoke(main, ["--db", db, "demo"])
    assert result.exit_code == 0, result.output
    assert "Group positions" in result.output and "SHAPLA" in result.output
    return db


def run(*args: str, db: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.output


def test_trial_balance_json_sums_to_zero_for_taka_and_rice(demo_db: str) -> None:
    code, out = run("report", "trial-balance", "--format", "json", db=demo_db)
    assert code == 0
    tb = json.loads(out)
    assert tb["totals"] == {"BDT": "0.00", "RICE": 0}
    assert sum(Decimal(r["balance"]) for r in tb["rows"] if r["commodity"] == "BDT") == 0
    assert sum(r["balance"] for r in tb["rows"] if r["commodity"] == "RICE") == 0


def test_passbook_and_group_reports_with_as_of(demo_db: str) -> None:
    code, out = run(
        "report",
        "passbook",
        "--group",
        "joba",
        "--member",
        "3",
        "--as-of",
        "2016-01-01",
        "--format",
        "json",
        db=demo_db,
    )
    assert code == 0
    book = json.loads(out)
    assert book["as_of"] == "2016-01-01"
    assert all(line["business_date"] <= "2016-01-01" for line in book["lines"])
    code, out = run("report", "group", "--group", "JOBA", "--as-of", "2016-01-01", db=demo_db)
    assert code == 0 and "rice in stock" in out
    code, out = run("report", "passbook", "--group", "JOBA", "--member", "3", db=demo_db)
    assert code == 0 and "Passbook of" in out
    code, out = run("report", "reconciliation", "--group", "SHAPLA", db=demo_db)
    assert code == 0 and "CHECK" in out


def test_unknown_group_exits_non_zero_naming_it(demo_db: str) -> None:
    code, out = run("report", "group", "--group", "NOPE", db=demo_db)
    assert code == 2
    assert "group='NOPE'" in out


@pytest.mark.parametrize(
    "args",
    [
        ("report", "portfolio", "--cluster", "NOPE"),
        ("report", "bank-loans", "--cluster", "NOPE"),
        ("report", "platform", "--cluster", "NOPE"),
        ("report", "programme", "--by", "cluster", "--clusters", "CHIRIRBANDAR-1,NOPE"),
        ("groups", "--cluster", "NOPE"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_unknown_cluster_exits_non_zero_naming_it(demo_db: str, args: tuple[str, ...]) -> None:
    code, out = run(*args, db=demo_db)
    assert code == 2, out
    assert "cluster='NOPE'" in out


def test_import_is_validated_whole_and_applied_all_or_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    good = [
        {
            "command": "form_group",
            "group": "DOEL",
            "date": "2016-01-01",
            "key": "f",
            "name": "Doel Nari Dal",
            "kind": "women",
            "meeting_day": "friday",
            "district": "Dinajpur",
            "upazila": "Chirirbandar",
            "village": "Surail",
        },
        {
            "command": "join_member",
            "group": "DOEL",
            "date": "2016-01-01",
            "key": "j1",
            "name": "Rina",
            "household": "H1",
            "gender": "female",
            "landless": True,
            "wellbeing": "poor",
        },
        {
            "command": "record_meeting",
            "group": "DOEL",
            "date": "2016-01-08",
            "key": "m1",
            "attendance": [1],
            "deposits": [{"member": 1, "grams": 1400}],
            "sales": [{"buyer": 1, "grams": 1000, "taka_per_kg": 30.5}],
            "counted_cash": "30.50",
            "counted_rice_grams": 400,
        },
    ]
    bad = [
        *good,
        {
            "command": "deposit_rice",
            "group": "DOEL",
            "date": "2016-01-08",
            "member": 2,
            "grams": 100,
        },
        {"command": "deposit_rice", "group": "DOEL", "date": "2016-01-08", "member": 1, "grams": 0},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in bad) + "\n")
    code, out = run("import", str(path), db=db)
    assert code == 2
    assert "line 5" in out and "grams" in out
    assert "nothing was written" in out
    code, out = run("groups", "--format", "json", db=db)
    assert json.loads(out) == []

    path.write_text("\n".join(json.dumps(c) for c in good[:3]) + "\n")
    code, out = run("import", str(path), db=db)
    assert code == 0, out
    assert "3 recorded" in out
    code, out = run("import", str(path), db=db)  # a re-run import records nothing twice
    assert code == 0 and "0 recorded" in out
    code, out = run("report", "group", "--group", "DOEL", "--format", "json", db=db)
    position = json.loads(out)
    assert position["cash"] == "30.50" and position["rice_stock_grams"] == 400


def test_import_reports_rule_breaks_by_line(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    lines = [
        {
            "command": "form_group",
            "group": "DOEL",
            "date": "2016-01-01",
            "name": "Doel Nari Dal",
            "kind": "women",
            "meeting_day": "friday",
            "district": "Dinajpur",
            "upazila": "Chirirbandar",
            "village": "Surail",
        },
        {
            "command": "join_member",
            "group": "DOEL",
            "date": "2016-01-01",
            "name": "Rina",
            "household": "H1",
            "gender": "female",
            "landless": True,
            "wellbeing": "poor",
        },
        {
            "command": "sell_rice",
            "group": "DOEL",
            "date": "2016-01-08",
            "buyer": 1,
            "grams": 500,
            "taka_per_kg": "30",
        },
        "not json",
    ]
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines))
    code, out = run("import", str(path), db=db)
    assert code == 2 and "line 4" in out
    path.write_text("\n".join(json.dumps(x) for x in lines[:3]))
    code, out = run("import", str(path), db=db)
    assert code == 2 and "line 3" in out and "not enough rice" in out
    assert json.loads(run("groups", "--format", "json", db=db)[1]) == []


def test_rebuild_and_schema_commands(demo_db: str) -> None:
    code, out = run("rebuild", db=demo_db)
    assert code == 0 and "Rebuilt" in out
    code, out = run("schema", db=demo_db)
    assert json.loads(out)["title"].startswith("coopledger command")


def test_db_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOPLEDGER_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(main, ["groups"])
    assert result.exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_the_release_is_written_once() -> None:
    """``coopledger.__version__`` is the one place: the package's metadata (what pip and
    an installer see) and ``coopledger --version`` say the same."""
    import importlib.metadata  # noqa: PLC0415
    import tomllib  # noqa: PLC0415

    import coopledger  # noqa: PLC0415

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "coopledger.__version__"
    }
    assert importlib.metadata.version("coopledger") == coopledger.__version__
    result = CliRunner().invoke(main, ["--version"])
    assert result.output == f"coopledger, version {coopledger.__version__}\n"


def test_plugins_lists_capabilities_commands_and_web_hooks(tmp_path: Path) -> None:
    """The plugins installed with this repository (editable, by ./dev), as JSON and as a
    table."""
    code, text = run("plugins", "--format", "json", db=str(tmp_path / "x.db"))
    assert code == 0, text
    listing = json.loads(text)
    compost = {c["name"]: c for c in listing["capabilities"]}["vermicompost"]
    assert compost["distribution"] == "coopweb-vermicompost"
    assert compost["events"] == ["CompostHarvested", "CompostInputsBought", "CompostSold"]
    assert "sell_compost" in compost["commands"]
    assert compost["error"] == ""
    commands = {c["name"]: c for c in listing["commands"]}
    assert commands["compost"]["target"] == "coopledger_vermicompost.cli:compost"
    web = {p["name"]: p for p in listing["web"]}
    assert "coopweb_permission" in web["coopweb.core"]["hooks"]
    assert web["coopweb.core"]["builtin"] is True
    assert web["rice_savings"]["distribution"] == "coopweb-rice-savings"
    assert "coopweb_group_template" in web["rice_savings"]["hooks"]
    code, text = run("plugins", db=str(tmp_path / "x.db"))
    assert code == 0, text
    assert "coopweb-cluster-platform" in text
    assert "CompostSold" in text


def test_a_plugins_command_runs_and_refuses_like_the_core(tmp_path: Path) -> None:
    db = str(tmp_path / "compost.db")
    from coopledger import Ledger  # noqa: PLC0415
    from coopledger.testing import D1, D2, seed_group  # noqa: PLC0415

    with Ledger(db) as ledger:
        seed_group(ledger, "JOBA", members=2)
        ledger.harvest_compost("JOBA", grams=150_000, notes="pit 1", date=D1)
        ledger.sell_compost("JOBA", buyer="Karim", grams=80_000, taka="960", date=D2)
    code, text = run("--lang", "en", "compost", "JOBA", db=db)
    assert code == 0, text
    assert "2015-11" in text
    assert "960.00" in text
    code, text = run("compost", "JOBA", "--format", "json", db=db)
    assert json.loads(text)["sold_grams"] == 80_000
    code, text = run("compost", "NOPE", db=db)
    assert code == 2
    assert "no such group" in text


def test_plugins_without_the_web_extra_lists_the_books_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "coopweb.app", None)  # as if litestar were missing
    code, text = run("plugins", db=str(tmp_path / "x.db"))
    assert code == 0, text
    assert "CompostSold" in text
    assert "Web plugins: none listed, the web extra is not installed (coopweb.app)." in text
    code, text = run("plugins", "--format", "json", db=str(tmp_path / "x.db"))
    assert json.loads(text)["web"] == []


def test_verify_and_replay_each_in_a_fresh_process(demo_db: str) -> None:
    """An auditor runs them one after the other, each a new process: verify reads no event
    type (it starts as fast as a report), replay imports every capability it needs. (The
    first process to open the file from another environment than the one that wrote it
    checks the projections' shape, which reads every capability: the second verify.)"""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    program = (
        "import sys\nfrom coopledger.cli import main\n"
        "try:\n    main([*sys.argv[1:]], standalone_mode=False)\n"
        "finally:\n    print('capabilities', 'coopledger.capabilities' in sys.modules)\n"
    )
    found = {}
    for command in ("verify", "verify", "replay"):
        result = subprocess.run(
            [sys.executable, "-c", program, "--db", demo_db, command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        found[command] = result.stdout
    assert "chain intact" in found["verify"] and "TAMPERED" not in found["verify"]
    assert "capabilities False" in found["verify"]
    assert "every projection matches" in found["replay"]
    assert "capabilities True" in found["replay"]


def test_a_passbook_read_in_a_fresh_process_says_what_each_line_is(demo_db: str) -> None:
    """A process that only reads reports (no event read or written before) still words
    each passbook line as a sentence, never a bare "Entry"."""
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "coopledger.cli",
            "--db",
            demo_db,
            "report",
            "passbook",
            "--group",
            "JOBA",
            "--member",
            "3",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    words = [line["wording"] for line in json.loads(done.stdout)["lines"]]
    assert words and "Entry" not in words
    assert any("rice" in w for w in words)


def test_lazy_command_tables_agree_with_the_commands_they_name() -> None:
    """The tables that let ``--help`` and ``report --help`` list commands without importing
    them hold each command's own name (and, for the reports, its first line of help)."""
    import importlib  # noqa: PLC0415

    from coopledger.cli import COMMANDS  # noqa: PLC0415
    from coopledger.cli.reports import ELSEWHERE  # noqa: PLC0415

    for name, (module, attribute, _text) in COMMANDS.items():  # (a summary of its help)
        assert getattr(importlib.import_module(module), attribute).name == name
    for name, (module, attribute, text) in ELSEWHERE.items():
        command = getattr(importlib.import_module(module), attribute)
        assert command.name == name
        assert command.get_short_help_str(200) == text, name


def test_a_group_report_does_not_import_the_platforms_or_the_loans(demo_db: str) -> None:
    """``report group`` starts as a report should: the other reports' modules (cluster
    platforms, agreements, loan products) and every capability are imported only when
    asked for."""
    import subprocess  # noqa: PLC0415

    program = (
        "import sys\nfrom coopledger.cli import main\n"
        "try:\n    main([*sys.argv[1:]], standalone_mode=False)\n"
        "finally:\n    print(sorted(m for m in sys.modules if m in {"
        "'coopledger.capabilities', 'coopledger.cli.platforms', 'coopledger.cli.agreements',"
        " 'coopledger.clusters.agreements', 'coopledger.loans.lending'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "--db", demo_db, "report", "group", "--group", "JOBA"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "JOBA" in done.stdout
    assert done.stdout.rstrip().endswith("[]"), done.stdout[-300:]
