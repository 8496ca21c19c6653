"""Hypothesis profiles: quick and deterministic by default, long under ``nox -s fuzz``."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# The shipped contract tests assert in an installed module: ask pytest to explain their failures.
pytest.register_assert_rewrite("icbc_wallet.testing.contracts")

# CI machines are small and shared: time limits per example would only make tests flaky.
settings.register_profile("default", deadline=None, print_blob=True)
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=3_000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# On CI every run explores the same examples, so a red build is reproducible, not a coin toss.
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True, database=None)
# The other Pythons of the matrix re-run the suite for portability, not for search depth.
settings.register_profile(
    "ci-quick", deadline=None, print_blob=True, derandomize=True, database=None, max_examples=25
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)


# --- the wallet core's fixtures: an in-memory bank, customers at each tier, a merchant ---------

from collections.abc import Callable  # noqa: E402  # appended section keeps the profiles first
from datetime import UTC, datetime  # noqa: E402
from typing import Literal  # noqa: E402

import pytest  # noqa: E402

from icbc_wallet.bootstrap import InMemoryBank, in_memory  # noqa: E402
from icbc_wallet.domain.identity import (  # noqa: E402
    BankCard,
    MerchantCreditCode,
    PhoneNumber,
    ResidentId,
)
from icbc_wallet.domain.ids import MerchantId, WalletId  # noqa: E402
from icbc_wallet.domain.ledger import AccountId, trial_balance  # noqa: E402
from icbc_wallet.domain.money import Money  # noqa: E402
from icbc_wallet.service import WalletPolicies  # noqa: E402

CORE_START = datetime(2026, 3, 2, 2, tzinfo=UTC)
"""Monday 2 March 2026, 10:00 in Shanghai: the in-memory bank's first instant in core tests."""

Tier = Literal["WL04", "WL03", "WL02"]
OpenWallet = Callable[..., WalletId]
"""``open_wallet(tier="WL02", *, top_up=None, phone=None)``: registers a customer, returns the id."""


def _luhn_completed(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return body + str((10 - total % 10) % 10)


def card_number(serial: int) -> str:
    """A valid UnionPay-looking card number, distinct for each ``serial``."""
    return _luhn_completed(f"622576{serial:09d}")


def resident_number(serial: int) -> str:
    """A valid resident ID number (born 1980-01-01), distinct for each ``serial`` below 1000."""
    body = f"34052419800101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def phone_number(serial: int) -> str:
    """A valid mainland mobile number, distinct for each ``serial``."""
    return f"1380013{serial:04d}"


@pytest.fixture
def wallet_policies() -> WalletPolicies | None:
    """The policies of :func:`memory_bank`: the default set (parametrize this name to change it)."""
    return None


@pytest.fixture
def memory_bank(wallet_policies: WalletPolicies | None) -> InMemoryBank:
    """A fresh in-memory bank whose clock starts at :data:`CORE_START`."""
    return in_memory(wallet_policies, start=CORE_START)


@pytest.fixture
def open_wallet(memory_bank: InMemoryBank) -> OpenWallet:
    """Registers customers through every step their tier needs (WL04 phone, WL03 + ID, WL02 + card)."""
    serials = iter(range(1, 1000))

    def register(tier: Tier = "WL02", *, top_up: Money | None = None) -> WalletId:
        service, serial = memory_bank.service, next(serials)
        prefix = f"open-{serial}"
        phone = PhoneNumber.parse(phone_number(serial))
        registration = service.start_registration(phone, idempotency_key=f"{prefix}-start")
        code = memory_bank.phone_verifier.last_code_for(phone)
        assert code is not None
        service.verify_phone(registration, phone, code, idempotency_key=f"{prefix}-phone")
        if tier != "WL04":
            resident = ResidentId.parse(resident_number(serial))
            service.provide_identity(registration, "张三", resident, idempotency_key=f"{prefix}-id")
        service.set_credentials(
            registration, "135790", "Pet?", "Rex", idempotency_key=f"{prefix}-pw"
        )
        if tier == "WL02":
            card = BankCard.parse(card_number(serial))
            service.add_card(registration, card, idempotency_key=f"{prefix}-card")
        wallet_id = service.submit_registration(registration, idempotency_key=f"{prefix}-submit")
        if top_up is not None:
            card = service.wallet(wallet_id).cards[0]
            result = service.top_up(wallet_id, card, top_up, idempotency_key=f"{prefix}-top-up")
            assert result.approved
        return wallet_id

    return register


@pytest.fixture
def coffee_shop(memory_bank: InMemoryBank) -> MerchantId:
    """A merchant in the food category."""
    code = MerchantCreditCode.parse("91110000600037341L")
    return memory_bank.service.register_merchant(
        "Coffee", code, "food", idempotency_key="coffee-shop"
    )


def books_balance(bank: InMemoryBank) -> None:
    """Assert money is conserved and every wallet and merchant agrees with its ledger account."""
    store = bank.store
    with store.unit_of_work() as uow:
        balances = uow.ledger.balances()
        assert trial_balance(balances.values(), "CNY") == Money.zero()
        for wallet_id, wallet in store.wallets.rows.items():
            assert wallet.balance.posted == uow.ledger.balance(AccountId.wallet(wallet_id)).posted
            assert wallet.balance.pending <= wallet.balance.posted
        for merchant_id, merchant in store.merchants.rows.items():
            ledger = uow.ledger.balance(AccountId.merchant(merchant_id)).posted
            assert merchant.balance.posted == ledger


@pytest.fixture
def audit() -> Callable[[InMemoryBank], None]:
    """:func:`books_balance`, for tests (conftest helpers are reached through fixtures)."""
    return books_balance


# --- a throwaway PostgreSQL server for the PostgreSQL adapter's tests ---------------------------

import importlib.util  # noqa: E402  # appended section keeps the profiles first
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NoReturn  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SCRIPT = ".ci/postgres.sh"
"""Starts and stops throwaway servers; run from :data:`REPO_ROOT` (CI uses it too)."""
POSTGRES_LIBS = Path("/usr/lib/postgresql")
"""Where Debian and Ubuntu install each PostgreSQL version's binaries (``15/bin``, ...)."""


def _is_server_bindir(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", bindir.parent.name))


def postgres_bindir() -> Path | None:
    """PostgreSQL's server binaries, searched as ``.ci/postgres.sh`` does, or ``None``.

    ``pg_config --bindir`` first (it may come from libpq-dev alone, naming a directory without
    a server, so ``initdb`` must be there), then the newest version under :data:`POSTGRES_LIBS`.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        answer = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if answer.returncode == 0 and answer.stdout.strip():
            candidates.append(Path(answer.stdout.strip()))
    candidates.extend(sorted(POSTGRES_LIBS.glob("*/bin"), key=_version_key)[-1:])
    return next((bindir for bindir in candidates if _is_server_bindir(bindir)), None)


def _postgres_unavailable(remedy: str) -> NoReturn:
    # On CI a skipped PostgreSQL test would let a broken adapter pass unseen: fail instead.
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run, and CI is set: {remedy}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {remedy}")


def _postgres_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", POSTGRES_SCRIPT, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A PostgreSQL server's DSN: ``ICBC_WALLET_PG_DSN``, else a throwaway server's.

    The throwaway server (started by ``.ci/postgres.sh`` when the server binaries are found)
    lives for the test session. Without either, PostgreSQL tests skip, or fail when ``CI`` is set.
    """
    if importlib.util.find_spec("psycopg") is None:
        _postgres_unavailable("install psycopg (the `postgres` extra)")
    given = os.environ.get("ICBC_WALLET_PG_DSN")
    if given:
        yield given
        return
    if postgres_bindir() is None:
        _postgres_unavailable("set ICBC_WALLET_PG_DSN or install PostgreSQL server binaries")
    # Not under pytest's private temporary directory: as root the server runs as `postgres`,
    # which must be able to reach its data directory.
    data_dir = tempfile.mkdtemp(prefix="icbc-wallet-pg-")
    try:
        started = _postgres_script("start", data_dir)
        if started.returncode != 0:
            pytest.fail(f"could not start a throwaway PostgreSQL server:\n{started.stderr}")
        yield started.stdout.strip()
    finally:
        stopped = _postgres_script("stop", data_dir)
        assert stopped.returncode == 0, f"could not stop the server in {data_dir}: {stopped.stderr}"


@pytest.fixture
def postgres_schema(postgres_dsn: str) -> Iterator[str]:
    """A fresh, empty schema (``test_<12 hex digits>``) on :func:`postgres_dsn`, dropped afterwards.

    Tests put it first on their connections' ``search_path``, so tests sharing a server (and
    the Pythons of the nox matrix sharing CI's server) never see each other's tables.
    """
    # Only PostgreSQL tests need the driver (the `postgres` extra); postgres_dsn checked it.
    import psycopg  # noqa: PLC0415
    from psycopg import sql  # noqa: PLC0415

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True, connect_timeout=10) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True, connect_timeout=10) as connection:
            # A connection the test left open inside the schema makes the drop error, not hang.
            connection.execute("SET lock_timeout = '10s'")
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


# --- the command line: run the installed console script the way a user's shell does -----------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

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
