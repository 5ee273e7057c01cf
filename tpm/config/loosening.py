"""Which settings changes loosen a risk limit: one rule for the Settings screen (which asks
"are you sure?") and for the login gate (which asks for the code again)."""

from __future__ import annotations

from typing import Any

__all__ = ["loosens"]

# Numbers where a smaller value lets more through (a shorter window catches fewer repeats).
_SMALLER_IS_LOOSER = frozenset({"window_s"})
# Switches that loosen going True -> False, and those that loosen going False -> True.
_LOOSER_OFF = frozenset({"enabled", "flatten"})
_LOOSER_ON = frozenset({"allow_short"})


def loosens(key: str, old: Any, new: Any) -> bool:
    """Whether setting the dotted `key` ("risk.order_size.max_qty") from `old` to `new` lets
    more orders through; any other change of a key under [risk] not known here counts as
    loosening, so it is never waved through."""
    if not key.startswith("risk.") or old == new:
        return False
    name = key.rsplit(".", 1)[-1]
    if isinstance(new, bool) or isinstance(old, bool):
        if name in _LOOSER_OFF:
            return old is True and new is False
        if name in _LOOSER_ON:
            return old is False and new is True
        return True
    if name == "action":
        return bool(old == "halt" and new == "reduce")
    if isinstance(old, int | float) and isinstance(new, int | float):
        return new < old if name in _SMALLER_IS_LOOSER else new > old
    if new is None:  # a per-strategy limit removed
        return True
    return old is not None  # a limit set where there was none tightens
