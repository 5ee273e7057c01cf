"""How screens and widgets reach the engine client without importing the app."""

from __future__ import annotations

from typing import Protocol, cast

from textual.dom import DOMNode

from tpm.domain.client import EngineClient

__all__ = ["client_of"]


class _HasClient(Protocol):
    client: EngineClient


def client_of(node: DOMNode) -> EngineClient:
    """The EngineClient of the app `node` belongs to."""
    return cast(_HasClient, node.app).client
