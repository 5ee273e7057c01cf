"""A plotext plot that builds its picture once per drawing and size, not on every repaint."""

from __future__ import annotations

from textual.app import RenderResult
from textual_plotext import PlotextPlot

__all__ = ["Plot"]


class Plot(PlotextPlot):
    """PlotextPlot rebuilds the whole chart on each render, which Textual asks for whenever the
    screen around it repaints (under a dialog, every tick of the status line). This one keeps
    the picture until the data (`replot`), the size or the theme changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._version = 0
        self._picture: tuple[tuple[object, ...], RenderResult] | None = None
        self.builds = 0

    def replot(self) -> None:
        """Call after changing what is plotted: the next repaint builds the picture again."""
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        key = (self.size, self.app.theme, self.theme, self._version)
        if self._picture is None or self._picture[0] != key:
            self._picture = (key, super().render())
            self.builds += 1
        return self._picture[1]
