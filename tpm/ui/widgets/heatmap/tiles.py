"""The treemap's model: its tiles from a snapshot, labels that fit, and moving between cells.

Kept apart from the widget so the rules (what is sized by what, when a label is dropped, which
cell an arrow key lands on) read on their own and test without a terminal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tpm.analysis.treemap import Cell
from tpm.domain.snapshot import EngineSnapshot

__all__ = [
    "Measure",
    "Tile",
    "fit_label",
    "label_box",
    "needs_layout",
    "neighbour",
    "tiles_of",
    "value_label",
]

RELAYOUT_DRIFT = 0.02
"""A size may drift this far (relative) from the one laid out before the map is laid out
again: prices tick every snapshot, and cells that jump about with each tick are unreadable."""


class Measure(StrEnum):
    """What colours the cells."""

    DAY = "day"
    PNL = "pnl"

    @property
    def caption(self) -> str:
        return "day change" if self is Measure.DAY else "unrealised P&L % of cost"


@dataclass(frozen=True, slots=True)
class Tile:
    """One symbol on the map: its group, its size and the values it can be coloured by."""

    symbol: str
    sector: str
    size: float
    day_pct: float
    pnl_pct: float = math.nan
    market_value: float | None = None
    pnl: float | None = None

    def value(self, measure: Measure) -> float:
        return self.day_pct if measure is Measure.DAY else self.pnl_pct


def tiles_of(snap: EngineSnapshot) -> tuple[bool, list[Tile]]:
    """(is_holdings, tiles): open positions sized by absolute market value, or, when flat,
    the watchlist with every symbol the same size (equal weight)."""
    tiles: list[Tile] = []
    for p in snap.positions:
        value = abs(float(p.market_value))
        if p.qty == 0 or not value:
            continue
        cost = abs(float(p.avg_price * p.qty))
        pnl = float(p.unrealised_pnl)
        tiles.append(
            Tile(
                p.symbol,
                p.sector or snap.sectors.get(p.symbol, "") or "Other",
                value,
                p.day_change_pct,
                pnl / cost * 100 if cost else math.nan,
                float(p.market_value),
                pnl,
            )
        )
    if tiles:
        return True, tiles
    return False, [Tile(r.symbol, r.sector or "Other", 1.0, r.change_pct) for r in snap.watchlist]


def value_label(value: float) -> str:
    """A cell's value, "+1.3%"; nothing when unknown, and no sign on a rounded zero."""
    if not math.isfinite(value):
        return ""
    text = f"{value:+.1f}%"
    return "0.0%" if text in ("+0.0%", "-0.0%") else text


def needs_layout(
    laid_out: Mapping[str, tuple[str, float]], now: Mapping[str, tuple[str, float]]
) -> bool:
    """True when the symbols or their sectors changed, or a size drifted past RELAYOUT_DRIFT."""
    if laid_out.keys() != now.keys():
        return True
    for symbol, (sector, size) in now.items():
        old_sector, old_size = laid_out[symbol]
        if sector != old_sector or abs(size - old_size) > RELAYOUT_DRIFT * max(old_size, 1e-12):
            return True
    return False


def fit_label(symbol: str, value: str, width: int, rows: int) -> list[str]:
    """The lines of a cell's label that fit `width` × `rows`, never cut: symbol and value on two
    lines, or on one, or the symbol alone, or nothing."""
    if width <= 0 or rows <= 0:
        return []
    if rows >= 2 and len(symbol) <= width and len(value) <= width and value:
        return [symbol, value]
    one = f"{symbol} {value}" if value else symbol
    if len(one) <= width:
        return [one]
    if len(symbol) <= width:
        return [symbol]
    return []


def label_box(cell: Cell) -> tuple[int, int, int, int]:
    """(x, y, width, rows) a cell's label may use: one column of padding on either side, and
    the top row kept for the cell's edge when the cell is three rows or taller."""
    width = cell.w - 2 if cell.w >= 3 else 0
    if cell.h >= 3:
        return cell.x + 1, cell.y + 1, width, cell.h - 2
    if cell.h == 2:
        return cell.x + 1, cell.y + 1, width, 1
    return cell.x + 1, cell.y, width, 1


def neighbour(cells: Sequence[Cell], current: Cell, dx: int, dy: int) -> Cell | None:
    """The cell an arrow key moves to: the nearest one wholly in that direction, preferring
    cells level with the current one's centre (so right then left comes back)."""
    cx2, cy2 = 2 * current.x + current.w, 2 * current.y + current.h  # doubled centre
    best: tuple[tuple[int, int], Cell] | None = None
    for c in cells:
        if c.is_header or c is current:
            continue
        if dx > 0:
            ahead, gap = c.x >= current.x + current.w, c.x - (current.x + current.w)
        elif dx < 0:
            ahead, gap = c.x + c.w <= current.x, current.x - (c.x + c.w)
        elif dy > 0:
            ahead, gap = c.y >= current.y + current.h, c.y - (current.y + current.h)
        else:
            ahead, gap = c.y + c.h <= current.y, current.y - (c.y + c.h)
        if not ahead:
            continue
        if dx:
            level = 2 * c.y <= cy2 < 2 * (c.y + c.h)
            off = abs(2 * c.y + c.h - cy2)
        else:
            level = 2 * c.x <= cx2 < 2 * (c.x + c.w)
            off = abs(2 * c.x + c.w - cx2)
        score = (0 if level else 1, 2 * gap + off)
        if best is None or score < best[0]:
            best = (score, c)
    return None if best is None else best[1]
