"""The sum of the pillar weights, shown as they are typed (config.toml insists it is 1)."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

__all__ = ["WeightsSum"]


class WeightsSum(Static):
    """`total` of the weights; marked bad unless it is 1 (None: a weight is not a number)."""

    DEFAULT_CSS = """
    WeightsSum { height: 1; padding: 0 1 0 3; color: $success; }
    WeightsSum.-bad { color: $error; text-style: bold; }
    """

    total: reactive[float | None] = reactive(1.0, init=False)

    def on_mount(self) -> None:
        self.watch_total(self.total)

    def watch_total(self, total: float | None) -> None:
        bad = total is None or abs(total - 1.0) > 1e-9
        self.set_class(bad, "-bad")
        if total is None:
            self.update("sum of the weights: ? (a weight is not a number)")
        else:
            self.update(f"sum of the weights: {total:.4g} {'— must be 1' if bad else '✓'}")
