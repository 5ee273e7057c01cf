"""`tpm user` and `tpm audit` as an administrator runs them: real processes, a real store."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
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


PASSWORD = "violet tram 42"


def users(home: Path, admin: str = "ann", password: str = PASSWORD) -> list[dict[str, object]]:
    out = tpm_in(home, password + "\n", "user", "list", "--json", "--user", admin)
    assert out.returncode == 0, out.stderr
    listed: list[dict[str, object]] = json.loads(out.stdout)
    return listed


def add(home: Path, name: str, role: str, admin: str = "ann") -> None:
    """`name` added by `admin` (whose password, like everyone's here, is PASSWORD)."""
    out = tpm_in(
        home, f"{PASSWORD}\n{PASSWORD}\n", "user", "add", name, "--role", role, "--user", admin
    )
    assert out.returncode == 0, out.stderr


def first_admin(home: Path, name: str = "ann") -> None:
    out = tpm_in(home, PASSWORD + "\n", "user", "add", name, "--role", "admin")
    assert out.returncode == 0 and f"added {name} as admin" in out.stdout, out.stderr


def audit_rows(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "tpm.db") as db:
        return list(db.execute("SELECT actor, action, origin FROM audit_log ORDER BY id"))


def test_add_change_and_remove_users(tmp_path: Path) -> None:
    assert "no users" in tpm(tmp_path, "user", "list").stdout
    first_admin(tmp_path)
    as_ann = (PASSWORD + "\n", "--user", "ann")
    weak = tpm_in(
        tmp_path, as_ann[0] + "password1\n", "user", "add", "bob", "--role", "viewer", *as_ann[1:]
    )
    assert weak.returncode == 1 and "most common" in weak.stderr
    bad = tpm_in(
        tmp_path, as_ann[0] + PASSWORD + "\n", "user", "add", "b b", "--role", "viewer", *as_ann[1:]
    )
    assert bad.returncode == 1 and "user name 'b b'" in bad.stderr
    taken = tpm_in(
        tmp_path,
        as_ann[0] + "violet tram 43\n",
        "user",
        "add",
        "ann",
        "--role",
        "viewer",
        *as_ann[1:],
    )
    assert taken.returncode == 1 and "already a user ann" in taken.stderr
    mute = tpm_in(tmp_path, as_ann[0], "user", "add", "cy", "--role", "viewer", *as_ann[1:])
    assert mute.returncode == 1 and "nothing on standard input" in mute.stderr
    assert [(u["name"], u["role"], u["two_factor"]) for u in users(tmp_path)] == [
        ("ann", "admin", False)
    ]
    changed = tpm_in(tmp_path, as_ann[0] + "new tram 77\n", "user", "passwd", "ann", *as_ann[1:])
    assert changed.returncode == 0, changed.stderr
    assert (
        tpm_in(tmp_path, "new tram 77\n", "user", "remove", "ann", "--user", "ann").returncode == 0
    )
    gone = tpm(tmp_path, "user", "remove", "ann")  # no users left: nobody to ask
    assert gone.returncode == 1 and "no user ann" in gone.stderr
    acts = [(a, w) for a, w, _ in audit_rows(tmp_path) if w.startswith("user.")]
    assert acts[0][0].startswith("cli:") and acts[0][1] == "user.add"  # nobody to log in as yet
    assert acts[1:] == [("ann", "user.passwd"), ("ann", "user.remove")]


def test_the_first_user_is_an_admin(tmp_path: Path) -> None:
    out = tpm_in(tmp_path, PASSWORD + "\n", "user", "add", "tom", "--role", "trader")
    assert out.returncode == 1 and "first user must be an admin" in out.stderr
    assert "no users" in tpm(tmp_path, "user", "list").stdout


def test_the_database_with_the_password_hashes_is_the_owners_alone(tmp_path: Path) -> None:
    first_admin(tmp_path)
    made = [p for p in tmp_path.iterdir() if p.name.startswith("tpm.db")]
    assert tmp_path / "tpm.db" in made
    for path in made:  # -wal and -shm too, when they are left behind
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path.name


def test_only_an_admin_manages_users_and_reads_the_audit_log(tmp_path: Path) -> None:
    first_admin(tmp_path)
    add(tmp_path, "tom", "trader")
    add(tmp_path, "vic", "viewer")
    for args in (
        ("user", "add", "eve", "--role", "admin"),
        ("user", "list"),
        ("user", "remove", "ann"),
        ("user", "passwd", "ann"),
        ("user", "2fa", "disable", "ann"),
        ("audit",),
        ("audit", "verify"),
    ):
        out = tpm_in(tmp_path, f"{PASSWORD}\n{PASSWORD}\n", *args, "--user", "tom")
        assert out.returncode == 1, (args, out.stdout)
        assert "tom is a trader" in out.stderr and "needs the admin role" in out.stderr, args
    assert ("tom", "access.denied", "cli") in audit_rows(tmp_path)
    nobody = tpm(tmp_path, "audit")  # no terminal, no answers: refused, not shown
    assert nobody.returncode == 1 and "nothing on standard input" in nobody.stderr
    wrong = tpm_in(tmp_path, "violet tram 43\n", "audit", "--user", "ann")
    assert wrong.returncode == 1 and "wrong user name, password or code" in wrong.stderr
    assert [u["name"] for u in users(tmp_path)] == ["ann", "tom", "vic"]
    # each changes their own password, having given the old one
    own = tpm_in(tmp_path, f"{PASSWORD}\nnew tram 77\n", "user", "passwd", "vic", "--user", "vic")
    assert own.returncode == 0, own.stderr
    assert ("vic", "user.passwd", "cli") in audit_rows(tmp_path)
    last = tpm_in(tmp_path, PASSWORD + "\n", "user", "remove", "ann", "--user", "ann")
    assert last.returncode == 1 and "ann is the last admin" in last.stderr
    add(tmp_path, "root", "admin")
    assert (
        tpm_in(tmp_path, PASSWORD + "\n", "user", "remove", "ann", "--user", "root").returncode == 0
    )
    assert [u["name"] for u in users(tmp_path, "root")] == ["root", "tom", "vic"]


def test_two_factor_enrolment_shows_a_qr_code_and_asks_for_a_first_code(tmp_path: Path) -> None:
    first_admin(tmp_path)
    add(tmp_path, "tom", "trader")
    env = {**os.environ, "TPM_HOME": str(tmp_path)}
    env.pop("TPM_DB_URL", None)
    proc = subprocess.Popen(  # tom enrols his own phone
        [sys.executable, "-m", "tpm", "user", "2fa", "enable", "tom", "--user", "tom"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdin.write(PASSWORD + "\n")
    proc.stdin.flush()
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
    tom = next(u for u in users(tmp_path) if u["name"] == "tom")
    assert tom["two_factor"] is True and tom["recovery_codes_left"] == 10
    no_code = tpm_in(tmp_path, PASSWORD + "\n", "user", "2fa", "disable", "tom", "--user", "tom")
    assert no_code.returncode == 1 and "Code: nothing on standard input" in no_code.stderr
    # the phone is not at hand: a recovery code stands in for the code, once
    off = tpm_in(
        tmp_path, f"{PASSWORD}\n{codes[0]}\n", "user", "2fa", "disable", "tom", "--user", "tom"
    )
    assert off.returncode == 0, off.stderr
    assert next(u for u in users(tmp_path) if u["name"] == "tom")["two_factor"] is False


def test_a_wrong_first_code_leaves_two_factor_off(tmp_path: Path) -> None:
    first_admin(tmp_path)
    out = tpm_in(tmp_path, PASSWORD + "\n000000\n", "user", "2fa", "enable", "ann", "--user", "ann")
    assert out.returncode == 1 and "does not match" in out.stderr
    assert users(tmp_path)[0]["two_factor"] is False


def test_audit_verify_finds_tampering(tmp_path: Path) -> None:
    first_admin(tmp_path)
    for name in ("bob", "cy"):
        add(tmp_path, name, "viewer")
    ok = tpm_in(tmp_path, PASSWORD + "\n", "audit", "verify", "--user", "ann")
    written = len(audit_rows(tmp_path))  # the adds, and every login, this one's too
    assert ok.returncode == 0 and f"intact: {written} entries" in ok.stdout
    listed = tpm_in(tmp_path, PASSWORD + "\n", "audit", "--since", "1h", "--user", "ann")
    assert listed.returncode == 0 and listed.stdout.count("user.add") == 3
    later = tpm_in(tmp_path, PASSWORD + "\n", "audit", "--since", "2999-01-01", "--user", "ann")
    assert "no audit events" in later.stdout
    bad = tpm_in(tmp_path, PASSWORD + "\n", "audit", "--since", "yesterday", "--user", "ann")
    assert bad.returncode == 2 and "--since 'yesterday'" in bad.stderr
    with sqlite3.connect(tmp_path / "tpm.db") as db:
        (row,) = db.execute("SELECT id FROM audit_log WHERE detail = 'bob as viewer'").fetchone()
        db.execute("UPDATE audit_log SET detail = 'bob as admin' WHERE id = ?", (row,))
    broken = tpm_in(tmp_path, PASSWORD + "\n", "audit", "verify", "--user", "ann")
    assert broken.returncode == 1
    assert (
        f"BROKEN: row {row} (" in broken.stderr and "changed after it was written" in broken.stderr
    )


def test_engine_commands_need_a_login_with_the_role_once_there_are_users(
    tmp_path: Path,
) -> None:
    first_admin(tmp_path)
    add(tmp_path, "vic", "viewer")
    add(tmp_path, "tom", "trader")
    wrong = tpm_in(tmp_path, "tom\nviolet tram 43\n", "halt")
    assert wrong.returncode == 1 and "wrong user name, password or code" in wrong.stderr
    viewer = tpm_in(tmp_path, "violet tram 42\n", "halt", "--user", "vic")
    assert viewer.returncode == 1 and "vic is a viewer: halt needs the trader role" in viewer.stderr
    trader = tpm_in(tmp_path, "tom\nviolet tram 42\n", "halt", "--reason", "lunch")
    assert trader.returncode == 0, trader.stderr
    acts = audit_rows(tmp_path)
    assert ("tom", "login.ok", "cli") in acts and ("tom", "risk.halted", "local") in acts
    assert ("vic", "login.ok", "cli") in acts and not any(
        a == ("vic", "risk.halted", "local") for a in acts
    )
