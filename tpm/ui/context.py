"""How screens and widgets reach the engine client, and who is logged in, without importing
the app."""

from __future__ import annotations

from typing import Protocol, cast

from textual.dom import DOMNode

from tpm.domain.client import EngineClient
from tpm.domain.users import Identity
from tpm.security.roles import Action, allowed

__all__ = ["client_of", "may"]


class _HasClient(Protocol):
    client: EngineClient


def client_of(node: DOMNode) -> EngineClient:
    """The EngineClient of the app `node` belongs to."""
    return cast(_HasClient, node.app).client


def may(node: DOMNode, action: Action | None) -> bool:
    """Whether who is logged in may do `action` (anyone may when the engine has no users).
    A screen's `check_action` asks it so a key the role may not use is not offered at all,
    rather than offered and then refused."""
    if action is None:
        return True
    who: Identity | None = getattr(node.app, "who", None)
    return who is None or allowed(who.role, action)
