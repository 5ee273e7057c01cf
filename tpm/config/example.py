"""config.example.toml, generated from the sections so it can never drift from them."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from tpm.config.sections import Config

__all__ = ["example_toml"]


def example_toml() -> str:
    """config.example.toml: every key with its description and default value."""
    lines = [
        "# tpm configuration. Every key is shown with its default; delete what you do not change.",
        "# Location: $TPM_HOME/config.toml, or the platform config directory (see README).",
        "# Environment overrides: TPM_DB_URL (store.url), TPM_LOG_LEVEL (engine.log_level).",
    ]
    _render(Config(), [], lines)
    return "\n".join(lines) + "\n"


def _render(model: BaseModel, path: list[str], lines: list[str]) -> None:
    scalars = []
    tables = []
    keyed: list[tuple[str, str, Any]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            tables.append((name, value))
        elif isinstance(value, dict) and _holds_tables(field.annotation):
            keyed.append((name, field.description or "", typing.get_args(field.annotation)[1]))
        else:
            scalars.append((name, field.description or "", value))
    if path and scalars:
        lines.extend(["", f"[{'.'.join(path)}]"])
    for name, doc, value in scalars:
        for line in doc.splitlines():
            lines.append(f"# {line.strip()}")
        lines.append(f"{name} = {_toml_value(value)}")
    for name, sub in tables:
        _render(sub, [*path, name], lines)
    for name, doc, item in keyed:
        lines.append("")
        lines.extend(f"# {line.strip()}" for line in doc.splitlines())
        lines.append(f"# [{'.'.join([*path, name])}.NAME]")
        for key, sub in item.model_fields.items():
            lines.append(f"# {key} = ...    {sub.description or ''}".rstrip())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], BaseModel):
            raise ValueError("a list of tables has no default to show")
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return repr(value)


def _holds_tables(annotation: Any) -> bool:
    """A dict of sections ([risk.strategies.NAME]) rather than of plain values."""
    args = typing.get_args(annotation)
    return len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel)
