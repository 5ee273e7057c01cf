"""Apps that time themselves, for benchmarks/ui.py: the first frame (Textual's Ready event: the
DOM is ready and the first frame displayed) and each key-to-screen switch.

Each is run as `python benchmarks/ui_probe.py first-frame hello|tpm` in a fresh interpreter,
or imported for the switch timings.
"""

from __future__ import annotations

import sys
import time

T0 = time.perf_counter()  # before textual or tpm is imported

import asyncio  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Static  # noqa: E402


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")

    def on_ready(self) -> None:
        self.first_frame_s = time.perf_counter() - T0
        self.exit()


def tpm_probe(home: Path) -> Any:
    """The real `tpm` app (deferred engine start, embedded default) that notes its first frame
    and the time from each switch action to the refresh that shows the new screen.

    It is built as `tpm` builds it, after the same imports (`tpm.cli.commands`), from a
    config file read the same way; only the size of the simulated universe is set."""
    import tpm.ui.app as ui_app
    from tpm.cli import commands
    from tpm.cli.launch import build_app

    class Probe(ui_app.TpmApp):
        CSS_PATH = str(Path(ui_app.__file__).with_name("app.tcss"))

        def on_ready(self) -> None:
            self.first_frame_s = time.perf_counter() - T0

        async def action_switch_mode(self, mode: str) -> None:
            t = time.perf_counter()
            first = mode not in self._screen_stacks  # the switch builds the screen
            await super().action_switch_mode(mode)
            self.call_after_refresh(
                lambda: self.switches.append((mode, first, time.perf_counter() - t))
            )

    (home / "config.toml").write_text("[feed.sim]\nsymbols = 36\n", encoding="utf-8")
    paths = commands.resolve_paths(home / "config.toml")
    raw = commands.read_raw(paths.config_file, required=True)
    probe, client = build_app(raw, paths, Probe)
    probe.switches = []
    return probe, client


async def _first_frame(kind: str) -> float:
    if kind == "hello":
        app = Hello()
        async with app.run_test(size=(120, 40)) as pilot:
            while not hasattr(app, "first_frame_s"):
                await pilot.pause(0.01)
        return app.first_frame_s
    with tempfile.TemporaryDirectory() as home:
        probe, client = tpm_probe(Path(home))
        try:
            async with probe.run_test(size=(120, 40)) as pilot:
                while not hasattr(probe, "first_frame_s"):
                    await pilot.pause(0.01)
        finally:
            await client.stop()
        return float(probe.first_frame_s)


if __name__ == "__main__":
    print(asyncio.run(_first_frame(sys.argv[2])), flush=True)
