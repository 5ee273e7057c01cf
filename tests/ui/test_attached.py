"""One Pilot scenario, run on the app in-process and attached to the engine over a websocket:
the UI is the same on either client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tpm.config import Config
from tpm.domain import TradingState
from tpm.domain.client import EngineClient
from tpm.domain.users import Role
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine
from tpm.remote.client import RemoteEngineClient
from tpm.remote.server import RemoteServer
from tpm.security.accounts import REFUSED, Accounts
from tpm.security.guard import GuardedClient
from tpm.store.sql_store import SqlStore
from tpm.ui.app import TpmApp
from tpm.ui.screens.dialogs import Confirm
from tpm.ui.screens.login import LoginScreen
from tpm.ui.screens.risk import HaltDialog
from tpm.ui.widgets.status_bar import StatusBar

from .conftest import login_message, login_shown, make_engine, type_into, wait_for

PASSWORD = "violet tram 42"


@asynccontextmanager
async def app_on(
    tmp_path: Path, mode: str
) -> AsyncIterator[tuple[TpmApp, Pilot[None], Engine, RemoteServer | None]]:
    engine = make_engine(tmp_path / "ui.db")
    await engine.start()
    store = engine.store
    assert isinstance(store, SqlStore)
    accounts = Accounts(store)
    await accounts.add("tom", Role.TRADER, PASSWORD, actor="test")

    def guarded(origin: str) -> GuardedClient:
        local = LocalEngineClient(engine, Config(), tmp_path / "config.toml")
        return GuardedClient(local, accounts, origin)

    server: RemoteServer | None = None
    client: EngineClient
    if mode == "attached":
        server = RemoteServer(guarded)
        port = await server.start("127.0.0.1", 0)
        remote = RemoteEngineClient(f"ws://127.0.0.1:{port}")
        client = remote  # type: ignore[assignment]
    else:
        client = guarded("local")
    app = TpmApp(client)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            yield app, pilot, engine, server
    finally:
        if server is not None:
            await remote.close()
            await server.close()
        await engine.stop()


@pytest.mark.parametrize("mode", ["local", "attached"])
async def test_the_same_session_in_process_and_attached(tmp_path: Path, mode: str) -> None:
    async with app_on(tmp_path, mode) as (app, pilot, engine, _):
        await login_shown(pilot, "the login")
        await type_into(pilot, "#login-user", "tom")
        await type_into(pilot, "#login-password", "not the password")
        await wait_for(pilot, lambda: login_message(app) == REFUSED, "the refusal")
        await type_into(pilot, "#login-password", PASSWORD)
        await wait_for(pilot, lambda: app.snapshot is not None, "the first snapshot")
        assert app.who is not None and app.who.user == "tom"
        # The kill switch, both ways.
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, HaltDialog), "the halt dialog")
        await pilot.press("h")
        await wait_for(pilot, lambda: engine.risk.state is TradingState.HALTED, "the halt")
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None
                and app.snapshot.account.trading_state is TradingState.HALTED
            ),
            "the halt on screen",
        )
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the resume question")
        await pilot.press("y")
        await wait_for(pilot, lambda: engine.risk.state is TradingState.ACTIVE, "the resume")
        # Every screen opens on this client.
        for key in "23451":
            await pilot.press(key)
            await pilot.pause(0.3)
        assert app.is_running
        # Logging out brings the login back.
        await pilot.press("ctrl+l")
        await login_shown(pilot, "the login again")
        assert login_message(app) == "you logged out"


async def test_an_attached_app_rides_out_a_dropped_link(tmp_path: Path) -> None:
    async with app_on(tmp_path, "attached") as (app, pilot, engine, server):
        assert server is not None
        await login_shown(pilot, "the login")
        await type_into(pilot, "#login-user", "tom")
        await type_into(pilot, "#login-password", PASSWORD)
        await wait_for(pilot, lambda: app.snapshot is not None, "the first snapshot")
        bar = app.screen.query_one(StatusBar)
        port = server.port
        await server.close()
        await wait_for(pilot, lambda: "link down" in str(bar.render()), "the link down")
        # The risk panel asks the engine every second: told once, and the app carries on.
        await pilot.press("R")
        await wait_for(
            pilot,
            lambda: any(n.title == "Engine link down" for n in app._notifications),
            "the note",
        )
        state = app.screen.query_one("#risk-state", Static)
        await wait_for(pilot, lambda: "is down" in str(state.render()), "the panel saying so")
        await pilot.pause(1.5)
        assert app.is_running
        assert sum(n.title == "Engine link down" for n in app._notifications) == 1
        await server.start("127.0.0.1", port)
        await wait_for(pilot, lambda: "link down" not in str(bar.render()), "the link back")
        await wait_for(pilot, lambda: "Trading ACTIVE" in str(state.render()), "the panel back")
        await pilot.press("escape")
        published = engine.publisher.latest
        assert published is not None
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and app.snapshot.version > published.version,
            "snapshots again",
        )
        assert not isinstance(app.screen, LoginScreen) and app.who is not None
