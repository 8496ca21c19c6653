"""Quality gates. ``nox`` runs the default sessions; ``nox -s bench`` measures speed.

Every session installs what it needs from pyproject.toml (the package, its extras and its
dependency groups), so a fresh machine needs only Python and nox.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
# A Python the machine lacks is skipped, even on CI (nox would otherwise fail when CI is set).
nox.options.error_on_missing_interpreters = False


def _expose_pyenv_pythons() -> None:
    """Let pyenv's shims answer for every installed 3.11-3.13, not only the global version.

    Without this, ``python3.12`` exists as a shim but refuses to run, and nox would skip a
    Python the machine does have.
    """
    pyenv = shutil.which("pyenv")
    if pyenv is None or "PYENV_VERSION" in os.environ:
        return
    listed = subprocess.run(
        [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
    )
    wanted = [v for v in listed.stdout.split() if re.fullmatch(r"3\.1[1-3]\.\d+", v)]
    current = platform.python_version()
    if wanted:
        os.environ["PYENV_VERSION"] = ":".join([current, *(v for v in wanted if v != current)])


_expose_pyenv_pythons()
PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = ["3.11", "3.12", "3.13"]
# Branch coverage floor for the pure core (domain/ and policies/), checked in `tests`.
CORE_COVERAGE_FLOOR = "95"
# ... and on the whole package (the wallet, the service, the ports and the adapters too).
PACKAGE_COVERAGE_FLOOR = "95"


def _install(
    session: nox.Session, *groups: str, extras: str = "testing,postgres,encryption,analysis"
) -> None:
    # Editable, so doctests collected from src/ and the imported package are the same modules.
    target = f".[{extras}]" if extras else "."
    session.install("-e", target, *nox.project.dependency_groups(PYPROJECT, *groups))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole suite with branch coverage on the running interpreter."""
    _install(session, "test")
    session.run(
        "pytest",
        # The notebooks under docs/notebooks run as tests too (nbmake), so they never rot.
        "--nbmake",
        "--cov",
        "--cov-report=term",
        "--cov-report=xml",
        *session.posargs,
        env={
            "COVERAGE_FILE": ".coverage",
            # 1,000 examples per parser here; the 10,000+ the fuzzing asks for run in
            # `nox -s fuzz` (30,000 each), which would take 8 of CI's 30 minutes here.
            "ICBC_WALLET_FUZZ_EXAMPLES": os.environ.get("ICBC_WALLET_FUZZ_EXAMPLES", "1000"),
        },
    )
    session.run(
        "coverage",
        "report",
        "--include=*/icbc_wallet/domain/*,*/icbc_wallet/policies/*",
        f"--fail-under={CORE_COVERAGE_FLOOR}",
    )
    session.run("coverage", "report", f"--fail-under={PACKAGE_COVERAGE_FLOOR}")


@nox.session(python=PYTHONS)
def tests_matrix(session: nox.Session) -> None:
    """Run the suite on every supported Python this machine has (missing ones are skipped).

    The default ``tests`` session searches deeply; here fewer hypothesis examples suffice to
    show the code behaves the same on each version.
    """
    _install(session, "test")
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={
            "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci-quick"),
            # The crash harness's full run (50 kills, 10,000 payments) belongs to `tests`.
            "ICBC_WALLET_CRASH_FULL": "0",
            # The parsers' fuzzing needs depth only once (1,000 in `tests`, 30,000 in `fuzz`).
            "ICBC_WALLET_FUZZ_EXAMPLES": "100",
        },
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) and the import-linter layering contract."""
    _install(session, "lint", extras="")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src, tests, benchmarks, examples and this file."""
    _install(session, "typecheck")
    session.run("mypy", "--strict")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the MkDocs site with warnings as errors."""
    # The notebooks are executed by mkdocs-jupyter: they need pandas and matplotlib.
    _install(session, "docs", extras="analysis")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        os.path.join(session.create_tmp(), "site"),
        # Material prints a banner about MkDocs 2 on every build; the build itself is what counts.
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """Property, law and parser fuzz tests with many more examples (tens of minutes; not in `nox`)."""
    _install(session, "test")
    session.run(
        "pytest",
        "-q",
        "tests/properties",
        "tests/fuzz",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "fuzz", "ICBC_WALLET_FUZZ_EXAMPLES": "30000"},
    )


@nox.session(default=False)
def soak(session: nox.Session) -> None:
    """Long persistence runs (tens of minutes, not part of `nox`): crashes, races, lockstep.

    The crash harness at full size, 200 race repetitions per database, and the stateful
    machine (memory alone and memory + SQLite + PostgreSQL in lockstep) at the fuzz profile.
    """
    _install(session, "test")
    session.run(
        "pytest",
        "-q",
        "tests/crash",
        "tests/concurrency",
        "tests/stateful",
        *session.posargs,
        env={
            "ICBC_WALLET_CRASH_FULL": "1",
            "ICBC_WALLET_RACE_REPETITIONS": "200",
            "HYPOTHESIS_PROFILE": "fuzz",
        },
    )


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Print cost ratios against raw baselines measured in the same process (not in `nox`)."""
    _install(session, "test", extras="postgres,analysis")
    for script in sorted(os.listdir("benchmarks")):
        if script.startswith("bench_") and script.endswith(".py"):
            session.run("python", os.path.join("benchmarks", script), *session.posargs)


@nox.session(python=False, default=False)
def clean(session: nox.Session) -> None:
    """Remove build and test leftovers."""
    for path in (
        "build",
        "dist",
        "site",
        ".coverage",
        "coverage.xml",
        ".mypy_cache",
        ".ruff_cache",
    ):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
