"""What each role may do: one table, asked by every entry point (the app, the remote API and
the command line)."""

from __future__ import annotations

from enum import StrEnum

from tpm.domain.users import Role

__all__ = ["PERMISSIONS", "Action", "allowed", "needed_role"]


class Action(StrEnum):
    """Everything a user can ask of an engine; the values are the EngineClient's calls."""

    # seeing
    LATEST = "latest"
    SNAPSHOTS = "snapshots"
    BARS = "bars"
    SYMBOLS = "symbols"
    INSTRUMENTS = "instruments"
    SCORE = "score"
    EQUITY_CURVE = "equity_curve"
    RISK_STATUS = "risk_status"
    STRATEGIES_LIVE = "strategies_live"
    SETTINGS = "settings"
    STRATEGY_FILES = "strategy_files"
    STRATEGY_FOLDER = "strategy_folder"
    READ_STRATEGY = "read_strategy"
    CHECK_STRATEGY = "check_strategy"
    # trading
    SUBMIT_ORDER = "submit_order"
    CANCEL_ORDER = "cancel_order"
    REPLACE_ORDER = "replace_order"
    CLOSE_POSITION = "close_position"
    SET_WATCHLIST = "set_watchlist"
    SAVE_UI_SETTINGS = "save_ui_settings"
    """save_settings of [ui] keys only: the theme and toasts are each user's own choice."""
    TRY_STRATEGY = "try_strategy"
    SAVE_STRATEGY = "save_strategy"
    START_STRATEGY = "start_strategy"
    STOP_STRATEGY = "stop_strategy"
    HALT = "halt"
    RESUME = "resume"
    SET_SHUTDOWN_ORDERS = "set_shutdown_orders"
    # administering
    SAVE_SETTINGS = "save_settings"
    MANAGE_USERS = "manage_users"
    CHANGE_OWN_LOGIN = "change_own_login"
    """A user's own password and two-factor login: each may change theirs, having just
    proved the old ones."""
    READ_AUDIT = "read_audit"


_ALL = frozenset(Role)
_TRADERS = frozenset({Role.TRADER, Role.ADMIN})
_ADMINS = frozenset({Role.ADMIN})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    **{
        a: _ALL
        for a in (
            Action.LATEST,
            Action.SNAPSHOTS,
            Action.BARS,
            Action.SYMBOLS,
            Action.INSTRUMENTS,
            Action.SCORE,
            Action.EQUITY_CURVE,
            Action.RISK_STATUS,
            Action.STRATEGIES_LIVE,
            Action.SETTINGS,
            Action.STRATEGY_FILES,
            Action.STRATEGY_FOLDER,
            Action.READ_STRATEGY,
            Action.CHECK_STRATEGY,
            Action.SAVE_UI_SETTINGS,
            Action.CHANGE_OWN_LOGIN,
        )
    },
    **{
        a: _TRADERS
        for a in (
            Action.SUBMIT_ORDER,
            Action.CANCEL_ORDER,
            Action.REPLACE_ORDER,
            Action.CLOSE_POSITION,
            Action.SET_WATCHLIST,
            Action.TRY_STRATEGY,
            Action.SAVE_STRATEGY,
            Action.START_STRATEGY,
            Action.STOP_STRATEGY,
            Action.HALT,
            Action.RESUME,
            Action.SET_SHUTDOWN_ORDERS,
        )
    },
    **{a: _ADMINS for a in (Action.SAVE_SETTINGS, Action.MANAGE_USERS, Action.READ_AUDIT)},
}


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


def needed_role(action: Action) -> Role:
    """The least role that may do `action`, for a refusal's sentence."""
    return next(r for r in Role if r in PERMISSIONS[action])
