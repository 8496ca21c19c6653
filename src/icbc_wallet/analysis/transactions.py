r"""Transaction files: the customers' outflows a replay evaluates, read as a stream.

A *transaction file* lists payments, withdrawals and transfers, one per row: CSV (``.csv``, or
gzipped ``.csv.gz``) with a header, or Parquet (``.parquet``, with the ``analysis`` extra). The
columns, in any order, are ``id, customer, tier, at, kind, method, amount``, optionally
``channel`` and ``currency`` (default: the file's currency, CNY); other columns are ignored.
``at`` is an ISO 8601 timestamp with its UTC offset; ``kind`` is ``payment``, ``withdrawal``,
``transfer``, ``cross_border`` or ``credit_card_repayment`` (a top-up is money in, not replayed);
``method`` may be left empty for a withdrawal or a transfer; ``customer`` is a pseudonymous id.

:func:`read_transactions` yields a :class:`Transaction` per good row and a :class:`RowError`
(the line the row starts on, and every problem found) per bad one: nothing is dropped, so the
rows and the bad rows add up to the file's records after the header (a line with nothing on it
is not a record; a quoted cell may span lines). A record over several lines that is not a
transaction (most often a quote left open, which runs on into the lines after it) is one bad
row at its first line, and the lines after that are read again as rows of their own: a stray
quote costs one row, never the rows it ran into. Memory stays bounded however long the file is.
Problems with the file as a whole raise :class:`~icbc_wallet.errors.TransactionFileError` (a
missing file raises the usual ``OSError``). A bad value is quoted in a message only when it
cannot be personal data (a timestamp, a short number, a lower-case word).

```pycon
>>> import tempfile
>>> from pathlib import Path
>>> folder = tempfile.TemporaryDirectory()
>>> path = Path(folder.name, "tx.csv")
>>> _ = path.write_text(
...     "id,customer,tier,at,kind,method,amount\n"
...     "t1,c1,WL03,2026-03-02T12:00:00+08:00,payment,nfc,35.50\n"
...     "t2,c1,WL03,2026-03-02T12:05:00+08:00,payment,nfc,12.345\n"
... )
>>> with read_transactions(path) as rows:
...     for row in rows:
...         print(row)
Transaction(id='t1', customer='c1', tier='WL03', at=datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=28800))), kind=<OperationKind.PAYMENT: 'payment'>, method=<PaymentMethod.NFC: 'nfc'>, amount=Money('35.50', 'CNY'), channel=None)
RowError(line=3, message="amount '12.345' has too many decimal places for CNY")
>>> folder.cleanup()

```
"""

from __future__ import annotations

import csv
import gzip
import itertools
import os
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from icbc_wallet.analysis import _parquet
from icbc_wallet.analysis._parsing import RowParser
from icbc_wallet.analysis._rows import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    RowError,
    Transaction,
)
from icbc_wallet.domain.money import DEFAULT_CURRENCY, currency_exponent
from icbc_wallet.errors import TransactionFileError

__all__ = [
    "COLUMNS",
    "RowError",
    "Transaction",
    "TransactionReader",
    "read_transactions",
    "write_transactions",
]

COLUMNS: Final = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
"""Every column a transaction file may have, in the order :func:`write_transactions` writes."""
_SUFFIXES: Final = (".csv", ".csv.gz", ".parquet")
_BAD_GZIP: Final = (gzip.BadGzipFile, EOFError, zlib.error)


class TransactionReader(Iterator[Transaction | RowError]):
    """The rows of one transaction file, streamed in file order (from :func:`read_transactions`).

    Iterate it once. It closes its file when exhausted; use it as a context manager (or call
    :meth:`close`) to close it early.

    Attributes:
        path: the file.
        columns: the file's columns, as normalised from its header (or Parquet schema).
    """

    def __init__(
        self,
        path: Path,
        columns: tuple[str, ...],
        rows: Generator[Transaction | RowError, None, None],
        close: Callable[[], None],
    ) -> None:
        self.path, self.columns = path, columns
        self._rows, self._close = rows, close

    def __iter__(self) -> Iterator[Transaction | RowError]:
        return self._rows  # the generator itself: no extra call per row

    def __next__(self) -> Transaction | RowError:
        return next(self._rows)

    def close(self) -> None:
        """Stop reading and close the file (idempotent)."""
        self._rows.close()
        self._close()

    def __enter__(self) -> TransactionReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TransactionReader({str(self.path)!r}, columns={self.columns!r})"


def read_transactions(
    path: str | os.PathLike[str], *, currency: str = DEFAULT_CURRENCY
) -> TransactionReader:
    """Stream the rows of a transaction file: a :class:`Transaction` or a :class:`RowError` each.

    The file is opened and its header checked at once; rows are read as they are asked for.

    Args:
        path: a ``.csv``, ``.csv.gz`` or ``.parquet`` file (UTF-8 for CSV; a BOM is allowed).
        currency: the currency of rows without a ``currency`` cell.

    Returns:
        An iterator over the rows, in file order, that is also a context manager. A Parquet
        row's "line" is its 1-based row number plus one, as if the file had a header line.

    Raises:
        OSError: the file cannot be opened (FileNotFoundError, PermissionError, ...).
        TransactionFileError: an unknown suffix, an empty file, a missing or repeated column,
            text that is not UTF-8, a damaged gzip or Parquet file (possibly while iterating).
        MissingExtraError: a Parquet file, and pyarrow is not installed.
        UnknownCurrencyError: ``currency`` is not an ISO 4217 code.
    """
    path = Path(path)
    currency_exponent(currency)
    suffix = _suffix(path)
    if suffix == ".parquet":
        columns, rows, close = _parquet.open_rows(
            path, lambda names: _parser(path, names, currency)
        )
        return TransactionReader(path, columns, rows, close)
    open_text = _text_opener(path, gzipped=suffix == ".csv.gz")
    handle = open_text()
    try:
        reader = csv.reader(handle, strict=True)
        header = _header(path, reader)
        parser = _parser(path, header, currency)
    except BaseException:
        handle.close()
        raise
    rows = _csv_rows(path, handle, reader, parser, _Lines(open_text))
    return TransactionReader(path, header, rows, handle.close)


def _text_opener(path: Path, *, gzipped: bool) -> Callable[[], IO[str]]:
    """How to open the CSV text of ``path`` (again): every opening sees the same lines."""

    def open_text() -> IO[str]:
        if gzipped:
            return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
        return open(path, encoding="utf-8-sig", newline="")  # the caller closes it

    return open_text


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise TransactionFileError(
        f"{path.name}: unknown kind of file; a transaction file ends in {', '.join(_SUFFIXES)}"
    )


def _header(path: Path, reader: Iterator[list[str]]) -> tuple[str, ...]:
    try:
        for cells in reader:
            if cells:
                return tuple(cell.strip().lower() for cell in cells)
    except UnicodeDecodeError:
        raise TransactionFileError(f"{path.name} is not UTF-8 text; save it as UTF-8") from None
    except _BAD_GZIP:
        raise TransactionFileError(f"{path.name} is not a readable gzip file") from None
    except csv.Error as error:
        raise TransactionFileError(f"{path.name}: the header cannot be read ({error})") from None
    raise TransactionFileError(f"{path.name} is empty: a transaction file needs a header line")


def _parser(path: Path, columns: Sequence[str], currency: str) -> RowParser:
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise TransactionFileError(f"{path.name}: column(s) {', '.join(repeated)} appear twice")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise TransactionFileError(
            f"{path.name}: missing column(s) {', '.join(missing)}; a transaction file needs "
            f"{', '.join(REQUIRED_COLUMNS)} (and may have {', '.join(OPTIONAL_COLUMNS)})"
        )
    return RowParser(columns, currency)


class _Lines:
    """The physical lines of a CSV file by number, read again through a second handle.

    Asked only when a record over several lines is not a transaction, for lines in increasing
    order; it keeps the lines of the last span only, so memory stays bounded by one record.
    """

    def __init__(self, open_text: Callable[[], IO[str]]) -> None:
        self._open = open_text
        self._handle: IO[str] | None = None
        self._read = 0  # lines read through the handle
        self._kept: list[str] = []  # the lines from number self._first to self._read
        self._first = 1

    def between(self, first: int, last: int) -> list[str]:
        """Lines ``first`` to ``last`` (1-based, inclusive); ``first`` never goes back."""
        if self._handle is None:
            self._handle = self._open()
        handle = self._handle
        del self._kept[: max(0, first - self._first)]
        if not self._kept:
            for _ in itertools.islice(handle, max(0, first - 1 - self._read)):
                self._read += 1  # skipped: lines before ``first`` are never asked for again
            self._first = self._read + 1
        else:
            self._first = first
        for line in itertools.islice(handle, max(0, last - self._read)):
            self._kept.append(line)
            self._read += 1
        return self._kept[first - self._first : last - self._first + 1]

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _csv_rows(
    path: Path, handle: IO[str], reader: Iterator[list[str]], parser: RowParser, lines: _Lines
) -> Generator[Transaction | RowError, None, None]:
    parse = parser.parse
    end = reader.line_num  # type: ignore[attr-defined]  # csv readers count lines
    before = 0  # physical lines before the current reader's first line
    try:
        while True:
            try:
                for cells in reader:
                    start, end = end + 1, before + reader.line_num  # type: ignore[attr-defined]
                    if start == end:
                        if cells:  # a line with nothing on it is not a row
                            yield parse(cells, start)
                        continue
                    row = parse(cells, start)  # a record over several lines: a quoted line break
                    if type(row) is Transaction:
                        yield row
                        continue
                    problem = row.message  # type: ignore[union-attr]
                    break
                else:
                    return
            except csv.Error as error:  # a reader resumes on the line after the error
                start, end = end + 1, before + reader.line_num  # type: ignore[attr-defined]
                problem = f"the row cannot be read as CSV ({error})"
                if start == end:
                    yield RowError(start, problem)
                    continue
            # Lines start to end made one bad record: most likely a quote left open swallowed
            # the lines after it. Report the first line; read the others again as rows.
            yield RowError(
                start,
                f"{problem}; it runs on from line {start} to line {end} (a quote left open on "
                f"line {start}?), so lines {start + 1} to {end} are read again as rows of their own",
            )
            again = itertools.chain(lines.between(start + 1, end), handle)
            reader, before, end = csv.reader(again, strict=True), start, start
    except UnicodeDecodeError:
        raise TransactionFileError(
            f"{path.name} is not UTF-8 text (after line {end}); save it as UTF-8"
        ) from None
    except _BAD_GZIP:
        raise TransactionFileError(f"{path.name} is damaged (after line {end})") from None
    finally:
        lines.close()
        handle.close()


def write_transactions(path: str | os.PathLike[str], rows: Iterable[Transaction]) -> int:
    """Write ``rows`` to a transaction file that :func:`read_transactions` reads back equal.

    ``.csv`` and ``.csv.gz`` files are written as they come (bounded memory); ``.parquet``
    files in batches (with the ``analysis`` extra). Amounts are written in major units with the
    currency's decimal places; timestamps with their UTC offset.

    Returns:
        How many rows were written.

    Raises:
        TransactionFileError: an unknown suffix.
        MissingExtraError: a Parquet file, and pyarrow is not installed.
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".parquet":
        return _parquet.write_rows(path, rows)
    handle: IO[str]
    if suffix == ".csv.gz":
        handle = gzip.open(path, "wt", encoding="utf-8", newline="")  # noqa: SIM115
    else:
        handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115  # closed below
    with handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        count = 0
        for row in rows:
            amount = row.amount
            writer.writerow(
                (
                    row.id,
                    row.customer,
                    row.tier,
                    row.at.isoformat(),
                    row.kind.value,
                    row.method.value,
                    amount.amount,
                    "" if row.channel is None else row.channel.value,
                    amount.currency,
                )
            )
            count += 1
    return count
