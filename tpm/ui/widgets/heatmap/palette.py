"""Diverging colour scales made of theme colours, and the legend line that explains one.

A scale has `2 * steps + 1` colours: `low` at -steps, `mid` at 0 and `high` at +steps, blended in
between, so the intensity of a cell says how big its value is. Values are binned to whole steps:
a cell whose value moves within its bin keeps its colour (and its cached strips).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.color import Color

__all__ = ["Diverging", "nice_scale"]

_NICE = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


def nice_scale(magnitudes: list[float], *, floor: float = 1.0, quantile: float = 0.9) -> float:
    """A round number at or above most of the magnitudes, for the ends of a colour scale.

    The `quantile` keeps one outlier from washing every other cell out to neutral: values
    beyond the scale take the end colour (the legend says "≥").
    """
    finite = sorted(abs(m) for m in magnitudes if math.isfinite(m))
    if not finite:
        return floor
    top = finite[min(len(finite) - 1, math.ceil(quantile * len(finite)) - 1)]
    for nice in _NICE:
        if nice >= floor and nice >= top:
            return nice
    return _NICE[-1]


class Diverging:
    """Background styles from `low` through `mid` to `high`, with contrasting text."""

    def __init__(self, low: Color, mid: Color, high: Color, *, steps: int = 6) -> None:
        self.steps = steps
        self.mid = mid
        self._styles: dict[int, Style] = {}
        for i in range(-steps, steps + 1):
            end = high if i > 0 else low
            back = mid.blend(end, abs(i) / steps)
            text = back + back.get_contrast_text(0.9)
            self._styles[i] = Style(bgcolor=back.rich_color, color=text.rich_color)
        unknown = mid + mid.get_contrast_text(0.45)
        self._unknown = Style(bgcolor=mid.rich_color, color=unknown.rich_color)

    def index(self, value: float, scale: float) -> int | None:
        """The bin of `value` on a scale whose ends are ±`scale`; None when unknown."""
        if not math.isfinite(value) or scale <= 0:
            return None
        return max(-self.steps, min(self.steps, round(value / scale * self.steps)))

    def style(self, index: int | None) -> Style:
        """Background and text colour of a bin (a muted neutral for an unknown value)."""
        return self._unknown if index is None else self._styles[index]

    def legend(
        self,
        scale: float,
        fmt: Callable[[float], str],
        *,
        block: int = 2,
        name: str = "",
        clipped: bool = True,
    ) -> list[Segment]:
        """ "≤-3% ▮▮▮ 0 ▮▮▮ ≥+3%  name": every bin as a coloured block, ends labelled.

        `clipped` marks the ends "≤"/"≥": values beyond the scale take the end colours.
        """
        low, high = ("≤", "≥") if clipped else ("", "")
        segments = [Segment(f"{low}{fmt(-scale)} ")]
        for i in range(-self.steps, self.steps + 1):
            segments.append(Segment(" " * block, self._styles[i]))
            if i == 0:
                segments[-1] = Segment("0".center(block), self._styles[0])
        segments.append(Segment(f" {high}{fmt(scale)}"))
        if name:
            segments.append(Segment(f"  {name}", Style(dim=True)))
        return segments
