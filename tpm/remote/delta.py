"""Snapshot deltas: what changed since the snapshot a client already holds.

A snapshot of 200 symbols is ~155 KiB of JSON, and most of it (names, sectors, sparklines,
scores) is the same ten times a second; the prices that moved are a tenth of it. Between
two snapshots the server sends a patch of the codec's JSON instead:

- dicts are patched key by key, recursively; a key that went away is {"$gone": 1};
- anything else (a number, a string, a list) that changed is sent whole; numbers that are
  equal are the same (1 and 1.0, 0.0 and -0.0), as Python compares them;
- the watchlist and the positions, lists of rows, travel keyed by symbol
  ({"$rows": {symbol: row}, "$order": [symbols]}), so a row is patched like a dict.

The server makes one patch per snapshot for every client; a client that missed the snapshot
a patch starts from (it was slow, or has just subscribed) gets the whole snapshot instead.
"""

from __future__ import annotations

from typing import Any

from tpm.remote.codec import CodecError

__all__ = ["GONE", "apply", "diff", "keyed", "unkeyed"]

GONE = {"$gone": 1}
"""A key the new snapshot no longer has. Codec JSON never holds it: its keys are field
names, symbols and sectors, none of which starts with "$"."""

_KEYED = {"watchlist": "symbol", "positions": "symbol"}
_ROWS, _ORDER = "$rows", "$order"


def keyed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """An encoded snapshot with its row lists keyed by symbol (a shallow copy)."""
    view = dict(snapshot)
    for field, key in _KEYED.items():
        rows = view.get(field)
        if isinstance(rows, list):
            by = {row[key]: row for row in rows}
            if len(by) == len(rows):  # each symbol once, as the engine makes them
                view[field] = {_ROWS: by, _ORDER: list(by)}
    return view


def unkeyed(view: dict[str, Any]) -> dict[str, Any]:
    """`keyed` undone: the encoded snapshot, ready to decode."""
    snapshot = dict(view)
    for field in _KEYED:
        rows = snapshot.get(field)
        if isinstance(rows, dict):
            by, order = rows.get(_ROWS), rows.get(_ORDER)
            if not isinstance(by, dict) or not isinstance(order, list):
                raise CodecError(f"snapshot.{field}: neither rows nor keyed rows")
            try:
                snapshot[field] = [by[symbol] for symbol in order]
            except (KeyError, TypeError):
                raise CodecError(f"snapshot.{field}: its order names a row it lacks") from None
    return snapshot


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The patch that turns `old` into `new` (both dicts of codec JSON)."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key, GONE)
        if before is GONE:
            patch[key] = value
        elif before != value:
            both = isinstance(before, dict) and isinstance(value, dict)
            patch[key] = diff(before, value) if both else value
    for key in old.keys() - new.keys():
        patch[key] = GONE
    return patch


def apply(view: dict[str, Any], patch: Any, path: str = "snapshot") -> None:
    """Patch `view` in place; CodecError, naming where, when the patch does not fit it."""
    if not isinstance(patch, dict):
        raise CodecError(f"{path}: a patch is an object, got {type(patch).__name__}")
    for key, change in patch.items():
        if change == GONE:
            if view.pop(key, GONE) is GONE:
                raise CodecError(f"{path}.{key}: gone, but it was not there")
            continue
        before = view.get(key)
        if isinstance(before, dict) and isinstance(change, dict):
            apply(before, change, f"{path}.{key}")
        else:
            view[key] = change
