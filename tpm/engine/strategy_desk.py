"""The strategy desk: the strategies folder, trials on history, and starting and stopping
strategies on the running engine (what the builder on the Trading screen asks for).

A trial is a backtest through the same runner, risk checks, OMS and (simulated) broker as a
running strategy, on the history the engine's feed serves, run in a worker thread so that the
engine keeps trading meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tpm.config.risk import RiskConfig
from tpm.domain import Bar, Instrument
from tpm.domain.snapshot import StrategyView
from tpm.domain.strategies import SignalMark, StrategyFile, StrategyProblem, StrategyTrial
from tpm.engine.backtest import BacktestResult, SimulatedBroker, SymbolBars, run_backtest
from tpm.engine.backtest_report import metrics_of
from tpm.engine.trial_logs import quiet
from tpm.errors import ConfigError, StrategyFailed, TpmError
from tpm.strategies.base import Reactive, Strategy
from tpm.strategies.files import (
    KINDS,
    check_source,
    head_of,
    load_python_strategies,
    load_strategy_file,
    python_names,
    runnable,
)
from tpm.strategies.rule_strategy import RuleStrategy
from tpm.strategies.spec import StrategySpec, read_strategy

if TYPE_CHECKING:
    from tpm.engine.engine import Engine

__all__ = ["CHART_BARS", "StrategyDesk"]

CHART_BARS = 100
TRIAL_TIMEOUT_S = 60.0
_FILE = re.compile(r"[\w][\w.-]{0,63}\.(toml|py)")
_LINE = re.compile(r"\bline (\d+)")

BrokerFactory = Callable[[Sequence[Instrument]], SimulatedBroker]


class StrategyDesk:
    def __init__(self, engine: Engine, folder: Path | None, trial_broker: BrokerFactory | None):
        self._engine = engine
        self.folder = folder
        self._trial_broker = trial_broker
        self.sources: dict[str, str] = {}
        """Strategy name -> the file it was started from."""
        self.stopped: dict[str, Strategy] = {}
        """Strategies stopped in this run, still shown with what they hold."""

    # -- the folder -----------------------------------------------------------------------------

    def _path(self, file: str) -> Path:
        if self.folder is None:
            raise TpmError("this engine has no strategies folder")
        if not _FILE.fullmatch(file):
            raise TpmError(
                f"{file!r}: a strategy file name is letters, digits, '.', '-' and '_', "
                "ending in .toml (rules) or .py (Python)"
            )
        return self.folder / file

    def files(self) -> list[StrategyFile]:
        if self.folder is None or not self.folder.is_dir():
            return []
        running = {st.name for st in self._engine.runner.strategies}
        out = []
        for path in sorted(self.folder.iterdir()):
            if path.suffix not in KINDS or not _FILE.fullmatch(path.name):
                continue
            names, problem = self._names(path)
            out.append(
                StrategyFile(
                    path.name,
                    KINDS[path.suffix],
                    names,
                    tuple(n for n in names if n in running),
                    problem,
                )
            )
        return out

    def _names(self, path: Path) -> tuple[tuple[str, ...], str]:
        """The names a file defines, without running a Python file's code."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            return (), f"cannot be read: {exc.strerror}"
        except UnicodeDecodeError as exc:
            return (), f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        if path.suffix == ".toml":
            problems = check_source(text, "rules", path.name)
            if problems:
                return (), problems[0].message
            return (str(tomllib.loads(text)["strategy"]["name"]),), ""
        problems = check_source(text, "python", path.name)
        if problems:
            return (), problems[0].message
        return python_names(text), ""

    def read(self, file: str) -> str:
        path = self._path(file)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TpmError(f"{file}: no such strategy file in {self.folder}") from None
        except OSError as exc:
            raise TpmError(f"{file}: cannot be read: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise TpmError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None

    def check(self, text: str, kind: str) -> list[StrategyProblem]:
        return check_source(text, kind)

    async def save(self, file: str, text: str, *, actor: str = "app", origin: str = "local") -> str:
        path = self._path(file)
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.saving")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # whole or not at all
        except OSError as exc:
            raise TpmError(f"{file}: not saved: {exc.strerror}") from None
        await self._engine.store.audit(
            actor, "strategy.save", f"{file} ({len(text)} chars)", origin
        )
        problems = check_source(text, KINDS[path.suffix], file)
        if problems:
            return f"saved {path}; it cannot start until fixed: {problems[0].message}"
        return f"saved {path}"

    # -- trials ---------------------------------------------------------------------------------

    async def trial(self, text: str, kind: str, bars: int = 500) -> StrategyTrial:
        """`text` backtested on the last `bars` bars of history, or what stops it."""
        started = time.perf_counter()
        problems = check_source(text, kind)
        if problems:
            return StrategyTrial(problems=tuple(problems))
        if self._trial_broker is None:
            return _problem("this engine cannot run trials (no simulated broker)")
        try:
            # The trader's code runs in a worker thread, from its import on.
            strategy = await asyncio.to_thread(_strategy_of, text, kind)
        except ConfigError as exc:
            return _problem(str(exc))
        name, symbols, tf = head_of(strategy)
        e = self._engine
        known = [i.symbol for i in e.feed.instruments()]
        problem = runnable(strategy, e.feed.name, known, [t.value for t in e.settings.timeframes])
        if problem:
            return _problem(problem)
        data = []
        for sym in symbols:
            state = e.market.state(sym)
            assert state is not None
            history = [b for b in await e.feed.history(sym, tf, bars) if b.is_closed]
            if len(history) < 2:
                return _problem(f"the {e.feed.name} feed has no {tf.value} history of {sym}")
            data.append(SymbolBars.of(state.instrument, tf, history))
        broker = self._trial_broker([d.instrument for d in data])
        cash, risk = e.portfolio.initial_cash, e.settings.risk
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(_run_trial, strategy, data, broker, cash, risk), TRIAL_TIMEOUT_S
            )
        except TimeoutError:
            return _problem(
                f"{name}: the trial took longer than {TRIAL_TIMEOUT_S:g} s (is a hook stuck in "
                "a loop?); its thread runs on until it ends"
            )
        except (ConfigError, StrategyFailed) as exc:
            return _problem(str(exc))
        except Exception as exc:  # the trader's code, anywhere: a problem to show, not a crash
            return _problem(f"{name}: {type(exc).__name__}: {exc}")
        trial = _trial(name, data[0], result, time.perf_counter() - started)
        if result.failures:
            shown = tuple(_problem(f).problems[0] for f in result.failures[:3])
            return dataclasses.replace(trial, problems=shown)
        return trial

    # -- running ----------------------------------------------------------------------------------

    async def start(self, file: str, *, actor: str = "app", origin: str = "local") -> str:
        path = self._path(file)
        try:
            strategies = load_strategy_file(path)
        except ConfigError as exc:
            raise TpmError(str(exc)) from None
        e = self._engine
        known = [i.symbol for i in e.feed.instruments()]
        built = [t.value for t in e.settings.timeframes]
        running = {st.name for st in e.runner.strategies}
        names = [st.name for st in strategies]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise TpmError(f"{file}: more than one strategy is named {', '.join(twice)}")
        for st in strategies:
            problem = runnable(st, e.feed.name, known, built)
            if problem:
                raise TpmError(f"{file}: {problem}")
            if st.name in running:
                raise TpmError(f"{file}: {st.name} is already running; stop it first")
        started: list[str] = []
        for st in strategies:
            history: dict[str, Sequence[Bar]] = {}
            for sym in st.symbols:
                bars = await e.feed.history(sym, st.timeframe, e.settings.warmup_bars)
                history[f"{sym}/{st.timeframe.value}"] = [b for b in bars if b.is_closed]
            try:
                e.runner.start(st, history)
            except StrategyFailed as exc:
                for name in started:  # all of a file's strategies run, or none
                    e.runner.remove(name)
                raise TpmError(f"{file}: not started: {exc}") from None
            started.append(st.name)
        for st in strategies:
            self.sources[st.name] = file
            self.stopped.pop(st.name, None)
            await e.store.audit(actor, "strategy.start", f"{st.name} from {file}", origin)
        what = ", ".join(
            sorted({f"{s} ({st.timeframe.value})" for st in strategies for s in st.symbols})
        )
        halted = (
            ""
            if e.runner.is_trading
            else "; trading is halted: it acts on its signals once trading resumes"
        )
        return f"started {', '.join(names)} on {what}{halted}"

    async def stop(self, name: str, *, actor: str = "app", origin: str = "local") -> str:
        e = self._engine
        st = e.runner.remove(name)
        if st is None:
            raise TpmError(f"no strategy named {name!r} is running")
        self.stopped[name] = st
        cancelled = 0
        for o in e.oms.open_orders():
            if o.strategy == name and await e.oms.cancel(o.client_order_id):
                cancelled += 1
        await e.store.audit(
            actor, "strategy.stop", f"{name} ({cancelled} orders cancelled)", origin
        )
        text = f"stopped {name}"
        if cancelled:
            text += f"; cancelled its {cancelled} working order{'s' if cancelled > 1 else ''}"
        held = e.strategy_book.line(name).positions
        if held:
            pos = ", ".join(f"{sym} {qty:f}" for sym, qty in held)
            text += f"; what it holds stays open ({pos}): close it from Positions"
        return text

    def views(self) -> tuple[StrategyView, ...]:
        r = self._engine.runner
        trading = r.is_running and r.is_trading
        shown = [(st, True) for st in r.strategies] + [(st, False) for st in self.stopped.values()]
        out = []
        for st, started in shown:
            line = self._engine.strategy_book.line(st.name)
            out.append(
                StrategyView(
                    st.name,
                    st.symbols,
                    st.timeframe.value,
                    trading and started,
                    kind=_kind(st),
                    source=self.sources.get(st.name, ""),
                    positions=line.positions,
                    realised_pnl=line.realised_pnl,
                    unrealised_pnl=line.unrealised_pnl,
                    last_signal=line.last_signal,
                    last_signal_ns=line.last_signal_ns,
                    is_started=started,
                )
            )
        return tuple(out)


def _kind(st: Strategy) -> str:
    if isinstance(st, RuleStrategy):
        return "rules"
    return "python" if isinstance(st, Reactive) else "built-in"


def _problem(message: str) -> StrategyTrial:
    found = _LINE.search(message)
    return StrategyTrial(problems=(StrategyProblem(message, int(found.group(1)) if found else 0),))


def _strategy_of(text: str, kind: str) -> StrategySpec | Strategy:
    if kind == "rules":
        return read_strategy(tomllib.loads(text))
    # The trader's unsaved code is imported from a file of its own, as a saved one would be,
    # and forgotten afterwards (each draft is a module of its own name).
    with tempfile.TemporaryDirectory(prefix="tpm-trial-") as folder:
        path = Path(folder) / "draft.py"
        path.write_text(text, encoding="utf-8")
        found = load_python_strategies(path)
    for st in found:
        sys.modules.pop(type(st).__module__, None)
    return found[0]


def _run_trial(
    strategy: StrategySpec | Strategy,
    data: list[SymbolBars],
    broker: SimulatedBroker,
    cash: Decimal,
    risk: RiskConfig,
) -> BacktestResult:
    """In a worker thread: `strategy` over `data`; its log lines stay out of the engine's log
    (it is not trading)."""
    quiet.set(True)
    return asyncio.run(run_backtest(strategy, data, broker, cash=cash, risk=risk))


def _trial(name: str, shown: SymbolBars, r: BacktestResult, elapsed: float) -> StrategyTrial:
    m = metrics_of(r)
    first = max(0, len(shown) - CHART_BARS)
    starts = shown.ts_ns[first:]
    marks: list[SignalMark] = []
    reasons = {(sym, ts): why for sym, ts, why in r.signals}
    seen: set[str] = set()
    sym = shown.instrument.symbol
    for f in r.fills:
        if f.symbol != sym or f.client_order_id in seen:
            continue
        seen.add(f.client_order_id)
        # Filled in the bar after the one whose close decided it.
        at = int(np.searchsorted(shown.ts_ns, f.ts_ns, side="right")) - 2
        if at >= first:
            why = reasons.get((sym, int(shown.ts_ns[at])), "")
            marks.append(SignalMark(at - first, f.side.value, why))

    def num(key: str) -> float:
        v = m.get(key)
        return float(v) if v is not None else 0.0

    win = m.get("win_rate")
    sharpe = m.get("sharpe_ratio")
    return StrategyTrial(
        strategy=name,
        symbol=sym,
        timeframe=shown.timeframe.value,
        starts_ns=tuple(int(x) for x in starts),
        closes=tuple(float(x) for x in shown.close[first:]),
        marks=tuple(marks),
        bars=r.bars_processed,
        trades=int(m.get("trades") or 0),
        orders=r.orders,
        rejected=sum(1 for _ in r.rejections),
        total_return=num("total_return"),
        max_drawdown=num("max_drawdown"),
        sharpe_ratio=None if sharpe is None else float(sharpe),
        win_rate=None if win is None else float(win),
        final_equity=float(r.final_equity),
        elapsed_s=elapsed,
    )
