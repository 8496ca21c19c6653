"""Reading and writing transaction files: every bad row is reported with its line, none dropped."""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.analysis import (
    RowError,
    Transaction,
    _parquet,
    generate_transactions,
    read_transactions,
    write_transactions,
)
from icbc_wallet.analysis._parsing import RowParser
from icbc_wallet.analysis._rows import REQUIRED_COLUMNS
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import (
    MissingExtraError,
    TransactionFileError,
    UnknownCurrencyError,
    WalletError,
)

HEADER = "id,customer,tier,at,kind,method,amount,channel,currency"
GOOD = "t1,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,35.50,mobile,CNY"

# A line of each bad kind, and the words its message must contain.
BAD_LINES = {
    "empty id": (",c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,,", "id is empty"),
    "empty customer": ("t,,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,,", "customer is empty"),
    "empty tier": ("t,c1,,2026-03-02T12:00:00+08:00,payment,nfc,1,,", "tier is empty"),
    "empty at": ("t,c1,WL03,,payment,nfc,1,,", "at is empty"),
    "not a timestamp": ("t,c1,WL03,2026-02-30T12:00,payment,nfc,1,,", "not an ISO 8601"),
    "no offset": ("t,c1,WL03,2026-03-02T12:00:00,payment,nfc,1,,", "no UTC offset"),
    "unknown kind": ("t,c1,WL03,2026-03-02T12:00:00+08:00,refund,nfc,1,,", "kind 'refund'"),
    "a top-up": ("t,c1,WL03,2026-03-02T12:00:00+08:00,top_up,nfc,1,,", "money in"),
    "empty kind": ("t,c1,WL03,2026-03-02T12:00:00+08:00,,nfc,1,,", "kind is empty"),
    "unknown method": ("t,c1,WL03,2026-03-02T12:00:00+08:00,payment,cash,1,,", "method 'cash'"),
    "wrong method": (
        "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,withdrawal,1,,",
        "cannot make a payment",
    ),
    "no method": ("t,c1,WL03,2026-03-02T12:00:00+08:00,payment,,1,,", "method is empty"),
    "empty amount": ("t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,,,", "amount is empty"),
    "words for an amount": (
        "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,twelve,,",
        "not a plain decimal",
    ),
    "fractions of a fen": (
        "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1.005,,",
        "too many decimal places",
    ),
    "a zero amount": ("t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,0.00,,", "not positive"),
    "a negative amount": ("t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,-5,,", "not positive"),
    "a vast amount": (
        "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,10000000000000000,,",
        "beyond the largest",
    ),
    "unknown channel": (
        "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,fax,",
        "channel 'fax'",
    ),
    "unknown currency": (
        "t,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,,ABC",
        "currency 'ABC'",
    ),
    "too few fields": ("t,c1,WL03", "3 fields but the header has 9"),
    "too many fields": (GOOD + ",extra", "10 fields but the header has 9"),
}


def write(folder: Path, *lines: str, name: str = "tx.csv") -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_all(path: Path) -> list[Transaction | RowError]:
    with read_transactions(path) as rows:
        return list(rows)


def message(row: Transaction | RowError) -> str:
    assert isinstance(row, RowError), row
    return row.message


def test_a_good_row_reads_as_a_transaction(tmp_path: Path) -> None:
    (row,) = read_all(write(tmp_path, HEADER, GOOD))
    assert row == Transaction(
        "t1",
        "c1",
        "WL03",
        datetime.fromisoformat("2026-03-02T12:00:00+08:00"),
        OperationKind.PAYMENT,
        PaymentMethod.NFC,
        Money.of("35.50"),
        Channel.MOBILE,
    )


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_each_kind_of_bad_row_is_reported_with_its_line_number(tmp_path: Path, kind: str) -> None:
    line, words = BAD_LINES[kind]
    rows = read_all(write(tmp_path, HEADER, GOOD, line, GOOD))
    assert [type(row) for row in rows] == [Transaction, RowError, Transaction]
    error = rows[1]
    assert isinstance(error, RowError)
    assert error.line == 3
    assert words in error.message


def test_a_row_with_several_problems_names_them_all(tmp_path: Path) -> None:
    (error,) = read_all(write(tmp_path, HEADER, ",c1,WL03,yesterday,payment,cash,abc,,"))
    assert isinstance(error, RowError)
    for words in ("id is empty", "at 'yesterday'", "method 'cash'", "amount 'abc'"):
        assert words in error.message


@given(st.lists(st.sampled_from([GOOD, *(line for line, _ in BAD_LINES.values())]), max_size=30))
def test_rows_and_bad_rows_add_up_to_the_data_lines_each_at_its_line(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = read_all(write(Path(folder), HEADER, *lines))
    assert len(rows) == len(lines)
    for number, (line, row) in enumerate(zip(lines, rows, strict=True), start=2):
        assert isinstance(row, Transaction) == (line == GOOD)
        if isinstance(row, RowError):
            assert row.line == number


def test_line_numbers_count_physical_lines_across_quoted_newlines_and_blank_lines(
    tmp_path: Path,
) -> None:
    quoted = '"t\n2",c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,1,,'
    bad = BAD_LINES["empty id"][0]
    rows = read_all(write(tmp_path, HEADER, GOOD, quoted, "", bad))
    assert [type(row) for row in rows] == [Transaction, Transaction, RowError]
    assert rows[1].id == "t\n2"  # type: ignore[union-attr]
    assert rows[2].line == 6  # type: ignore[union-attr]  # 1 header, 2 good, 3-4 quoted, 5 blank


def test_a_row_csv_cannot_read_is_a_bad_row_and_reading_goes_on(tmp_path: Path) -> None:
    huge = "x" * 200_000  # beyond csv's field size limit
    rows = read_all(write(tmp_path, HEADER, f"{huge},c1", GOOD))
    assert isinstance(rows[0], RowError)
    assert rows[0].line == 2
    assert "cannot be read as CSV" in rows[0].message
    assert isinstance(rows[1], Transaction)


PERSONAL = {
    "phone": "+86 13800138000",
    "resident id": "34052419800101001X",
    "card": "6225 7688 8888 8888",
    "name": "Zhang San",
    "chinese name": "张三",
}


@pytest.mark.parametrize("what", sorted(PERSONAL))
@pytest.mark.parametrize("column", ["at", "kind", "method", "amount", "channel", "currency"])
def test_a_message_never_repeats_what_could_be_personal_data(
    tmp_path: Path, what: str, column: str
) -> None:
    cells = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    cells[column] = PERSONAL[what]
    path = tmp_path / "tx.csv"
    path.write_text(f"{HEADER}\n" + ",".join(f'"{cell}"' for cell in cells.values()) + "\n")
    (error,) = read_all(path)
    assert isinstance(error, RowError)
    assert column in error.message
    assert PERSONAL[what] not in error.message
    assert "is not shown" in error.message


def test_columns_may_come_in_any_order_in_any_case_with_others_ignored(tmp_path: Path) -> None:
    header = " Amount ,KIND,note,at,method,tier,customer,id"
    line = "35.50,payment,hello,2026-03-02T12:00:00+08:00,nfc,WL03,c1,t1"
    (row,) = read_all(write(tmp_path, header, line))
    assert isinstance(row, Transaction)
    assert (row.amount, row.channel) == (Money.of("35.50"), None)


def test_a_withdrawal_or_transfer_may_leave_its_method_empty(tmp_path: Path) -> None:
    lines = [
        "t1,c1,WL02,2026-03-02T12:00:00+08:00,withdrawal,,100,,",
        "t2,c1,WL02,2026-03-02T12:00:00+08:00,transfer,,100,,",
    ]
    rows = read_all(write(tmp_path, HEADER, *lines))
    assert [row.method for row in rows] == [  # type: ignore[union-attr]
        PaymentMethod.WITHDRAWAL,
        PaymentMethod.P2P_TRANSFER,
    ]


def test_rows_take_the_file_currency_unless_they_name_their_own(tmp_path: Path) -> None:
    lines = [GOOD.removesuffix("CNY"), GOOD.replace("CNY", "USD"), GOOD.replace("35.50", "100")]
    path = write(tmp_path, HEADER, *lines)
    with read_transactions(path, currency="USD") as rows:
        amounts = [row.amount for row in rows]  # type: ignore[union-attr]
    assert amounts == [Money.of("35.50", "USD"), Money.of("35.50", "USD"), Money.of("100")]


def test_an_amount_in_a_currency_without_minor_units_refuses_decimals(tmp_path: Path) -> None:
    rows = read_all(write(tmp_path, HEADER, GOOD.replace("CNY", "JPY")))
    assert isinstance(rows[0], RowError)
    assert "too many decimal places for JPY" in rows[0].message


def test_an_unknown_file_currency_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(UnknownCurrencyError):
        read_transactions(write(tmp_path, HEADER, GOOD), currency="XYZ")


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_bytes(f"\ufeff{HEADER}\n{GOOD}\n".encode())
    assert isinstance(read_all(path)[0], Transaction)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("id,customer,tier,at,kind,amount", r"missing column\(s\) method"),
        ("id,customer,tier,at,kind,method,amount,Amount", "amount appear twice"),
    ],
)
def test_a_header_without_a_required_column_or_with_a_repeated_one_is_refused(
    tmp_path: Path, header: str, words: str
) -> None:
    with pytest.raises(TransactionFileError, match=words):
        read_transactions(write(tmp_path, header, GOOD))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("\n\n")
    with pytest.raises(TransactionFileError, match="empty"):
        read_transactions(path)


def test_an_unknown_suffix_is_refused_before_anything_is_opened(tmp_path: Path) -> None:
    with pytest.raises(TransactionFileError, match=r"\.csv, \.csv\.gz, \.parquet"):
        read_transactions(tmp_path / "missing.xlsx")
    with pytest.raises(TransactionFileError):
        write_transactions(tmp_path / "out.json", [])


def test_a_missing_file_raises_the_usual_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        read_transactions(tmp_path / "missing.csv")
    assert not isinstance(raised.value, WalletError)


def test_text_that_is_not_utf8_is_refused_in_the_header_or_later(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,customer,tier,at,kind,method,amount,café\n".encode("latin-1"))
    with pytest.raises(TransactionFileError, match="not UTF-8"):
        read_transactions(latin)
    later = tmp_path / "later.csv"  # text is decoded in chunks: make it longer than one
    later.write_bytes("\n".join([HEADER] + [GOOD] * 500).encode() + "\né\n".encode("latin-1"))
    rows = read_transactions(later)
    with pytest.raises(TransactionFileError, match=r"not UTF-8 text \(after line \d+\)"):
        list(rows)


def test_gzipped_files_are_read_and_written_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    rows = list(generate_transactions(rows=50, customers=5))
    assert write_transactions(tmp_path / "tx.csv.gz", rows) == 50
    assert read_all(tmp_path / "tx.csv.gz") == rows
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(TransactionFileError, match="not a readable gzip file"):
        read_transactions(tmp_path / "bad.csv.gz")
    many = list(generate_transactions(rows=2000, customers=5))
    write_transactions(tmp_path / "cut.csv.gz", many)
    whole = (tmp_path / "cut.csv.gz").read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(TransactionFileError, match="damaged"):
        read_all(tmp_path / "cut.csv.gz")


def test_written_rows_read_back_equal(tmp_path: Path) -> None:
    rows = list(generate_transactions(rows=300, customers=20))
    rows.append(attrs.evolve(rows[0], channel=None))
    assert write_transactions(tmp_path / "tx.csv", iter(rows)) == 301
    assert read_all(tmp_path / "tx.csv") == rows


def test_the_reader_closes_its_file_when_done_or_told(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD, GOOD)
    reader = read_transactions(path)
    assert reader.columns == tuple(HEADER.split(","))
    assert "tx.csv" in repr(reader)
    assert isinstance(next(reader), Transaction)
    reader.close()
    with pytest.raises(StopIteration):
        next(reader)
    never_started = read_transactions(path)
    never_started.close()
    with read_transactions(path) as rows:
        assert len(list(rows)) == 2


def test_parquet_needs_pyarrow_and_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'icbc-wallet\[analysis\]'"):
        read_transactions(tmp_path / "tx.parquet")
    with pytest.raises(ImportError):
        write_transactions(tmp_path / "tx.parquet", [])


@pytest.fixture
def pyarrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, or a skip where the analysis extra is not installed."""
    return pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")


def test_parquet_files_round_trip(
    tmp_path: Path, pyarrow: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parquet, "_BATCH", 64)  # several batches each way
    rows = list(generate_transactions(rows=300, customers=50))
    rows[3] = attrs.evolve(rows[3], channel=None)
    assert write_transactions(tmp_path / "tx.parquet", rows) == len(rows)
    with read_transactions(tmp_path / "tx.parquet") as reader:
        assert reader.columns == (
            "id", "customer", "tier", "at", "kind", "method", "amount", "channel", "currency",
        )  # fmt: skip
        assert list(reader) == rows
    assert write_transactions(tmp_path / "empty.parquet", []) == 0
    assert read_all(tmp_path / "empty.parquet") == []
    assert write_transactions(tmp_path / "even.parquet", rows[:128]) == 128  # whole batches
    assert read_all(tmp_path / "even.parquet") == rows[:128]


def test_parquet_rows_are_checked_like_csv_rows_numbered_as_if_with_a_header(
    tmp_path: Path, pyarrow: tuple[Any, Any]
) -> None:
    pa, pq = pyarrow
    at = datetime.fromisoformat("2026-03-02T12:00:00+08:00")
    columns = {
        "ID": [1, 2, None],
        "customer": ["c1"] * 3,
        "tier": ["WL03"] * 3,
        "at": [at] * 3,
        "kind": ["payment"] * 3,
        "method": ["nfc"] * 3,
        "amount": pa.array([Decimal("1.50"), None, Decimal(4)], pa.decimal128(10, 2)),
    }
    pq.write_table(pa.table(columns), tmp_path / "typed.parquet")
    rows = read_all(tmp_path / "typed.parquet")
    assert isinstance(rows[0], Transaction)
    assert (rows[0].id, rows[0].at, rows[0].amount) == ("1", at, Money.of("1.50"))
    assert rows[1:] == [RowError(3, "amount is empty"), RowError(4, "id is empty")]
    naive = pa.array([at.replace(tzinfo=None)] * 3, pa.timestamp("us"))
    pq.write_table(pa.table({**columns, "at": naive}), tmp_path / "naive.parquet")
    naive_row = read_all(tmp_path / "naive.parquet")[0]
    assert "at '2026-03-02 12:00:00' has no UTC offset" in message(naive_row)
    pq.write_table(pa.table({**columns, "amount": [1.5] * 3}), tmp_path / "floats.parquet")
    assert "float" in message(read_all(tmp_path / "floats.parquet")[0])
    fen = pa.array([Decimal("1.005"), Decimal("2.000"), Decimal("3.100")], pa.decimal128(10, 3))
    pq.write_table(
        pa.table({**columns, "amount": fen, "ID": ["a", "b", "c"]}), tmp_path / "fen.parquet"
    )
    fine = read_all(tmp_path / "fen.parquet")
    assert "amount '1.005' has too many decimal places for CNY" in message(fine[0])
    assert [row.amount for row in fine[1:]] == [Money.of(2), Money.of("3.10")]  # type: ignore[union-attr]
    odd = {**columns, "at": [None, 20260302, 1], "kind": ["withdrawal"] * 3, "method": [None] * 3}
    pq.write_table(pa.table(odd), tmp_path / "odd.parquet")
    assert [message(row) for row in read_all(tmp_path / "odd.parquet")] == [
        "at is empty",
        "at is of type int, not a timestamp; amount is empty",
        "id is empty; at is of type int, not a timestamp",
    ]


def test_a_damaged_or_incomplete_parquet_file_is_refused(
    tmp_path: Path, pyarrow: tuple[Any, Any]
) -> None:
    pa, pq = pyarrow
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(TransactionFileError, match="not a readable Parquet file"):
        read_transactions(tmp_path / "bad.parquet")
    pq.write_table(pa.table({"id": ["t1"]}), tmp_path / "thin.parquet")
    with pytest.raises(TransactionFileError, match="missing column"):
        read_transactions(tmp_path / "thin.parquet")
    pq.write_table(pa.table({"id": ["t1"], "ID": ["t2"]}), tmp_path / "twice.parquet")
    with pytest.raises(TransactionFileError, match="same name"):
        read_transactions(tmp_path / "twice.parquet")


@given(st.text(alphabet="0123456789.-+eE ,", max_size=14))
def test_the_readers_fast_amounts_agree_with_money_of(text: str) -> None:
    parser = RowParser(REQUIRED_COLUMNS, "CNY")
    cells = ["t", "c", "WL03", "2026-03-02T12:00:00+08:00", "payment", "nfc", text]
    row = parser.parse(cells, 2)
    try:
        expected: Money | None = Money.of(text)
    except WalletError:
        expected = None
    if expected is not None and expected.is_positive():
        assert isinstance(row, Transaction)
        assert row.amount == expected
    else:
        assert isinstance(row, RowError)
        assert row.message.startswith("amount")
