"""The layers of DESIGN.md hold: import-linter contracts, and the headless path stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    script = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run(
        [str(script), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_the_engine_path_never_loads_the_ui_or_dataframes() -> None:
    probe = (
        "import sys\n"
        "import tpm.engine.engine, tpm.adapters.feeds.sim, tpm.adapters.brokers.paper\n"
        "import tpm.store.sql_store, tpm.cli.wiring\n"
        "print(sorted(m for m in ('textual', 'rich', 'pandas', 'plotext', 'asyncmy')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"
