"""Named areas that share a screen: all at once when the terminal is large, else one at a time
under a one-line tab strip. The screen's stylesheet places the areas of the wide layout."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Tab, Tabs

__all__ = ["AnalyticsAreas"]


class AnalyticsAreas(Widget):
    """Areas by name, each in a titled panel (`#area-<name>`); `view` is the one a narrow
    terminal shows."""

    DEFAULT_CSS = """
    AnalyticsAreas { height: 1fr; }
    AnalyticsAreas > Tabs { height: 1; }
    AnalyticsAreas > Tabs Underline { display: none; }
    AnalyticsAreas > #areas-body { layout: vertical; height: 1fr; }
    AnalyticsAreas .area { display: none; height: 1fr; }
    AnalyticsAreas .area.-current { display: block; }
    AnalyticsAreas.-wide > Tabs { display: none; }
    AnalyticsAreas.-wide .area { display: block; height: 100%; }
    """

    view: reactive[str] = reactive("", init=False)
    is_wide: reactive[bool] = reactive(False, init=False)

    class Changed(Message):
        """Which areas are on screen changed: another tab, or a wider or narrower terminal."""

    def __init__(
        self,
        areas: dict[str, Widget],
        *,
        wide_at: tuple[int, int] = (150, 40),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._areas = areas
        self._wide_at = wide_at

    def compose(self) -> ComposeResult:
        yield Tabs(*(Tab(name.capitalize(), id=name) for name in self._areas))
        with Container(id="areas-body"):
            for name, widget in self._areas.items():
                with Vertical(id=f"area-{name}", classes="panel area") as box:
                    box.border_title = name.capitalize()
                    yield widget

    def on_mount(self) -> None:
        self.view = next(iter(self._areas))

    def on_resize(self) -> None:
        # The terminal's size decides, not this widget's: the bars above and below are fixed.
        width, height = self.screen.size
        self.is_wide = width >= self._wide_at[0] and height >= self._wide_at[1]

    def shows(self, name: str) -> bool:
        """Whether the area `name` is on screen."""
        return self.is_wide or self.view == name

    def next_view(self) -> None:
        names = list(self._areas)
        self.view = names[(names.index(self.view) + 1) % len(names)]

    def watch_view(self, view: str) -> None:
        for name in self._areas:
            self.query_one(f"#area-{name}").set_class(name == view, "-current")
        self.query_one(Tabs).active = view
        self.post_message(self.Changed())

    def watch_is_wide(self, wide: bool) -> None:
        self.set_class(wide, "-wide")
        self.post_message(self.Changed())

    @on(Tabs.TabActivated)
    def _tab(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id:
            self.view = event.tab.id
