"""An EngineClient that asks for a login first and checks every call against the roles table.

It wraps the client that does the work (in-process, or one per remote connection), so the app
and the remote API pass the same gate. What a user does is in the audit log under their name
and origin; going live, lifting a risk limit and resuming trading ask for the code again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from tpm.config.loosening import loosens
from tpm.domain import ClientOrderId, Order, OrderRequest, Timeframe
from tpm.domain.client import EngineClient
from tpm.domain.users import Identity, LoginAnswer
from tpm.errors import ConfirmationNeeded, LoginNeeded, TpmError
from tpm.security.accounts import Accounts, LoginStep
from tpm.security.roles import Action
from tpm.security.sessions import Session

__all__ = ["GuardedClient", "asks_again"]


class _Acting(EngineClient, Protocol):
    actor: str
    origin: str


class GuardedClient:
    """Implements tpm.domain.client.EngineClient in front of `inner`, for one user at a time
    connecting from `origin` ("local", or a remote address)."""

    def __init__(self, inner: _Acting, accounts: Accounts, origin: str = "local") -> None:
        self._inner, self._accounts, self._origin = inner, accounts, origin
        inner.origin = origin
        self._token = ""
        self._ticket = ""

    @property
    def description(self) -> str:
        return self._inner.description

    # -- logging in ----------------------------------------------------------------------------

    async def login_required(self) -> bool:
        return True

    async def login(self, user: str, password: str) -> LoginAnswer:
        await self.logout()
        return self._answer(await self._accounts.login(user, password, self._origin))

    async def second_factor(self, code: str) -> LoginAnswer:
        if not self._ticket:
            return LoginAnswer(refusal="give the user name and password first")
        step = await self._accounts.second_factor(self._ticket, code, self._origin)
        return self._answer(step)

    async def logout(self) -> None:
        if self._token:
            await self._accounts.logout(self._token)
        self._token, self._ticket = "", ""
        self._inner.actor = "app"

    async def reattach(self, token: str) -> LoginAnswer:
        """Take up a session whose connection dropped (its `LoginAnswer.reattach`)."""
        if token != self._token:
            await self.logout()
        s = await self._accounts.reattach(token, self._origin)
        why = self._accounts.sessions.expiry(s)  # it may have ended while the store answered
        if why is not None:
            raise LoginNeeded(f"{why}: log in again")
        return self._answer(LoginStep(session=s))

    async def confirm(self, secret: str) -> None:
        await self._accounts.confirm(self._token, secret)

    async def whoami(self) -> Identity | None:
        s = self._accounts.sessions.alive(self._token)
        return None if s is None else Identity(s.user, s.role, s.origin)

    def detach(self) -> None:
        """The connection this client serves dropped: its session may be taken up again
        (`reattach`) for a while, then ends."""
        s = self._accounts.sessions.alive(self._token)
        if s is not None:
            self._accounts.sessions.unlink(s)
        self._token, self._ticket = "", ""

    def _answer(self, step: LoginStep) -> LoginAnswer:
        if step.session is not None:
            s = step.session
            if s.token != self._token:
                if self._token:  # two logins at once on one connection: it keeps one session
                    self._accounts.sessions.end(self._token)
                self._accounts.sessions.link(s)
            self._token, self._ticket = s.token, ""
            self._inner.actor = s.user
            return LoginAnswer(who=Identity(s.user, s.role, s.origin), reattach=s.token)
        if step.ticket:
            self._ticket = step.ticket
            return LoginAnswer(needs_code=True)
        return LoginAnswer(refusal=step.refusal)

    async def _may(self, action: Action, *, confirmed: bool = False, touch: bool = True) -> Session:
        return await self._accounts.check(self._token, action, confirmed=confirmed, touch=touch)

    async def _audit(self, s: Session, action: str, detail: str) -> None:
        await self._accounts.audit(s.user, action, detail, s.origin)

    # -- seeing --------------------------------------------------------------------------------

    async def snapshots(self) -> AsyncIterator[Any]:
        # Subscribing is the app's doing (after a login, or a reattach), not the user's.
        await self._may(Action.SNAPSHOTS, touch=False)
        async for snap in self._inner.snapshots():
            try:  # a refresh is not use: it does not keep an idle session alive
                await self._accounts.check(self._token, touch=False)
            except LoginNeeded:
                raise LoginNeeded("the session ended: log in again") from None
            yield snap

    async def latest(self) -> Any:
        await self._may(Action.LATEST)
        return await self._inner.latest()

    async def bars(self, symbol: str, timeframe: Timeframe, limit: int = 300) -> Any:
        await self._may(Action.BARS)
        return await self._inner.bars(symbol, timeframe, _bounded("limit", limit))

    async def symbols(self) -> list[str]:
        await self._may(Action.SYMBOLS)
        return await self._inner.symbols()

    async def instruments(self) -> Any:
        await self._may(Action.INSTRUMENTS)
        return await self._inner.instruments()

    async def score(self, symbol: str) -> Any:
        await self._may(Action.SCORE)
        return await self._inner.score(symbol)

    async def equity_curve(self, limit: int = 5000) -> Any:
        await self._may(Action.EQUITY_CURVE)
        return await self._inner.equity_curve(_bounded("limit", limit))

    async def risk_status(self) -> dict[str, Any]:
        await self._may(Action.RISK_STATUS)
        return await self._inner.risk_status()

    async def strategies_live(self) -> bool:
        await self._may(Action.STRATEGIES_LIVE)
        return await self._inner.strategies_live()

    async def settings(self) -> dict[str, Any]:
        await self._may(Action.SETTINGS)
        return await self._inner.settings()

    async def strategy_files(self) -> Any:
        await self._may(Action.STRATEGY_FILES)
        return await self._inner.strategy_files()

    async def strategy_folder(self) -> str:
        await self._may(Action.STRATEGY_FOLDER)
        return await self._inner.strategy_folder()

    async def read_strategy(self, file: str) -> str:
        await self._may(Action.READ_STRATEGY)
        return await self._inner.read_strategy(file)

    async def check_strategy(self, text: str, kind: str) -> Any:
        await self._may(Action.CHECK_STRATEGY)
        return await self._inner.check_strategy(text, kind)

    # -- trading -------------------------------------------------------------------------------

    async def submit_order(self, request: OrderRequest) -> Order:
        s = await self._may(Action.SUBMIT_ORDER)
        # A person's order: it cannot pass as a strategy's (its books and limits), nor
        # name an id of its own (the engine's answer for a known id is that old order).
        request = dataclasses.replace(request, strategy="", source="manual", client_order_id=None)
        order = await self._inner.submit_order(request)
        price = "".join(
            f" {k} {v}"
            for k, v in (("limit", request.limit_price), ("stop", request.stop_price))
            if v is not None
        )
        await self._audit(
            s,
            "order.submit",
            f"{order.client_order_id[:8]} {request.side} {request.qty} {request.symbol} "
            f"{request.type}{price} {request.tif}: {order.status}",
        )
        return order

    async def cancel_order(self, client_order_id: ClientOrderId) -> bool:
        s = await self._may(Action.CANCEL_ORDER)
        done = await self._inner.cancel_order(client_order_id)
        await self._audit(s, "order.cancel", f"{client_order_id[:8]}: {'sent' if done else 'not'}")
        return done

    async def replace_order(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> str | None:
        s = await self._may(Action.REPLACE_ORDER)
        refused = await self._inner.replace_order(client_order_id, qty, limit_price, stop_price)
        terms = f"qty {qty} limit {limit_price} stop {stop_price}"
        await self._audit(s, "order.replace", f"{client_order_id[:8]} {terms}: {refused or 'sent'}")
        return refused

    async def close_position(self, symbol: str) -> Order | None:
        s = await self._may(Action.CLOSE_POSITION)
        order = await self._inner.close_position(symbol)
        if order is not None:
            await self._audit(
                s, "position.close", f"{order.side} {order.qty} {symbol}: {order.status}"
            )
        return order

    async def set_watchlist(self, symbols: Sequence[str]) -> None:
        await self._may(Action.SET_WATCHLIST)
        await self._inner.set_watchlist(symbols)

    async def try_strategy(self, text: str, kind: str, bars: int = 500) -> Any:
        await self._may(Action.TRY_STRATEGY)
        return await self._inner.try_strategy(text, kind, _bounded("bars", bars))

    async def save_strategy(self, file: str, text: str) -> str:
        await self._may(Action.SAVE_STRATEGY)
        return await self._inner.save_strategy(file, text)

    async def start_strategy(self, file: str) -> str:
        await self._may(Action.START_STRATEGY)
        return await self._inner.start_strategy(file)

    async def stop_strategy(self, name: str) -> str:
        await self._may(Action.STOP_STRATEGY)
        return await self._inner.stop_strategy(name)

    async def halt(self, *, flatten: bool = False) -> str:
        await self._may(Action.HALT)
        return await self._inner.halt(flatten=flatten)

    async def resume(self) -> str:
        await self._may(Action.RESUME, confirmed=True)
        return await self._inner.resume()

    async def set_shutdown_orders(self, mode: str) -> None:
        await self._may(Action.SET_SHUTDOWN_ORDERS)
        await self._inner.set_shutdown_orders(mode)

    # -- administering -------------------------------------------------------------------------

    async def save_settings(self, changes: Mapping[str, Any]) -> str:
        own = all(k.startswith("ui.") for k in changes)
        action = Action.SAVE_UI_SETTINGS if own else Action.SAVE_SETTINGS
        await self._may(action)
        why = asks_again(changes, await self._inner.settings())
        if why is None:
            return await self._inner.save_settings(changes)
        try:
            s = await self._may(action, confirmed=True)
        except ConfirmationNeeded:
            raise ConfirmationNeeded(f"{why}: give your code again") from None
        said = await self._inner.save_settings(changes)  # logs the save itself
        await self._audit(s, "settings.confirmed", why)
        return said


def asks_again(changes: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    """Why these settings changes need the code again (going live with a real broker, or
    lifting a risk limit), or None when they do not."""
    for key, new in _leaves(changes):
        if key == "broker.kind" and new != "paper":
            return "going live with a real broker"
        old: Any = current
        for part in key.split("."):
            old = old.get(part) if isinstance(old, Mapping) else None
        if loosens(key, old, new):
            return f"lifting a risk limit ({key})"
    return None


_MAX_ROWS = 20_000


def _bounded(name: str, value: int) -> int:
    if not 1 <= value <= _MAX_ROWS:
        raise TpmError(f"{name} {value}: from 1 to {_MAX_ROWS:,}")
    return value


def _leaves(changes: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted keys and values, a table given whole ({"risk": {...}}) taken key by key."""
    out: list[tuple[str, Any]] = []
    for key, value in changes.items():
        if isinstance(value, Mapping):
            out.extend(_leaves(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out
