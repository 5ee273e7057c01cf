"""The vectorised kernels behind the batch indicators (windows and recursions), against
brute force."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.analysis import indicators_kernels as k
from tpm.analysis import indicators_recursion as rec


@pytest.mark.parametrize("n", [*range(1, 70), 100, 127, 128, 129, 200, 255, 1000])
def test_window_plans_add_up_to_the_window(n: int) -> None:
    """Pieces are laid back from the window's end: the added ones cover `reach` values, the
    subtracted ones exactly the values before the window, so the difference is the window."""
    pieces, reach = k._plan(n)
    assert pieces[0] == (max(level for level, _, _ in pieces), 1, 0)
    added: list[int] = []
    taken: list[int] = []
    for level, sign, off in pieces:
        (added if sign > 0 else taken).extend(range(off, off + (1 << level)))
    assert sorted(added) == list(range(reach))
    assert sorted(taken) == list(range(n, reach))


windows = st.integers(1, 300)
values = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=700)


@settings(max_examples=80, deadline=None)
@given(x=values, n=windows, chunk=st.sampled_from([8, 64, rec.CHUNK]))
def test_rolling_kernels_match_brute_force(x: list[float], n: int, chunk: int) -> None:
    n = min(n, len(x))
    a, m = np.array(x), len(x) - n + 1
    saved, rec.CHUNK = rec.CHUNK, chunk
    try:
        sums, top, bottom, weighted = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
        mean, var = np.empty(m), np.empty(m)
        k.rolling_sum(a, n, sums)
        k.rolling_max(a, n, top)
        k.rolling_min(a, n, bottom)
        k.rolling_weighted_sum(a, n, weighted)
        k.rolling_mean_var(a, n, mean, var)
    finally:
        rec.CHUNK = saved
    scale = max([1.0, *(abs(v) for v in x)]) * n
    for j in range(m):
        w = x[j : j + n]
        assert math.isclose(sums[j], math.fsum(w), abs_tol=1e-12 * scale)
        assert top[j] == max(w) and bottom[j] == min(w)
        exact_w = math.fsum(i * v for i, v in enumerate(w, 1))
        assert math.isclose(weighted[j], exact_w, abs_tol=1e-12 * scale * n)
        mu = math.fsum(w) / n
        assert math.isclose(mean[j], mu, abs_tol=1e-12 * scale / n)
        exact_var = float(sum((Fraction(v) - Fraction(mu)) ** 2 for v in w) / n)
        assert math.isclose(var[j], exact_var, rel_tol=1e-9, abs_tol=1e-18 * scale**2)


def test_a_flat_window_has_exactly_zero_variance_even_after_wild_values() -> None:
    x = np.array([1e6, -3e5, 7.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    mean, var = np.empty(5), np.empty(5)
    k.rolling_mean_var(x, 6, mean, var)
    assert var[-1] == 0.0 and math.isclose(mean[-1], 0.1)


def test_a_quiet_window_keeps_its_digits() -> None:
    """Sums of squares would leave noise of about 1e-16 * 1e8 here; pairwise merges do not."""
    quiet = 10_000 + np.array([0.0, 1e-6, 2e-6, 1e-6] * 3)
    x = np.concatenate([10_000 + np.array([500.0, -800, 300, 900]), quiet])
    mean, var = np.empty(len(x) - 3), np.empty(len(x) - 3)
    k.rolling_mean_var(x, 4, mean, var)
    w = [Fraction(float(v)) for v in x[-4:]]
    exact = float(sum((v - sum(w) / 4) ** 2 for v in w) / 4)
    assert math.isclose(var[-1], exact, rel_tol=1e-6)


@pytest.mark.parametrize("d", [0.0, 0.5, 13 / 14, 1 - 2 / 31, 0.9999, 1.0])
@pytest.mark.parametrize("length", [0, 1, 7, 64, 65, 1000, 3 * 128 + 5])
@pytest.mark.parametrize("two_pass", [True, False])
def test_recursion_matches_the_loop(d: float, length: int, two_pass: bool) -> None:
    rng = np.random.default_rng(length)
    u = rng.normal(0, 1, (2, length))
    expected = np.empty_like(u)
    for row, start in enumerate([3.0, -1.0]):
        y = start
        for i in range(length):
            y = expected[row, i] = d * y + u[row, i]
    state, out = np.array([3.0, -1.0]), np.empty_like(u)
    saved, rec.CHUNK = rec.CHUNK, 128
    try:
        rec.Recursion(d).solve(
            lambda a, b: u[:, a:b].copy(), 0, length, state, out, two_pass=two_pass
        )
    finally:
        rec.CHUNK = saved
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    assert np.allclose(out, expected, rtol=0, atol=1e-12 * scale)
    if length:
        assert np.allclose(state, expected[:, -1], rtol=0, atol=1e-12 * scale)


def test_recursion_scales_its_output_but_not_its_state() -> None:
    u = np.arange(1.0, 201.0)[None, :]
    out, state = np.empty((1, 200)), np.array([0.0])
    rec.Recursion(1.0, 0.5).run(u.copy(), state, out)
    assert np.allclose(out[0], np.cumsum(u[0]) * 0.5)
    assert state[0] == u.sum()


def test_chunks_cover_the_range_in_order() -> None:
    assert list(rec.chunks(3, 20, 8)) == [(3, 11), (11, 19), (19, 20)]
    assert list(rec.chunks(5, 5)) == []


@pytest.mark.parametrize("chunk", [8, 16, 64])
@pytest.mark.parametrize("n", [127, 150, 255])
def test_long_windows_use_a_running_sum_that_stays_exact_enough(chunk: int, n: int) -> None:
    pieces, _ = k._plan(n)
    assert pieces[0][0] + len(pieces) > k._DOUBLING_CALLS  # these take the running-sum path
    rng = np.random.default_rng(n)
    saved, rec.CHUNK = rec.CHUNK, chunk
    try:
        for extra in range(0, 80, 3):
            x = rng.normal(100, 5, n + extra)
            out = np.empty(extra + 1)
            k.rolling_sum(x, n, out, divisor=n)
            expected = [math.fsum(x[j : j + n]) / n for j in range(extra + 1)]
            assert np.allclose(out, expected, rtol=1e-12, atol=0)
    finally:
        rec.CHUNK = saved
