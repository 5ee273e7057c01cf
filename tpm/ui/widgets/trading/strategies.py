"""Strategies: the files of the strategies folder and the strategies running, with what each
holds, its P&L and its last signal. n new, Enter edits, t backtests, Space starts or stops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message

from tpm.domain import ns_to_dt
from tpm.domain.snapshot import StrategyView
from tpm.domain.strategies import StrategyFile
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.format import signed_money
from tpm.ui.widgets.trading.synced_table import Row, SyncedTable, signed

__all__ = ["StrategiesTable", "StrategyRow", "strategy_rows"]


@dataclass(frozen=True, slots=True)
class StrategyRow:
    """One line of the table: a strategy (running, stopped or only in a file) or a file that
    cannot be read."""

    key: str
    name: str
    file: str
    kind: str
    view: StrategyView | None = None
    problem: str = ""


def strategy_rows(
    files: Sequence[StrategyFile], views: Sequence[StrategyView]
) -> list[StrategyRow]:
    """Each strategy once: those of the folder's files in file order, then the others."""
    by_name = {v.name: v for v in views}
    out: list[StrategyRow] = []
    seen: set[str] = set()
    for f in files:
        if not f.names:
            stem = f.file.rsplit(".", 1)[0]
            out.append(StrategyRow(f"file:{f.file}", stem, f.file, f.kind, problem=f.problem))
            continue
        for name in f.names:
            if name not in seen:
                seen.add(name)
                out.append(StrategyRow(name, name, f.file, f.kind, by_name.get(name)))
    for v in views:
        if v.name not in seen:
            out.append(StrategyRow(v.name, v.name, v.source, v.kind, v))
    return out


def _state(row: StrategyRow) -> Text:
    v = row.view
    if row.problem:
        return Text("cannot load", style="red")
    if v is None:
        return Text("idle", style="dim")
    if v.is_running:
        return Text("running", style="green")
    if v.is_started:
        return Text("halted", style="yellow")
    return Text("stopped", style="dim")


def _held(v: StrategyView | None) -> str:
    if v is None or not v.positions:
        return "flat" if v is not None else ""
    if len(v.positions) > 2:  # the column stays narrow; Positions has the detail
        return f"{len(v.positions)} symbols"
    return ", ".join(f"{sym} {qty:f}" for sym, qty in v.positions)


def _signal(v: StrategyView | None) -> str:
    if v is None or not v.last_signal:
        return ""
    return f"{ns_to_dt(v.last_signal_ns):%H:%M} {v.last_signal}"


_ROLE_KEYS = {
    "new": Action.SAVE_STRATEGY,
    "backtest": Action.TRY_STRATEGY,
    "start_stop": Action.START_STRATEGY,
}
"""What each key asks of the engine: a key the role may not use is not offered."""


class StrategiesTable(SyncedTable):
    COLUMNS = ("Strategy", "State", "Holds", "P&L", "Last signal", "Symbols", "Kind", "File")
    BINDINGS = [
        Binding("n", "new", "New"),
        # Enter edits as well; the builder shows its own keys (backtest among them).
        Binding("e", "edit", "Edit", show=False),
        Binding("t", "backtest", "Backtest", show=False),
        Binding("space", "start_stop", "Run/stop"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    class Edit(Message):
        """Open the builder on `file` (empty: a new file named `new`); `backtest` runs one."""

        def __init__(self, file: str, *, new: str = "", backtest: bool = False) -> None:
            super().__init__()
            self.file, self.new, self.backtest = file, new, backtest

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.files: list[StrategyFile] = []
        self.views: tuple[StrategyView, ...] = ()
        self.entries: dict[str, StrategyRow] = {}

    def show(self, views: Sequence[StrategyView]) -> None:
        """The strategies of a snapshot (their books and signals move)."""
        self.views = tuple(views)
        self._sync()

    @work(exclusive=True, group="strategy-files")
    async def refresh_files(self) -> None:
        """Read the folder again (after a save, or when the table comes into view)."""
        try:
            self.files = await client_of(self).strategy_files()
        except Exception as exc:  # the list stays as it was; the screen stays up
            self.notify(f"The strategies folder cannot be read: {exc}", severity="error")
            return
        self._sync()

    def _sync(self) -> None:
        rows = strategy_rows(self.files, self.views)
        self.entries = {r.key: r for r in rows}
        self.sync([self._cells(r) for r in rows])

    def _cells(self, r: StrategyRow) -> Row:
        v = r.view
        pnl = (v.realised_pnl + v.unrealised_pnl) if v is not None else None
        symbols = ", ".join(v.symbols) if v is not None else ""
        return (
            r.key,
            (
                Text(r.name, style="bold"),
                _state(r),
                _held(v),
                signed(float(pnl), signed_money(pnl)) if pnl is not None else "",
                Text(_signal(v) or r.problem, style="red" if r.problem else ""),
                symbols if len(symbols) <= 24 else symbols[:23] + "…",
                r.kind,
                r.file or "config",
            ),
        )

    @property
    def selected(self) -> StrategyRow | None:
        key = self.selected_key
        return self.entries.get(key) if key is not None else None

    # -- keys ------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        row = self.selected
        if row is None:
            return
        if not row.file.endswith((".toml", ".py")):
            self.notify(f"{row.name} is not from a file of the strategies folder.")
            return
        self.post_message(self.Edit(row.file))

    def action_backtest(self) -> None:
        row = self.selected
        if row is not None and row.file.endswith((".toml", ".py")):
            self.post_message(self.Edit(row.file, backtest=True))

    @work(exclusive=True, group="strategy-new")
    async def action_new(self) -> None:
        from tpm.ui.screens.dialogs import AskText

        name = await self.app.push_screen_wait(
            AskText(
                "New strategy file: a name ending in .toml (rules) or .py (Python)",
                placeholder="breakout.toml",
            )
        )
        if not name:
            return
        name = name.strip()
        if "." not in name:
            name += ".toml"
        if any(f.file == name for f in self.files):
            self.notify(f"{name} exists; opening it.")
            self.post_message(self.Edit(name))
            return
        self.post_message(self.Edit("", new=name))

    @work(exclusive=True, group="strategy-run")
    async def action_start_stop(self) -> None:
        row = self.selected
        if row is None:
            return
        client = client_of(self)
        try:
            if row.view is not None and row.view.is_started:
                said = await client.stop_strategy(row.name)
            elif row.file.endswith((".toml", ".py")):
                said = await client.start_strategy(row.file)
            else:
                self.notify(
                    f"{row.name} is not from a file of the strategies folder: it runs again "
                    "when the engine next starts."
                )
                return
        except Exception as exc:
            self.notify(str(exc), title="Not done", severity="error", timeout=12)
            return
        self.notify(said[:1].upper() + said[1:] + ".")
        self.refresh_files()
