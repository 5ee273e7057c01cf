"""Find, read and validate config.toml; errors name the file, the key and the reason."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tpm.config.files import read_raw
from tpm.config.risk import tightening_violations
from tpm.config.sections import Config
from tpm.errors import ConfigError

__all__ = ["describe_problems", "load_config", "validate_config"]


def load_config(path: Path, *, required: bool = False, env: dict[str, str] | None = None) -> Config:
    """Read and validate `path` (absent and not `required`: defaults), then apply env overrides."""
    return validate_config(read_raw(path, required=required, env=env), path)


def validate_config(raw: dict[str, Any], path: Path) -> Config:
    """The settings `raw` (config.toml's tables, as `read_raw` gives them) asks for; every
    problem is one line of the ConfigError, naming the file, the key and the reason."""
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_problems(path.name, exc, Config)) from None
    consistency = tightening_violations(config.risk)
    if consistency:
        raise ConfigError("\n".join(f"{path.name}: {line}" for line in consistency))
    return config


def describe_problems(file_name: str, exc: ValidationError, model: type[BaseModel]) -> str:
    """One line per problem of validating a file as `model`:
    `config.toml: risk.order_size.max_notional: <reason>`."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        parts = err["loc"]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
        lines.append(f"{file_name}: {key or '(top level)'}: {_reason(err, loc, model)}")
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


def _reason(err: Any, loc: list[str], model: type[BaseModel]) -> str:
    kind: str = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key" + _suggestion(loc, model)
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


def _suggestion(loc: list[str], model: type[BaseModel]) -> str:
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
