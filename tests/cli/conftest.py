"""Run the real ``icbc-wallet`` console script, the way a user's shell does.

The ``cli`` fixture returns ``subprocess.CompletedProcess[str]`` (so test modules need nothing
from here but the fixture): ``cli("quote", "withdrawal", "2000").stdout``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("icbc-wallet" + (".exe" if os.name == "nt" else ""))


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the installed console script in a temporary directory (``cwd=`` to change it)."""
    assert SCRIPT.exists(), f"the console script is not installed next to {sys.executable}"

    def run(
        *args: str, cwd: Path = tmp_path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
            check=False,
        )

    return run
