"""Messages that cross screens."""

from __future__ import annotations

from textual.message import Message

__all__ = ["SymbolPicked"]


class SymbolPicked(Message):
    """The trader picked a symbol somewhere (watchlist, treemap, correlation map): the app opens
    it on the analytics screen."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol
