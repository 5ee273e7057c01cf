"""The control API's messages, JSON over one websocket per attached UI.

Client to server, each answered once with the same id:
    {"id": 7, "op": "submit_order", "args": {"request": {...}}}
    -> {"id": 7, "ok": <the result>}
    or {"id": 7, "error": {"type": "AccessDenied", "message": "..."}}
The ops are the EngineClient's calls (tpm.domain.client), arguments by name, values in the
codec's JSON (tpm.remote.codec). Two more belong to the connection itself:
    {"id": 8, "op": "reattach", "args": {"token": "..."}}   after a dropped connection,
        takes the session up again (the token is the login answer's "reattach")
    {"id": 9, "op": "subscribe"}   starts the snapshot stream:
    server -> {"snapshot": <EngineSnapshot>, "seq": 41}   newest only: a slow reader skips
    server -> {"snapshot_delta": {"base": 41, "seq": 42, "patch": {...}}}
              the next snapshot as a patch on the one with seq `base`, which this client
              holds (tpm.remote.delta); a client that skipped that one gets it whole
    server -> {"event": "session_ended", "message": "..."}   the stream stops; log in again
A frame that is not one of these gets an error reply (id null when it had none), is counted,
and changes nothing.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from tpm.domain.client import EngineClient
from tpm.remote.codec import hints

__all__ = ["ERRORS", "OPS", "REATTACH", "SUBSCRIBE", "Signature", "signature"]

SUBSCRIBE = "subscribe"
REATTACH = "reattach"
# The calls a remote client may make: every EngineClient method but the stream and the label.
OPS = frozenset(
    name
    for name, member in vars(EngineClient).items()
    if not name.startswith("_")
    and inspect.isfunction(member)
    and name not in ("snapshots", "description")
)
# Error types a client turns back into the same exception (tpm.errors); others (the
# server's own "BadRequest" for a frame it refused) are TpmError.
ERRORS = frozenset(
    {
        "AccessDenied",
        "LoginNeeded",
        "ConfirmationNeeded",
        "AccountError",
        "ConfigError",
        "DataError",
        "BrokerError",
        "TpmError",
    }
)


class Signature:
    """An op's parameters (name -> type, and which are required) and its result type."""

    def __init__(self, op: str) -> None:
        fn = getattr(EngineClient, op)
        types = hints(fn)
        params = list(inspect.signature(fn).parameters.values())[1:]  # without self
        self.params: dict[str, Any] = {p.name: types[p.name] for p in params}
        self.required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty)
        self.result: Any = types.get("return", Any)


@functools.cache
def signature(op: str) -> Signature:
    return Signature(op)
