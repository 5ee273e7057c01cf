"""TpmApp: the screens as modes, the snapshot flow, toasts, quitting safely."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker, WorkerFailed

from tpm.domain import Notification, Severity
from tpm.domain.client import EngineClient
from tpm.domain.snapshot import EngineSnapshot
from tpm.domain.users import Identity
from tpm.errors import AccessDenied, LinkDown, LoginNeeded, TpmError
from tpm.ui.gate import LoginGate
from tpm.ui.messages import SymbolPicked
from tpm.ui.screens.dashboard import DashboardScreen
from tpm.ui.screens.dialogs import QuitDialog
from tpm.ui.screens.login import LoginScreen

__all__ = ["TpmApp"]

_FILL_LINES = 3
"""Fills listed in one toast; the rest are counted."""
_FILL_GATHER_S = 1.5
"""How long fills are gathered into one toast."""

_LATER_SCREENS = {
    "analytics": ("tpm.ui.screens.analytics", "AnalyticsScreen"),
    "trading": ("tpm.ui.screens.trading", "TradingScreen"),
    "heatmap": ("tpm.ui.screens.heatmap", "HeatmapScreen"),
    "settings": ("tpm.ui.screens.settings", "SettingsScreen"),
}
"""Screens whose modules (charts, numpy, the settings schema) load after the first frame."""
_BUILD_GAP_S = 0.15
"""Idle time left between two background screen builds, for keys and snapshots."""


def _later(mode: str) -> Callable[[], Screen[Any]]:
    module, name = _LATER_SCREENS[mode]

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    return make


_SCREENS = Binding.Group("Screens", compact=True)
"""Keys 1-5 share one footer entry so the screen's own keys, help and quit fit at 80 columns;
the palette and the help panel name each one."""

log = logging.getLogger("tpm.ui")

_SEVERITY = {Severity.INFO: "information", Severity.WARNING: "warning", Severity.ERROR: "error"}


class TpmApp(App[None]):
    """The workstation. `start` runs before the first snapshot is read (an in-process engine
    starts there); the caller stops the engine after the app exits."""

    CSS_PATH = "app.tcss"
    TITLE = "tpm"
    MODES = {"dashboard": DashboardScreen, **{mode: _later(mode) for mode in _LATER_SCREENS}}
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        Binding("1", "switch_mode('dashboard')", "Dashboard", group=_SCREENS),
        Binding("2", "switch_mode('analytics')", "Analytics", group=_SCREENS),
        Binding("3", "switch_mode('trading')", "Trading", group=_SCREENS),
        Binding("4", "switch_mode('heatmap')", "Heat map", group=_SCREENS),
        Binding("5", "switch_mode('settings')", "Settings", group=_SCREENS),
        Binding("question_mark", "show_help_panel", "Help"),
        Binding("q", "request_quit", "Quit"),
        Binding("ctrl+l", "log_out", "Log out", show=False),
    ]

    snapshot: var[EngineSnapshot | None] = var(None)

    def __init__(
        self,
        client: EngineClient,
        *,
        start: Callable[[], Awaitable[None]] | None = None,
        theme: str = "textual-dark",
    ) -> None:
        super().__init__()
        self.gate = LoginGate(client)
        # Screens' calls wait behind the gate until someone is logged in.
        self.client: EngineClient = self.gate
        self.who: Identity | None = None
        """Who is logged in; None when the engine has no users."""
        self._logged_out = False
        self._theme_name = theme
        self._start = start
        self._last_note: int | None = None
        self._link_told = -math.inf
        self._fills: list[Notification] = []
        self.toasts: dict[str, bool] = {}
        self.start_error: str | None = None
        self.config_error: Exception | None = None
        """Set by a `start` that found the settings invalid; the caller reports it."""
        self._prebuild: Worker[None] | None = None
        self.screens_built = asyncio.Event()
        """Set once every screen is built, so each key switches to a ready screen."""

    def on_mount(self) -> None:
        self.theme = (
            self._theme_name if self._theme_name in self.available_themes else ("textual-dark")
        )
        self._kept_theme = self.theme
        # However it changes (Settings, or the command palette), the next start keeps it.
        self.watch(self, "theme", self._theme_changed, init=False)
        # The first frame goes out before the engine starts (its start imports a lot).
        self.call_after_refresh(self._run)
        self.call_after_refresh(self._load_screens)

    @work(thread=True, group="preload")
    def _load_screens(self) -> None:
        """Import the other screens' modules while the trader reads the dashboard, so the
        first switch to each is as quick as the ones after."""
        for module, _ in _LATER_SCREENS.values():
            importlib.import_module(module)

    @work(exclusive=True, group="snapshots")
    async def _run(self) -> None:
        if self._start is not None:
            try:
                await self._start()
            except Exception as exc:
                self.start_error = str(exc)
                self.notify(f"The engine could not start: {exc}", severity="error", timeout=30)
                return
        reason = ""
        while True:
            await self._log_in(reason)
            if not self.toasts:
                ui = (await self.client.settings()).get("ui", {})
                self.toasts = {k: bool(v) for k, v in ui.items() if k.startswith("toast_")}
            try:
                async for snap in self.client.snapshots():
                    self._toast(snap)
                    self.snapshot = snap
                    if self._prebuild is None:
                        self._prebuild = self._build_screens()
            except LoginNeeded as exc:  # idle too long, too old, or logged out
                reason = "you logged out" if self._logged_out else str(exc)
                self._logged_out = False
                continue
            return

    async def _log_in(self, reason: str) -> None:
        """Ask for a login when the engine has users (the gate holds every call meanwhile)."""
        gate = self.gate
        if not await gate.inner.login_required():
            gate.open.set()
            return
        gate.open.clear()
        self.who = None
        self.who = await self.push_screen_wait(LoginScreen(gate.inner.description, reason))
        self.sub_title = f"{self.who.user} ({self.who.role})"
        self.screen.refresh_bindings()  # the keys offered follow the role
        gate.open.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Logging out is offered (keys, palette) only when someone is logged in.
        return self.who is not None if action == "log_out" else True

    def _theme_changed(self, name: str) -> None:
        self._keep_theme(name)

    @work(exclusive=True, group="keep-theme")
    async def _keep_theme(self, name: str) -> None:
        if name == self._kept_theme:
            return
        try:
            await self.client.save_settings({"ui.theme": name})
        except (TpmError, OSError) as exc:
            self.notify(
                f"Theme {name} applied but not remembered: {exc}", severity="error", timeout=15
            )
            return
        self._kept_theme = name
        self.notify(f"Theme {name}; kept for the next start")

    async def action_log_out(self) -> None:
        """End the session; the login screen comes back with the next snapshot."""
        self._logged_out = True
        await self.gate.inner.logout()

    @work(group="prebuild")
    async def _build_screens(self) -> None:
        """Build the other screens in the background, one at a time with idle gaps between,
        so the first key to each is as quick as every later one (a cold build takes hundreds
        of milliseconds: compose, styles, layout, first render)."""
        built: list[Screen[Any]] = []
        for mode in _LATER_SCREENS:
            if not await self._idle_gap():
                return
            if mode not in self._screen_stacks:
                # Textual builds a mode's screen on the first switch; `_init_mode` is that
                # step alone (Textual is pinned to a major version for such uses).
                await self._init_mode(mode)
                screen = self._screen_stacks[mode][0]
                # Its widgets took the stylesheet as they mounted; without this mark the
                # first switch to it would restyle the whole app (a reparse and ~600 nodes).
                screen._css_update_count = self._css_update_count
                built.append(screen)
        # Once their first data is in (settings, instruments, bars), each is laid out and
        # rendered off screen, so widgets size themselves and its first frame comes from warm
        # caches. Nothing is drawn while a screen is not the current one.
        # Twice: what a screen loads as it mounts (settings, instruments, bars) lands after
        # the first pass and leaves its layout stale; the second pass costs ~3 ms a screen
        # when nothing changed, and spares the first switch ~80 ms when something did.
        for screen in [*built, *built]:
            if not await self._idle_gap():
                return
            screen._refresh_layout(self.size)
            screen._compositor.render_update(full=True)
        # The screens live as long as the app: out of the collector's way, as the engine's
        # start-up objects are, or every full collection scans them again (tens of ms each,
        # a stall in whatever the trader is doing).
        gc.collect()
        gc.freeze()
        self.screens_built.set()

    def _handle_exception(self, error: Exception) -> None:
        # A refusal (the role may not, the session ended) is a sentence for the user, never
        # a reason to close the app: a viewer pressing a trading key is told, and stays.
        refused = error.error if isinstance(error, WorkerFailed) else error
        if isinstance(refused, AccessDenied):
            self.notify(str(refused), title="Not allowed", severity="warning", timeout=8)
            return
        # Nor is a remote engine's link going down: the status bar shows it as it lasts, and
        # the client reconnects; a call made meanwhile is told once, not every second.
        if isinstance(refused, LinkDown):
            now = time.monotonic()
            if now - self._link_told >= 30:
                self._link_told = now
                self.notify(str(refused), title="Engine link down", severity="warning")
            return
        # Quitting can come while a screen is half built in the background (its widgets
        # mounting as the app closes them); what such a screen raises then harms nothing, as
        # the session is over, and must not turn a clean quit into a traceback.
        quitting = self._exit or not self.is_running  # exit() asked, or already done
        if quitting and not self.screens_built.is_set():
            log.debug("while quitting, a screen still being built raised %r", error)
            return
        super()._handle_exception(error)

    async def _idle_gap(self) -> bool:
        """Leave the loop to keys and snapshots for a moment; False once the app is quitting."""
        await asyncio.sleep(_BUILD_GAP_S)
        return not self._exit and self.is_running

    @on(SymbolPicked)
    async def _open_symbol(self, event: SymbolPicked) -> None:
        """A symbol picked anywhere opens on the analytics screen."""
        await self.switch_mode("analytics")
        screen = self.screen
        if hasattr(screen, "symbol"):
            screen.symbol = event.symbol

    def _toast(self, snap: EngineSnapshot) -> None:
        items = snap.notifications
        if self._last_note is None:  # the first snapshot: its notes are history, listed only
            self._last_note = items[0].seq if items else -1
            return
        if not items:
            return
        fresh = [
            i.note for i in reversed(items) if i.seq > self._last_note and self._wants_toast(i.note)
        ]
        for n in fresh:
            if n.kind == "fill":
                # A strategy's fills come in bursts spread over a few snapshots: they are
                # gathered for a moment and shown as one toast, not a wall over the screen.
                if not self._fills:
                    self.set_timer(_FILL_GATHER_S, self._toast_fills)
                self._fills.append(n)
            else:
                self._notify(n)
        self._last_note = max(self._last_note, items[0].seq)

    def _notify(self, n: Notification) -> None:
        self.notify(
            n.message,
            title=n.title,
            severity=_SEVERITY[n.severity],  # type: ignore[arg-type]
            timeout=6 if n.severity is Severity.INFO else 12,
        )

    def _toast_fills(self) -> None:
        fills, self._fills = self._fills, []
        if len(fills) == 1:
            self._notify(fills[0])
        elif fills:
            lines = [n.message for n in fills[-_FILL_LINES:]]
            if len(fills) > _FILL_LINES:
                lines.insert(0, f"… {len(fills) - _FILL_LINES} earlier (all on the dashboard)")
            self.notify("\n".join(lines), title=f"{len(fills)} fills", timeout=6)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette lists every action the screen's keys can do, besides Textual's own."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            node = active.node

            async def run(action: str = binding.action, target: Any = node) -> None:
                await self.run_action(action, target)

            yield SystemCommand(binding.description, f"key: {key}", run)

    def _wants_toast(self, note: Notification) -> bool:
        """Whether a note pops up (ui.toast_*); every note is listed on the dashboard anyway."""
        if note.kind == "fill":
            return self.toasts.get("toast_fills", True)
        if note.kind == "rejection":
            return self.toasts.get("toast_rejections", True)
        if note.title.startswith("Feed"):
            return self.toasts.get("toast_feed", True)
        return True

    @work(exclusive=True, group="quit")
    async def action_request_quit(self) -> None:
        if await self.client.strategies_live():
            choice = await self.push_screen_wait(QuitDialog())
            if choice is None:
                return
            await self.client.set_shutdown_orders(choice)
        self.exit()
