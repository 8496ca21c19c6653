"""``icbc-wallet replay`` and ``generate``: files in, decisions and a comparison out."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


Cli = Callable[..., subprocess.CompletedProcess[str]]
HEADER = "id,customer,tier,at,kind,method,amount\n"
GOOD = "t1,c1,WL04,2026-03-02T10:00:00+08:00,payment,static_qr,120.00\n"


def _stricter(cli: Cli, tmp_path: Path) -> Path:
    """The default set with WL04's per-transaction cap cut from 2,000 to 200."""
    text = cli("policy", "show", "default").stdout
    before = 'per_transaction = "2000.00"'
    cut = text.index(before, text.index('name = "WL04"'))
    path = tmp_path / "strict.toml"
    path.write_text(text[:cut] + 'per_transaction = "200.00"' + text[cut + len(before) :], "utf-8")
    assert cli("policy", "check", str(path)).returncode == 0
    return path


def test_a_generated_file_replays_side_by_side(cli: Cli, tmp_path: Path) -> None:
    assert cli("generate", "tx.csv", "--rows", "2000", "--customers", "150").returncode == 0
    strict = _stricter(cli, tmp_path)
    ran = cli(
        "replay",
        "tx.csv",
        "--policy",
        "default",
        "--against",
        str(strict),
        "--json",
        "--output",
        "rows.csv",
    )
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["rows"] == 2000
    assert summary["bad_rows"] == 0
    comparison = summary["comparison"]
    assert comparison["approvals_lost"] > 0  # a 200 cap refuses what 2,000 allowed
    written = tmp_path / "rows.csv"
    assert written.stat().st_mode & 0o777 == 0o666 & ~_umask()  # as any new file, not 0600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers
    with written.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2000
    lost = sum(1 for r in rows if r["a_approved"] == "True" and r["b_approved"] == "False")
    gained = sum(1 for r in rows if r["a_approved"] == "False" and r["b_approved"] == "True")
    assert (lost, gained) == (comparison["approvals_lost"], comparison["approvals_gained"])
    assert lost > gained  # a stricter cap can free room later, but mostly it refuses
    assert {r["b_reason"] for r in rows if r["b_approved"] == "False"} >= {"limit.per_transaction"}


def test_the_text_summary_has_a_column_per_policy_and_the_change(cli: Cli, tmp_path: Path) -> None:
    assert cli("generate", "tx.csv", "--rows", "300").returncode == 0
    ran = cli("replay", "tx.csv", "--against", str(_stricter(cli, tmp_path)))
    assert ran.returncode == 0, ran.stderr
    assert "default" in ran.stdout
    assert "strict.toml" in ran.stdout
    assert "change" in ran.stdout
    assert "approvals lost" in ran.stdout


def test_bad_rows_are_reported_with_line_numbers_and_exit_1(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "tx.csv").write_text(
        HEADER
        + GOOD
        + "t2,c1,WL04,not-a-date,payment,static_qr,1.00\n"
        + "t3,c1,WL04,2026-03-02T11:00:00+08:00,payment,static_qr,1.001\n"
        + GOOD.replace("t1", "t4").replace("static_qr", "carrier_pigeon"),
        "utf-8",
    )
    ran = cli("replay", "tx.csv", "--json", "--errors", "bad.csv")
    assert ran.returncode == 1
    assert "tx.csv:3:" in ran.stderr
    assert "tx.csv:4:" in ran.stderr
    assert "tx.csv:5:" in ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["rows"] == 1
    assert summary["bad_rows"] == 3  # every line is accounted for: 1 + 3 = 4 data lines
    with (tmp_path / "bad.csv").open(encoding="utf-8") as handle:
        assert [row["line"] for row in csv.DictReader(handle)] == ["3", "4", "5"]


def test_a_file_without_the_required_columns_is_refused_with_exit_2(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "tx.csv").write_text("id,amount\nt1,5\n", "utf-8")
    ran = cli("replay", "tx.csv")
    assert ran.returncode == 2
    assert "icbc-wallet: error:" in ran.stderr
    assert "customer" in ran.stderr
    assert ran.stdout == ""


def test_a_missing_transaction_file_is_a_usage_error(cli: Cli) -> None:
    ran = cli("replay", "absent.csv")
    assert ran.returncode == 2
    assert "absent.csv" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_parquet_file_replays_like_its_csv(cli: Cli, tmp_path: Path) -> None:
    import pandas as pd  # noqa: PLC0415

    assert cli("generate", "tx.csv", "--rows", "500").returncode == 0
    pd.read_csv(tmp_path / "tx.csv", dtype=str).to_parquet(tmp_path / "tx.parquet")
    from_csv = json.loads(cli("replay", "tx.csv", "--json").stdout)
    from_parquet = json.loads(cli("replay", "tx.parquet", "--json").stdout)
    del from_csv["transactions"], from_parquet["transactions"]
    assert from_parquet == from_csv


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("generate", "tx.csv", "--rows", "50").returncode == 0
    before = (tmp_path / "tx.csv").read_bytes()
    for option in ("--output", "--errors"):
        ran = cli("replay", "tx.csv", option, "./tx.csv")
        assert ran.returncode == 2, option
        assert "is the transaction file" in ran.stderr
    assert (tmp_path / "tx.csv").read_bytes() == before


def test_a_failed_replay_leaves_an_existing_output_file_as_it_was(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "keep.csv").write_text("my earlier decisions\n", "utf-8")
    (tmp_path / "bad-header.csv").write_text("id,amount\nt1,5\n", "utf-8")
    for source in ("absent.csv", "bad-header.csv"):
        ran = cli("replay", source, "--output", "keep.csv", "--errors", "keep-errors.csv")
        assert ran.returncode == 2
    assert (tmp_path / "keep.csv").read_text("utf-8") == "my earlier decisions\n"
    assert not (tmp_path / "keep-errors.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad-header.csv", "keep.csv"]
