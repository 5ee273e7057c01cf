"""The README opens with the two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_opens_with_install_and_launch_then_install_and_test() -> None:
    first, second = _commands()[:2]
    assert first.endswith("pip install -e . && tpm")
    assert "'.[test]'" in second and second.endswith("&& pytest")
    before_first_block = (ROOT / "README.md").read_text().split("```sh")[0]
    assert before_first_block.count("\n") < 6


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _commands()[1] in ci
