"""Password hashing (argon2id) and the policy a new password must meet."""

from __future__ import annotations

import functools
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_LENGTH", "Hasher", "password_problem"]

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 reads all of it; a megabyte "password" is a denial of service
# OWASP's floor for argon2id: 19 MiB of memory, two passes, one lane.
MIN_TIME_COST, MIN_MEMORY_KIB = 2, 19 * 1024


class Hasher:
    """argon2id with parameters at or above OWASP's floor; hashes made with weaker ones are
    upgraded at the next successful login (`needs_rehash`)."""

    def __init__(
        self, time_cost: int = MIN_TIME_COST, memory_kib: int = MIN_MEMORY_KIB, lanes: int = 1
    ) -> None:
        if time_cost < MIN_TIME_COST or memory_kib < MIN_MEMORY_KIB or lanes < 1:
            raise ValueError(
                f"argon2id needs at least t={MIN_TIME_COST}, m={MIN_MEMORY_KIB} KiB, p=1"
            )
        self._ph = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes, type=Type.ID
        )
        self._decoy = ""

    def hash(self, secret: str) -> str:
        return self._ph.hash(secret)

    def verify(self, hashed: str, secret: str) -> bool:
        try:
            return self._ph.verify(hashed, secret)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        try:
            return self._ph.check_needs_rehash(hashed)
        except InvalidHashError:
            return True

    def burn(self, secret: str) -> None:
        """Spend a verification's time on nothing: an unknown user's login takes as long as
        a known one's, so the time does not tell which names exist."""
        if not self._decoy:
            self._decoy = self.hash("a password nobody has")
        self.verify(self._decoy, secret)


def password_problem(password: str, user: str = "") -> str | None:
    """Why `password` may not be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password may have at most {MAX_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with a space"
    folded = password.casefold()
    if user and user.casefold() in folded:
        return "a password may not contain the user's name"
    if folded in _common() or len(set(folded)) <= 2:
        return "that password is among the most common ones; choose another"
    return None


@functools.cache
def _common() -> frozenset[str]:
    text = resources.files("tpm.security").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
