"""Find, read and validate config.toml; errors name the file, the key and the reason."""

from __future__ import annotations

import difflib
import os
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tpm.config.risk import tightening_violations
from tpm.config.sections import Config
from tpm.errors import ConfigError

__all__ = ["Paths", "load_config", "resolve_paths"]


@dataclass(frozen=True, slots=True)
class Paths:
    """Where tpm keeps its files."""

    config_file: Path
    data_dir: Path

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "tpm.db"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.sqlite_file}"


def resolve_paths(config_file: str | os.PathLike[str] | None = None) -> Paths:
    """TPM_HOME holds both config.toml and tpm.db; otherwise the platform's user dirs."""
    home = os.environ.get("TPM_HOME")
    if home:
        base = Path(home).expanduser()
        cfg, data = base / "config.toml", base
    else:
        import platformdirs

        cfg = Path(platformdirs.user_config_dir("tpm")) / "config.toml"
        data = Path(platformdirs.user_data_dir("tpm"))
    if config_file is not None:
        cfg = Path(config_file).expanduser()
    return Paths(config_file=cfg, data_dir=data)


def load_config(path: Path, *, required: bool = False, env: dict[str, str] | None = None) -> Config:
    """Read and validate `path` (absent and not `required`: defaults), then apply env overrides."""
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    elif required:
        raise ConfigError(f"{path}: no such config file")
    if db_url := environ.get("TPM_DB_URL"):
        raw.setdefault("store", {})["url"] = db_url
    if level := environ.get("TPM_LOG_LEVEL"):
        raw.setdefault("engine", {})["log_level"] = level.lower()
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_problems(path.name, exc)) from None
    consistency = tightening_violations(config.risk)
    if consistency:
        raise ConfigError("\n".join(f"{path.name}: {line}" for line in consistency))
    return config


def _problems(file_name: str, exc: ValidationError) -> str:
    """One line per problem: `config.toml: risk.order_size.max_notional: <reason>`."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        parts = err["loc"]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
        lines.append(f"{file_name}: {key or '(top level)'}: {_reason(err, loc)}")
    return "\n".join(lines)


_EXPECTED = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a string",
    "tuple": "a list",
    "model": "a table",
    "dict": "a table",
}


def _reason(err: Any, loc: list[str]) -> str:
    kind: str = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key" + _suggestion(loc)
    if kind == "missing":
        return "is required"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.values()), "?")
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        word = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        return f"must be {word} {bound}, got {_show(got)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, got {_show(got)}"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    for prefix, what in _EXPECTED.items():
        if kind.startswith(prefix) or kind == f"{prefix}_type":
            return f"expected {what}, got {_show(got)}"
    return f"{err['msg'].lower()}, got {_show(got)}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)


def _suggestion(loc: list[str]) -> str:
    model: type[BaseModel] = Config
    parts = iter(loc[:-1])
    for part in parts:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if typing.get_origin(annotation) is tuple:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
            next(parts, None)  # the table's own name, e.g. the strategy's
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""
