"""Numbers as the screens write them."""

from __future__ import annotations

import math

import pytest

from tpm.ui.format import pct


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.234, "+1.23%"),
        (-0.006, "-0.01%"),
        (-0.0001, "+0.00%"),  # a loss too small to show is not "-0.00%"
        (0.0, "+0.00%"),
        (math.nan, "-"),
        (None, "-"),
    ],
)
def test_percentages(value: float | None, shown: str) -> None:
    assert pct(value) == shown
