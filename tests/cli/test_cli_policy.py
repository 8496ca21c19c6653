"""``icbc-wallet policy``: presets as files, and bad policy files pointed at precisely."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from icbc_wallet.policy_files import loads_policies, policies_equal, preset_names, preset_policies

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_presets_are_listed_with_their_files(cli: Cli) -> None:
    ran = cli("policy", "presets", "--json")
    assert ran.returncode == 0, ran.stderr
    listed = json.loads(ran.stdout)["presets"]
    assert [preset["name"] for preset in listed] == list(preset_names())
    for preset in listed:
        assert Path(preset["file"]).is_file()


def test_show_prints_a_preset_that_loads_back_equal(cli: Cli) -> None:
    for name in preset_names():
        ran = cli("policy", "show", name)
        assert ran.returncode == 0, ran.stderr
        assert policies_equal(loads_policies(ran.stdout), preset_policies(name))


def test_a_shown_preset_saved_to_a_file_checks_valid(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bank.toml").write_text(cli("policy", "show", "guarded").stdout, encoding="utf-8")
    ran = cli("policy", "check", "bank.toml")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "bank.toml: valid" in ran.stdout
    assert "authentication and risk on" in ran.stdout


@pytest.mark.parametrize(
    ("replace", "by", "key"),
    [
        ('daily = "5000.00"', "daily = 5000.0", "daily"),
        ('daily = "5000.00"', 'daly = "5000.00"', "daly"),
        ('daily = "5000.00"', 'daily = "lots"', "daily"),
    ],
)
def test_a_bad_file_is_pointed_at_by_line_and_key(
    cli: Cli, tmp_path: Path, replace: str, by: str, key: str
) -> None:
    text = cli("policy", "show", "default").stdout
    assert replace in text
    bad = text.replace(replace, by, 1)
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    line = bad.splitlines().index(by) + 1
    ran = cli("policy", "check", "bad.toml")
    assert ran.returncode == 1
    assert ran.stdout.startswith(f"bad.toml:{line}: "), ran.stdout
    assert key in ran.stdout
    report = json.loads(cli("policy", "check", "bad.toml", "--json").stdout)["files"][0]
    assert report["valid"] is False
    assert report["line"] == line


def test_a_toml_syntax_error_gives_its_line(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('[limits]\ncurrency = "CNY"\ntiers = [\n', "utf-8")
    ran = cli("policy", "check", "broken.toml")
    assert ran.returncode == 1
    assert ran.stdout.startswith("broken.toml:"), ran.stdout


def test_checking_several_files_reports_each_and_a_missing_one_exits_2(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "good.toml").write_text(cli("policy", "show", "default").stdout, "utf-8")
    ran = cli("policy", "check", "good.toml", "absent.toml")
    assert ran.returncode == 2
    assert "good.toml: valid" in ran.stdout
    assert "absent.toml: cannot open" in ran.stdout


def test_another_command_refuses_an_invalid_policy_file_with_exit_2(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "bad.toml").write_text("[limits]\nsurprise = 1\n", "utf-8")
    ran = cli("quote", "withdrawal", "10", "--policy", "bad.toml")
    assert ran.returncode == 2
    assert ran.stderr.startswith("icbc-wallet: error: invalid policy file: bad.toml")
