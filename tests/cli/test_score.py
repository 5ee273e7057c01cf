"""tpm score and tpm evaluate as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .test_cli import tpm


def test_score_rates_every_simulated_symbol_and_explains_it(tmp_path: Path) -> None:
    r = tpm(tmp_path, "score", "--json")
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)
    assert len(scores) >= 30
    ratings = {"strong sell", "sell", "hold", "buy", "strong buy"}
    for s in scores:
        assert 0 <= s["composite"] <= 100 and s["rating"] in ratings
        assert s["technical"]["value"] is not None and s["drivers"]
    equities = [s for s in scores if s["fundamental"]["value"] is not None]
    assert len(equities) >= 30 and any(s["sentiment"]["value"] is not None for s in scores)
    one = tpm(tmp_path, "score", scores[0]["symbol"])
    assert one.returncode == 0 and one.stdout.splitlines()[1].startswith(scores[0]["symbol"])
    bad = tpm(tmp_path, "score", "NOPE")
    assert bad.returncode == 2 and "NOPE not served" in bad.stderr


def _walk(path: Path, seed: int, n: int = 400) -> None:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = np.r_[close[0], close[:-1]]
    rows = ["Date,Open,High,Low,Close,Volume"]
    day = np.datetime64("2020-01-01")
    for i in range(n):
        hi, lo = max(opens[i], close[i]) * 1.01, min(opens[i], close[i]) * 0.99
        rows.append(f"{day + i},{opens[i]:.2f},{hi:.2f},{lo:.2f},{close[i]:.2f},{1000 + i}")
    path.write_text("\n".join(rows) + "\n")


def test_evaluate_measures_the_pillars_walk_forward(tmp_path: Path) -> None:
    files = []
    for i, name in enumerate(("AAA", "BBB", "CCC")):
        files += ["--data", str(tmp_path / f"{name}.csv")]
        _walk(tmp_path / f"{name}.csv", i)
    r = tpm(tmp_path, "evaluate", *files, "--horizon", "5", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert set(report["time_series"]) == {"AAA", "BBB", "CCC"}
    pillar = report["time_series"]["AAA"]["score"]
    assert len(pillar["windows"]) == 5 and pillar["pairs"] > 200
    assert -1 <= pillar["mean_ic"] <= 1
    assert report["cross_section"]["score"]["pairs"] > 100
    assert "fundamental" in report["not_supported"]
    table = tpm(tmp_path, "evaluate", *files)
    assert "rank IC of each score with the next 5-bar return" in table.stdout
