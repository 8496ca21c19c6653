"""The lockout laws: consecutive wrong tries lock a secret for a while; a right one resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from icbc_wallet.domain.credentials import (
    MAX_FAILURES_CAP,
    MAX_LOCK_TIME,
    Lockout,
    LockoutRules,
    SecurityRules,
)
from icbc_wallet.errors import InvalidPolicyError

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)
RULES = LockoutRules()


def test_the_default_is_three_tries_then_three_hours() -> None:
    assert (RULES.max_failures, RULES.lock_for) == (3, timedelta(hours=3))


def test_the_third_wrong_try_locks_for_three_hours() -> None:
    lock = Lockout().failed(T0, RULES).failed(T0, RULES)
    assert not lock.is_locked(T0)
    assert lock.attempts_left(T0, RULES) == 1

    lock = lock.failed(T0, RULES)

    assert lock.locked_until == T0 + timedelta(hours=3)
    assert lock.is_locked(T0 + timedelta(hours=3) - timedelta(microseconds=1))
    assert not lock.is_locked(T0 + timedelta(hours=3))
    assert lock.attempts_left(T0, RULES) == 0


def test_a_try_during_the_lock_changes_nothing() -> None:
    locked = Lockout(3, T0 + timedelta(hours=3))

    assert locked.failed(T0 + timedelta(hours=1), RULES) is locked


def test_a_lock_that_ended_leaves_a_fresh_count() -> None:
    ended = Lockout(3, T0)

    assert ended.attempts_left(T0, RULES) == 3
    assert ended.failed(T0, RULES) == Lockout(1)


def test_a_right_try_resets_the_count() -> None:
    assert Lockout(2).succeeded() == Lockout()


@pytest.mark.parametrize("failures", [0, MAX_FAILURES_CAP + 1, True, 3.0])
def test_rules_refuse_a_count_outside_the_hard_cap(failures: object) -> None:
    with pytest.raises(InvalidPolicyError, match="max_failures"):
        LockoutRules(max_failures=failures)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "lock_for", [timedelta(seconds=59), MAX_LOCK_TIME + timedelta(seconds=1), 3600]
)
def test_rules_refuse_a_lock_outside_a_minute_to_a_week(lock_for: object) -> None:
    with pytest.raises(InvalidPolicyError, match="lock_for"):
        LockoutRules(lock_for=lock_for)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code_lifetime", timedelta(minutes=16)),
        ("code_lifetime", timedelta(seconds=30)),
        ("code_attempts", 0),
        ("code_attempts", MAX_FAILURES_CAP + 1),
        ("code_resend_after", timedelta(minutes=-1)),
        ("code_resend_after", timedelta(minutes=16)),
        ("totp_drift", 3),
        ("totp_drift", -1),
    ],
)
def test_security_rules_refuse_values_outside_their_bounds(field: str, value: object) -> None:
    with pytest.raises(InvalidPolicyError, match=field):
        SecurityRules(**{field: value})  # type: ignore[arg-type]


@given(
    failures=st.integers(1, MAX_FAILURES_CAP),
    minutes=st.integers(1, 60 * 24 * 7),
    wrong=st.integers(0, 2 * MAX_FAILURES_CAP),
)
def test_exactly_max_failures_consecutive_wrong_tries_lock(
    failures: int, minutes: int, wrong: int
) -> None:
    rules = LockoutRules(failures, timedelta(minutes=minutes))
    lock = Lockout()
    for _ in range(wrong):
        lock = lock.failed(T0, rules)

    assert lock.is_locked(T0) == (wrong >= failures)
    assert lock.attempts_left(T0, rules) == max(failures - wrong, 0)


class LockoutMachine(RuleBasedStateMachine):
    """Random tries and waits against a plain model: count, and the lock's end."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.lock = Lockout()
        self.count = 0
        self.until: datetime | None = None

    def _locked(self) -> bool:
        return self.until is not None and self.now < self.until

    @rule()
    def wrong(self) -> None:
        self.lock = self.lock.failed(self.now, RULES)
        if self._locked():
            return
        if self.until is not None:  # the lock ended: counting starts again
            self.count, self.until = 0, None
        self.count += 1
        if self.count == RULES.max_failures:
            self.until = self.now + RULES.lock_for

    @rule()
    def right(self) -> None:
        if not self.lock.is_locked(self.now):  # a right try during a lock is refused unchecked
            self.lock = self.lock.succeeded()
            self.count, self.until = 0, None

    @rule(minutes=st.integers(1, 300))
    def wait(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @invariant()
    def matches_the_model(self) -> None:
        assert self.lock.is_locked(self.now) == self._locked()
        left = 0 if self._locked() else RULES.max_failures - (0 if self.until else self.count)
        assert self.lock.attempts_left(self.now, RULES) == left


TestLockoutMachine = LockoutMachine.TestCase
