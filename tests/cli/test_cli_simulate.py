"""``icbc-wallet simulate``: the newcomer's first command, end to end on SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]
SMALL = ("--days", "3", "--customers", "6", "--merchants", "3", "--seed", "11")


def _wallets(db: Path) -> int:
    with closing(sqlite3.connect(db)) as connection:
        (count,) = connection.execute("SELECT count(*) FROM wallets").fetchone()
    assert isinstance(count, int)
    return count


def test_a_run_reports_and_a_second_run_continues_on_the_same_database(
    cli: Cli, tmp_path: Path
) -> None:
    first = cli("simulate", *SMALL, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["conserved"] is True
    assert report["database_checked"] is True
    assert report["operations"], "a simulated period does something"
    wallets = _wallets(tmp_path / "wallet.db")
    assert wallets == 6

    second = cli("simulate", *SMALL, "--json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["period"]["start"] > report["period"]["end"]  # the next period, not a replay
    assert again["conserved"] is True
    assert _wallets(tmp_path / "wallet.db") == wallets  # the same customers, not new ones


def test_the_report_is_readable_text_by_default(cli: Cli, tmp_path: Path) -> None:
    ran = cli("simulate", *SMALL, "--db", str(tmp_path / "bank.db"))
    assert ran.returncode == 0, ran.stderr
    for section in ("Operations", "Declines", "Fees", "conserved"):
        assert section.lower() in ran.stdout.lower(), section
    assert "days simulated in" in ran.stdout
    assert (tmp_path / "bank.db").exists()


def test_bad_options_are_usage_errors_and_create_no_database(cli: Cli, tmp_path: Path) -> None:
    for option in (("--days", "0"), ("--customers", "many"), ("--policy", "nope")):
        ran = cli("simulate", *option)
        assert ran.returncode == 2, option
        assert "error" in ran.stderr
    assert not (tmp_path / "wallet.db").exists()


def test_a_database_that_is_not_sqlite_is_refused_without_damage(cli: Cli, tmp_path: Path) -> None:
    precious = tmp_path / "notes.db"
    precious.write_bytes(b"my notes, not a database\n" * 10)
    ran = cli("simulate", *SMALL, "--db", str(precious))
    assert ran.returncode != 0
    assert "Traceback" not in ran.stderr
    assert precious.read_bytes() == b"my notes, not a database\n" * 10
