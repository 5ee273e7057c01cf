"""Codes against the RFCs' own test vectors, drift, replay and recovery codes."""

from __future__ import annotations

import base64

import pyotp
import pytest

from tpm.security import totp

# RFC 4226 appendix D and RFC 6238 appendix B share this SHA-1 key.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
NS = 1_000_000_000


@pytest.mark.parametrize(
    ("counter", "code"),
    enumerate(
        [
            *("755224", "287082", "359152", "969429", "338314"),
            *("254676", "287922", "162583", "399871", "520489"),
        ]
    ),
)
def test_rfc4226_hotp_vectors(counter: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, counter) == code


@pytest.mark.parametrize(
    ("unix_s", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_totp_vectors(unix_s: int, eight_digits: str) -> None:
    # Six digits are the low six of the RFC's eight (both are the HOTP value mod 10^digits).
    step = totp.step_of(unix_s * NS)
    assert totp.code_at(RFC_SECRET, step) == eight_digits[-6:]
    assert totp.check_code(RFC_SECRET, eight_digits[-6:], unix_s * NS, -1).ok


def test_one_step_of_drift_either_way_and_no_more() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000 * NS
    step = totp.step_of(now)
    for offset, ok in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        assert totp.check_code(secret, totp.code_at(secret, step + offset), now, -1).ok is ok


def test_a_code_is_good_once() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000 * NS
    code = totp.code_at(secret, totp.step_of(now))
    first = totp.check_code(secret, code, now, -1)
    assert first.ok
    again = totp.check_code(secret, code, now + 5 * NS, first.step)
    assert not again.ok and again.replay
    # An older step's code, still inside the drift window, is a replay too.
    older = totp.code_at(secret, totp.step_of(now) - 1)
    assert totp.check_code(secret, older, now, first.step).replay


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert not totp.check_code(totp.new_secret(), typed, 1_800_000_000 * NS, -1).ok


def test_spaces_in_a_typed_code_are_ignored() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000 * NS
    code = totp.code_at(secret, totp.step_of(now))
    assert totp.check_code(secret, f"{code[:3]} {code[3:]}", now, -1).ok


def test_the_uri_is_what_authenticator_apps_read() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "ann lee")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret and parsed.name == "ann lee" and parsed.issuer == "tpm"
    assert parsed.digits == 6 and parsed.interval == 30
    assert len(base64.b32decode(secret)) == 20  # 160 bits


def test_recovery_codes_are_distinct_and_read_back_however_typed() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for c in codes:
        assert len(c) == 14 and c[4] == c[9] == "-"
        assert totp.normal_recovery_code(c.upper().replace("-", " ")) == c
