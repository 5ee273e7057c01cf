"""The app on an engine with users: the login, roles in the UI, asking again, expiry."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Label, Static

from tpm.config import Config
from tpm.domain import TradingState
from tpm.domain.users import Role
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine
from tpm.security import totp
from tpm.security.accounts import REFUSED, Accounts
from tpm.security.guard import GuardedClient
from tpm.security.sessions import Sessions
from tpm.store.sql_store import SqlStore
from tpm.ui.app import TpmApp
from tpm.ui.screens.dialogs import AskText, Confirm
from tpm.ui.screens.risk import HaltDialog, RiskDialog
from tpm.ui.screens.settings import SettingsScreen
from tpm.ui.screens.trading import TradingScreen
from tpm.ui.widgets.settings.save_bar import SaveBar
from tpm.ui.widgets.status_bar import StatusBar
from tpm.ui.widgets.trading.ticket import OrderTicket

from .conftest import login_message, login_shown, make_engine, type_into, wait_for

PASSWORD = "violet tram 42"
NS = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = time.time_ns()

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * NS)


@asynccontextmanager
async def gated_app(
    tmp_path: Path,
) -> AsyncIterator[tuple[TpmApp, Pilot[None], Engine, Clock, str]]:
    """An app whose engine has a viewer (vic) and a trader with two-factor login (tess);
    yields tess's TOTP secret too."""
    clock = Clock()
    db = tmp_path / "ui.db"
    setup = SqlStore(f"sqlite+aiosqlite:///{db}")
    await setup.open()
    admin = Accounts(setup, clock=clock)
    await admin.add("vic", Role.VIEWER, PASSWORD, actor="test")
    await admin.add("tess", Role.TRADER, PASSWORD, actor="test")
    secret = (await admin.begin_totp("tess")).secret
    await admin.enable_totp("tess", secret, totp.code_at(secret, totp.step_of(clock())), actor="t")
    await setup.close()
    engine = make_engine(db)
    assert isinstance(engine.store, SqlStore)
    accounts = Accounts(engine.store, sessions=Sessions(clock), clock=clock)
    client = GuardedClient(LocalEngineClient(engine, Config(), tmp_path / "config.toml"), accounts)
    app = TpmApp(client, start=engine.start)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await login_shown(pilot, "the login")
            yield app, pilot, engine, clock, secret
    finally:
        await engine.stop()


def offered(app: TpmApp) -> set[str]:
    """The actions of the keys the footer offers on the current screen."""
    return {b.action.split("(")[0] for _, b, _, _ in app.screen.active_bindings.values()}


async def audit(engine: Engine) -> list[tuple[str, str]]:
    assert isinstance(engine.store, SqlStore)
    return [(e.actor, e.action) for e in await engine.store.load_audit()]


async def test_a_viewer_logs_in_sees_the_market_and_cannot_trade(tmp_path: Path) -> None:
    async with gated_app(tmp_path) as (app, pilot, engine, _, _):
        assert app.snapshot is None  # nothing streams before the login
        await type_into(pilot, "#login-user", "vic")
        await type_into(pilot, "#login-password", "violet tram 43")
        await wait_for(pilot, lambda: login_message(app) == REFUSED, "the refusal")
        await type_into(pilot, "#login-password", PASSWORD)
        await wait_for(pilot, lambda: app.snapshot is not None, "the first snapshot")
        assert app.who is not None and app.who.role is Role.VIEWER
        assert app.sub_title == "vic (viewer)"
        await wait_for(
            pilot,
            lambda: "tpm vic (viewer)" in str(app.screen.query_one(StatusBar).render()),
            "the user in the status bar",
        )
        # Keys for what a viewer may not do are not offered, on any screen or panel.
        assert not {"kill_switch", "add_symbol"} & offered(app) and "risk" in offered(app)
        await pilot.press("K")
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskDialog), "the risk panel")
        assert "kill_switch" not in offered(app)
        assert "K halt" not in str(app.screen.query_one(".hint", Label).render())
        await pilot.press("k", "escape", "3")
        await wait_for(pilot, lambda: isinstance(app.screen, TradingScreen), "the trading screen")
        assert not {"ticket", "kill_switch"} & offered(app)
        ticket = app.screen.query_one(OrderTicket)
        await wait_for(pilot, lambda: ticket.disabled, "the ticket switched off")
        assert "watching only" in str(ticket.border_subtitle)
        await pilot.press("b")
        await pilot.pause(0.2)
        assert app.screen.focused is None or not isinstance(app.screen.focused, Input)
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), "the settings")
        bar = app.screen.query_one(SaveBar)
        await wait_for(
            pilot,
            lambda: "viewer: you may change the theme" in str(bar.query_one(Static).render()),
            "what a viewer may change",
        )
        assert app.is_running and engine.risk.state is TradingState.ACTIVE
        log = await audit(engine)
        assert ("vic", "login.failed") in log and ("vic", "login.ok") in log


async def test_two_factor_login_asking_again_to_resume_and_expiry(tmp_path: Path) -> None:
    async with gated_app(tmp_path) as (app, pilot, engine, clock, secret):
        clock.advance(30)  # the enrolment used this step's code
        await type_into(pilot, "#login-user", "tess")
        await type_into(pilot, "#login-password", PASSWORD)
        await wait_for(pilot, lambda: app.screen.has_class("-code"), "the code field")
        await type_into(pilot, "#login-code", "000000")
        await wait_for(pilot, lambda: login_message(app) == REFUSED, "the refusal")
        await type_into(pilot, "#login-code", totp.code_at(secret, totp.step_of(clock())))
        await wait_for(pilot, lambda: app.snapshot is not None, "the first snapshot")
        assert app.sub_title == "tess (trader)"
        assert {"kill_switch", "risk", "add_symbol"} <= offered(app)
        # Halting needs no code; resuming, minutes later, asks for it again.
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, HaltDialog), "the halt dialog")
        await pilot.press("h")
        await wait_for(pilot, lambda: engine.risk.state is TradingState.HALTED, "the halt")
        clock.advance(150)
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the resume question")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, AskText), "the code question")
        await type_into(pilot, "AskText Input", totp.code_at(secret, totp.step_of(clock())))
        await wait_for(pilot, lambda: engine.risk.state is TradingState.ACTIVE, "the resume")
        log = await audit(engine)
        assert ("tess", "risk.halted") in log and ("tess", "confirm") in log
        assert ("tess", "risk.active") in log
        # Thirty idle minutes later the next snapshot brings the login back.
        clock.advance(31 * 60)
        await login_shown(pilot, "the login again")
        assert "log in again" in login_message(app)
