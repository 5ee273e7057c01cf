"""`tpm user` and `tpm audit` as an administrator runs them: real processes, a real store."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tpm.security import totp

from .test_cli import tpm


def tpm_in(home: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TPM_HOME": str(home)}
    env.pop("TPM_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tpm", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def users(home: Path) -> list[dict[str, object]]:
    out = tpm(home, "user", "list", "--json")
    assert out.returncode == 0, out.stderr
    listed: list[dict[str, object]] = json.loads(out.stdout)
    return listed


def test_add_change_and_remove_users(tmp_path: Path) -> None:
    assert "no users" in tpm(tmp_path, "user", "list").stdout
    added = tpm_in(tmp_path, "violet tram 42\n", "user", "add", "ann", "--role", "admin")
    assert added.returncode == 0 and "added ann as admin" in added.stdout
    weak = tpm_in(tmp_path, "password1\n", "user", "add", "bob", "--role", "viewer")
    assert weak.returncode == 1 and "most common" in weak.stderr
    bad = tpm_in(tmp_path, "violet tram 42\n", "user", "add", "b b", "--role", "viewer")
    assert bad.returncode == 1 and "user name 'b b'" in bad.stderr
    taken = tpm_in(tmp_path, "violet tram 43\n", "user", "add", "ann", "--role", "viewer")
    assert taken.returncode == 1 and "already a user ann" in taken.stderr
    assert tpm_in(tmp_path, "", "user", "add", "cy", "--role", "viewer").returncode == 1
    assert [(u["name"], u["role"], u["two_factor"]) for u in users(tmp_path)] == [
        ("ann", "admin", False)
    ]
    assert tpm_in(tmp_path, "new tram 77\n", "user", "passwd", "ann").returncode == 0
    assert tpm(tmp_path, "user", "remove", "ann").returncode == 0
    gone = tpm(tmp_path, "user", "remove", "ann")
    assert gone.returncode == 1 and "no user ann" in gone.stderr
    log = json.loads(tpm(tmp_path, "audit", "--json").stdout)
    assert [e["action"] for e in log] == ["user.add", "user.passwd", "user.remove"]
    assert all(e["actor"].startswith("cli:") for e in log)


def test_two_factor_enrolment_shows_a_qr_code_and_asks_for_a_first_code(tmp_path: Path) -> None:
    assert (
        tpm_in(tmp_path, "violet tram 42\n", "user", "add", "ann", "--role", "trader").returncode
        == 0
    )
    env = {**os.environ, "TPM_HOME": str(tmp_path)}
    env.pop("TPM_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tpm", "user", "2fa", "enable", "ann"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    shown = []
    for line in proc.stdout:
        shown.append(line)
        if "otpauth://" in line:
            break
    secret = re.search(r"secret: ([A-Z2-7]+)", "".join(shown))
    assert secret is not None
    assert sum("▀" in ln or "▄" in ln or "█" in ln for ln in shown) >= 10  # the QR code
    proc.stdin.write(totp.code_at(secret[1], totp.step_of(time.time_ns())) + "\n")
    proc.stdin.close()
    rest = proc.stdout.read()
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    codes = re.findall(r"^  ([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})$", rest, re.MULTILINE)
    assert len(set(codes)) == 10
    assert users(tmp_path)[0]["two_factor"] is True
    assert users(tmp_path)[0]["recovery_codes_left"] == 10
    off = tpm(tmp_path, "user", "2fa", "disable", "ann")
    assert off.returncode == 0 and users(tmp_path)[0]["two_factor"] is False


def test_a_wrong_first_code_leaves_two_factor_off(tmp_path: Path) -> None:
    assert (
        tpm_in(tmp_path, "violet tram 42\n", "user", "add", "ann", "--role", "trader").returncode
        == 0
    )
    out = tpm_in(tmp_path, "000000\n", "user", "2fa", "enable", "ann")
    assert out.returncode == 1 and "does not match" in out.stderr
    assert users(tmp_path)[0]["two_factor"] is False


def test_audit_verify_finds_tampering(tmp_path: Path) -> None:
    for name in ("ann", "bob", "cy"):
        tpm_in(tmp_path, "violet tram 42\n", "user", "add", name, "--role", "viewer")
    ok = tpm(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "intact: 3 entries" in ok.stdout
    listed = tpm(tmp_path, "audit", "--since", "1h")
    assert listed.returncode == 0 and listed.stdout.count("user.add") == 3
    assert "no audit events" in tpm(tmp_path, "audit", "--since", "2999-01-01").stdout
    bad = tpm(tmp_path, "audit", "--since", "yesterday")
    assert bad.returncode == 2 and "--since 'yesterday'" in bad.stderr
    with sqlite3.connect(tmp_path / "tpm.db") as db:
        db.execute("UPDATE audit_log SET detail = 'bob as admin' WHERE id = 2")
    broken = tpm(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN: row 2 (" in broken.stderr and "changed after it was written" in broken.stderr


def test_engine_commands_need_a_login_with_the_role_once_there_are_users(
    tmp_path: Path,
) -> None:
    for name, role in (("vic", "viewer"), ("tom", "trader")):
        assert (
            tpm_in(tmp_path, "violet tram 42\n", "user", "add", name, "--role", role).returncode
            == 0
        )
    wrong = tpm_in(tmp_path, "tom\nviolet tram 43\n", "halt")
    assert wrong.returncode == 1 and "wrong user name, password or code" in wrong.stderr
    viewer = tpm_in(tmp_path, "violet tram 42\n", "halt", "--user", "vic")
    assert viewer.returncode == 1 and "vic is a viewer: halt needs the trader role" in viewer.stderr
    trader = tpm_in(tmp_path, "tom\nviolet tram 42\n", "halt", "--reason", "lunch")
    assert trader.returncode == 0, trader.stderr
    log = json.loads(tpm(tmp_path, "audit", "--json").stdout)
    acts = [(e["actor"], e["action"], e["origin"]) for e in log]
    assert ("tom", "login.ok", "cli") in acts and ("tom", "risk.halted", "local") in acts
    assert ("vic", "login.ok", "cli") in acts and not any(
        a == ("vic", "risk.halted", "local") for a in acts
    )
