"""A UI's client attached over a real websocket: login, calls, errors, snapshots, isolation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tpm.domain import OrderRequest, OrderStatus, OrderType, Side, TimeInForce, TradingState
from tpm.domain.snapshot import EngineSnapshot
from tpm.domain.users import Role
from tpm.errors import AccessDenied, ConfirmationNeeded, LoginNeeded, TpmError
from tpm.remote.client import RemoteEngineClient
from tpm.store.sql_store import SqlStore

from .conftest import PASSWORD, Served, serve


async def drain(stream: AsyncIterator[EngineSnapshot]) -> None:
    """Read snapshots until the stream ends (with what it raises), for at most 10 s."""
    async with asyncio.timeout(10):
        while True:
            await anext(stream)


async def test_login_snapshots_and_an_order_round_trip(
    served: Served, attach: RemoteEngineClient
) -> None:
    assert await attach.login_required()
    with pytest.raises(LoginNeeded, match="log in again"):
        await attach.latest()
    refused = await attach.login("tom", "violet tram 43")
    assert refused.who is None and refused.refusal == "wrong user name, password or code"
    who = (await attach.login("tom", PASSWORD)).who
    assert who is not None and who.role is Role.TRADER and who.origin.startswith("127.0.0.1:")
    stream = attach.snapshots()
    first = await asyncio.wait_for(anext(stream), 10)
    assert isinstance(first, EngineSnapshot) and first.watchlist
    sym = first.watchlist[0].symbol
    order = await attach.submit_order(
        OrderRequest(sym, Side.BUY, Decimal(3), OrderType.MARKET, TimeInForce.DAY)
    )
    assert order.symbol == sym and order.qty == Decimal(3)
    assert order.client_order_id in served.engine.oms.orders  # the engine's own book
    later = await asyncio.wait_for(anext(stream), 10)
    assert later.version > first.version
    bars = await attach.bars(sym, served.engine.settings.timeframes[0])
    assert bars and bars[-1].symbol == sym
    await stream.aclose()


async def test_errors_come_back_as_the_same_exceptions(
    served: Served, attach: RemoteEngineClient
) -> None:
    await attach.login("vic", PASSWORD)
    with pytest.raises(AccessDenied, match="vic is a viewer: halt needs the trader role"):
        await attach.halt()
    await attach.login("tom", PASSWORD)
    await attach.halt()
    assert served.engine.risk.state is TradingState.HALTED
    served.accounts.sessions.confirm_ns = 0
    with pytest.raises(ConfirmationNeeded):
        await attach.resume()
    served.accounts.sessions.confirm_ns = 120 * 10**9
    await attach.confirm(PASSWORD)
    assert await attach.resume() == "trading resumed"
    with pytest.raises(TpmError, match="no strategy named"):
        await attach.stop_strategy("nope")
    # Lifting a limit asks an admin for the code again; the audit log has both steps.
    await attach.login("ada", PASSWORD)
    served.accounts.sessions.confirm_ns = 0
    lift = {"risk.order_size.max_qty": 20_000.0}
    with pytest.raises(ConfirmationNeeded, match=r"lifting a risk limit .*give your code again"):
        await attach.save_settings(lift)
    served.accounts.sessions.confirm_ns = 120 * 10**9
    await attach.confirm(PASSWORD)
    assert "saved to" in await attach.save_settings(lift)
    assert isinstance(served.engine.store, SqlStore)
    log = [(e.actor, e.action, e.detail) for e in await served.engine.store.load_audit()]
    assert ("ada", "settings.save", "risk.order_size.max_qty = 20000.0") in log
    assert any(e[:2] == ("ada", "settings.confirmed") and "lifting" in e[2] for e in log)


async def test_the_session_ending_stops_the_stream_with_login_needed(
    served: Served, attach: RemoteEngineClient
) -> None:
    await attach.login("vic", PASSWORD)
    stream = attach.snapshots()
    await asyncio.wait_for(anext(stream), 10)
    served.accounts.sessions.end_user("vic")  # as an idle timeout or a new password does
    with pytest.raises(LoginNeeded):
        await drain(stream)


async def test_two_engines_on_one_machine_keep_their_own_orders(tmp_path: Path) -> None:
    async with serve(tmp_path / "a") as a, serve(tmp_path / "b") as b:
        ca, cb = RemoteEngineClient(a.url), RemoteEngineClient(b.url)
        try:
            await ca.login("tom", PASSWORD)
            await cb.login("tom", PASSWORD)
            sym = (await ca.symbols())[0]
            sent = await ca.submit_order(
                OrderRequest(sym, Side.BUY, Decimal(1), OrderType.MARKET, TimeInForce.DAY)
            )
            assert sent.status is not OrderStatus.REJECTED
            assert sent.client_order_id in a.engine.oms.orders
            assert sent.client_order_id not in b.engine.oms.orders
            seen = await cb.latest()
            ids = {o.client_order_id for o in (*seen.open_orders, *seen.recent_orders)}
            assert sent.client_order_id not in ids
            assert a.engine.store is not b.engine.store
        finally:
            await ca.close()
            await cb.close()
