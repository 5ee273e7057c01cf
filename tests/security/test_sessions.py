"""Session tokens, idle and absolute expiry, and confirmation freshness on a controlled clock."""

from __future__ import annotations

from clocks import Clock

from tpm.domain.users import Role
from tpm.security.sessions import Sessions

NS = 1_000_000_000


def test_tokens_are_128_bit_random_and_distinct() -> None:
    book = Sessions(Clock())
    tokens = {book.open("ann", Role.TRADER, "local").token for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= 22 for t in tokens)  # 16 bytes in url-safe base64


def test_idle_timeout_is_reset_by_use() -> None:
    clock = Clock()
    book = Sessions(clock, idle_s=30 * 60)
    s = book.open("ann", Role.TRADER, "local")
    clock.advance(29 * 60)
    assert book.get(s.token) is s
    clock.advance(29 * 60)  # 58 minutes in, 29 idle
    assert book.get(s.token) is s
    clock.advance(30 * 60)
    assert book.get(s.token) is None
    assert len(book) == 0


def test_absolute_timeout_holds_however_busy() -> None:
    clock = Clock()
    book = Sessions(clock, idle_s=30 * 60, absolute_s=12 * 3600)
    s = book.open("ann", Role.TRADER, "local")
    for _ in range(12 * 4 - 1):
        clock.advance(15 * 60)
        assert book.get(s.token) is s
    clock.advance(15 * 60)
    assert book.expiry(s) is not None and "12 hours" in (book.expiry(s) or "")
    assert book.get(s.token) is None


def test_logout_and_ending_a_users_sessions() -> None:
    book = Sessions(Clock())
    a, b = book.open("ann", Role.TRADER, "local"), book.open("ann", Role.TRADER, "x")
    c = book.open("bob", Role.VIEWER, "local")
    assert book.end(a.token) is a and book.get(a.token) is None
    assert book.end_user("ann") == 1
    assert book.get(b.token) is None and book.get(c.token) is c


def test_confirmation_is_fresh_for_two_minutes() -> None:
    clock = Clock()
    book = Sessions(clock)
    s = book.open("ann", Role.TRADER, "local")
    assert book.is_fresh(s)  # the login itself
    clock.advance(121)
    assert not book.is_fresh(s)
    book.confirmed(s)
    assert book.is_fresh(s)
