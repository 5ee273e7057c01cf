"""A real engine served on 127.0.0.1 with three users, and clients attached to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ui.conftest import make_engine

from tpm.config import Config
from tpm.domain.users import Role
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine
from tpm.remote.client import RemoteEngineClient
from tpm.remote.server import RemoteServer
from tpm.security.accounts import Accounts
from tpm.security.guard import GuardedClient
from tpm.store.sql_store import SqlStore

PASSWORD = "violet tram 42"
ROLES = {"vic": Role.VIEWER, "tom": Role.TRADER, "ada": Role.ADMIN}


@dataclass
class Served:
    engine: Engine
    accounts: Accounts
    server: RemoteServer
    url: str
    config_file: Path


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serve(tmp_path / "a") as s:
        yield s


def serve(home: Path, **kw: object) -> _Serving:
    return _Serving(home, kw)


class _Serving:
    def __init__(self, home: Path, kw: dict[str, object]) -> None:
        self.home, self.kw = home, kw

    async def __aenter__(self) -> Served:
        self.home.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.home / "tpm.db", strategies=False)
        await engine.start()
        store = engine.store
        assert isinstance(store, SqlStore)
        accounts = Accounts(store)
        for name, role in ROLES.items():
            await accounts.add(name, role, PASSWORD, actor="test")
        config_file = self.home / "config.toml"
        config_file.write_text("")

        def client_for(origin: str) -> GuardedClient:
            local = LocalEngineClient(engine, Config(), config_file)
            return GuardedClient(local, accounts, origin)

        server = RemoteServer(client_for, **self.kw)  # type: ignore[arg-type]
        port = await server.start("127.0.0.1", 0)
        self.served = Served(engine, accounts, server, f"ws://127.0.0.1:{port}", config_file)
        return self.served

    async def __aexit__(self, *exc: object) -> None:
        await self.served.server.close()
        await self.served.engine.stop()


@pytest.fixture
async def attach(served: Served) -> AsyncIterator[RemoteEngineClient]:
    client = RemoteEngineClient(served.url)
    yield client
    await client.close()
