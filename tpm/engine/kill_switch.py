"""The kill switch: halt (cancel everything, stop strategies, optionally flatten), reduce, resume.

A state change is stored before anything else happens, so a crash mid-halt still restarts
halted; it is audited, logged and announced.
"""

from __future__ import annotations

import logging

from tpm.domain import (
    Notification,
    OrderRequest,
    OrderType,
    Severity,
    Side,
    TimeInForce,
    TradingState,
)
from tpm.engine.bus import Bus
from tpm.engine.oms import OrderManager
from tpm.engine.portfolio import Portfolio
from tpm.engine.protocols import Store
from tpm.engine.risk import Breach, RiskEngine
from tpm.engine.runner import StrategyRunner

__all__ = ["KillSwitch"]

log = logging.getLogger("tpm.engine.risk")
STATE_KEY = "risk.state"


class KillSwitch:
    """Moves the trading state and does what each move implies."""

    def __init__(
        self,
        risk: RiskEngine,
        oms: OrderManager,
        runner: StrategyRunner,
        portfolio: Portfolio,
        store: Store,
        bus: Bus,
    ) -> None:
        self._risk = risk
        self._oms = oms
        self._runner = runner
        self._portfolio = portfolio
        self._store = store
        self._bus = bus

    async def restore(self) -> None:
        """Take the state stored before a restart: a halted engine stays halted."""
        saved = await self._store.get_state(STATE_KEY)
        if not saved:
            return
        name, _, reason = saved.partition("|")
        state = TradingState(name)
        self._risk.set_state(state, reason)
        self._runner.is_trading = state is not TradingState.HALTED
        if state is not TradingState.ACTIVE:
            log.warning(
                "trading state is %s (%s), kept from before the restart",
                state,
                reason or "no reason given",
            )

    async def halt(
        self, reason: str, *, flatten: bool = False, actor: str = "engine", origin: str = "local"
    ) -> str:
        """Nothing more goes out: strategies stop, open orders are cancelled, maybe flatten."""
        await self._move(TradingState.HALTED, reason, actor, origin)
        self._runner.is_trading = False
        cancelled = await self._oms.cancel_all()
        summary = f"halted: {reason}; cancel sent for {cancelled} open orders"
        if flatten:
            sent = await self.flatten(actor=actor, origin=origin)
            summary += f"; {sent} flatten orders sent"
        log.warning("%s", summary)
        return summary

    async def reduce(self, reason: str, *, actor: str = "engine") -> str:
        """Only orders that shrink a position pass; strategies keep running (exits still go)."""
        await self._move(TradingState.REDUCING, reason, actor)
        cancelled = await self._oms.cancel_all()
        return f"reducing: {reason}; cancel sent for {cancelled} open orders"

    async def resume(self, *, actor: str = "engine", origin: str = "local") -> str:
        """Back to ACTIVE: every check applies again and strategies may trade."""
        await self._move(TradingState.ACTIVE, f"resumed by {actor}", actor, origin)
        self._runner.is_trading = True
        return "trading resumed"

    async def flatten(self, *, actor: str = "engine", origin: str = "local") -> int:
        """Send market orders closing every position; the only orders a halt lets through."""
        sent = 0
        for view in self._portfolio.views():
            if view.qty == 0:
                continue
            side = Side.SELL if view.qty > 0 else Side.BUY
            order = await self._oms.submit(
                OrderRequest(
                    view.symbol,
                    side,
                    abs(view.qty),
                    OrderType.MARKET,
                    TimeInForce.DAY,
                    source="flatten",
                    strategy="",
                ),
                is_flatten=True,
            )
            if order.status.is_open or order.filled_qty:
                sent += 1
            else:
                log.error("flatten of %s refused: %s", view.symbol, order.reason)
        await self._store.audit(actor, "risk.flatten", f"{sent} flatten orders sent", origin)
        return sent

    async def on_breach(self, breach: Breach) -> None:
        if breach.state is TradingState.HALTED:
            await self.halt(breach.reason, flatten=breach.limit.flatten, actor="risk")
        else:
            await self.reduce(breach.reason, actor="risk")
            if breach.limit.flatten:
                await self.flatten(actor="risk")

    async def _move(
        self, state: TradingState, reason: str, actor: str, origin: str = "local"
    ) -> None:
        previous = self._risk.state
        self._risk.set_state(state, reason)
        await self._store.set_state(STATE_KEY, f"{state.value}|{reason}")
        await self._store.audit(actor, f"risk.{state.value}", reason, origin)
        severity = Severity.INFO if state is TradingState.ACTIVE else Severity.ERROR
        title = f"Trading {state}" if state is not TradingState.ACTIVE else "Trading resumed"
        note = Notification(self._risk.state_since_ns, severity, title, reason, "risk")
        self._store.write_notification(note)
        self._bus.publish(note)
        log.warning("trading state %s -> %s by %s: %s", previous, state, actor, reason)
