"""wss://: the server with a certificate, a client trusting it, and one that does not."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from tpm.cli.remote import _server_tls
from tpm.errors import TpmError
from tpm.remote.client import RemoteEngineClient

from .conftest import PASSWORD, serve


def self_signed(tmp: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed here to make a test certificate")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_wss_with_a_trusted_certificate_and_without(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    async with serve(tmp_path / "e") as s:
        port = s.server.port
        await s.server.close()
        await s.server.start("127.0.0.1", port, _server_tls(str(cert), str(key)))
        url = f"wss://127.0.0.1:{port}"
        trusted = RemoteEngineClient(url, tls=ssl.create_default_context(cafile=str(cert)))
        try:
            assert (await trusted.login("tom", PASSWORD)).who is not None
            assert (await trusted.latest()).watchlist
        finally:
            await trusted.close()
        stranger = RemoteEngineClient(url, tls=ssl.create_default_context())
        with pytest.raises(TpmError, match=r"cannot reach the engine.*CERTIFICATE_VERIFY_FAILED"):
            await stranger.login("tom", PASSWORD)
        plain = RemoteEngineClient(f"ws://127.0.0.1:{port}")
        with pytest.raises(TpmError, match="cannot reach the engine"):
            await plain.login("tom", PASSWORD)
