"""`tpm --headless` serving attached UIs, and `tpm attach`, as a user runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tpm.remote.client import RemoteEngineClient

from .test_cli import tpm
from .test_users_cli import tpm_in

PASSWORD = "violet tram 42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def configure(home: Path, remote: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f"[feed.sim]\nsymbols = 4\n[remote]\n{remote}\n")


def test_unsafe_or_userless_servers_do_not_start(tmp_path: Path) -> None:
    configure(tmp_path, f'listen = "127.0.0.1:{free_port()}"')
    no_users = tpm(tmp_path, "--headless", "--duration", "5")
    assert no_users.returncode == 2 and "no users: add one first" in no_users.stderr
    assert (
        tpm_in(tmp_path, PASSWORD + "\n", "user", "add", "ann", "--role", "admin").returncode == 0
    )
    configure(tmp_path, f'listen = "0.0.0.0:{free_port()}"')
    open_port = tpm(tmp_path, "--headless", "--duration", "5")
    assert open_port.returncode == 2 and "is not a loopback address" in open_port.stderr
    assert "engine started" not in open_port.stderr  # refused before anything started
    configure(tmp_path, 'listen = "localhost"')
    bad = tpm(tmp_path, "--headless", "--duration", "5")
    assert bad.returncode == 2 and "remote: listen 'localhost': HOST:PORT" in bad.stderr
    configure(tmp_path, f'listen = "0.0.0.0:{free_port()}"\nallow_insecure = true')
    warned = tpm(tmp_path, "--headless", "--duration", "2")
    assert warned.returncode == 0 and "WITHOUT TLS" in warned.stderr


def test_attach_names_what_it_cannot_reach(tmp_path: Path) -> None:
    configure(tmp_path, 'engines = {vps = "ws://127.0.0.1:9"}')
    unknown = tpm(tmp_path, "attach", "nope")
    assert unknown.returncode == 2 and "attach 'nope'" in unknown.stderr and "vps" in unknown.stderr
    away = tpm(tmp_path, "attach", "vps")
    assert away.returncode == 1 and "cannot reach the engine at ws://127.0.0.1:9" in away.stderr


def test_a_headless_engine_serves_an_attached_client(tmp_path: Path) -> None:
    port = free_port()
    configure(tmp_path, f'listen = "127.0.0.1:{port}"')
    assert (
        tpm_in(tmp_path, PASSWORD + "\n", "user", "add", "ann", "--role", "admin").returncode == 0
    )
    env = {**os.environ, "TPM_HOME": str(tmp_path)}
    env.pop("TPM_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tpm", "--headless"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )

    async def use() -> None:
        client = RemoteEngineClient(f"ws://127.0.0.1:{port}")
        try:
            async with asyncio.timeout(60):
                while True:  # until the engine is up
                    try:
                        assert await client.login_required()
                        break
                    except Exception:
                        await asyncio.sleep(0.3)
            who = (await client.login("ann", PASSWORD)).who
            assert who is not None and who.user == "ann"
            assert len((await client.latest()).watchlist) > 0
        finally:
            await client.close()

    try:
        asyncio.run(use())
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"serving ws://127.0.0.1:{port} for 1 user" in err
