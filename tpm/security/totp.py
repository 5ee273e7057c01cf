"""Time-based one-time codes (RFC 6238: 30-second steps, six digits, HMAC-SHA1) and one-time
recovery codes.

A code is accepted one step either side of now (clocks drift) and only once: the step of the
last accepted code is kept, and a code of that step or an earlier one is a replay.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

import pyotp

__all__ = [
    "DIGITS",
    "STEP_S",
    "CodeCheck",
    "check_code",
    "code_at",
    "new_recovery_codes",
    "new_secret",
    "normal_recovery_code",
    "provisioning_uri",
    "step_of",
]

STEP_S = 30
DIGITS = 6
_NS = 1_000_000_000
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    """160 random bits in base32, the key length RFC 4226 recommends."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, user: str, issuer: str = "tpm") -> str:
    """The otpauth:// URI authenticator apps read from a QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=user, issuer_name=issuer
    )


def step_of(now_ns: int) -> int:
    return now_ns // (STEP_S * _NS)


def code_at(secret: str, step: int) -> str:
    """The code of one 30-second step (HOTP of the step counter, RFC 4226)."""
    return pyotp.HOTP(secret, digits=DIGITS).at(step)


@dataclass(frozen=True, slots=True)
class CodeCheck:
    ok: bool
    step: int = -1
    """The step the code belongs to, when it matched one."""
    replay: bool = False
    """It matched, but a code of that step (or a later one) was accepted already."""


def check_code(secret: str, code: str, now_ns: int, last_step: int) -> CodeCheck:
    """Whether `code` is good now, one step of clock drift either way, and not used before."""
    typed = code.replace(" ", "").strip()
    if len(typed) != DIGITS or not (typed.isascii() and typed.isdigit()):
        return CodeCheck(False)
    now = step_of(now_ns)
    matched = -1
    for step in (now - 1, now, now + 1):  # all three, so the time says nothing of which
        if hmac.compare_digest(code_at(secret, step), typed):
            matched = step
    if matched < 0:
        return CodeCheck(False)
    if matched <= last_step:
        return CodeCheck(False, matched, replay=True)
    return CodeCheck(True, matched)


def new_recovery_codes(n: int = 10) -> list[str]:
    """`n` one-time codes of 12 characters (about 59 bits each), written xxxx-xxxx-xxxx."""
    codes = []
    for _ in range(n):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def normal_recovery_code(text: str) -> str:
    """A recovery code as typed (any case, with or without dashes and spaces) in the form it
    was hashed in."""
    raw = "".join(c for c in text.lower() if c.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else raw
