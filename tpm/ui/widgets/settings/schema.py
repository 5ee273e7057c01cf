"""Form fields read off the config models: type to control, docstring to help, bounds to checks.

Nothing here draws; the widgets ask a `FieldSpec` how to show, parse and check one key.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tpm.config import Config

__all__ = ["FieldKind", "FieldSpec", "fields_of", "lookup", "model_at", "show_number"]

FieldKind = Literal["bool", "choice", "int", "float", "text", "list"]

_BOUND_WORDS = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
_BOUND_SIGNS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def show_number(value: float) -> str:
    """A number as a person reads it in a sentence: 50,000 or 0.005."""
    return f"{value:,.10g}"


def _plain(value: Any) -> str:
    """A value as it is typed into an input: no thousands separators, no needless .0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One config key as a form field: its dotted key, kind of control, help and limits."""

    key: str
    kind: FieldKind
    help: str
    choices: tuple[str, ...] = ()
    bounds: tuple[tuple[str, float], ...] = ()

    @property
    def name(self) -> str:
        """The key's last part, as config.toml spells it."""
        return self.key.rsplit(".", 1)[-1]

    @property
    def hint(self) -> str:
        """The help text plus what may be typed (the range, or the list's items)."""
        extra = ""
        if self.bounds:
            extra = " Range: " + ", ".join(
                f"{_BOUND_SIGNS[op]} {show_number(b)}" for op, b in self.bounds
            )
            extra += "."
        elif self.kind == "list":
            items = f", any of {', '.join(self.choices)}" if self.choices else ""
            extra = f" Comma-separated{items}."
        return self.help + extra

    def text(self, value: Any) -> str:
        """How `value` appears in this field's input."""
        if self.kind == "list":
            return ", ".join(str(v) for v in value or ())
        return "" if value is None else _plain(value)

    def normal(self, value: Any) -> Any:
        """`value` as `parse` would return it, so loaded and edited values compare equal."""
        if self.kind == "list":
            return tuple(value or ())
        if self.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    def parse(self, raw: Any) -> Any:
        """The typed value of what the control holds; ValueError with a sentence if invalid."""
        if self.kind in ("bool", "choice", "text"):
            return raw
        text = str(raw).strip()
        if self.kind == "list":
            items = tuple(p.strip() for p in text.split(",") if p.strip())
            wrong = [i for i in items if self.choices and i not in self.choices]
            if wrong:
                raise ValueError(
                    f"{', '.join(wrong)} is not one of {', '.join(self.choices)}"
                    if len(wrong) == 1
                    else f"{', '.join(wrong)} are not among {', '.join(self.choices)}"
                )
            return items
        # People type 50,000 or 50_000; config.toml wants the bare number.
        text = text.replace(",", "").replace("_", "")
        if not text:
            raise ValueError("a value is required")
        try:
            number: float = int(text) if self.kind == "int" else float(text)
        except ValueError:
            what = "a whole number" if self.kind == "int" else "a number"
            raise ValueError(f'expected {what}, got "{raw}"') from None
        for op, bound in self.bounds:
            ok = {
                "gt": number > bound,
                "ge": number >= bound,
                "lt": number < bound,
                "le": number <= bound,
            }[op]
            if not ok:
                raise ValueError(
                    f"must be {_BOUND_WORDS[op]} {show_number(bound)}, got {show_number(number)}"
                )
        return number


def model_at(prefix: str) -> type[BaseModel]:
    """The config model of a dotted table name: "risk.order_size" -> OrderSizeLimits."""
    model: type[BaseModel] = Config
    for part in prefix.split(".") if prefix else ():
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            raise KeyError(f"{prefix} is not a table of the config")
        model = annotation
    return model


def _kind(annotation: Any) -> tuple[FieldKind, tuple[str, ...]] | None:
    """The control for a field's type, and its choices; None when a form cannot edit it."""
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if annotation is str:
        return "text", ()
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            item = args[0]
            if item is str:
                return "list", ()
            if typing.get_origin(item) is Literal:
                return "list", tuple(str(a) for a in typing.get_args(item))
    return None  # optional numbers, tables, lists of tables: edited in config.toml


def _bounds(info: FieldInfo) -> tuple[tuple[str, float], ...]:
    found: list[tuple[str, float]] = []
    for meta in info.metadata:
        for op, cls in (
            ("gt", annotated_types.Gt),
            ("ge", annotated_types.Ge),
            ("lt", annotated_types.Lt),
            ("le", annotated_types.Le),
        ):
            if isinstance(meta, cls):
                found.append((op, float(getattr(meta, op))))
    return tuple(found)


def fields_of(prefix: str, skip: frozenset[str] = frozenset()) -> list[FieldSpec]:
    """The editable keys of one config table, in the model's order."""
    specs = []
    for name, info in model_at(prefix).model_fields.items():
        kind = _kind(info.annotation)
        if kind is None or name in skip:
            continue
        help_text = " ".join((info.description or "").split())
        specs.append(FieldSpec(f"{prefix}.{name}", kind[0], help_text, kind[1], _bounds(info)))
    return specs


def lookup(settings: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key in nested tables; KeyError when absent."""
    node: Any = settings
    for part in key.split("."):
        node = node[part]
    return node
