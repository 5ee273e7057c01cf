"""Settings: data source, broker, risk limits, scores, theme and notifications, saved to
config.toml through the engine client."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button

from tpm.domain.snapshot import EngineSnapshot
from tpm.errors import ConfigError, TpmError
from tpm.ui.context import client_of
from tpm.ui.screens.dialogs import Confirm, confirmed
from tpm.ui.screens.live import LiveScreen
from tpm.ui.widgets.footer import KeyFooter
from tpm.ui.widgets.settings.form import SettingsForm
from tpm.ui.widgets.settings.looser import loosenings
from tpm.ui.widgets.settings.theme_picker import ThemePicker
from tpm.ui.widgets.status_bar import StatusBar

__all__ = ["SettingsScreen"]


class _ConfirmLoosening(Confirm):
    """Confirm with Cancel focused, so a stray Enter keeps the tighter limit."""

    def __init__(self, question: str) -> None:
        super().__init__(question, yes="Save", no="Cancel")

    def on_mount(self) -> None:
        # Confirm's own on_mount focuses Save first; this runs after it.
        self.call_after_refresh(self.query_one("#no", Button).focus)


class SettingsScreen(LiveScreen):
    """Loads the settings in force into the form and saves what the form asks to."""

    CSS_PATH = "settings.tcss"
    # Textual focuses it when the screen is first shown, in view or built in the background.
    AUTO_FOCUS = "#settings-nav"

    def __init__(self) -> None:
        super().__init__()
        self._saving = False
        self._in_force: dict[str, object] | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield SettingsForm(id="settings-form")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.follow_snapshots(self._show)
        self._load()

    def _show(self, snap: EngineSnapshot | None) -> None:
        bar = self.query_one(StatusBar)
        bar.snapshot = snap

    def on_screen_resume(self) -> None:
        # Back from another screen: show what is in force now, unless edits are waiting.
        form = self.query_one(SettingsForm)
        if form.is_loaded and not form.changed:
            self._load()

    @work(exclusive=True, group="settings-load")
    async def _load(self) -> None:
        try:
            settings = await client_of(self).settings()
        except (TpmError, OSError) as exc:  # OSError: a remote engine out of reach
            self.notify(f"The settings in force could not be read: {exc}", severity="error")
            return
        if settings != self._in_force:  # loading repaints every field: only when it changed
            self._in_force = settings
            self.query_one(SettingsForm).load(settings)

    @on(SettingsForm.SaveRequested)
    @work(group="settings-save")
    async def _save(self, event: SettingsForm.SaveRequested) -> None:
        if self._saving:
            return  # a second ctrl+s while the first is still asking or saving
        self._saving = True
        try:
            await self._save_changes(event)
        finally:
            self._saving = False

    async def _save_changes(self, event: SettingsForm.SaveRequested) -> None:
        form, changes = event.form, event.changes
        looser = loosenings(changes, event.before)
        if looser:
            # Loosening a limit is the change that can hurt; it is never one keypress away.
            sure = await self.app.push_screen_wait(_ConfirmLoosening(" ".join(looser) + " Save?"))
            if not sure:
                self.notify("Nothing saved; your edits are kept", severity="warning")
                return
        client = client_of(self)
        try:
            said = await confirmed(self, lambda: client.save_settings(changes))
        except ConfigError as exc:
            form.show_errors(str(exc))
            self.notify(str(exc), title="Nothing saved", severity="error", timeout=15)
            return
        except (TpmError, OSError) as exc:  # no config file, disk full, engine out of reach
            self.notify(str(exc), title="Nothing saved", severity="error", timeout=15)
            return
        if said is None:
            self.notify("Nothing saved; your edits are kept", severity="warning")
            return
        form.saved(changes)
        n = len(changes)
        self.notify(f"{n} setting{'s' if n > 1 else ''} {said}.", title="Saved", timeout=10)

    @on(ThemePicker.Chosen)
    def _theme(self, event: ThemePicker.Chosen) -> None:
        self.app.theme = event.name  # at once; the app keeps it for the next start
