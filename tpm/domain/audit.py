"""An entry of the audit log, as `tpm audit` lists it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AuditEvent"]


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    ts_ns: int
    actor: str
    """Who: a user's name, "cli:<os user>", "strategy:<name>" or "engine"."""
    action: str
    detail: str
    origin: str
    """From where: "local", or the address of a remote client."""
