"""The kill switch and the risk view: what every limit measures now, and halt / resume."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tpm.errors import LinkDown
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.screens.dialogs import Confirm, confirmed

__all__ = ["HaltDialog", "RiskDialog", "risk_table"]

_CSS = """
HaltDialog, RiskDialog { align: center middle; }
HaltDialog > Vertical, RiskDialog > Vertical {
    width: 80; max-width: 100%; height: auto; max-height: 100%;
    border: thick $error; background: $surface; padding: 1 2;
}
RiskDialog > Vertical { border: thick $accent; }
HaltDialog Label { width: 100%; }
HaltDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
HaltDialog Button { margin-left: 1; }
"""


class HaltDialog(ModalScreen[str | None]):
    """Halt, halt and flatten, or keep trading: answers "halt", "flatten" or None."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("h", "answer('halt')", "Halt"),
        Binding("f", "answer('flatten')", "Halt and flatten"),
        Binding("escape,n", "answer(None)", "Keep trading"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Halt all trading? Strategies stop and every open order is cancelled. "
                "Halt and flatten also closes every position at market. "
                "Only a resume undoes it."
            )
            with Horizontal():
                yield Button("Keep trading", id="keep")
                yield Button("Halt and flatten", id="flatten", variant="error")
                yield Button("Halt", id="halt", variant="error")

    def on_mount(self) -> None:
        self.query_one("#halt", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "keep" else event.button.id)

    def action_answer(self, value: str | None) -> None:
        self.dismiss(value)


def _pct(v: Any) -> str:
    return "-" if v is None else f"{float(v):.2f}%"


def _num(v: Any) -> str:
    return "-" if v is None else f"{float(v):,.10g}"


def risk_table(status: dict[str, Any]) -> Table:
    """The limits in force beside what each measures now."""
    lim, use = status["limits"], status["usage"]
    t = Table(expand=True, box=None, pad_edge=False)
    t.add_column("limit")
    t.add_column("in force", justify="right")
    t.add_column("now", justify="right")
    rows = [
        (
            "daily loss",
            f"{_num(lim['daily_loss']['max_pct'])}%",
            _pct(use.get("day_loss_pct")),
            lim["daily_loss"]["enabled"],
        ),
        (
            "drawdown from peak",
            f"{_num(lim['drawdown']['max_pct'])}%",
            _pct(use.get("drawdown_pct")),
            lim["drawdown"]["enabled"],
        ),
        (
            "gross exposure",
            f"{_num(lim['exposure']['max_gross_pct'])}%",
            _pct(use.get("gross_exposure_pct")),
            lim["exposure"]["enabled"],
        ),
        (
            "net exposure",
            f"{_num(lim['exposure']['max_net_pct'])}%",
            _pct(use.get("net_exposure_pct")),
            lim["exposure"]["enabled"],
        ),
        (
            "orders / second",
            _num(lim["order_rate"]["per_second"]),
            _num(use.get("orders_last_second")),
            lim["order_rate"]["enabled"],
        ),
        (
            "orders / minute",
            _num(lim["order_rate"]["per_minute"]),
            _num(use.get("orders_last_minute")),
            lim["order_rate"]["enabled"],
        ),
        (
            "open orders",
            _num(lim["open_orders"]["max_total"]),
            _num(use.get("open_orders")),
            lim["open_orders"]["enabled"],
        ),
        ("order quantity", _num(lim["order_size"]["max_qty"]), "", lim["order_size"]["enabled"]),
        (
            "order notional",
            _num(lim["order_size"]["max_notional"]),
            "",
            lim["order_size"]["enabled"],
        ),
        ("position quantity", _num(lim["position"]["max_qty"]), "", lim["position"]["enabled"]),
        (
            "position notional",
            _num(lim["position"]["max_notional"]),
            "",
            lim["position"]["enabled"],
        ),
        (
            "price collar",
            f"{_num(lim['price_collar']['max_pct'])}%",
            "",
            lim["price_collar"]["enabled"],
        ),
        (
            "stale data",
            f"{_num(lim['stale_quote']['max_age_s'])}s",
            "",
            lim["stale_quote"]["enabled"],
        ),
    ]
    for name, limit, now, enabled in rows:
        t.add_row(name, limit if enabled else Text("off", style="dim"), now)
    return t


_ROLE_KEYS = {"kill_switch": Action.HALT}
"""What each key asks of the engine: a key the role may not use is not offered."""


class RiskDialog(ModalScreen[None]):
    """Limits, usage and trading state, refreshed every second; K halts or resumes."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("k", "kill_switch", "Halt / resume"),
        Binding("escape,r,q", "dismiss", "Close"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="risk-state")
            yield Static(id="risk-table")
            keys = "K halt or resume · Esc close" if may(self, Action.HALT) else "Esc close"
            yield Label(keys, classes="hint")

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] | None = None

    def on_mount(self) -> None:
        self._refresh()
        self.set_interval(1.0, self._refresh)

    @work(exclusive=True, group="risk-view")
    async def _refresh(self) -> None:
        try:
            status = await client_of(self).risk_status()
        except LinkDown as exc:  # what was shown is no longer known to hold: say so
            self.query_one("#risk-state", Static).update(Text(str(exc), style="bold yellow"))
            self.query_one("#risk-table", Static).update("")
            return
        self.status = status
        state = status["state"]
        line = Text("Trading ", style="bold")
        line.append(state.upper(), style="bold green" if state == "active" else "bold red")
        if status.get("reason"):
            line.append(f"  ({status['reason']})")
        self.query_one("#risk-state", Static).update(line)
        self.query_one("#risk-table", Static).update(risk_table(status))

    @work(exclusive=True, group="kill-switch")
    async def action_kill_switch(self) -> None:
        await kill_switch(self)
        self._refresh()


async def kill_switch(screen: ModalScreen[None] | Any) -> None:
    """Halt (asking how) when trading, resume (asking to confirm) when halted."""
    client = client_of(screen)
    status = await client.risk_status()
    if status["state"] == "halted":
        sure = await screen.app.push_screen_wait(
            Confirm(
                f"Trading is halted ({status.get('reason') or 'no reason given'}). "
                "Resume trading? Every check applies again and strategies may trade.",
                yes="Resume",
            )
        )
        if sure:
            said = await confirmed(screen, client.resume)
            if said is not None:
                screen.notify(said, severity="warning")
        return
    choice = await screen.app.push_screen_wait(HaltDialog())
    if choice is not None:
        screen.notify(await client.halt(flatten=choice == "flatten"), severity="error", timeout=10)
