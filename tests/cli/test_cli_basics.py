"""The command line as a whole: help, version, usage errors and exit codes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
COMMANDS = ("simulate", "replay", "generate", "quote", "limits", "policy")


def test_help_lists_every_command_and_the_exit_codes(cli: Cli) -> None:
    ran = cli("--help")
    assert ran.returncode == 0
    for command in COMMANDS:
        assert command in ran.stdout
    assert "exit codes" in ran.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_with_usage(cli: Cli, command: str) -> None:
    ran = cli(command, "--help")
    assert ran.returncode == 0
    assert f"icbc-wallet {command}" in ran.stdout
    assert ran.stderr == ""


def test_version_names_the_installed_package(cli: Cli) -> None:
    ran = cli("--version")
    assert ran.returncode == 0
    assert ran.stdout.startswith("icbc-wallet ")


def test_no_command_is_a_usage_error(cli: Cli) -> None:
    ran = cli()
    assert ran.returncode == 2
    assert "COMMAND" in ran.stderr
    assert ran.stdout == ""


def test_an_unknown_command_is_a_usage_error(cli: Cli) -> None:
    ran = cli("frobnicate")
    assert ran.returncode == 2
    assert "invalid choice" in ran.stderr
    assert ran.stdout == ""


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "icbc_wallet.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "simulate" in done.stdout
