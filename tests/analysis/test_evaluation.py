"""Information coefficients: rank correlation, forward returns, walk-forward windows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tpm.analysis.evaluation import (
    cross_sectional_ic,
    forward_returns,
    rank_ic,
    walk_forward_ic,
)


def test_rank_ic_is_spearmans_coefficient() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert rank_ic(x, x**3) == (pytest.approx(1.0), 5)  # monotone, not linear
    assert rank_ic(x, -x)[0] == pytest.approx(-1.0)
    # Ties share ranks: ranks (0.5, 0.5, 2, 3) against (0, 1, 2, 3) -> 0.9487 by hand.
    ic, _ = rank_ic(np.array([1.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0]))
    assert ic == pytest.approx(3 / math.sqrt(10), abs=1e-12)
    assert rank_ic(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, 3.0])) == (
        pytest.approx(math.nan, nan_ok=True),
        2,
    )


def test_forward_returns_look_exactly_n_bars_ahead() -> None:
    close = np.array([100.0, 110.0, 99.0, 99.0])
    out = forward_returns(close, 2)
    assert out[0] == pytest.approx(-0.01) and out[1] == pytest.approx(-0.1)
    assert np.isnan(out[2:]).all()


def test_walk_forward_windows_do_not_share_outcomes() -> None:
    rng = np.random.default_rng(3)
    fwd = rng.normal(size=500)
    perfect = walk_forward_ic(fwd.copy(), fwd, windows=5, horizon=1)
    assert perfect.mean == pytest.approx(1.0) and perfect.positive_share == 1.0
    assert len(perfect.windows) == 5 and perfect.pairs == 495  # one pair dropped per window
    noise = walk_forward_ic(rng.normal(size=500), fwd, windows=5, horizon=1)
    assert abs(noise.mean) < 0.2


def test_cross_sectional_ic_ranks_symbols_at_each_date() -> None:
    rng = np.random.default_rng(5)
    fwd = {s: rng.normal(size=50) for s in "ABCDE"}
    same = cross_sectional_ic({s: f.copy() for s, f in fwd.items()}, fwd)
    assert same.mean == pytest.approx(1.0) and len(same.windows) == 50
    flipped = cross_sectional_ic({s: -f for s, f in fwd.items()}, fwd, every=5)
    assert flipped.mean == pytest.approx(-1.0) and len(flipped.windows) == 10
    assert math.isnan(cross_sectional_ic({"A": fwd["A"]}, {"A": fwd["A"]}).mean)
