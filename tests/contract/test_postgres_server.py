"""The PostgreSQL server the adapter's tests run against, and the schema each test gets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow


@pytest.fixture
def connection(postgres_dsn: str) -> Iterator[psycopg.Connection[TupleRow]]:
    # Imported here, once postgres_dsn has checked the driver is installed (or skipped/failed).
    import psycopg  # noqa: PLC0415

    with psycopg.connect(postgres_dsn, autocommit=True, connect_timeout=10) as opened:
        yield opened


def test_the_server_answers_and_runs_postgresql_13_or_newer(
    connection: psycopg.Connection[TupleRow],
) -> None:
    assert connection.execute("SELECT 1").fetchone() == (1,)
    version = connection.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert version is not None
    assert version[0] >= 130000


def test_each_test_gets_an_empty_schema_of_its_own(
    postgres_schema: str, connection: psycopg.Connection[TupleRow]
) -> None:
    assert postgres_schema.startswith("test_")
    tables = connection.execute(
        "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace", [postgres_schema]
    ).fetchone()
    assert tables == (0,)


def test_tables_made_on_the_schemas_search_path_stay_inside_it(
    postgres_schema: str, connection: psycopg.Connection[TupleRow], postgres_dsn: str
) -> None:
    import psycopg  # noqa: PLC0415  # see the connection fixture
    from psycopg import sql  # noqa: PLC0415

    connection.execute("SELECT set_config('search_path', %s, false)", [postgres_schema])
    connection.execute("CREATE TABLE wallets (id text PRIMARY KEY)")
    connection.execute("INSERT INTO wallets VALUES ('w-1')")

    home = connection.execute(
        "SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'wallets'::regclass"
    )
    assert home.fetchone() == (postgres_schema,)
    with psycopg.connect(postgres_dsn, connect_timeout=10) as elsewhere:
        assert elsewhere.execute("SELECT to_regclass('wallets')").fetchone() == (None,)
        qualified = sql.SQL("SELECT count(*) FROM {}.wallets").format(
            sql.Identifier(postgres_schema)
        )
        assert elsewhere.execute(qualified).fetchone() == (1,)
