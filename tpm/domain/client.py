"""The one interface between a UI and an engine, in-process or remote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from tpm.domain.enums import Timeframe
from tpm.domain.events import EquitySnapshot
from tpm.domain.instrument import Instrument
from tpm.domain.market import Bar
from tpm.domain.orders import ClientOrderId, Order, OrderRequest
from tpm.domain.score import Score
from tpm.domain.snapshot import EngineSnapshot
from tpm.domain.strategies import StrategyFile, StrategyProblem, StrategyTrial
from tpm.domain.users import Identity, LoginAnswer

__all__ = ["EngineClient"]


class EngineClient(Protocol):
    """What a UI may see and do. Implemented in-process (tpm.engine.client) and over the network.

    Snapshots are latest-wins: a slow reader skips to the newest rather than falling behind.
    """

    @property
    def description(self) -> str:
        """Where the engine runs, for the header: "local" or a URL."""
        ...

    # -- who is at the keyboard (no users: nobody logs in, and everything is allowed) --------

    async def login_required(self) -> bool:
        """Whether a login must come before anything else (the engine has users)."""
        ...

    async def login(self, user: str, password: str) -> LoginAnswer:
        """The first step; `needs_code` asks for `second_factor` next."""
        ...

    async def second_factor(self, code: str) -> LoginAnswer:
        """A six-digit code, or a recovery code."""
        ...

    async def logout(self) -> None: ...

    async def confirm(self, secret: str) -> None:
        """Give the code (or, without two-factor login, the password) again before an action
        that asks for it (going live, lifting a risk limit, resuming); AccessDenied if wrong."""
        ...

    async def whoami(self) -> Identity | None:
        """Who is logged in; None when the engine has no users."""
        ...

    # -- seeing and doing ------------------------------------------------------------------------

    def snapshots(self) -> AsyncIterator[EngineSnapshot]: ...

    async def latest(self) -> EngineSnapshot:
        """The newest snapshot now."""
        ...

    async def submit_order(self, request: OrderRequest) -> Order:
        """Through risk and the OMS; a rejected order comes back with status rejected."""
        ...

    async def cancel_order(self, client_order_id: ClientOrderId) -> bool: ...

    async def bars(self, symbol: str, timeframe: Timeframe, limit: int = 300) -> list[Bar]:
        """Closed bars, oldest first, with the forming bar last (is_closed=False) if any."""
        ...

    async def set_watchlist(self, symbols: Sequence[str]) -> None: ...

    async def symbols(self) -> list[str]:
        """Every symbol the engine's feed serves."""
        ...

    async def strategies_live(self) -> bool:
        """True while any strategy may send orders."""
        ...

    async def halt(self, *, flatten: bool = False) -> str:
        """The kill switch: stop strategies, cancel open orders, maybe flatten; a sentence."""
        ...

    async def resume(self) -> str: ...

    async def risk_status(self) -> dict[str, Any]:
        """Limits in force, their usage now, and the trading state (as `tpm risk --json`)."""
        ...

    async def set_shutdown_orders(self, mode: str) -> None:
        """What stopping does with open orders: "cancel" or "leave"."""
        ...

    async def replace_order(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> str | None:
        """New terms for a working order, through the risk checks; None when sent, else why not."""
        ...

    async def close_position(self, symbol: str) -> Order | None:
        """A market order closing the whole position in `symbol` (None when flat)."""
        ...

    async def instruments(self) -> list[Instrument]: ...

    async def score(self, symbol: str) -> Score | None:
        """The latest pillars, composite and drivers of `symbol`."""
        ...

    async def equity_curve(self, limit: int = 5000) -> list[EquitySnapshot]:
        """Recorded equity, oldest first, ending with the equity now."""
        ...

    async def settings(self) -> dict[str, Any]:
        """The configuration in force, as config.toml's tables."""
        ...

    async def save_settings(self, changes: Mapping[str, Any]) -> str:
        """Validate and save dotted-key changes ("risk.order_size.max_qty": 500) to the config
        file, apply what can change live, and say what needs a restart. Raises ConfigError
        naming the key and the reason when a change is invalid (nothing is saved then)."""
        ...

    async def strategy_files(self) -> list[StrategyFile]:
        """The files of the strategies folder, with the strategies each defines."""
        ...

    async def strategy_folder(self) -> str:
        """Where the strategies folder is, on the engine's machine ("" when it has none), for
        a trader who edits the files in an editor of their own."""
        ...

    async def read_strategy(self, file: str) -> str:
        """The text of a file of the strategies folder; TpmError if there is none."""
        ...

    async def check_strategy(self, text: str, kind: str) -> list[StrategyProblem]:
        """What is wrong with a strategy's text ("rules": TOML, "python"), nothing if it reads."""
        ...

    async def try_strategy(self, text: str, kind: str, bars: int = 500) -> StrategyTrial:
        """Backtest a strategy's text (saved or not) on the last `bars` bars of history the
        engine's feed serves, on a simulated broker, under the risk limits in force."""
        ...

    async def save_strategy(self, file: str, text: str) -> str:
        """Write a file of the strategies folder; a sentence (with its first problem, if any)."""
        ...

    async def start_strategy(self, file: str) -> str:
        """Run the strategies of a file of the folder live; TpmError says why it cannot."""
        ...

    async def stop_strategy(self, name: str) -> str:
        """Stop a running strategy and cancel its working orders; what it holds stays open."""
        ...
