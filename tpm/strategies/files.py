"""Strategy files: TOML rule files and Python modules, read into strategies the runner runs.

A .py file is the trader's own code, run as they would run it themselves; what it defines is
checked here so that a mistake names the file, the line and the reason instead of failing
later inside the engine.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import re
import sys
import tomllib
import traceback
from collections.abc import Collection
from pathlib import Path
from types import ModuleType

from tpm.domain import Timeframe
from tpm.domain.strategies import StrategyProblem
from tpm.errors import ConfigError
from tpm.strategies.base import Strategy
from tpm.strategies.python_strategy import PythonStrategy
from tpm.strategies.rule_strategy import RuleStrategy
from tpm.strategies.spec import StrategySpec, load_strategy, read_strategy

__all__ = [
    "KINDS",
    "check_source",
    "head_of",
    "load_for_backtest",
    "load_python_strategies",
    "load_strategy_file",
    "python_names",
    "runnable",
]

KINDS = {".toml": "rules", ".py": "python"}


def load_strategy_file(path: Path) -> list[Strategy]:
    """The strategies a file defines: one for a TOML rule file, one per class for a .py file."""
    if path.suffix == ".toml":
        return [RuleStrategy(load_strategy(path))]
    if path.suffix == ".py":
        return list(load_python_strategies(path))
    raise ConfigError(f"{path.name}: a strategy file is .toml (rules) or .py (Python)")


def load_for_backtest(path: Path) -> StrategySpec | Strategy:
    """A strategy file's spec (backtests run rule files on their fast path), or the one
    strategy a .py file defines."""
    if path.suffix != ".py":
        return load_strategy(path)
    found = load_python_strategies(path)
    if len(found) > 1:
        names = ", ".join(st.name for st in found)
        raise ConfigError(f"{path.name}: defines {len(found)} strategies ({names}); keep one")
    return found[0]


def head_of(strategy: StrategySpec | Strategy) -> tuple[str, tuple[str, ...], Timeframe]:
    """A strategy's name, the symbols it trades and the bars it decides on."""
    if isinstance(strategy, StrategySpec):
        return strategy.name, strategy.strategy.symbols, Timeframe(strategy.strategy.timeframe)
    return strategy.name, strategy.symbols, strategy.timeframe


def runnable(
    strategy: StrategySpec | Strategy,
    feed: str,
    symbols: Collection[str],
    timeframes: Collection[str],
) -> str:
    """Why `strategy` cannot run on the feed `feed` serving `symbols` with `timeframes` bars
    built, or "" when it can."""
    name, wanted, timeframe = head_of(strategy)
    unknown = sorted(set(wanted) - set(symbols))
    if unknown:
        return f"{name}: symbols {', '.join(unknown)} not served by the {feed} feed"
    if timeframe.value not in timeframes:
        return (
            f"{name}: {timeframe.value} bars are not built "
            f"(config.toml market.timeframes: {', '.join(timeframes)})"
        )
    return ""


def load_python_strategies(path: Path) -> list[PythonStrategy]:
    """Import `path` and make one of each PythonStrategy subclass it defines."""
    module = _import(path)
    classes = [
        c
        for c in vars(module).values()
        if isinstance(c, type)
        and issubclass(c, PythonStrategy)
        and c is not PythonStrategy
        and c.__module__ == module.__name__
    ]
    if not classes:
        raise ConfigError(
            f"{path.name}: defines no strategy: a class subclassing "
            "tpm.strategies.PythonStrategy, with name, symbols and timeframe"
        )
    out: list[PythonStrategy] = []
    for cls in classes:
        try:
            out.append(cls())
        except Exception as exc:
            raise ConfigError(f"{path.name}: {_where(exc, path)}{_say(exc)}") from None
    return out


def _import(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"tpm_user_strategy_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: cannot be read as Python")
    module = importlib.util.module_from_spec(spec)
    # Dataclasses and pickling look their module up by name.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError:
        sys.modules.pop(name, None)
        raise ConfigError(f"{path}: no such file") from None
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise ConfigError(f"{path.name}: line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(f"{path.name}: {_where(exc, path)}{_say(exc)}") from None
    return module


def _where(exc: BaseException, path: Path) -> str:
    """ "line N: " for the deepest frame of the traceback in `path`, else nothing."""
    mine = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return f"line {mine[-1].lineno}: " if mine else ""


def _say(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"


def python_names(text: str) -> tuple[str, ...]:
    """The `name`s the classes of a Python strategy file give themselves, read without running
    the file (a class whose name is not a plain string is left out)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ()
    names = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
            targets = (
                stmt.targets
                if isinstance(stmt, ast.Assign)
                else [stmt.target]
                if isinstance(stmt, ast.AnnAssign)
                else []
            )
            if (
                any(isinstance(t, ast.Name) and t.id == "name" for t in targets)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                names.append(value.value)
    return tuple(names)


def check_source(text: str, kind: str, file_name: str = "strategy.toml") -> list[StrategyProblem]:
    """What is wrong with a strategy's text as written, before it is saved (the builder)."""
    if kind == "python":
        try:
            compile(text, file_name, "exec")
        except SyntaxError as exc:
            return [StrategyProblem(f"line {exc.lineno}: {exc.msg}", exc.lineno or 0)]
        return []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        return [StrategyProblem(f"not valid TOML: {exc}", int(at.group(1)) if at else 0)]
    try:
        read_strategy(raw, file_name)
    except ConfigError as exc:
        # The builder shows the file's name once, above its text.
        said = [p.removeprefix(f"{file_name}: ") for p in str(exc).splitlines() if p.strip()]
        return [StrategyProblem(p, _line_of(text, p)) for p in said]
    return []


def _line_of(text: str, problem: str) -> int:
    """The line of the key a problem names ("entry.when: ..."): the key's own line, else its
    table's header (a key that is missing), else 0."""
    table, _, key = problem.split(": ", 1)[0].strip().partition(".")
    current, header = "", 0
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            current = s.strip("[] ")
            if current == table and not header:
                header = n
                if not key:
                    return n
        elif current == table and s.split("=")[0].strip() == key:
            return n
    return header
