"""argon2id hashing and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError

from tpm.security.passwords import Hasher, password_problem


def test_hashes_are_argon2id_at_the_floor_and_verify() -> None:
    h = Hasher()
    hashed = h.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert h.verify(hashed, "correct horse battery")
    assert not h.verify(hashed, "correct horse batterY")
    assert not h.verify("not a hash", "correct horse battery")


def test_weaker_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        Hasher(time_cost=1)
    with pytest.raises(ValueError, match="at least"):
        Hasher(memory_kib=8192)


def test_a_hash_made_with_lower_parameters_needs_rehashing() -> None:
    old = Hasher().hash("correct horse battery")
    stronger = Hasher(time_cost=3)
    assert stronger.verify(old, "correct horse battery")  # still verifies...
    assert stronger.needs_rehash(old)  # ...and is upgraded at the next login
    assert not stronger.needs_rehash(stronger.hash("correct horse battery"))
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    assert Hasher().needs_rehash(weak.hash("x"))
    with pytest.raises(InvalidHashError):
        PasswordHasher().check_needs_rehash("garbage")
    assert Hasher().needs_rehash("garbage")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8"),
        ("password", "most common"),
        ("Password1", "most common"),
        ("Tram7-violet", None),
        ("qwertyuiop", "most common"),
        ("QWERTYUIOP", "most common"),  # the list is compared case-insensitively
        ("aaaaaaaaaaa", "most common"),
        ("ann-secret-42", "the user's name"),
        (" leading space", "space"),
        ("x" * 1025, "at most"),
        ("violet tram 42", None),
    ],
)
def test_policy(password: str, problem: str | None) -> None:
    said = password_problem(password, "ann")
    assert (said is None) if problem is None else (said is not None and problem in said)
