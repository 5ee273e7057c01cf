"""Squarified treemaps (Bruls, Huizing and van Wijk, 2000) and their rounding to a character grid.

`squarify` lays positive values out in a rectangle, largest first, in rows that keep every
rectangle's aspect ratio near 1, each with an area proportional to its value. `grouped_treemap`
does it twice (groups by their totals, then items inside each group) and snaps the result to
integer cells that cover the grid exactly once.

Why the snapping rounds cuts, not rectangles: rounding each rectangle's position and size on its
own leaves one-column gaps and overlaps wherever two neighbours round differently. Here every
edge is a cut shared by the rectangles on both sides of it, computed once as the same float, so
rounding that float puts both neighbours on the same grid line; the outer edges are the grid's
own. Rectangles that round to nothing (too small for one character) are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["Cell", "Rect", "grouped_treemap", "slice_layout", "squarify"]

_Box = tuple[float, float, float, float]
"""x0, y0, x1, y1: edges rather than sizes, so neighbours share the very same float."""


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle in continuous coordinates."""

    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def aspect(self) -> float:
        """Longer side over shorter side: 1 for a square, infinite for an empty rectangle."""
        if self.w <= 0 or self.h <= 0:
            return math.inf
        return max(self.w / self.h, self.h / self.w)


@dataclass(frozen=True, slots=True)
class Cell:
    """A rectangle of whole grid cells: an item, or the label row(s) of a group (`is_header`).

    For a header, `key` is the group's name and `value` the group's total.
    """

    key: str
    group: str
    value: float
    x: int
    y: int
    w: int
    h: int
    is_header: bool = False

    @property
    def area(self) -> int:
        return self.w * self.h

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.w and self.y <= y < self.y + self.h


def _usable(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _worst(largest: float, smallest: float, total: float, side: float) -> float:
    """The worst aspect ratio of a row of areas laid along a side of length `side`."""
    side2 = side * side
    total2 = total * total
    return max(side2 * largest / total2, total2 / (side2 * smallest))


def _squarify_boxes(areas: Sequence[float], box: _Box) -> list[_Box]:
    """Boxes for `areas` (positive, descending, summing to the box's area), in the same order.

    A row grows while adding the next area does not worsen its worst aspect ratio; the row is
    laid along the shorter side of what is left. Each cut is computed once and reused by the
    boxes on both sides, and the last row and the last box in a row end exactly on the edge.
    """
    x0, y0, x1, y1 = box
    out: list[_Box] = []
    n = len(areas)
    i = 0
    while i < n:
        w, h = x1 - x0, y1 - y0
        if w <= 0 or h <= 0:
            out.extend((x0, y0, x0, y0) for _ in range(i, n))  # nothing left to share
            break
        side = min(w, h)
        j = i + 1
        row_total = areas[i]
        worst = _worst(areas[i], areas[i], row_total, side)
        while j < n:
            grown = _worst(areas[i], areas[j], row_total + areas[j], side)
            if grown > worst:
                break
            worst, row_total, j = grown, row_total + areas[j], j + 1
        last_row = j == n
        if w >= h:  # a column on the left, as tall as what is left
            cut = x1 if last_row else min(x0 + row_total / h, x1)
            edges = _split(y0, y1, areas[i:j], row_total)
            out.extend((x0, a, cut, b) for a, b in pairwise(edges))
            x0 = cut
        else:  # a row along the top, as wide as what is left
            cut = y1 if last_row else min(y0 + row_total / w, y1)
            edges = _split(x0, x1, areas[i:j], row_total)
            out.extend((a, y0, b, cut) for a, b in pairwise(edges))
            y0 = cut
        i = j
    return out


def _split(start: float, end: float, parts: Sequence[float], total: float) -> list[float]:
    """Cut positions dividing [start, end] in proportion to `parts`; ends exactly on `end`."""
    edges = [start]
    running = 0.0
    for part in parts[:-1]:
        running += part
        edges.append(start + (end - start) * running / total)
    edges.append(end)
    return edges


def _order(values: Sequence[float]) -> list[int]:
    """Indices of the usable values, largest first (ties keep their input order)."""
    return sorted((i for i, v in enumerate(values) if _usable(v)), key=lambda i: -values[i])


def squarify(values: Sequence[float], x: float, y: float, w: float, h: float) -> list[Rect]:
    """One rectangle per value, in the order given, tiling the rectangle (x, y, w, h).

    Areas are proportional to the values; they are placed largest first. Values that are zero,
    negative or not finite take no part: their rectangle is empty (zero width and height at
    (x, y)), so the result still pairs index for index with `values`.
    """
    rects = [Rect(x, y, 0.0, 0.0)] * len(values)
    order = _order(values)
    if not order or w <= 0 or h <= 0:
        return rects
    total = math.fsum(values[i] for i in order)
    areas = [values[i] / total * w * h for i in order]
    for i, (bx0, by0, bx1, by1) in zip(
        order, _squarify_boxes(areas, (x, y, x + w, y + h)), strict=True
    ):
        rects[i] = Rect(bx0, by0, bx1 - bx0, by1 - by0)
    return rects


def slice_layout(values: Sequence[float], x: float, y: float, w: float, h: float) -> list[Rect]:
    """The naive layout, for comparison: strips across the longer side, one per value."""
    rects = [Rect(x, y, 0.0, 0.0)] * len(values)
    order = _order(values)
    if not order or w <= 0 or h <= 0:
        return rects
    total = math.fsum(values[i] for i in order)
    parts = [values[i] for i in order]
    if w >= h:
        edges = _split(x, x + w, parts, total)
        for i, a, b in zip(order, edges, edges[1:], strict=False):
            rects[i] = Rect(a, y, b - a, h)
    else:
        edges = _split(y, y + h, parts, total)
        for i, a, b in zip(order, edges, edges[1:], strict=False):
            rects[i] = Rect(x, a, w, b - a)
    return rects


def grouped_treemap(
    items: Sequence[tuple[str, str, float]],
    w: int,
    h: int,
    *,
    char_aspect: float = 1.0,
    header_rows: int = 0,
) -> list[Cell]:
    """Integer cells for (key, group, value) items on a w × h grid, grouped.

    Groups are laid out by their totals, then each group's items inside it; every grid cell
    belongs to exactly one returned cell. Items whose value is zero, negative or not finite are
    left out (so is a group with nothing left); so is anything too small to cover one grid cell.

    Args:
        char_aspect: the width of one grid column over the height of one row. Terminal cells
            are about half as wide as tall (0.5): squares are then judged as the eye sees them.
        header_rows: rows at the top of each group for its label, given only to a group tall
            enough to keep two rows for its items.
    """
    if w <= 0 or h <= 0:
        return []
    if char_aspect <= 0:
        raise ValueError(f"char_aspect must be positive, not {char_aspect}")
    kept = [(k, g, float(v)) for k, g, v in items if _usable(float(v))]
    if not kept:
        return []
    totals: dict[str, float] = {}
    members: dict[str, list[tuple[str, float]]] = {}
    for key, group, value in kept:
        totals[group] = totals.get(group, 0.0) + value
        members.setdefault(group, []).append((key, value))
    names = sorted(totals, key=lambda g: (-totals[g], g))
    cells: list[Cell] = []
    group_boxes = _boxes([totals[g] for g in names], (0.0, 0.0, w * char_aspect, float(h)))
    for name, box in zip(names, group_boxes, strict=True):
        gx0, gy0, gx1, gy1 = _snap(box, char_aspect)
        if gx1 <= gx0 or gy1 <= gy0:
            continue
        if header_rows > 0 and gy1 - gy0 >= header_rows + 2:
            cells.append(Cell(name, name, totals[name], gx0, gy0, gx1 - gx0, header_rows, True))
            gy0 += header_rows
        entries = sorted(members[name], key=lambda kv: (-kv[1], kv[0]))
        region = (gx0 * char_aspect, float(gy0), gx1 * char_aspect, float(gy1))
        for (key, value), item_box in zip(
            entries, _boxes([v for _, v in entries], region), strict=True
        ):
            x0, y0, x1, y1 = _snap(item_box, char_aspect)
            if x1 > x0 and y1 > y0:
                cells.append(Cell(key, name, value, x0, y0, x1 - x0, y1 - y0))
    return cells


def _boxes(values: Sequence[float], box: _Box) -> list[_Box]:
    """Squarified boxes for descending positive `values` scaled to fill `box`."""
    total = math.fsum(values)
    x0, y0, x1, y1 = box
    scale = (x1 - x0) * (y1 - y0) / total
    return _squarify_boxes([v * scale for v in values], box)


def _snap(box: _Box, char_aspect: float) -> tuple[int, int, int, int]:
    """A box's edges on the grid: each edge rounded on its own (half up), never its size."""
    x0, y0, x1, y1 = box
    return (
        math.floor(x0 / char_aspect + 0.5),
        math.floor(y0 + 0.5),
        math.floor(x1 / char_aspect + 0.5),
        math.floor(y1 + 0.5),
    )
