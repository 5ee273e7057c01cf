"""One config table as a block of fields under a heading, with the table's own problem line."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tpm.ui.widgets.settings.field import SettingField
from tpm.ui.widgets.settings.state import FieldState, FormState
from tpm.ui.widgets.settings.weights import WeightsSum

__all__ = ["SettingsGroup"]


class SettingsGroup(Vertical):
    """The editable keys of table `prefix` ("risk.order_size").

    A table with an `enabled` switch dims its other fields while the switch is off; with
    `total` the sum of its numbers is shown (the pillar weights).
    """

    DEFAULT_CSS = """
    SettingsGroup { height: auto; margin-bottom: 1; }
    SettingsGroup > .heading { padding: 0 1; background: $boost; }
    SettingsGroup.-off SettingField { opacity: 60%; }
    SettingsGroup.-off SettingField.-switch { opacity: 100%; }
    """

    def __init__(
        self, title: str, prefix: str, form: FormState, *, total: bool = False, narrow: bool = False
    ) -> None:
        super().__init__()
        self.heading = title
        self.prefix = prefix
        self._form = form
        self.fields = [SettingField(f, narrow=narrow) for f in form.group(prefix)]
        for widget in self.fields:
            if widget.state.spec.name == "enabled":
                widget.add_class("-switch")
        self._sum = WeightsSum() if total else None

    def compose(self) -> ComposeResult:
        yield Static(classes="heading")
        yield from self.fields
        if self._sum is not None:
            yield self._sum

    def on_mount(self) -> None:
        self.sync()

    @property
    def error(self) -> str:
        """The problem of the whole table (weights that do not add up, bands out of order)."""
        return self._form.group_errors.get(self.prefix, "")

    def sync(self) -> None:
        """Show the state of the table and of each field again."""
        for widget in self.fields:
            widget.sync()
        self._show_state()

    def _show_state(self) -> None:
        reason = self.error
        heading = Content.assemble((self.heading, "bold"), "  ", (f"[{self.prefix}]", "dim"))
        if reason:
            heading = Content.assemble(heading, "\n", (f"  ↳ {reason}", "$error bold"))
        self.query_one(".heading", Static).update(heading)
        self.set_class(bool(reason), "-error")
        states: list[FieldState] = [w.state for w in self.fields]
        for state in states:
            if state.spec.name == "enabled":
                self.set_class(not state.raw, "-off")
        if self._sum is not None:
            try:
                self._sum.total = sum(float(s.parsed()) for s in states)
            except ValueError:
                self._sum.total = None

    @on(SettingField.Edited)
    def _edited(self) -> None:
        # Left to bubble on: the form counts changes from the same message.
        self._form.group_errors.pop(self.prefix, None)
        self._show_state()
