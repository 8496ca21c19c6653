"""The "write your own adapter" guide shows files that run: the adapter and its contract test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _run(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=cwd
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_guide_shows_the_example_files_themselves() -> None:
    guide = (ROOT / "docs" / "guides" / "adapters.md").read_text(encoding="utf-8")
    assert '--8<-- "examples/custom_notifier.py"' in guide
    assert '--8<-- "examples/test_custom_notifier.py"' in guide


def test_the_example_notifier_passes_the_shipped_contract_and_its_own_tests() -> None:
    output = _run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_custom_notifier.py", cwd=EXAMPLES
    )
    assert "5 passed" in output


def test_the_example_writes_each_notification_once(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    output = _run(str(EXAMPLES / "custom_notifier.py"), str(path), cwd=tmp_path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len({row["id"] for row in rows}) == len(rows) == 5
    assert "You paid 35.50 CNY" in output
    assert output.rstrip().endswith("after a redelivery the file still holds 5 notifications")
