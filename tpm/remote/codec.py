"""JSON for what crosses the wire between an engine and an attached UI.

Values are encoded plainly (a dataclass as an object of its fields, an enum as its value, a
tuple as a list) and decoded against the type the receiver expects, read from the type hints
of the EngineClient call or the dataclass field. Decoding is validation: a wrong type, a
missing or unknown field, a number where a word belongs, each raises CodecError naming the
path to it. Exact numbers travel as strings ({"$d": "101.25"}) and never lose a digit;
floats that JSON cannot write (NaN, infinities) travel as {"$f": "nan"}.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["CodecError", "decode", "encode", "hints"]

_MAX_DEPTH = 32
_MAX_EXPONENT = 30  # prices and quantities; 1e999999999 is a way to make arithmetic slow


class CodecError(ValueError):
    """A value that does not match the type expected; the message names where."""


def encode(value: Any) -> Any:
    """A JSON-ready form of `value` (see the module's docstring)."""
    kind = type(value)
    how = _ENCODERS.get(kind)
    if how is None:
        how = _ENCODERS[kind] = _encoder_for(kind)
    return how(value)


def _same(value: Any) -> Any:
    return value


def _float(value: float) -> Any:
    return value if math.isfinite(value) else {"$f": repr(value)}


def _encoder_for(kind: type) -> Callable[[Any], Any]:
    """How to encode every value of one type, found once per type: a snapshot holds
    thousands of values of a dozen types, sent ten times a second."""
    if kind in (type(None), bool, int, str):
        return _same
    if issubclass(kind, float):
        return _float
    if issubclass(kind, Decimal):
        return lambda v: {"$d": str(v)}
    if issubclass(kind, enum.Enum):
        return lambda v: encode(v.value)
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda v: {n: encode(getattr(v, n)) for n in names}
    if issubclass(kind, Mapping):
        return lambda v: {str(k): encode(x) for k, x in v.items()}
    if issubclass(kind, list | tuple):
        return lambda v: [encode(x) for x in v]
    if issubclass(kind, set | frozenset):
        return lambda v: sorted(encode(x) for x in v)
    raise CodecError(f"cannot send a {kind.__name__}")


_ENCODERS: dict[type, Callable[[Any], Any]] = {}


def decode(data: Any, expected: Any, path: str = "value") -> Any:
    """`data` (parsed JSON) as a value of the type `expected`; CodecError when it is not one."""
    return _decode(data, expected, path, 0)


@functools.cache
def hints(obj: Any) -> dict[str, Any]:
    """The resolved type hints of a function or a dataclass."""
    return typing.get_type_hints(obj)


def _decode(data: Any, t: Any, path: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise CodecError(f"{path}: nested too deep")
    if t is Any:
        return _plain(data, path, depth)
    if isinstance(t, typing.NewType):
        return _decode(data, t.__supertype__, path, depth)
    origin = typing.get_origin(t)
    if origin in (typing.Union, types.UnionType):
        arms = typing.get_args(t)
        if data is None and type(None) in arms:
            return None
        problems = []
        for arm in arms:
            if arm is type(None):
                continue
            try:
                return _decode(data, arm, path, depth)
            except CodecError as exc:
                problems.append(str(exc))
        raise CodecError(problems[0] if len(problems) == 1 else f"{path}: {_what(t)} expected")
    if origin is typing.Literal:
        if data in typing.get_args(t):
            return data
        raise CodecError(f"{path}: one of {', '.join(map(repr, typing.get_args(t)))} expected")
    if t is type(None):
        if data is None:
            return None
        raise CodecError(f"{path}: null expected")
    if origin is not None:
        return _container(data, t, origin, path, depth)
    if isinstance(t, type):
        return _scalar_or_record(data, t, path, depth)
    raise CodecError(f"{path}: cannot read a {t!r}")


def _scalar_or_record(data: Any, t: type, path: str, depth: int) -> Any:
    if t is bool:
        if isinstance(data, bool):
            return data
    elif t is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
    elif t is float:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        if isinstance(data, dict) and set(data) == {"$f"} and data["$f"] in ("nan", "inf", "-inf"):
            return float(data["$f"])
    elif t is str:
        if isinstance(data, str):
            return data
    elif t is Decimal:
        text = data.get("$d") if isinstance(data, dict) and set(data) == {"$d"} else None
        if isinstance(text, str) and len(text) <= 64:
            try:
                d = Decimal(text)
            except InvalidOperation:
                pass
            else:
                if d.is_finite() and abs(d.adjusted()) <= _MAX_EXPONENT:
                    return d
    elif issubclass(t, enum.Enum):
        try:
            return t(data)
        except ValueError:
            raise CodecError(
                f"{path}: one of {', '.join(repr(m.value) for m in t)} expected"
            ) from None
    elif dataclasses.is_dataclass(t):
        return _record(data, t, path, depth)
    else:
        raise CodecError(f"{path}: cannot read a {t.__name__}")
    raise CodecError(f"{path}: {_what(t)} expected, got {_kind(data)}")


_PLAIN: dict[Any, type] = {float: float, int: int, str: str}


@functools.cache
def _fields(t: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(t) if f.init}


def _record(data: Any, t: type, path: str, depth: int) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"{path}: an object ({t.__name__}) expected, got {_kind(data)}")
    fields = _fields(t)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise CodecError(f"{path}: unknown field {unknown[0]!r} for {t.__name__}")
    types_ = hints(t)
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _decode(data[name], types_[name], f"{path}.{name}", depth + 1)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise CodecError(f"{path}: field {name!r} of {t.__name__} is missing")
    try:
        return t(**values)
    except (TypeError, ValueError) as exc:  # a dataclass's own checks
        raise CodecError(f"{path}: not a valid {t.__name__}: {exc}") from None


def _container(data: Any, t: Any, origin: Any, path: str, depth: int) -> Any:
    args = typing.get_args(t)
    if origin in (dict, Mapping):
        if not isinstance(data, dict):
            raise CodecError(f"{path}: an object expected, got {_kind(data)}")
        kt, vt = args or (str, Any)
        return {
            _decode(k, kt, f"{path} key", depth + 1): _decode(v, vt, f"{path}[{k!r}]", depth + 1)
            for k, v in data.items()
        }
    if origin in (set, frozenset, AbstractSet):
        if not isinstance(data, list):
            raise CodecError(f"{path}: a list expected, got {_kind(data)}")
        item = args[0] if args else Any
        return frozenset(_decode(v, item, f"{path}[{i}]", depth + 1) for i, v in enumerate(data))
    if origin in (list, tuple, Sequence):
        if not isinstance(data, list):
            raise CodecError(f"{path}: a list expected, got {_kind(data)}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(data) != len(args):
                raise CodecError(f"{path}: {len(args)} items expected, got {len(data)}")
            return tuple(
                _decode(v, a, f"{path}[{i}]", depth + 1)
                for i, (v, a) in enumerate(zip(data, args, strict=True))
            )
        item = args[0] if args else Any
        plain = _PLAIN.get(item)
        if plain is not None and all(type(v) is plain for v in data):
            # Prices, sparklines, symbols: already what they must be (bool is not an int here,
            # and a float list holds no "$f" object), so no item is read one by one.
            return list(data) if origin is list else tuple(data)
        items = [_decode(v, item, f"{path}[{i}]", depth + 1) for i, v in enumerate(data)]
        return items if origin is list else tuple(items)
    raise CodecError(f"{path}: cannot read a {t!r}")


def _plain(data: Any, path: str, depth: int) -> Any:
    """Untyped JSON (settings, risk status), with exact numbers and special floats restored."""
    if depth > _MAX_DEPTH:
        raise CodecError(f"{path}: nested too deep")
    if isinstance(data, dict):
        if set(data) == {"$d"}:
            return _decode(data, Decimal, path, depth)
        if set(data) == {"$f"}:
            return _decode(data, float, path, depth)
        return {str(k): _plain(v, f"{path}[{k!r}]", depth + 1) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(data)]
    return data


def _what(t: Any) -> str:
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    if t is Decimal:
        return 'an exact number ({"$d": "1.5"})'
    return names.get(t, getattr(t, "__name__", str(t)))


def _kind(data: Any) -> str:
    if data is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text"}.get(
        type(data), "a list" if isinstance(data, list) else "an object"
    )
