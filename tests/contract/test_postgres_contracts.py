"""The shipped unit-of-work contract holds for the PostgreSQL adapter, and its own rules."""

from __future__ import annotations

import pytest

from icbc_wallet.bootstrap import storage_codec
from icbc_wallet.ports.persistence import UnitOfWorkFactory
from icbc_wallet.testing.contracts import UnitOfWorkContract

pytest.importorskip("psycopg", reason="the postgres extra is not installed")

from icbc_wallet.adapters.postgres import PostgresStore  # noqa: E402


class TestPostgresStore(UnitOfWorkContract):
    supports_concurrent_units = False  # SELECT ... FOR UPDATE: a second unit waits for the first

    @pytest.fixture(autouse=True)
    def _database(self, postgres_dsn: str, postgres_schema: str) -> None:
        self.dsn, self.schema = postgres_dsn, postgres_schema

    def make_unit_of_work_factory(self) -> UnitOfWorkFactory:
        self.store = PostgresStore(self.dsn, codec=storage_codec(), schema=self.schema)
        return self.store.unit_of_work

    def dispose_unit_of_work_factory(self, factory: UnitOfWorkFactory) -> None:
        self.store.close()
