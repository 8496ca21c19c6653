"""The examples in the README run and say what they should."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str, *args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wallet_story_ends_with_money_conserved_in_a_database_file(tmp_path: Path) -> None:
    output = _run("wallet_story.py", cwd=tmp_path)  # the README's command: wallet.db by default
    assert (tmp_path / "wallet.db").exists()
    assert "payment approved" in output
    assert "disputes decided by default                 1" in output
    assert "right password after 3 wrong: locked" in output
    assert "== Database checks passed ==" in output
    assert output.rstrip().endswith("== Money conserved: ledger sums to 0.00 CNY ==")


def test_a_second_run_of_the_story_continues_the_same_database(tmp_path: Path) -> None:
    database = str(tmp_path / "story.db")
    first = _run("wallet_story.py", "--db", database)
    second = _run("wallet_story.py", "--db", database)
    assert "== A month from 2026-03-01 ==" in first
    assert "== A month from 2026-03-01 ==" not in second  # the next month, not the same again
    wallets = [line.split() for line in second.splitlines() if line.strip().startswith("wallet:")]
    assert len(wallets) == 2  # the same two funded customers came back, not new registrations
    assert second.rstrip().endswith("== Money conserved: ledger sums to 0.00 CNY ==")


def test_the_core_tour_runs() -> None:
    assert "Money is exact" in _run("core_tour.py")
