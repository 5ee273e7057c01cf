"""What every config section shares: unknown keys refused, values strict, docs from docstrings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Strict

__all__ = ["Lax", "Section", "TimeframeName"]

TimeframeName = Literal["1m", "5m", "15m", "1h", "1d"]

# TOML arrays arrive as lists; strict mode would refuse them for an immutable tuple field.
Lax = Strict(False)


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )
