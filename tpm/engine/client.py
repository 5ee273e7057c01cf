"""The in-process EngineClient: the UI's window onto an Engine running in the same event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from tpm.config import Config, update_config_file
from tpm.domain import (
    Bar,
    ClientOrderId,
    EquitySnapshot,
    Instrument,
    Order,
    OrderRequest,
    OrderType,
    Score,
    Side,
    Timeframe,
    TimeInForce,
)
from tpm.domain.snapshot import EngineSnapshot
from tpm.domain.strategies import StrategyFile, StrategyProblem, StrategyTrial
from tpm.domain.users import Identity, LoginAnswer
from tpm.engine.engine import Engine
from tpm.errors import TpmError

__all__ = ["LocalEngineClient"]


class LocalEngineClient:
    """Implements tpm.domain.client.EngineClient over an Engine object.

    `config` and `config_file` are what the engine was started with; settings are saved there.
    `actor` is who the audit log names for what this client does ("app" with no users; a
    login sets it to the user).
    """

    def __init__(
        self, engine: Engine, config: Config | None = None, config_file: Path | None = None
    ) -> None:
        self._engine = engine
        if engine.config is None:
            engine.config = config or Config()
        self._config_file = config_file
        self.actor = "app"
        self.origin = "local"

    @property
    def description(self) -> str:
        return "local"

    # -- no users: nobody logs in (tpm.security.guard puts a login in front when there are) --

    async def login_required(self) -> bool:
        return False

    async def login(self, user: str, password: str) -> LoginAnswer:
        return LoginAnswer(refusal="this engine has no users: nobody needs to log in")

    async def second_factor(self, code: str) -> LoginAnswer:
        return await self.login("", "")

    async def logout(self) -> None:
        return None

    async def confirm(self, secret: str) -> None:
        return None

    async def whoami(self) -> Identity | None:
        return None

    async def latest(self) -> EngineSnapshot:
        snap = self._engine.publisher.latest
        return snap if snap is not None else self._engine.publisher.publish()

    async def snapshots(self) -> AsyncIterator[EngineSnapshot]:
        sub = self._engine.bus.stream(EngineSnapshot, maxsize=1)
        try:
            yield await self.latest()
            async for snap in sub:
                assert isinstance(snap, EngineSnapshot)
                yield snap
        finally:
            sub.close()

    async def submit_order(self, request: OrderRequest) -> Order:
        return await self._engine.oms.submit(request)

    async def cancel_order(self, client_order_id: ClientOrderId) -> bool:
        return await self._engine.oms.cancel(client_order_id)

    async def bars(self, symbol: str, timeframe: Timeframe, limit: int = 300) -> list[Bar]:
        """Warm history from the feed, then what this run aggregated, then the forming bar."""
        e = self._engine
        history = await e.feed.history(symbol, timeframe, limit)
        since = history[-1].end_ns if history else e.started_ns - timeframe.ns * limit
        await e.store.flush()  # bars still queued for the writer would leave a gap
        live = [b for b in await e.store.load_bars(symbol, timeframe, limit) if b.start_ns >= since]
        bars = (history + live)[-limit:]
        forming = e.market.forming_bar(symbol, timeframe)
        if forming is not None and (not bars or forming.start_ns > bars[-1].start_ns):
            bars.append(forming)
        return bars

    async def set_watchlist(self, symbols: Sequence[str]) -> None:
        await self._engine.set_watchlist(symbols)

    async def symbols(self) -> list[str]:
        return [i.symbol for i in self._engine.feed.instruments()]

    async def halt(self, *, flatten: bool = False) -> str:
        by = "" if self.actor == "app" else f" by {self.actor}"
        return await self._engine.halt(
            f"halted from the app{by}", flatten=flatten, actor=self.actor, origin=self.origin
        )

    async def resume(self) -> str:
        return await self._engine.resume(actor=self.actor, origin=self.origin)

    async def risk_status(self) -> dict[str, Any]:
        return self._engine.risk.status()

    async def set_shutdown_orders(self, mode: str) -> None:
        self._engine.set_shutdown_orders(mode, actor=self.actor)

    async def replace_order(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> str | None:
        return await self._engine.oms.replace(client_order_id, qty, limit_price, stop_price)

    async def close_position(self, symbol: str) -> Order | None:
        qty = self._engine.portfolio.qty(symbol)
        if qty == 0:
            return None
        side = Side.SELL if qty > 0 else Side.BUY
        return await self._engine.oms.submit(
            OrderRequest(symbol, side, abs(qty), OrderType.MARKET, TimeInForce.DAY, source="ui")
        )

    async def instruments(self) -> list[Instrument]:
        return list(self._engine.feed.instruments())

    async def score(self, symbol: str) -> Score | None:
        return self._engine.scores.latest.get(symbol)

    async def equity_curve(self, limit: int = 5000) -> list[EquitySnapshot]:
        e = self._engine
        await e.store.flush()
        curve = await e.store.load_equity(limit)
        curve.append(e.portfolio.snapshot(e.clock.now_ns()))
        return curve[-limit:]

    @property
    def _config(self) -> Config:
        # The engine's copy: another client (a remote session) may have saved since.
        assert self._engine.config is not None
        return self._engine.config

    async def settings(self) -> dict[str, Any]:
        return self._config.model_dump()

    async def save_settings(self, changes: Mapping[str, Any]) -> str:
        if self._config_file is None:
            raise TpmError("this engine was started without a config file to save to")
        new = update_config_file(self._config_file, changes)
        restart = self._engine.apply_settings(new)
        listed = ", ".join(f"{k} = {v!r}" for k, v in sorted(changes.items()))
        await self._engine.store.audit(self.actor, "settings.save", listed, self.origin)
        saved = f"saved to {self._config_file}"
        if restart:
            return f"{saved}; {', '.join(sorted(restart))} take effect at the next start"
        return f"{saved}; in effect now"

    async def strategies_live(self) -> bool:
        r = self._engine.runner
        return r.is_running and r.is_trading and bool(r.strategies)

    async def strategy_files(self) -> list[StrategyFile]:
        return await asyncio.to_thread(self._engine.desk.files)

    async def strategy_folder(self) -> str:
        folder = self._engine.desk.folder
        return "" if folder is None else str(folder)

    async def read_strategy(self, file: str) -> str:
        return self._engine.desk.read(file)

    async def check_strategy(self, text: str, kind: str) -> list[StrategyProblem]:
        return self._engine.desk.check(text, kind)

    async def try_strategy(self, text: str, kind: str, bars: int = 500) -> StrategyTrial:
        return await self._engine.desk.trial(text, kind, bars)

    async def save_strategy(self, file: str, text: str) -> str:
        return await self._engine.desk.save(file, text, actor=self.actor, origin=self.origin)

    async def start_strategy(self, file: str) -> str:
        return await self._engine.desk.start(file, actor=self.actor, origin=self.origin)

    async def stop_strategy(self, name: str) -> str:
        return await self._engine.desk.stop(name, actor=self.actor, origin=self.origin)
