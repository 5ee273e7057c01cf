"""The key footer every screen shows."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """Textual's compact footer, rebuilt only when the keys it shows change.

    Textual's footer rebuilds its key widgets whenever the screen's bindings are refreshed,
    which every screen switch does, even when the same keys come back. Each rebuild also left
    the old widgets reachable: a key widget's `compact` is bound to the footer's with
    `data_bind`, and such a binding is only dropped when the bound value changes (Textual
    issue 6666). Memory grew with every switch and full garbage collections grew with it,
    stalling the UI by 150 ms after a few dozen switches. This footer is always compact, so
    its keys are made compact and left unbound, and it rebuilds only for a different set.
    """

    def __init__(self) -> None:
        # The palette key (ctrl+p) is named in the help panel; its room in the footer goes
        # to the screen's own keys, so every screen's keys fit at 80 columns.
        super().__init__(compact=True, show_command_palette=False)
        self._shown: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        shown = tuple(
            (b.key, b.description, b.action, enabled, tooltip)
            for _, b, enabled, tooltip in screen.active_bindings.values()
            if b.show
        )
        if shown == self._shown:
            self._bindings_ready = True
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # a rebuild is on its way

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget._reactive_connect = None  # the data_bind Footer.compose asked for
                widget.set_reactive(FooterKey.compact, True)
                widget.add_class("-compact")
            yield widget
