"""The remote engine's two ends on the command line: the server `tpm --headless` starts when
[remote] listen is set, and `tpm attach` (the app on a RemoteEngineClient).

Safe by default: a loopback address only, unless the server has TLS (tls_cert, tls_key) or
allow_insecure says otherwise, which is then warned about at every start; and no server at
all for an engine without users.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from tpm.config import Config, Paths, read_raw, resolve_paths
from tpm.errors import ConfigError

if TYPE_CHECKING:
    from tpm.engine.engine import Engine
    from tpm.remote.server import RemoteServer

__all__ = ["Listen", "attach", "is_loopback", "listen_of", "start_server"]

log = logging.getLogger("tpm.remote")


def is_loopback(host: str) -> bool:
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: where it points is not ours to know


class Listen(NamedTuple):
    host: str
    port: int
    tls: ssl.SSLContext | None


def listen_of(config: Config) -> Listen | None:
    """Where [remote] says to serve, checked before the engine starts (ConfigError if unsafe)."""
    r = config.remote
    if not r.listen:
        return None
    host, _, port = r.listen.rpartition(":")
    tls = _server_tls(r.tls_cert, r.tls_key)
    if not is_loopback(host) and tls is None:
        if not r.allow_insecure:
            raise ConfigError(
                f"remote.listen {r.listen!r} is not a loopback address: serve it with TLS "
                "(remote.tls_cert and remote.tls_key), reach a loopback address through an "
                "SSH tunnel, or set remote.allow_insecure = true"
            )
        log.warning(
            "remote: serving %s WITHOUT TLS: passwords and codes cross the network in the "
            "clear (remote.allow_insecure = true)",
            r.listen,
        )
    return Listen(host.strip("[]"), int(port), tls)


async def start_server(
    engine: Engine, config: Config, where: Listen, config_file: Path | None
) -> RemoteServer:
    """Serve the control API for `engine` at `where`; ConfigError when it has no users."""
    from tpm.cli.wiring import build_accounts
    from tpm.engine.client import LocalEngineClient
    from tpm.remote.server import RemoteServer
    from tpm.security.guard import GuardedClient
    from tpm.store.sql_store import SqlStore

    store = engine.store
    if not isinstance(store, SqlStore):
        raise TypeError(f"an engine on {type(store).__name__} has no users table")
    accounts = build_accounts(config, store)
    users = len(await accounts.users())
    if not users:
        raise ConfigError(
            "remote.listen is set but the engine has no users: add one first "
            "(tpm user add NAME --role admin)"
        )

    def client_for(origin: str) -> GuardedClient:
        return GuardedClient(LocalEngineClient(engine, config, config_file), accounts, origin)

    r = config.remote
    server = RemoteServer(client_for, max_frame=r.max_message_kib * 1024, compress=r.compress)
    bound = await server.start(where.host, where.port, where.tls)
    scheme = "wss" if where.tls is not None else "ws"
    log.info(
        "remote: serving %s://%s:%d for %d user%s",
        scheme,
        where.host,
        bound,
        users,
        "" if users == 1 else "s",
    )
    return server


def _server_tls(cert: str, key: str) -> ssl.SSLContext | None:
    if not cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"remote.tls_cert/tls_key: cannot load {cert}: {exc}") from None
    return ctx


def attach(args: argparse.Namespace) -> int:
    """`tpm attach ws://HOST:PORT` (or a name from [remote] engines): the app on that engine."""
    from tpm.config import validate_config

    paths = resolve_paths(args.config)
    config = validate_config(read_raw(paths.config_file, required=False), paths.config_file)
    url = config.remote.engines.get(args.target, args.target)
    if not url.startswith(("ws://", "wss://")):
        known = ", ".join(sorted(config.remote.engines)) or "none in [remote] engines"
        raise ConfigError(f"attach {args.target!r}: a ws:// or wss:// address, or a name ({known})")
    tls = None
    if url.startswith("wss://"):
        tls = ssl.create_default_context(cafile=args.cafile)
    return asyncio.run(_attached(url, tls, paths))


async def _attached(url: str, tls: ssl.SSLContext | None, paths: Paths) -> int:
    from tpm.cli.logs import log_to_file
    from tpm.remote.client import RemoteEngineClient
    from tpm.ui.app import TpmApp

    log_to_file(paths.data_dir / "tpm-attach.log", "info")
    client = RemoteEngineClient(url, tls=tls)
    try:
        await client.login_required()  # reach it before the terminal is taken
        app = TpmApp(client)
        await app.run_async()
    finally:
        await client.close()
    return 0
