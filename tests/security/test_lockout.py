"""The growing wait after failed logins, and the hourly ceiling."""

from __future__ import annotations

from tpm.security.lockout import FREE_FAILURES, KEEP, MAX_DELAY_S, MAX_PER_HOUR, failed, wait_s

NS = 1_000_000_000
T0 = 1_800_000_000 * NS


def test_five_failures_are_free_then_the_wait_doubles_to_a_ceiling() -> None:
    fails: tuple[int, ...] = ()
    for _ in range(FREE_FAILURES - 1):
        fails = failed(fails, T0)
        assert wait_s(fails, T0) == 0
    waits = []
    for _ in range(14):
        fails = failed(fails, T0)
        waits.append(wait_s(fails, T0))
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) == MAX_DELAY_S and waits[-1] == MAX_DELAY_S
    assert wait_s(fails, T0 + MAX_DELAY_S * NS) == 0  # and then one more try is heard


def test_never_more_than_100_failures_an_hour() -> None:
    # Failures spread so the doubling wait has always passed: only the hourly rule holds.
    fails = tuple(T0 + i * 20 * NS for i in range(MAX_PER_HOUR))
    now = fails[-1] + MAX_DELAY_S * NS
    assert len(fails) == KEEP
    wait = wait_s(fails, now)
    assert wait > 0
    assert wait == (fails[0] + 3600 * NS - now) / NS  # until the oldest is an hour old
    assert wait_s(fails, fails[0] + 3600 * NS) == 0


def test_only_the_latest_failures_are_kept() -> None:
    fails: tuple[int, ...] = ()
    for i in range(KEEP + 50):
        fails = failed(fails, T0 + i)
    assert len(fails) == KEEP and fails[-1] == T0 + KEEP + 49
