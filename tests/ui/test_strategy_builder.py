"""The strategy builder on the Trading screen, under Pilot, on a real engine: new file from a
template, problems with their line while typing, a trial drawn with its signals, save, start
and stop; and the list of strategies with what each holds."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static, TabbedContent, TextArea

from tpm.ui.screens.dialogs import AskText, Confirm
from tpm.ui.screens.strategy_editor import StrategyEditor
from tpm.ui.screens.trading import TradingScreen
from tpm.ui.widgets.trading.signal_chart import SignalChart
from tpm.ui.widgets.trading.strategies import StrategiesTable

from .conftest import wait_for
from .test_trading import trading


def cell(table: StrategiesTable, key: str, column: int) -> str:
    return str(table.get_row(key)[column])


async def test_build_check_try_save_start_and_stop_a_strategy(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, notes):
        await pilot.press("a")
        table = app.screen.query_one(StrategiesTable)
        assert table.has_focus and table.row_count == 0
        book = app.screen.query_one("#trade-book", TabbedContent)  # where to find the files
        folder = str(engine.desk.folder)
        await wait_for(pilot, lambda: book.border_subtitle == folder, "the folder shown")
        await pilot.press("p")  # another tab: the folder is not its
        await wait_for(pilot, lambda: not book.border_subtitle, "the folder gone")
        await pilot.press("a")
        await pilot.press("n")
        assert isinstance(app.screen, AskText)
        await pilot.press(*"trend", "enter")  # .toml is the default
        await wait_for(pilot, lambda: isinstance(app.screen, StrategyEditor), "the builder")
        editor = app.screen
        assert isinstance(editor, StrategyEditor) and editor.file == "trend.toml"
        assert editor.modified  # a template is not a saved file
        chart = editor.query_one(SignalChart)
        await wait_for(pilot, lambda: chart.trial is not None, "a trial of the template", 30)
        trial = chart.trial
        assert trial is not None and trial.strategy == "trend"
        assert len(trial.closes) == 100
        assert trial.bars == 120  # all the one-minute history this feed serves (under 300)
        assert all(0 <= m.index < 100 for m in trial.marks)
        figures = str(editor.query_one("#signal-figures", Static).render())
        assert figures.startswith(f"Trial: 120 bars, {trial.trades} round trips")

        # A slip on line 12 is named with its line while typing; undoing it clears it.
        area = editor.query_one(TextArea)
        assert area.document.get_line(11).startswith("when = ")
        area.move_cursor((11, 0))
        await pilot.press("x")
        await wait_for(pilot, lambda: bool(editor.problems), "the problem to show")
        # "xwhen": an unknown key on line 12, and [entry] (line 11) without its "when".
        assert [(p.line, p.message) for p in editor.problems] == [
            (11, "entry.when: is required"),
            (12, 'entry.xwhen: unknown key (did you mean "when"?)'),
        ]
        assert "✗" in str(editor.query_one("#editor-problems", Static).render())
        title = editor.query_one("#signal-title", Static)
        assert "last version that read" in str(title.render())  # the chart is not of this text
        await pilot.press("backspace")
        await wait_for(pilot, lambda: not editor.problems, "the problem to clear")
        await wait_for(
            pilot, lambda: str(title.render()).startswith(trial.symbol), "the chart redrawn"
        )

        await pilot.press("ctrl+s")
        saved = tmp_path / "strategies" / "trend.toml"
        await wait_for(pilot, saved.exists, "the file to be saved")
        assert saved.read_text(encoding="utf-8") == area.text and not editor.modified
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TradingScreen), "the way back")
        await wait_for(pilot, lambda: table.row_count == 1, "the new file in the list")
        assert cell(table, "trend", 0) == "trend" and cell(table, "trend", 1) == "idle"
        assert cell(table, "trend", 7) == "trend.toml"

        await pilot.press("space")
        await wait_for(
            pilot, lambda: any(s.name == "trend" for s in engine.runner.strategies), "start"
        )
        await wait_for(pilot, lambda: cell(table, "trend", 1) == "running", "running shown")
        assert any(msg.startswith("Started trend on") for msg, _ in notes)
        await pilot.press("space")
        await wait_for(pilot, lambda: cell(table, "trend", 1) == "stopped", "stopped shown")
        assert not any(s.name == "trend" for s in engine.runner.strategies)


async def test_leaving_unsaved_changes_asks_first(tmp_path: Path) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    async with trading(tmp_path) as (app, pilot, engine, _):
        sym = engine.feed.instruments()[0].symbol
        (folder / "x.toml").write_text(
            f'[strategy]\nname = "x"\nsymbols = ["{sym}"]\ntimeframe = "1m"\n'
            '[entry]\nwhen = "close > 0"\n[size]\nqty = 1\n',
            encoding="utf-8",
        )
        await pilot.press("a")
        table = app.screen.query_one(StrategiesTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the file in the list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StrategyEditor), "the builder")
        editor = app.screen
        assert isinstance(editor, StrategyEditor) and not editor.modified
        await pilot.press("end", "1")
        await pilot.press("escape")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert app.screen is editor
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, TradingScreen), "the way back")
        assert "qty = 1\n" in (folder / "x.toml").read_text(encoding="utf-8")


async def test_a_file_that_cannot_load_says_why_in_the_list(tmp_path: Path) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "broken.py").write_text("def f(:\n", encoding="utf-8")
    async with trading(tmp_path) as (app, pilot, _, notes):
        await pilot.press("a")
        table = app.screen.query_one(StrategiesTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the file in the list")
        key = "file:broken.py"
        assert cell(table, key, 1) == "cannot load"
        assert cell(table, key, 4) == "line 1: invalid syntax"
        await pilot.press("space")
        await wait_for(pilot, lambda: bool(notes), "the refusal")
        message, kw = notes[-1]
        assert message == "broken.py: line 1: invalid syntax" and kw["severity"] == "error"
