"""The Settings form: a list of sections, the fields of the one chosen, and the save bar.

The form keeps what is loaded and what is edited (`FormState`), checks values locally and asks
its screen to save (`SaveRequested`); the screen answers with `saved()` or `show_errors()`.
Only the chosen section has widgets; moving to another builds it from the state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tpm.ui.widgets.settings.field import SettingField
from tpm.ui.widgets.settings.group import SettingsGroup
from tpm.ui.widgets.settings.layout import SECTIONS
from tpm.ui.widgets.settings.save_bar import SaveBar
from tpm.ui.widgets.settings.state import FormState
from tpm.ui.widgets.settings.theme_picker import ThemePicker

__all__ = ["SettingsForm"]

# Below this many columns the help text goes under each field instead of beside it.
_NARROW_COLUMNS = 120


class SettingsForm(Widget):
    """Every editable setting by section; ctrl+s asks to save the edited keys, escape reverts."""

    DEFAULT_CSS = """
    SettingsForm { height: 1fr; }
    SettingsForm > #settings-body { height: 1fr; }
    SettingsForm #settings-nav { width: 22; height: 100%; border: none;
        border-right: vkey $primary-darken-2; padding: 1 0; }
    SettingsForm #settings-page { width: 1fr; height: 100%; padding: 0 1; }
    SettingsForm .note { color: $text-muted; padding: 1 1; }
    SettingsForm.-narrow #settings-nav { width: 18; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "revert", "Revert"),
    ]

    class SaveRequested(Message):
        """The user asked to save `changes` (dotted key -> value); `before` holds the old ones."""

        def __init__(
            self, form: SettingsForm, changes: dict[str, Any], before: dict[str, Any]
        ) -> None:
            super().__init__()
            self.form = form
            self.changes = changes
            self.before = before

        @property
        def control(self) -> SettingsForm:
            return self.form

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = FormState.from_layout()
        self.section: str | None = None
        self._wanted = SECTIONS[0].id
        self._building = asyncio.Lock()

    @property
    def is_loaded(self) -> bool:
        return self.state.is_loaded

    @property
    def changed(self) -> list[str]:
        """The dotted keys edited since the last load or save."""
        return self.state.changed

    @property
    def groups(self) -> list[SettingsGroup]:
        """The tables of the section on screen."""
        return list(self.query(SettingsGroup))

    @property
    def fields(self) -> list[SettingField]:
        """The fields of the section on screen."""
        return list(self.query(SettingField))

    def compose(self) -> ComposeResult:
        with Horizontal(id="settings-body"):
            yield OptionList(*(Option(s.title, id=s.id) for s in SECTIONS), id="settings-nav")
            yield VerticalScroll(id="settings-page")
        yield SaveBar()

    def on_mount(self) -> None:
        self.query_one("#settings-nav", OptionList).highlighted = 0

    def on_resize(self) -> None:
        narrow = self.size.width < _NARROW_COLUMNS
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.show_section(self._wanted, rebuild=True)

    def load(self, settings: Mapping[str, Any]) -> None:
        """Show the configuration in force (`client.settings()`), dropping every edit."""
        self.state.load(settings)
        self._sync()

    def show_section(self, section_id: str, *, rebuild: bool = False) -> AwaitComplete:
        """Bring the section `section_id` ("risk", "theme", ...) on screen; await it to know
        its widgets are mounted."""
        nav = self.query_one("#settings-nav", OptionList)
        index = nav.get_option_index(section_id)
        if nav.highlighted != index:
            nav.highlighted = index
        self._wanted = section_id
        return AwaitComplete(self._build(section_id, rebuild))

    async def _build(self, section_id: str, rebuild: bool) -> None:
        async with self._building:
            if self._wanted != section_id:
                return  # the user moved on while an earlier section was being built
            if self.section == section_id and not rebuild:
                return
            spec = next(s for s in SECTIONS if s.id == section_id)
            narrow = self.has_class("-narrow")
            widgets: list[Widget] = [Static(spec.note, classes="note", markup=False)]
            if spec.id == "theme":
                widgets.append(ThemePicker())
            widgets.extend(
                SettingsGroup(g.title, g.prefix, self.state, total=g.total, narrow=narrow)
                for g in spec.groups
            )
            page = self.query_one("#settings-page", VerticalScroll)
            async with self.batch():
                await page.remove_children()
                await page.mount_all(widgets)
            page.scroll_home(animate=False)
            self.section = section_id
            # The widgets were made from the state before they were mounted; a load may have
            # come in meanwhile (and `_sync` leaves half-mounted widgets alone).
            for group in self.query(SettingsGroup):
                group.sync()

    def action_save(self) -> None:
        """Check the edited fields here, then ask the screen to save them."""
        if not self.is_loaded:
            self.notify("The settings in force are still loading", severity="warning")
            return
        self.state.clear_errors()
        changes, before, bad = self.state.collect()
        self._sync()
        if bad:
            n = len(bad)
            self.query_one(SaveBar).show(
                self.changed, f"Not saved: {n} field{'s' * (n > 1)} to fix"
            )
            self.notify(
                "\n".join(f"{key}: {self.state.fields[key].error}" for key in bad),
                title="Nothing saved",
                severity="error",
            )
            self.call_next(self._reveal, bad[0])
            return
        if not changes:
            self.notify("No changes to save")
            return
        self.post_message(self.SaveRequested(self, changes, before))

    def action_revert(self) -> None:
        """Discard every edit: show the saved values again."""
        n = len(self.changed)
        self.state.revert()
        self._sync()
        if n:
            self.notify(f"Discarded {n} unsaved change{'s' * (n > 1)}")

    def saved(self, changes: Mapping[str, Any]) -> None:
        """The screen saved `changes`: those values are the saved ones now."""
        self.state.saved(changes)
        self._sync()

    def show_errors(self, message: str) -> list[str]:
        """Put each "file: key: reason" line of a ConfigError beside its field (or its table);
        return the lines that match neither."""
        placed, unmatched = self.state.place(message)
        self._sync()
        count = len(message.splitlines())
        problem = f"Not saved: {count} problem{'s' * (count > 1)}"
        if unmatched:
            problem += " — " + "; ".join(unmatched)
        self.query_one(SaveBar).show(self.changed, problem)
        if placed:
            self.call_next(self._reveal, placed[0])
        return unmatched

    async def _reveal(self, key: str) -> None:
        """Show the section holding `key` (a key or a table) and scroll it into view."""
        section = self.state.section_holding(key)
        if section is None:
            return
        await self.show_section(section)
        for field in self.query(SettingField):
            if field.state.spec.key == key:
                field.editor.focus()
                field.scroll_visible()
                return
        for group in self.query(SettingsGroup):
            if group.prefix == key:
                group.scroll_visible()
                return

    def _sync(self) -> None:
        if not self._building.locked():  # else the build syncs its widgets when mounted
            for group in self.query(SettingsGroup):
                group.sync()
        if self.is_loaded:
            self.query_one(SaveBar).show(self.changed)

    @on(SettingField.Edited)
    def _edited(self) -> None:
        self.query_one(SaveBar).show(self.changed)

    @on(OptionList.OptionHighlighted, "#settings-nav")
    def _section_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show_section(event.option.id)

    @on(OptionList.OptionSelected, "#settings-nav")
    async def _section_entered(self, event: OptionList.OptionSelected) -> None:
        # Enter on a section goes into its form.
        if event.option.id is None:
            return
        await self.show_section(event.option.id)
        page = self.query_one("#settings-page", VerticalScroll)
        first = next(iter(page.query("Input, Select, Switch, ThemePicker")), None)
        if first is not None:
            first.focus()

    @on(Button.Pressed, "#settings-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#settings-revert")
    def _revert_pressed(self) -> None:
        self.action_revert()
