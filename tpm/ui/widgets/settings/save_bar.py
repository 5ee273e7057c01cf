"""The line under the form: how many edits wait, what went wrong, Revert and Save."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from tpm.security.roles import Action
from tpm.ui.context import may

__all__ = ["SaveBar"]


class SaveBar(Horizontal):
    """Shows pending edits; its buttons ("settings-revert", "settings-save") bubble to the form."""

    DEFAULT_CSS = """
    SaveBar { dock: bottom; height: 1; background: $panel; padding: 0 1; }
    SaveBar > Static {
        width: 1fr; height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    SaveBar.-pending > Static { color: $warning; text-style: bold; }
    SaveBar.-problem > Static { color: $error; text-style: bold; }
    SaveBar > Button { margin-left: 1; min-width: 10; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Loading the settings in force…", markup=False)
        yield Button("Revert", id="settings-revert", compact=True)
        yield Button("Save", id="settings-save", variant="primary", compact=True)

    def show(self, changed: Sequence[str], problem: str = "") -> None:
        """Say how many keys are edited, or the problem that stopped a save."""
        n = len(changed)
        if problem:
            text = problem
        elif n == 0:
            text = "No unsaved changes"
            who = getattr(self.app, "who", None)
            if who is not None and not may(self, Action.SAVE_SETTINGS):
                # Offered, then refused after the edits, would be a trap; 80 columns hold it.
                text = f"{who.role}: you may change the theme and notifications"
        else:
            names = ", ".join(changed[:3]) + (", …" if n > 3 else "")
            text = f"{n} unsaved change{'s' if n != 1 else ''}: {names}"
        self.query_one(Static).update(text)
        self.set_class(bool(changed) and not problem, "-pending")
        self.set_class(bool(problem), "-problem")
