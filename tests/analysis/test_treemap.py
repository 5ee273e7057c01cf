"""Squarified treemaps: proportional areas, near-square rectangles, an exact integer tiling."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.analysis.treemap import Cell, Rect, grouped_treemap, slice_layout, squarify

VALUES = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0]  # the paper's example, in a 6 × 4 rectangle


def _owners(cells: list[Cell], w: int, h: int) -> list[list[int]]:
    """How many cells claim each grid position."""
    grid = [[0] * w for _ in range(h)]
    for c in cells:
        assert c.w > 0 and c.h > 0
        assert c.x >= 0 and c.x + c.w <= w and c.y >= 0 and c.y + c.h <= h
        for y in range(c.y, c.y + c.h):
            for x in range(c.x, c.x + c.w):
                grid[y][x] += 1
    return grid


def _tiles_exactly(cells: list[Cell], w: int, h: int) -> None:
    grid = _owners(cells, w, h)
    assert all(n == 1 for row in grid for n in row), "\n".join(
        "".join(str(n) for n in row) for row in grid
    )


def _inside(r: Rect, x: float, y: float, w: float, h: float) -> bool:
    eps = 1e-9
    return (
        r.x >= x - eps and r.y >= y - eps and r.x + r.w <= x + w + eps and r.y + r.h <= y + h + eps
    )


def test_the_papers_example_has_areas_equal_to_the_values() -> None:
    rects = squarify(VALUES, 0, 0, 6, 4)
    assert [r.area for r in rects] == pytest.approx(VALUES)
    assert all(_inside(r, 0, 0, 6, 4) for r in rects)
    # The paper's first row: the two sixes stacked in a 3 × 4 column on the left.
    assert rects[0] == Rect(0, 0, 3, 2) and rects[1] == Rect(0, 2, 3, 2)
    assert max(r.aspect for r in rects) < 3


def test_rectangles_do_not_overlap() -> None:
    rects = squarify([5, 1, 3, 8, 2, 2, 7], 1, 2, 13, 7)
    assert sum(r.area for r in rects) == pytest.approx(13 * 7)
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            dx = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
            dy = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
            assert dx <= 1e-9 or dy <= 1e-9


def test_squarified_aspect_ratios_beat_the_slice_layout() -> None:
    values = [40, 22, 17, 11, 9, 6, 5, 3, 2, 1]
    good = squarify(values, 0, 0, 60, 20)
    naive = slice_layout(values, 0, 0, 60, 20)
    assert [r.area for r in naive] == pytest.approx([r.area for r in good])
    assert max(r.aspect for r in good) < 3
    assert max(r.aspect for r in good) < max(r.aspect for r in naive) / 5
    mean = sum(r.aspect for r in good) / len(good)
    assert mean < sum(r.aspect for r in naive) / len(naive) / 3


def test_non_positive_and_non_finite_values_get_empty_rectangles() -> None:
    values = [3.0, 0.0, -2.0, math.nan, 1.0, math.inf]
    rects = squarify(values, 0, 0, 4, 4)
    assert len(rects) == len(values)  # still paired index for index
    for i in (1, 2, 3, 5):
        assert rects[i].area == 0 and rects[i].aspect == math.inf
    assert rects[0].area == pytest.approx(12) and rects[4].area == pytest.approx(4)
    assert all(r.area == 0 for r in squarify([0, -1], 0, 0, 4, 4))


def test_a_single_value_fills_the_rectangle() -> None:
    assert squarify([7.5], 2, 3, 10, 4) == [Rect(2, 3, 10, 4)]
    assert grouped_treemap([("A", "g", 0.001)], 9, 5) == [Cell("A", "g", 0.001, 0, 0, 9, 5)]


def test_grouped_cells_tile_the_grid_exactly_once() -> None:
    items = [
        ("NOVA", "Tech", 9100.0),
        ("ZETA", "Tech", 4200.0),
        ("ORCA", "Energy", 3900.0),
        ("PIKE", "Energy", 1200.0),
        ("LUMA", "Health", 2500.0),
        ("BRIX", "Materials", 700.0),
        ("QUAY", "Financials", 2100.0),
        ("MOTE", "Financials", 300.0),
    ]
    for w, h in ((80, 18), (200, 50), (37, 11), (13, 7)):
        for aspect, header in ((1.0, 0), (0.5, 1)):
            cells = grouped_treemap(items, w, h, char_aspect=aspect, header_rows=header)
            _tiles_exactly(cells, w, h)


def test_items_stay_inside_their_group_and_groups_are_ordered_by_total() -> None:
    items = [("A", "x", 5.0), ("B", "y", 3.0), ("C", "x", 4.0), ("D", "y", 1.0), ("E", "z", 2.0)]
    cells = grouped_treemap(items, 60, 20, header_rows=1)
    headers = [c for c in cells if c.is_header]
    assert [c.key for c in headers] == ["x", "y", "z"][: len(headers)]
    assert [c.value for c in headers] == [9.0, 4.0, 2.0][: len(headers)]
    for head in headers:
        members = [c for c in cells if c.group == head.group and not c.is_header]
        left = min(c.x for c in members)
        right = max(c.x + c.w for c in members)
        assert head.x == left and head.x + head.w == right
        assert head.y + head.h == min(c.y for c in members)


def test_integer_areas_are_proportional_within_rounding() -> None:
    values = [50.0, 30.0, 20.0, 15.0, 12.0, 9.0, 5.0, 4.0]
    w, h = 90, 30
    cells = grouped_treemap([(f"S{i}", "g", v) for i, v in enumerate(values)], w, h)
    exact = squarify(values, 0, 0, w, h)
    assert len(cells) == len(values)
    for c in cells:
        r = exact[int(c.key[1:])]
        # Each edge moves at most half a cell, so width and height move at most one each.
        assert abs(c.area - r.area) <= r.w + r.h + 1, (c, r)
    assert [c.key for c in sorted(cells, key=lambda c: -c.area)][:3] == ["S0", "S1", "S2"]


def test_group_areas_are_proportional_to_their_totals() -> None:
    items = [(f"S{i}", f"G{i % 3}", float(v)) for i, v in enumerate([50, 30, 20, 15, 12, 9, 5, 4])]
    w, h = 90, 30
    cells = grouped_treemap(items, w, h)
    totals = {g: sum(v for _, gg, v in items if gg == g) for g in ("G0", "G1", "G2")}
    exact = dict(zip(totals, squarify(list(totals.values()), 0, 0, w, h), strict=True))
    for g, r in exact.items():
        area = sum(c.area for c in cells if c.group == g)
        assert abs(area - r.area) <= r.w + r.h + 1, (g, area, r)


def test_values_that_cannot_be_drawn_are_left_out() -> None:
    items = [("A", "g", 5.0), ("Z", "g", 0.0), ("N", "h", -3.0), ("X", "h", math.nan)]
    cells = grouped_treemap(items, 10, 4)
    assert [c.key for c in cells] == ["A"]  # and group h, with nothing left, is gone too
    _tiles_exactly(cells, 10, 4)
    assert grouped_treemap([], 10, 4) == []
    assert grouped_treemap(items, 0, 4) == [] and grouped_treemap(items, 10, 0) == []


def test_an_item_too_small_for_one_character_is_dropped_not_squeezed_in() -> None:
    cells = grouped_treemap([("BIG", "g", 1000.0), ("TINY", "g", 0.01)], 10, 3)
    assert [c.key for c in cells] == ["BIG"]
    _tiles_exactly(cells, 10, 3)


@pytest.mark.parametrize(("w", "h"), [(1, 1), (1, 2), (2, 1), (2, 2), (1, 9), (9, 1), (2, 7)])
def test_degenerate_grids_are_still_tiled(w: int, h: int) -> None:
    items = [(f"S{i}", f"G{i % 2}", float(10 - i)) for i in range(6)]
    cells = grouped_treemap(items, w, h, char_aspect=0.5, header_rows=1)
    _tiles_exactly(cells, w, h)
    if h < 3:  # no group has room for a label row and two rows of items
        assert not any(c.is_header for c in cells)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.floats(0.01, 1e6), min_size=1, max_size=40),
    groups=st.integers(1, 6),
    w=st.integers(1, 120),
    h=st.integers(1, 40),
    aspect=st.sampled_from([1.0, 0.5]),
    header=st.integers(0, 1),
)
def test_any_layout_tiles_the_grid(
    values: list[float], groups: int, w: int, h: int, aspect: float, header: int
) -> None:
    items = [(f"S{i}", f"G{i % groups}", v) for i, v in enumerate(values)]
    cells = grouped_treemap(items, w, h, char_aspect=aspect, header_rows=header)
    _tiles_exactly(cells, w, h)
    assert len({c.key for c in cells if not c.is_header}) == sum(not c.is_header for c in cells)
