"""Parquet transaction files, read in record batches and written in batches (pyarrow, optional).

A row's "line" in a Parquet file is its 1-based row number plus one, as if the file had a
header line, so that a row keeps its number when the file is converted to CSV. Timestamps are
stored as instants (UTC) and amounts as ``decimal128(38, 4)``; both read back equal. A column
that cannot hold its values (``kind`` as a list or a number) refuses the whole file, checked
once from the schema; a value the schema allows but a row gets wrong is a bad row as in CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from icbc_wallet.analysis._extras import missing_extra
from icbc_wallet.analysis._parsing import RowParser
from icbc_wallet.analysis._rows import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    RowError,
    Transaction,
)
from icbc_wallet.errors import TransactionFileError

__all__ = ["open_rows", "write_rows"]

_BATCH: Final = 16_384
_COLUMNS: Final = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
_NAMES: Final = frozenset({"id", "customer", "tier"})  # text, or whole numbers
_WORDS: Final = frozenset({"kind", "method", "channel", "currency"})  # text only
Rows = Generator[Transaction | RowError, None, None]


def _pyarrow(purpose: str) -> tuple[Any, Any]:
    try:
        import pyarrow  # noqa: PLC0415  # optional: imported when a Parquet file is used
        import pyarrow.parquet  # noqa: PLC0415
    except ImportError as error:
        raise missing_extra(purpose, "pyarrow") from error
    return pyarrow, pyarrow.parquet


def open_rows(
    path: Path, make_parser: Callable[[Sequence[str]], RowParser]
) -> tuple[tuple[str, ...], Rows, Callable[[], None]]:
    """Open ``path``: its normalised columns, its rows (lazily) and how to close it."""
    pa, pq = _pyarrow("reading Parquet files")
    handle = open(path, "rb")  # noqa: SIM115  # OSError as for CSV; closed by the rows or close
    try:
        try:
            file = pq.ParquetFile(handle)
        except (pa.ArrowException, OSError):
            raise TransactionFileError(f"{path.name} is not a readable Parquet file") from None
        names = {name.strip().lower(): name for name in file.schema_arrow.names}
        if len(names) < len(file.schema_arrow.names):
            raise TransactionFileError(f"{path.name}: two columns have the same name")
        columns = tuple(names)
        wanted = [name for name in _COLUMNS if name in names]
        parser = make_parser(wanted)  # checks them; only these are read, in this order
        for name in wanted:
            _check_type(path, name, file.schema_arrow.field(names[name]).type, pa)
    except BaseException:
        handle.close()
        raise
    selected = [names[name] for name in wanted]
    return columns, _rows(path, handle, file, selected, parser, pa), handle.close


def _check_type(path: Path, column: str, kind: Any, pa: Any) -> None:
    """Refuse a text column whose type holds no text (a list, a number, ...): every row is bad."""
    if column not in _NAMES and column not in _WORDS:
        return  # at and amount: a row of an odd type is a bad row, with its own message
    types = pa.types
    if types.is_dictionary(kind):
        kind = kind.value_type
    if types.is_null(kind) or types.is_string(kind) or types.is_large_string(kind):
        return
    if column in _NAMES and types.is_integer(kind):
        return
    wanted = "text or whole numbers" if column in _NAMES else "text"
    raise TransactionFileError(
        f"{path.name}: column {column} holds values of type {kind}, not {wanted}; "
        "rewrite it as a string column"
    )


def _rows(
    path: Path, handle: Any, file: Any, selected: list[str], parser: RowParser, pa: Any
) -> Rows:
    parse = parser.parse
    line = 1
    try:
        for batch in file.iter_batches(batch_size=_BATCH, columns=selected):
            for cells in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                line += 1
                yield parse(cells, line)
    except pa.ArrowException:
        raise TransactionFileError(f"{path.name} is damaged (after row {line - 1})") from None
    finally:
        handle.close()


def write_rows(path: Path, rows: Iterable[Transaction]) -> int:
    """Write ``rows`` to a Parquet file in batches; returns how many were written."""
    pa, pq = _pyarrow("writing Parquet files")
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("customer", pa.string()),
            ("tier", pa.string()),
            ("at", pa.timestamp("us", tz="UTC")),
            ("kind", pa.string()),
            ("method", pa.string()),
            ("amount", pa.decimal128(38, 4)),
            ("channel", pa.string()),
            ("currency", pa.string()),
        ]
    )
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[list[object]] = [[] for _ in _COLUMNS]
        for row in rows:
            amount = row.amount
            cells = (
                row.id,
                row.customer,
                row.tier,
                row.at,
                row.kind.value,
                row.method.value,
                amount.amount,
                None if row.channel is None else row.channel.value,
                amount.currency,
            )
            for column, cell in zip(batch, cells, strict=True):
                column.append(cell)
            count += 1
            if len(batch[0]) == _BATCH:
                writer.write_table(_table(pa, schema, batch))
                batch = [[] for _ in _COLUMNS]
        if batch[0] or not count:
            writer.write_table(_table(pa, schema, batch))
    return count


def _table(pa: Any, schema: Any, batch: list[list[object]]) -> Any:
    return pa.Table.from_pydict(dict(zip(_COLUMNS, batch, strict=True)), schema=schema)
