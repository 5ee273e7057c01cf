"""The login: user name and password, then the six-digit code when two-factor login is on."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from tpm.domain.users import Identity
from tpm.errors import TpmError
from tpm.ui.context import client_of

__all__ = ["LoginScreen"]


class LoginScreen(Screen[Identity]):
    """Dismissed with who logged in. Refusals never say which part was wrong."""

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Center > Vertical {
        width: 56; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    LoginScreen Input { margin-top: 1; }
    LoginScreen #login-code { display: none; }
    LoginScreen.-code #login-code { display: block; }
    LoginScreen #login-message { color: $error; margin-top: 1; height: auto; }
    LoginScreen #login-title { text-style: bold; }
    LoginScreen #login-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True)]
    AUTO_FOCUS = "#login-user"

    def __init__(self, where: str, reason: str = "") -> None:
        super().__init__()
        self._where, self._reason = where, reason

    def compose(self) -> ComposeResult:
        with Center(), Vertical():
            yield Label(f"tpm: log in to {self._where}", id="login-title")
            yield Input(placeholder="user name", id="login-user")
            yield Input(placeholder="password", password=True, id="login-password")
            yield Input(
                placeholder="6-digit code from the app, or a recovery code",
                id="login-code",
                max_length=16,
            )
            yield Static(self._reason, id="login-message")
            yield Label("Enter: next   ctrl+q: quit", id="login-hint")

    @on(Input.Submitted, "#login-user")
    def _to_password(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @work(exclusive=True, group="login")
    async def _password(self) -> None:
        user = self.query_one("#login-user", Input).value.strip()
        password = self.query_one("#login-password", Input)
        if not user:
            self.query_one("#login-user", Input).focus()
            return
        self._say("checking…")
        try:
            answer = await client_of(self).login(user, password.value)
        except TpmError as exc:  # the engine cannot be reached, say
            self._say(str(exc))
            return
        finally:
            password.value = ""
        if answer.who is not None:
            self.dismiss(answer.who)
        elif answer.needs_code:
            self._say("")
            self.add_class("-code")
            self.query_one("#login-code", Input).focus()
        else:
            self._say(answer.refusal)
            password.focus()

    @on(Input.Submitted, "#login-code")
    @work(exclusive=True, group="login")
    async def _code(self) -> None:
        code = self.query_one("#login-code", Input)
        self._say("checking…")
        try:
            answer = await client_of(self).second_factor(code.value)
        except TpmError as exc:
            self._say(str(exc))
            return
        finally:
            code.value = ""
        if answer.who is not None:
            self.dismiss(answer.who)
        elif "start again" in answer.refusal:
            self.remove_class("-code")
            self._say(answer.refusal)
            self.query_one("#login-password", Input).focus()
        else:
            self._say(answer.refusal)

    def _say(self, text: str) -> None:
        self.query_one("#login-message", Static).update(text)
