"""The replay benchmark still runs, and its two sides still agree (a quick run, not a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_replay.py"


def test_the_replay_benchmark_runs_quickly_and_both_sides_agree() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "3000", "--customers", "100", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("generated 3,000 rows for 100 customers")
    assert lines[1].startswith("both sides: ")  # printed once the totals were found equal
    assert "ratio" in lines[2]
    assert "goal <= 5.0x" in lines[2]
