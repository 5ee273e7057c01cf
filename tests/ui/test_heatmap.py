"""The heat map screen under Pilot, on a real engine: treemap, colouring, labels, correlation."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import numpy as np

from tpm.analysis.treemap import Cell
from tpm.domain import OrderRequest, Side
from tpm.domain.snapshot import EngineSnapshot
from tpm.ui.app import TpmApp
from tpm.ui.screens.analytics import AnalyticsScreen
from tpm.ui.screens.heatmap import HeatmapScreen
from tpm.ui.widgets.heatmap.correlation import CorrelationMap
from tpm.ui.widgets.heatmap.tiles import Measure, fit_label, label_box, neighbour, value_label
from tpm.ui.widgets.heatmap.treemap import Treemap

from .conftest import running_app, wait_for


async def _open(app: TpmApp) -> tuple[Treemap, CorrelationMap]:
    await app.switch_mode("heatmap")
    screen = app.screen
    assert isinstance(screen, HeatmapScreen)
    return screen.query_one(Treemap), screen.query_one(CorrelationMap)


def _items(tree: Treemap) -> list[Cell]:
    return [c for c in tree.cells if not c.is_header]


def _map_text(tree: Treemap) -> list[str]:
    return [tree.render_line(y).text for y in range(tree.map_height)]


def _labels_stay_in_their_cells(tree: Treemap) -> int:
    """Every row of every cell shows only edges, blanks or a whole line of its own label;
    returns how many cells showed a label."""
    rows = _map_text(tree)
    labelled = 0
    for cell in _items(tree):
        _, _, width, lines = label_box(cell)
        value = tree.tiles[cell.key].value(tree.effective_measure)
        label = fit_label(cell.key, value_label(value), width, lines)
        seen = []
        for y in range(cell.y, cell.y + cell.h):
            text = rows[y][cell.x : cell.x + cell.w].strip(" ▏▕▔▁")
            if text:
                seen.append(text)
        assert seen == label, (cell, seen, label)
        labelled += bool(label)
    return labelled


async def _buy(app: TpmApp, symbol: str, qty: int) -> None:
    await app.client.submit_order(OrderRequest(symbol, Side.BUY, Decimal(qty)))


def _with_values(snap: EngineSnapshot, factor: float) -> EngineSnapshot:
    """The snapshot with every position's market value scaled by `factor`."""
    moved = tuple(
        dataclasses.replace(p, market_value=p.market_value * Decimal(str(factor)))
        for p in snap.positions
    )
    return dataclasses.replace(snap, positions=moved)


async def test_a_flat_account_shows_the_watchlist_and_says_so(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        tree, _ = await _open(app)
        await wait_for(pilot, lambda: bool(tree.cells), "the treemap")
        assert app.snapshot is not None
        assert not tree.is_holdings
        assert "Watchlist (no positions)" in str(tree.border_title)
        assert "equal weight" in str(tree.border_title)
        assert {c.key for c in _items(tree)} == {r.symbol for r in app.snapshot.watchlist}
        sectors = {r.symbol: r.sector for r in app.snapshot.watchlist}
        assert all(sectors[c.key] == c.group for c in _items(tree))
        text = "\n".join(_map_text(tree))
        assert sum(c.key in text for c in _items(tree)) >= len(_items(tree)) // 2
        # P&L needs positions: `c` keeps day change and says why.
        await pilot.press("c")
        assert tree.effective_measure is Measure.DAY


async def test_holdings_are_sized_by_market_value_and_grouped_by_sector(tmp_path: Path) -> None:
    async with running_app(tmp_path, symbols=24, strategies=False) as (app, pilot, _):
        tree, _ = await _open(app)
        assert app.snapshot is not None
        rows = app.snapshot.watchlist
        by_sector: dict[str, list[str]] = {}
        for r in rows:
            by_sector.setdefault(r.sector, []).append(r.symbol)
        pair = next(syms for syms in by_sector.values() if len(syms) >= 2)[:2]
        last = {r.symbol: r.last for r in rows}
        # Notional about 30,000 and 10,000: the first cell must be clearly the larger.
        await _buy(app, pair[0], round(30_000 / last[pair[0]]))
        await _buy(app, pair[1], round(10_000 / last[pair[1]]))
        await wait_for(pilot, lambda: len(tree.tiles) == 2 and tree.is_holdings, "two positions")
        assert str(tree.border_title).startswith("Holdings: 2 by market value")
        cells = {c.key: c for c in _items(tree)}
        assert set(cells) == set(pair)
        values = {t.symbol: abs(t.market_value or 0) for t in tree.tiles.values()}
        assert sorted(cells, key=lambda s: -cells[s].area) == sorted(
            values, key=lambda s: -values[s]
        )
        assert cells[pair[0]].area > 2 * cells[pair[1]].area
        (header,) = [c for c in tree.cells if c.is_header]
        assert header.key == cells[pair[0]].group == cells[pair[1]].group
        assert tree.render_line(header.y).text.strip().startswith(header.key)
        w, h = tree.size.width, tree.map_height
        owners = np.zeros((h, w), dtype=int)
        for c in tree.cells:
            owners[c.y : c.y + c.h, c.x : c.x + c.w] += 1
        assert (owners == 1).all()  # the map is covered exactly once


async def test_c_switches_the_colouring_to_unrealised_pnl(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        tree, _ = await _open(app)
        assert app.snapshot is not None
        await _buy(app, app.snapshot.watchlist[1].symbol, 20)
        await wait_for(pilot, lambda: tree.is_holdings, "a position")
        tree.focus()
        legend = tree.render_line(tree.size.height - 1).text
        assert "day change" in legend and "day change" in str(tree.border_title)
        await pilot.press("c")
        assert tree.measure is Measure.PNL
        await pilot.pause(0.1)
        legend = tree.render_line(tree.size.height - 1).text
        assert "unrealised P&L" in legend and "unrealised P&L" in str(tree.border_title)
        (cell,) = _items(tree)
        tile = tree.tiles[cell.key]
        assert tree._looks[cell.key][1] == value_label(tile.pnl_pct)
        assert _labels_stay_in_their_cells(tree) == 1
        await pilot.press("c")
        assert tree.measure is Measure.DAY


async def test_labels_never_leave_their_cells(tmp_path: Path) -> None:
    async with running_app(tmp_path, size=(80, 24), symbols=40, strategies=False) as (
        app,
        pilot,
        _,
    ):
        tree, _ = await _open(app)
        await wait_for(pilot, lambda: len(tree.tiles) == 40 and bool(tree.cells), "the map")
        await pilot.pause(0.1)
        shown = _labels_stay_in_their_cells(tree)
        assert 0 < shown < len(_items(tree))  # some cells are too small for a label
        for size in ((200, 60), (61, 17)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.2)
            _labels_stay_in_their_cells(tree)


async def test_arrows_move_the_cursor_and_enter_opens_the_symbol(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        tree, _ = await _open(app)
        await wait_for(pilot, lambda: bool(tree.cells), "the treemap")
        tree.focus()
        start = tree.cell_of(tree.cursor)
        assert start is not None
        moved = []
        for key in ("right", "down", "left", "up"):
            before = tree.cursor
            await pilot.press(key)
            moved.append(tree.cursor != before)
        assert any(moved)
        picked = tree.cursor
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnalyticsScreen), "analytics")
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen) and screen.symbol == picked


async def test_prices_recolour_without_laying_out_again(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        tree, _ = await _open(app)
        assert app.snapshot is not None
        await _buy(app, app.snapshot.watchlist[2].symbol, 30)
        await _buy(app, app.snapshot.watchlist[3].symbol, 10)
        await wait_for(pilot, lambda: len(tree.tiles) == 2, "two positions")
        await pilot.pause(0.2)
        layouts = tree.layouts
        first = app.snapshot.version
        await wait_for(pilot, lambda: app.snapshot.version > first + 5, "more snapshots")
        assert tree.layouts == layouts
        # A 1% move stays within the drift allowed; a 10% move lays the map out again.
        snap = app.snapshot
        tree.show(_with_values(snap, 1.01))
        assert tree.layouts == layouts
        tree.show(_with_values(snap, 1.10))
        assert tree.layouts == layouts + 1
        # Strips are cached: with nothing changed, drawing again renders no line.
        for y in range(tree.map_height):
            tree.render_line(y)
        drawn = tree.lines_rendered
        for y in range(tree.map_height):
            tree.render_line(y)
        assert tree.lines_rendered == drawn


async def test_the_correlation_map_lists_the_symbols_with_a_unit_diagonal(tmp_path: Path) -> None:
    async with running_app(tmp_path, size=(200, 60), strategies=False) as (app, pilot, _):
        _, corr = await _open(app)
        await wait_for(pilot, lambda: bool(corr.shown), "the correlations")
        assert app.snapshot is not None
        watch = [r.symbol for r in app.snapshot.watchlist]
        assert sorted(corr.shown) == sorted(watch)  # at 200x60 every symbol fits
        assert np.allclose(np.diag(corr.matrix), 1.0)
        assert np.allclose(corr.matrix, corr.matrix.T, equal_nan=True)
        assert "daily returns" in str(corr.border_title)
        text = [corr.render_line(y).text for y in range(corr.size.height)]
        for symbol in corr.shown:
            assert any(line.startswith(symbol) for line in text)
        assert any("×" in line and "ρ +1.00" in line for line in text)  # the cursor's pair
        corr.focus()
        done = corr.computations
        await pilot.press("r")
        await wait_for(pilot, lambda: corr.computations > done, "the recomputation")
        assert not corr.border_subtitle  # no "Loading…" left behind
        assert sorted(corr.shown) == sorted(watch)


async def test_small_and_large_terminals_and_resizing(tmp_path: Path) -> None:
    async with running_app(tmp_path, size=(80, 24), symbols=36, strategies=False) as (
        app,
        pilot,
        _,
    ):
        tree, corr = await _open(app)
        screen = app.screen
        await wait_for(pilot, lambda: bool(tree.cells), "the treemap")
        assert screen.has_class("-narrow") and tree.display and not corr.display
        await pilot.press("v")
        await wait_for(pilot, lambda: bool(corr.shown), "the correlations")
        assert corr.display and not tree.display and corr.has_focus
        assert 0 < len(corr.shown) < 36  # the top ones that fit
        assert "that fit" in str(corr.border_title)
        assert 2 * len(corr.shown) + corr.label_width <= corr.size.width
        await pilot.resize_terminal(200, 60)
        await pilot.pause(0.2)
        assert not screen.has_class("-narrow") and tree.display and corr.display
        assert tree.size.width > 60 and corr.size.width > 40
        await pilot.press("v")
        assert tree.has_focus
        for size in ((100, 30), (40, 12), (80, 24), (200, 60)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
        assert app.is_running
        assert (tree.size.width, tree.map_height) == tree._grid
        app.theme = "textual-light"  # the colour scales follow the theme
        await pilot.pause(0.1)
        assert tree._colours() is tree._palette[1] and tree._palette[0] == "textual-light"
        assert tree.render_line(tree.map_height - 1).text


def test_value_labels() -> None:
    assert value_label(1.26) == "+1.3%" and value_label(-0.04) == "0.0%"
    assert value_label(float("nan")) == ""


def test_labels_drop_the_value_then_the_symbol() -> None:
    assert fit_label("NOVA", "+1.3%", 8, 3) == ["NOVA", "+1.3%"]
    assert fit_label("NOVA", "+1.3%", 10, 1) == ["NOVA +1.3%"]
    assert fit_label("NOVA", "+1.3%", 9, 1) == ["NOVA"]
    assert fit_label("NOVA", "+1.3%", 4, 2) == ["NOVA"]
    assert fit_label("NOVA", "+1.3%", 3, 2) == []
    assert fit_label("NOVA", "", 6, 2) == ["NOVA"]


def test_arrow_targets_prefer_cells_level_with_the_cursor() -> None:
    #  A A B B
    #  A A C C
    a = Cell("A", "g", 1, 0, 0, 2, 2)
    b = Cell("B", "g", 1, 2, 0, 2, 1)
    c = Cell("C", "g", 1, 2, 1, 2, 1)
    cells = [a, b, c]
    assert neighbour(cells, a, 1, 0) in (b, c)
    assert neighbour(cells, b, 0, 1) is c and neighbour(cells, c, 0, -1) is b
    assert neighbour(cells, c, -1, 0) is a and neighbour(cells, b, -1, 0) is a
    assert neighbour(cells, a, -1, 0) is None and neighbour(cells, a, 0, 1) is None
