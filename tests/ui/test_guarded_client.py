"""The gate every UI and remote call passes: roles per call, audit entries, asking again."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from tpm.config import Config
from tpm.domain import OrderRequest, OrderType, Side, TimeInForce, TradingState
from tpm.domain.users import Role
from tpm.engine.client import LocalEngineClient
from tpm.errors import AccessDenied, ConfirmationNeeded, LoginNeeded, TpmError
from tpm.security.accounts import Accounts
from tpm.security.guard import GuardedClient, asks_again
from tpm.store.sql_store import SqlStore

from .conftest import make_engine

PASSWORD = "violet tram 42"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"risk.order_size.max_qty": 20_000.0}, "lifting a risk limit (risk.order_size.max_qty)"),
        ({"risk.order_size.max_qty": 5_000.0}, None),
        ({"risk.price_collar.enabled": False}, "lifting a risk limit"),
        ({"risk.buying_power.allow_short": False}, None),
        ({"risk.repeat_guard.window_s": 10.0}, "lifting a risk limit"),
        ({"risk.repeat_guard.window_s": 600.0}, None),
        ({"risk.daily_loss.action": "reduce"}, "lifting a risk limit"),
        ({"ui.theme": "nord", "engine.snapshot_hz": 5.0}, None),
        ({"broker.kind": "alpaca"}, "going live with a real broker"),
        ({"risk": {"order_size": {"max_qty": 1e9}}}, "lifting a risk limit"),
    ],
)
def test_which_changes_ask_for_the_code_again(changes: dict[str, object], why: str | None) -> None:
    said = asks_again(changes, Config().model_dump())
    assert (said is None) if why is None else (said is not None and said.startswith(why))


async def test_each_call_is_checked_and_what_users_do_is_audited(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "g.db", strategies=False)
    await engine.start()
    try:
        store = engine.store
        assert isinstance(store, SqlStore)
        accounts = Accounts(store)
        await accounts.add("vic", Role.VIEWER, PASSWORD, actor="test")
        await accounts.add("tom", Role.TRADER, PASSWORD, actor="test")
        local = LocalEngineClient(engine, Config(), tmp_path / "config.toml")
        client = GuardedClient(local, accounts, origin="10.1.2.3")
        assert await client.login_required() and await client.whoami() is None
        with pytest.raises(LoginNeeded):
            await client.latest()
        assert (await client.login("vic", PASSWORD)).who is not None
        assert (await client.latest()).watchlist is not None  # a viewer sees
        sym = (await client.symbols())[0]
        order = OrderRequest(sym, Side.BUY, Decimal(1), OrderType.MARKET, TimeInForce.DAY)
        with pytest.raises(AccessDenied, match="vic is a viewer: submit order needs the trader"):
            await client.submit_order(order)
        with pytest.raises(AccessDenied, match="needs the admin role"):
            await client.save_settings({"risk.order_size.max_qty": 1.0})
        assert (await client.login("tom", PASSWORD)).who is not None
        assert local.actor == "tom"
        sent = await client.submit_order(
            dataclasses.replace(order, strategy="demo", source="strategy")
        )
        assert sent.strategy == "" and sent.source == "manual"  # a person's, whatever it says
        again = await client.submit_order(
            dataclasses.replace(order, client_order_id=sent.client_order_id)
        )
        assert again.client_order_id != sent.client_order_id  # an id of its own is not taken
        with pytest.raises(TpmError, match="limit -1: from 1"):
            await client.equity_curve(limit=-1)
        await client.halt()
        accounts.sessions.confirm_ns = 0  # the login's own proof is stale at once
        with pytest.raises(ConfirmationNeeded, match="resume asks for your code again"):
            await client.resume()
        accounts.sessions.confirm_ns = 120 * 1_000_000_000
        await client.confirm(PASSWORD)
        assert await client.resume() == "trading resumed"
        assert engine.risk.state is TradingState.ACTIVE
        await client.logout()
        assert local.actor == "app" and await client.whoami() is None
        log = [(e.actor, e.action, e.origin) for e in await store.load_audit()]
        assert ("tom", "order.submit", "10.1.2.3") in log
        assert ("tom", "risk.halted", "10.1.2.3") in log and (
            "tom",
            "risk.active",
            "10.1.2.3",
        ) in log
        assert ("tom", "logout", "10.1.2.3") in log
        detail = next(e.detail for e in await store.load_audit() if e.action == "order.submit")
        assert detail.startswith(f"{sent.client_order_id[:8]} buy 1 {sym} market")
    finally:
        await engine.stop()


async def test_every_client_of_an_engine_reads_the_newest_settings(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "s.db", strategies=False)
    await engine.start()
    try:
        config_file = tmp_path / "config.toml"
        config_file.write_text("")
        one = LocalEngineClient(engine, Config(), config_file)
        two = LocalEngineClient(engine, Config(), config_file)  # a second remote session
        await one.save_settings({"risk.order_size.max_qty": 500.0})
        assert (await two.settings())["risk"]["order_size"]["max_qty"] == 500.0
        assert engine.risk.config.order_size.max_qty == 500.0
        assert isinstance(engine.store, SqlStore)  # with no users too, the change is logged
        [saved] = [e for e in await engine.store.load_audit() if e.action == "settings.save"]
        assert (saved.actor, saved.detail) == ("app", "risk.order_size.max_qty = 500.0")
    finally:
        await engine.stop()
