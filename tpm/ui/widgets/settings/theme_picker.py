"""Every installed Textual theme in a list; choosing one asks for it to be applied and kept."""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

__all__ = ["ThemePicker"]

# The two plain themes first: most people only ever want dark or light.
_FIRST = ("textual-dark", "textual-light")


class ThemePicker(OptionList):
    """Themes by name with whether each is dark or light; Enter or a click chooses."""

    DEFAULT_CSS = """
    ThemePicker { height: auto; max-height: 16; width: 60; max-width: 100%; }
    """

    class Chosen(Message):
        """The user chose the theme `name`."""

        def __init__(self, picker: ThemePicker, name: str) -> None:
            super().__init__()
            self.picker = picker
            self.name = name

        @property
        def control(self) -> ThemePicker:
            return self.picker

    def __init__(self) -> None:
        super().__init__()
        self._labels: dict[str, str] = {}

    def on_mount(self) -> None:
        themes = self.app.available_themes
        names = [n for n in _FIRST if n in themes]
        names += sorted(n for n in themes if n not in _FIRST)
        self._labels = {n: f"{n:<24} {'dark' if themes[n].dark else 'light'}" for n in names}
        self.add_options(Option(f"  {label}", id=n) for n, label in self._labels.items())
        self.watch(self.app, "theme", self.show_current, init=True)

    def show_current(self, name: str) -> None:
        """Mark the theme in use (it may also change from the command palette)."""
        for index, (theme, label) in enumerate(self._labels.items()):
            self.replace_option_prompt_at_index(index, f"{'●' if theme == name else ' '} {label}")
        if name in self._labels:  # else a theme registered after the list was built
            self.highlighted = self.get_option_index(name)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(self, event.option.id))
