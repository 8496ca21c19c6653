"""Damaged transaction files: a stray quote costs one row, a mistyped column is refused at once.

A quote left open makes CSV read every line after it into one cell; the reader reports the
record's first line as a bad row and reads the lines it swallowed again, so that the rows and
the bad rows still add up to the file's non-empty data lines.
"""

from __future__ import annotations

import gzip
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.analysis import (
    RowError,
    Transaction,
    generate_transactions,
    read_transactions,
    write_transactions,
)
from icbc_wallet.analysis._parsing import RowParser
from icbc_wallet.analysis._rows import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from icbc_wallet.errors import TransactionFileError

HEADER = "id,customer,tier,at,kind,method,amount,channel,currency"
GOOD = "t1,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,35.50,mobile,CNY"
LINES = [
    GOOD,
    "t2,c2,WL01,2026-03-02T12:05:00+08:00,withdrawal,,12,,",
    ",c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,,",  # no id
    "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,cash,1,,",  # no such method
    "t,c1,WL03",  # too few fields
    "",
]


def read_all(path: Path) -> list[Transaction | RowError]:
    with read_transactions(path) as rows:
        return list(rows)


def errors(rows: list[Transaction | RowError]) -> list[RowError]:
    return [row for row in rows if isinstance(row, RowError)]


def generated_file(folder: Path, rows: int, name: str = "tx.csv") -> tuple[Path, list[str]]:
    path = folder / name
    write_transactions(path, generate_transactions(rows=rows, customers=50))
    with gzip.open(path, "rt") if name.endswith(".gz") else path.open() as text:
        return path, text.read().splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    content = "\n".join(lines) + "\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(content.encode()))
    else:
        path.write_text(content, encoding="utf-8")


def test_a_stray_quote_costs_one_row_not_the_rows_it_runs_into(tmp_path: Path) -> None:
    path, lines = generated_file(tmp_path, 1000)
    expected = read_all(path)
    lines[2] = lines[2].replace(",C0", ',"C0', 1)  # as `sed -i '3s/,C0/,"C0/'` does
    rewrite(path, lines)
    rows = read_all(path)
    assert len(rows) == 1000
    (error,) = errors(rows)
    assert error.line == 3
    assert "from line 3 to line 1001" in error.message
    assert "lines 4 to 1001 are read again" in error.message
    assert rows[:1] + rows[2:] == expected[:1] + expected[2:]


def test_a_quote_open_past_csvs_field_limit_loses_no_line_either(tmp_path: Path) -> None:
    path, lines = generated_file(tmp_path, 2500, name="tx.csv.gz")  # ~200 kB: past 128 KiB
    lines[2] = lines[2].replace(",C0", ',"C0', 1)
    rewrite(path, lines)
    rows = read_all(path)
    assert len(rows) == 2500
    (error,) = errors(rows)
    assert error.line == 3
    assert "field larger than field limit" in error.message


def test_stray_quotes_inside_what_a_stray_quote_swallowed_are_recovered_too(
    tmp_path: Path,
) -> None:
    path, lines = generated_file(tmp_path, 400)
    for number in (3, 50, 51, 52, 300):  # a quote in the lines the one before swallowed
        lines[number - 1] = lines[number - 1].replace(",C0", ',"C0', 1)
    rewrite(path, lines)
    rows = read_all(path)
    assert len(rows) == 400
    assert [error.line for error in errors(rows)] == [3, 50, 51, 52, 300]


def test_a_quote_closing_one_cell_and_opening_another_is_recovered_from_too(
    tmp_path: Path,
) -> None:
    path, lines = generated_file(tmp_path, 30)
    lines[2] = lines[2].replace(",C0", ',"C0', 1)  # opens a cell
    identity, rest = lines[8].split(",", 1)
    lines[8] = f'{identity}",' + rest.replace(",WL", ',"WL', 1)  # closes it, opens another
    lines[14] = lines[14].replace(",C0", ',"C0', 1)  # closes that one before text
    rewrite(path, lines)
    rows = read_all(path)
    assert len(rows) == 30
    assert [error.line for error in errors(rows)] == [3, 9, 15]


def test_a_quote_closed_on_a_later_line_before_more_text_is_a_bad_row(tmp_path: Path) -> None:
    path, lines = generated_file(tmp_path, 20)
    lines[2] = lines[2].replace(",C0", ',"C0', 1)
    lines[5] = lines[5].replace(",C0", ',"C0', 1)  # would close the first: read as one row
    rewrite(path, lines)
    rows = read_all(path)
    assert len(rows) == 20
    assert [error.line for error in errors(rows)] == [3, 6]
    assert "',' expected after '\"'" in errors(rows)[0].message


def test_a_quote_closed_by_text_after_it_on_the_same_line_is_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    rewrite(path, [HEADER, '"t1"x' + GOOD[2:], GOOD])
    rows = read_all(path)
    assert [type(row) for row in rows] == [RowError, Transaction]
    assert "cannot be read as CSV" in errors(rows)[0].message


def test_a_bad_record_over_several_lines_is_read_again_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    bad_amount = '"t\n2",c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,abc,,'
    good_record = '"t\n3",c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,,'
    rewrite(path, [HEADER, bad_amount, good_record, GOOD])
    rows = read_all(path)
    assert [type(row) for row in rows] == [RowError, RowError, Transaction, Transaction]
    assert [error.line for error in errors(rows)] == [2, 3]
    assert "amount 'abc'" in errors(rows)[0].message
    assert rows[2].id == "t\n3"  # type: ignore[union-attr]  # a good quoted line break stays


@st.composite
def files_with_stray_quotes(draw: st.DrawFn) -> tuple[list[str], set[int]]:
    """Data lines (no quoted line breaks), some with quotes put in, and the indexes put into.

    A quote goes in before a character that is not a comma: it opens a cell, or is text inside
    one; where it would close an open cell, text follows it, which CSV cannot read.
    """
    lines = draw(st.lists(st.sampled_from(LINES), min_size=1, max_size=25))
    touched = draw(st.sets(st.integers(0, len(lines) - 1), max_size=4))
    for index in sorted(touched):
        places = [i for i, char in enumerate(lines[index]) if char != ","]
        if places:
            for place in sorted(draw(st.sets(st.sampled_from(places), min_size=1)), reverse=True):
                lines[index] = lines[index][:place] + '"' + lines[index][place:]
    return lines, {index for index in touched if '"' in lines[index]}


@settings(max_examples=60)
@given(files_with_stray_quotes())
def test_rows_and_bad_rows_add_up_to_the_non_empty_data_lines_with_stray_quotes(
    drawn: tuple[list[str], set[int]],
) -> None:
    lines, touched = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "tx.csv")
        rewrite(path, [HEADER, *lines])
        rows = read_all(path)
    numbered = [
        (number, index) for index, number in enumerate(range(2, len(lines) + 2)) if lines[index]
    ]
    assert len(rows) == len(numbered)
    for row, (number, index) in zip(rows, numbered, strict=True):
        if index not in touched:  # an untouched line reads as it always did
            assert isinstance(row, Transaction) == (lines[index] in LINES[:2])
        if isinstance(row, RowError):
            assert row.line == number


# A Parquet column of a type that cannot hold its values.


@pytest.fixture
def pyarrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, or a skip where the analysis extra is not installed."""
    return pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")


AT = datetime.fromisoformat("2026-03-02T12:00:00+08:00")
TABLE: dict[str, list[object]] = {
    "id": ["t1", "t2"],
    "customer": ["c1", "c2"],
    "tier": ["WL03", "WL03"],
    "at": [AT, AT],
    "kind": ["payment", "payment"],
    "method": ["nfc", "nfc"],
    "amount": ["1.00", "2.50"],
}


@pytest.mark.parametrize(
    ("column", "values", "shown"),
    [
        ("kind", [["payment"], ["payment"]], "list<element: string>, not text"),
        ("kind", [1, 2], "int64, not text"),
        ("method", [{"a": "nfc"}, {"a": "nfc"}], "struct<a: string>, not text"),
        ("channel", [True, False], "bool, not text"),
        ("currency", [1.5, 2.5], "double, not text"),
        ("customer", [["c1"], ["c2"]], "not text or whole numbers"),
        ("tier", [1.5, 2.5], "double, not text or whole numbers"),
    ],
)
def test_a_parquet_column_that_cannot_hold_text_refuses_the_file(
    tmp_path: Path, pyarrow: tuple[Any, Any], column: str, values: list[object], shown: str
) -> None:
    pa, pq = pyarrow
    pq.write_table(pa.table({**TABLE, column: values}), tmp_path / "typed.parquet")
    with pytest.raises(TransactionFileError, match=f"column {column} holds values of type") as info:
        read_transactions(tmp_path / "typed.parquet")
    assert shown in str(info.value)


def test_parquet_text_may_be_dictionary_encoded_or_all_missing_and_names_whole_numbers(
    tmp_path: Path, pyarrow: tuple[Any, Any]
) -> None:
    pa, pq = pyarrow
    table = {
        **TABLE,
        "kind": pa.array(["payment", "payment"]).dictionary_encode(),
        "customer": [7, 8],
        "channel": pa.array([None, None], pa.null()),
        "currency": pa.array(["CNY", "CNY"], pa.large_string()),
    }
    pq.write_table(pa.table(table), tmp_path / "typed.parquet")
    rows = read_all(tmp_path / "typed.parquet")
    assert [row.customer for row in rows] == ["7", "8"]  # type: ignore[union-attr]


COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
CELLS = ("t1", "c1", "WL03", AT, "payment", "nfc", "1.00", "mobile", "CNY")


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("value", [["x"], {"x": 1}, 1.5, True])
def test_a_cell_of_a_wrong_type_is_a_bad_row_naming_the_type_never_a_crash(
    column: str, value: object
) -> None:
    cells = list(CELLS)
    cells[COLUMNS.index(column)] = value
    row = RowParser(COLUMNS, "CNY").parse(cells, 7)
    assert isinstance(row, RowError)
    assert row.line == 7
    assert row.message.startswith(column)
    assert f"of type {type(value).__name__}" in row.message or "float" in row.message


def test_a_whole_number_names_a_customer_but_is_not_a_kind_or_a_method() -> None:
    parser = RowParser(COLUMNS, "CNY")
    assert isinstance(parser.parse([7, 8, "WL03", *CELLS[3:]], 2), Transaction)
    row = parser.parse([*CELLS[:4], 1, 2, *CELLS[6:]], 2)
    assert isinstance(row, RowError)
    assert row.message == "kind is of type int, not text; method is of type int, not text"
    assert RowParser(COLUMNS, "CNY").parse([*CELLS[:4], 1, None, *CELLS[6:]], 2) == RowError(
        2, "kind is of type int, not text"
    )
