"""The notification list: fills, rejections, alerts and feed problems, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from tpm.domain import Severity, ns_to_iso
from tpm.domain.snapshot import NotificationItem

__all__ = ["NotificationList"]

_STYLE = {Severity.INFO: "", Severity.WARNING: "yellow", Severity.ERROR: "bold red"}


class NotificationList(Static):
    """Shows the latest notifications, one per line."""

    def __init__(self, *, id: str | None = None, limit: int = 30) -> None:
        super().__init__(id=id)
        self._limit = limit
        self._top = -1

    def show(self, items: Sequence[NotificationItem]) -> None:
        top = items[0].seq if items else 0
        if top == self._top:
            return
        self._top = top
        if not items:
            self.update(Text("nothing yet", style="dim"))
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, item in enumerate(items[: self._limit]):
            n = item.note
            if i:
                text.append("\n")
            text.append(ns_to_iso(n.ts_ns)[11:19] + " ", style="dim")
            text.append(f"{n.title}: ", style=_STYLE.get(n.severity, "") or "bold")
            text.append(n.message)
        self.update(text)
