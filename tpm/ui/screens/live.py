"""What every workstation screen shares: it shows the engine's snapshots while it is in view."""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from tpm.domain.snapshot import EngineSnapshot

__all__ = ["LiveScreen"]


class LiveScreen(Screen[None]):
    """A screen fed by the app's snapshot flow, but only while it is the one in view.

    All five screens stay built (a key switches among them at once), yet only one is seen: a
    screen in the background skips the snapshots and, when it comes back, catches up on the
    newest one before its first frame.
    """

    _behind = False

    def follow_snapshots(self, show: Callable[[EngineSnapshot | None], None]) -> None:
        """Call `show` with each snapshot while in view (and now, with the latest)."""
        self._show_snapshot = show
        self.watch(self.app, "snapshot", self._arrived, init=True)

    def _arrived(self, snap: EngineSnapshot | None) -> None:
        if self.is_current:
            self._show_snapshot(snap)
        else:
            self._behind = True

    def on_screen_resume(self) -> None:
        if self._behind and self.is_current:
            self._behind = False
            self._show_snapshot(self.app.snapshot)  # type: ignore[attr-defined]
