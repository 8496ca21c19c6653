"""The examples in the README run and say what they should."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wallet_story_ends_with_money_conserved() -> None:
    output = _run("wallet_story.py")
    assert "payment approved" in output
    assert "disputes decided by default                 1" in output
    assert output.rstrip().endswith("== Money conserved: ledger sums to 0.00 CNY ==")


def test_the_core_tour_runs() -> None:
    assert "Money is exact" in _run("core_tour.py")
