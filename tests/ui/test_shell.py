"""The app's shell: screens built in the background, screens off view catching up when shown,
a footer that does not grow with every switch, and settings validated after the first frame."""

from __future__ import annotations

import gc
from pathlib import Path

from textual.widgets._footer import FooterKey

from tpm.cli.launch import build_app
from tpm.config import Paths
from tpm.ui.screens.live import LiveScreen
from tpm.ui.widgets.trading import FillsTable

from .conftest import running_app, wait_for

SCREENS = ("dashboard", "analytics", "trading", "heatmap", "settings")


async def test_every_screen_is_built_after_the_first_snapshot(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, _engine):
        await wait_for(pilot, app.screens_built.is_set, "the background builds")
        assert set(SCREENS) <= set(app._screen_stacks)
        assert app.current_mode == "dashboard"  # built off view: the trader stayed put
        for mode in SCREENS[1:]:
            screen = app._screen_stacks[mode][0]
            assert isinstance(screen, LiveScreen) and screen.is_mounted


async def test_a_screen_off_view_catches_up_when_shown(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, _engine):
        await wait_for(pilot, app.screens_built.is_set, "the background builds")
        table = app._screen_stacks["trading"][0].query_one(FillsTable)
        shown_while_away = table.row_count
        # The demo strategy trades while the trader is on the dashboard.
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and len(app.snapshot.recent_fills) > shown_while_away,
            "a fill while the trading screen is off view",
            40,
        )
        assert table.row_count == shown_while_away  # no work for a screen nobody sees
        await pilot.press("3")
        await pilot.pause(0.2)
        assert app.screen.query_one(FillsTable) is table
        assert table.row_count == len(app.snapshot.recent_fills)


async def test_switching_screens_does_not_pile_up_footer_keys(tmp_path: Path) -> None:
    def footer_keys() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))

    async with running_app(tmp_path, strategies=False) as (app, pilot, _engine):
        await wait_for(pilot, app.screens_built.is_set, "the background builds")
        for key in "23451":
            await pilot.press(key)
            await pilot.pause(0.1)
        before = footer_keys()
        for _ in range(5):
            for key in "23451":
                await pilot.press(key)
                await pilot.pause(0.1)
        # Textual's own footer made a fresh set of keys on every switch and kept the old ones.
        assert footer_keys() <= before


async def test_settings_that_do_not_validate_close_the_app_before_the_engine(
    tmp_path: Path,
) -> None:
    raw = {"risk": {"max_order_notional": "lots"}, "ui": {"theme": "textual-light"}}
    app, client = build_app(raw, Paths(tmp_path / "config.toml", tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.config_error is not None, "the settings' verdict")
        assert app.theme == "textual-light"  # the first frame already had the asked theme
    assert client.engine is None  # nothing was started
    assert not (tmp_path / "tpm.db").exists()
    assert "config.toml: risk.max_order_notional" in str(app.config_error)


async def test_quitting_while_screens_are_built_in_the_background(tmp_path: Path) -> None:
    """The app may quit at any moment of the background builds: nothing half built raises."""
    for n, delay in enumerate((0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.2)):
        home = tmp_path / str(n)
        home.mkdir()
        async with running_app(home, strategies=False) as (app, pilot, _engine):
            await pilot.pause(delay)
            built = app.screens_built.is_set()
        assert app.return_code in (None, 0)  # run_test re-raises what a worker raised
        if built:
            break
