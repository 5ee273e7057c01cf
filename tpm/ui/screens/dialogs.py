"""Small modal dialogs: a yes/no confirmation and a one-line question."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tpm.errors import AccessDenied, ConfirmationNeeded
from tpm.ui.context import client_of

__all__ = ["AskText", "Confirm", "QuitDialog", "confirmed"]

T = TypeVar("T")

_CSS = """
Confirm, AskText, QuitDialog { align: center middle; }
Confirm > Vertical, AskText > Vertical, QuitDialog > Vertical {
    width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2;
}
Confirm Label, AskText Label, QuitDialog Label { width: 100%; }
Confirm Horizontal, QuitDialog Horizontal {
    height: auto; align-horizontal: right; margin-top: 1;
}
Confirm Button, QuitDialog Button { margin-left: 1; }
"""


class Confirm(ModalScreen[bool]):
    """Asks a yes/no question; Enter or y confirms, Escape or n declines."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self._question, self._yes, self._no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._question)
            with Horizontal():
                yield Button(self._no, id="no")
                yield Button(self._yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class AskText(ModalScreen[str | None]):
    """Asks for one line of text; Escape cancels."""

    DEFAULT_CSS = _CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, placeholder: str = "", *, secret: bool = False) -> None:
        super().__init__()
        self._question, self._placeholder, self._secret = question, placeholder, secret

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._question)
            yield Input(placeholder=self._placeholder, password=self._secret)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitDialog(ModalScreen[str | None]):
    """Quitting while strategies trade: answers "cancel" or "leave" (open orders), or None."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("c", "answer('cancel')", "Quit, cancel orders"),
        Binding("l", "answer('leave')", "Quit, leave orders"),
        Binding("escape,n", "answer(None)", "Stay"),
    ]

    def __init__(self, default: str = "cancel") -> None:
        super().__init__()
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Strategies are live. Quitting stops them and sends no new orders. "
                "What should happen to orders still working at the broker?"
            )
            with Horizontal():
                yield Button("Stay", id="stay")
                yield Button("Quit, leave them working", id="leave")
                yield Button("Quit, cancel them", id="cancel", variant="error")

    def on_mount(self) -> None:
        self.query_one(f"#{self._default}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)

    def action_answer(self, value: str | None) -> None:
        self.dismiss(value)


async def confirmed(screen: Any, call: Callable[[], Awaitable[T]]) -> T | None:
    """`call()`; when it asks for the code again (resuming, lifting a risk limit), ask for it,
    confirm, and call again. None when the user gives up (Escape)."""
    try:
        return await call()
    except ConfirmationNeeded as exc:
        question = f"{str(exc).capitalize()}: the 6-digit code (or, without it, the password)"
    while True:
        secret = await screen.app.push_screen_wait(AskText(question, secret=True))
        if not secret:
            return None
        try:
            await client_of(screen).confirm(secret)
        except AccessDenied as wrong:
            question = f"{str(wrong).capitalize()}. Try again, or Escape to give up"
            continue
        return await call()
