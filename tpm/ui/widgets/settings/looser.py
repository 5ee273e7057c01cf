"""Which risk changes make a check more permissive, each said as a sentence to confirm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tpm.config.loosening import loosens
from tpm.ui.widgets.settings.schema import show_number

__all__ = ["loosenings"]

# What a person calls each limit; a key not listed is named from its section and key.
_NAMES = {
    "order_size.max_qty": "the order quantity limit",
    "order_size.max_notional": "the order notional limit",
    "price_collar.max_pct": "the price collar",
    "stale_quote.max_age_s": "the oldest market data a market order may use",
    "position.max_qty": "the position quantity limit",
    "position.max_notional": "the position notional limit",
    "exposure.max_gross_pct": "the gross exposure limit",
    "exposure.max_net_pct": "the net exposure limit",
    "order_rate.per_second": "the orders-per-second limit",
    "order_rate.per_minute": "the orders-per-minute limit",
    "order_rate.per_strategy_per_second": "the per-strategy orders-per-second limit",
    "order_rate.per_strategy_per_minute": "the per-strategy orders-per-minute limit",
    "repeat_guard.max_repeats": "the repeated-order limit",
    "open_orders.max_total": "the open order limit",
    "open_orders.max_per_symbol": "the open order limit per symbol",
    "daily_loss.max_pct": "the daily loss limit",
    "drawdown.max_pct": "the drawdown limit",
}


def _check(section: str) -> str:
    return section.replace("_", " ")


def _sentence(key: str, old: Any, new: Any) -> str | None:
    if not loosens(key, old, new):
        return None
    section, _, name = key.removeprefix("risk.").partition(".")
    short = f"{section}.{name}"
    if name == "enabled":
        return f"This turns off the {_check(section)} check."
    if name == "allow_short":
        return "This lets sells open or grow short positions."
    if name == "flatten":
        return f"This stops a {_check(section)} breach from closing every position."
    if name == "action":
        return f"This lets a {_check(section)} breach reduce positions instead of halting trading."
    if not isinstance(old, int | float) or not isinstance(new, int | float):
        return f"This loosens {key}."
    if new < old:
        return f"This shortens risk.{short} from {show_number(old)} to {show_number(new)}."
    label = _NAMES.get(short, f"risk.{short}")
    return f"This raises {label} from {show_number(old)} to {show_number(new)}."


def loosenings(changes: Mapping[str, Any], before: Mapping[str, Any]) -> list[str]:
    """A sentence for each change under [risk] that lets more orders through than before."""
    found = []
    for key, new in changes.items():
        if not key.startswith("risk.") or key not in before:
            continue
        sentence = _sentence(key, before[key], new)
        if sentence:
            found.append(sentence)
    return found
