"""Correlations on pairwise complete observations, and an order that keeps clusters together."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tpm.analysis.correlation import aligned_returns, cluster_order, correlation_matrix

NAN = math.nan


def test_perfect_and_opposite_series_by_hand() -> None:
    a = [0.01, -0.02, 0.03, 0.00, 0.01, -0.01, 0.02, 0.01, -0.03, 0.02]
    symbols, m = correlation_matrix(
        {"A": a, "B": [2 * v + 0.001 for v in a], "C": [-v for v in a]}, min_periods=3
    )
    assert symbols == ["A", "B", "C"]
    assert m == pytest.approx(np.array([[1, 1, -1], [1, 1, -1], [-1, -1, 1]]))
    assert np.array_equal(m, m.T)


def test_a_small_case_worked_out_by_hand() -> None:
    # x = 1, 2, 3, 4 and y = 2, 1, 4, 3: deviations (-1.5, -.5, .5, 1.5) and (-.5, -1.5, 1.5, .5),
    # products sum to .75 + .75 + .75 + .75 = 3, and each sum of squares is 5, so r = 3/5.
    _, m = correlation_matrix({"x": [1, 2, 3, 4], "y": [2, 1, 4, 3]}, min_periods=4)
    assert m[0, 1] == pytest.approx(0.6)
    assert np.diag(m).tolist() == [1.0, 1.0]


def test_each_pair_uses_the_points_both_have() -> None:
    x = [1.0, 2.0, 3.0, 4.0, NAN, NAN]
    y = [2.0, 1.0, 4.0, 3.0, 5.0, NAN]
    z = [NAN, NAN, 1.0, 2.0, 3.0, 1.0]
    _, m = correlation_matrix({"x": x, "y": y, "z": z}, min_periods=3)
    # x and y share their first four points: the hand-worked 0.6 above.
    assert m[0, 1] == pytest.approx(0.6)
    # y and z share points 2..4: (4, 3, 5) against (1, 2, 3) -> r = 0.5.
    assert m[1, 2] == pytest.approx(0.5)
    # x and z share points 2 and 3 only: fewer than min_periods.
    assert math.isnan(m[0, 2]) and math.isnan(m[2, 0])


def test_agrees_with_pandas_pairwise_complete_correlation() -> None:
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(7)
    data = rng.normal(size=(5, 40))
    data[1] += data[0]
    data[data > 1.6] = np.nan  # holes in different places in each series
    returns = {f"S{i}": data[i] for i in range(5)}
    _, m = correlation_matrix(returns, min_periods=10)
    expected = pd.DataFrame(returns).corr(min_periods=10).to_numpy()
    assert np.allclose(m, expected, equal_nan=True)


def test_too_short_or_flat_series_are_nan() -> None:
    _, m = correlation_matrix(
        {"short": [0.1, 0.2, NAN, NAN], "flat": [0.01] * 4, "ok": [0.1, -0.2, 0.3, 0.0]},
        min_periods=3,
    )
    assert np.isnan(m[0]).all() and np.isnan(m[1]).all()
    assert m[2, 2] == 1.0


def test_series_must_be_aligned() -> None:
    with pytest.raises(ValueError, match="equal length"):
        correlation_matrix({"a": [1.0, 2.0], "b": [1.0]})
    assert correlation_matrix({})[0] == []


def test_aligned_returns_line_up_on_time_and_break_at_gaps() -> None:
    out = aligned_returns(
        {
            "A": ([1, 2, 3, 4], [100.0, 110.0, 99.0, 99.0]),
            "B": ([2, 4], [50.0, 55.0]),  # no bar at 3: one return over two periods, at 4
            "C": ([1], [10.0]),
        }
    )
    assert out["A"].tolist() == pytest.approx([0.1, -0.1, 0.0])  # stamped 2, 3, 4
    assert np.isnan(out["B"][:2]).all() and out["B"][2] == pytest.approx(0.1)
    assert np.isnan(out["C"]).all()


def test_cluster_order_puts_correlated_symbols_together() -> None:
    # Two blocks, shuffled: {0, 2, 4} move together, {1, 3} move together, the blocks apart.
    m = np.array(
        [
            [1.0, 0.1, 0.9, 0.0, 0.8],
            [0.1, 1.0, 0.0, 0.95, 0.1],
            [0.9, 0.0, 1.0, 0.1, 0.85],
            [0.0, 0.95, 0.1, 1.0, 0.0],
            [0.8, 0.1, 0.85, 0.0, 1.0],
        ]
    )
    order = cluster_order(m)
    assert sorted(order) == [0, 1, 2, 3, 4]
    where = {s: i for i, s in enumerate(order)}
    assert max(where[i] for i in (0, 2, 4)) - min(where[i] for i in (0, 2, 4)) == 2
    assert abs(where[1] - where[3]) == 1
    # The most correlated pair of the first block sits side by side.
    assert abs(where[0] - where[2]) == 1 or abs(where[2] - where[4]) == 1


def test_cluster_order_puts_unknown_rows_last_and_is_stable() -> None:
    m = np.array([[1.0, NAN, 0.7], [NAN, NAN, NAN], [0.7, NAN, 1.0]])
    assert cluster_order(m) == [0, 2, 1]
    assert cluster_order(np.eye(1)) == [0]
    assert cluster_order(np.zeros((0, 0))) == []
    with pytest.raises(ValueError, match="square"):
        cluster_order(np.zeros((2, 3)))
