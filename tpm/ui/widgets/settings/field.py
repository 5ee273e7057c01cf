"""One config key as a form row: its name, a control for its type, its help and its problem."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from tpm.ui.widgets.settings.state import FieldState

__all__ = ["SettingField"]


class SettingField(Widget):
    """Edits one key's `FieldState`: the control writes `state.raw`, `sync()` shows the state.

    Name, control and help share a line, the help followed by any problem; `narrow` puts the
    help below the name and control. Few widgets per field: each one costs time on every
    theme change.
    """

    DEFAULT_CSS = """
    SettingField { layout: horizontal; height: auto; padding: 0 1; }
    SettingField .name { width: 28; color: $text-muted; }
    SettingField.-changed .name { color: $warning; text-style: bold; }
    SettingField.-error .name { color: $error; }
    SettingField Input, SettingField Select, SettingField Switch { width: 24; margin-right: 2; }
    SettingField .info { width: 1fr; height: auto; color: $text-muted; }
    SettingField Switch {
        border: none; padding: 0 1; height: 1; background: $surface;
        width: 10; margin-right: 16;  /* the help lines up with the inputs' */
    }
    SettingField Switch:focus { border: none; background: $block-cursor-background; }
    SettingField.-narrow { layout: vertical; margin-bottom: 1; }
    SettingField.-narrow > .row { height: auto; }
    SettingField.-narrow .info { padding-left: 2; }
    SettingField.-narrow Input, SettingField.-narrow Select { width: 1fr; margin-right: 0; }
    """

    class Edited(Message):
        """The user changed this field's value."""

        def __init__(self, field: SettingField) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> SettingField:
            return self.field

    def __init__(self, state: FieldState, *, narrow: bool = False) -> None:
        super().__init__(classes="-narrow" if narrow else "")
        self.state = state
        self.tooltip = state.spec.key
        self._narrow = narrow
        self._control = self._make_control()

    def compose(self) -> ComposeResult:
        name = Label(self.state.spec.name, classes="name")
        info = Static(classes="info")
        if self._narrow:
            with Horizontal(classes="row"):
                yield name
                yield self._control
        else:
            yield name
            yield self._control
        yield info

    def on_mount(self) -> None:
        self._show_state()

    def _make_control(self) -> Switch | Select[str] | Input:
        spec, raw = self.state.spec, self.state.raw
        if spec.kind == "bool":
            return Switch(bool(raw))
        if spec.kind == "choice":
            return Select(
                [(c, c) for c in spec.choices], value=raw, allow_blank=False, compact=True
            )
        # Number inputs refuse letters as they are typed; the bounds are checked by `parse`.
        kind: Literal["integer", "number", "text"] = (
            "integer" if spec.kind == "int" else "number" if spec.kind == "float" else "text"
        )
        return Input(str(raw), type=kind, compact=True)

    @property
    def editor(self) -> Switch | Select[str] | Input:
        """The control that edits the value."""
        return self._control

    def sync(self) -> None:
        """Show the state again (after a load, a revert, a save or a problem from the engine)."""
        control = self._control
        if control.value != self.state.raw:
            control.value = self.state.raw
            if isinstance(control, Input):
                control.cursor_position = len(control.value)  # not mid-way into the new text
        self._show_state()

    def _show_state(self) -> None:
        state = self.state
        changed = state.is_changed
        self.set_class(changed, "-changed")
        self.set_class(bool(state.error), "-error")
        self.query_one(".name", Label).update(f"{'● ' if changed else '  '}{state.spec.name}")
        info = Content.styled(state.spec.hint, "dim")
        if state.error:
            info = Content.assemble(info, "\n", (f"↳ {state.error}", "$error bold"))
        self.query_one(".info", Static).update(info)

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _edited(self, event: Input.Changed | Switch.Changed | Select.Changed) -> None:
        event.stop()  # the form hears one Edited per field, not each control's message
        if event.value == self.state.raw:
            return  # the control was set to the state (sync), not edited
        self.state.raw = event.value
        try:
            self.state.parsed()
        except ValueError as exc:
            self.state.error = str(exc)  # said as it is typed, not only on save
        else:
            self.state.error = ""
        self._show_state()
        self.post_message(self.Edited(self))
