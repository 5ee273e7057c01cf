"""The fundamental pillar: each company's figures ranked against its sector's, scored 0-100.

Four groups of equal weight: valuation (P/E, P/B, P/S, EV/EBITDA: cheaper is better),
profitability (ROE, gross, operating and net margin), growth (revenue and EPS growth) and
financial health (debt/equity: lower is better; current ratio: higher is better up to a cap).

Each figure becomes a percentile among the sector peers that report it: 100 is the best of
the group, 0 the worst, ties share their middle rank. When fewer than `min_peers` companies of
the sector report a figure, the whole universe is the peer group for it, and the driver says
so. A group's score is the mean of its figures' percentiles and the pillar is the mean of the
known groups. A missing figure is left out of both means and lowers `confidence` (each group is
a quarter of it, shared equally by the group's figures); it never counts as zero.

`parts` holds the four group scores ("valuation", "profitability", "growth", "health"; None
when the group has no figure). Each ranked figure is a driver, strongest first, whose `impact`
is the signed points it moved the pillar away from 50 (the impacts add up to value - 50); a
last zero-impact driver lists the figures not reported. A sector of "" or "Unclassified"
counts as no sector.

"Lower is better" figures are ranked by their inverse (the earnings yield for P/E), because a
P/E of -5 (a loss) is not cheaper than a P/E of 8: the inverse puts every negative figure (a
loss, negative book value, negative EBITDA, negative equity) below every positive one, and a
deeper loss below a shallower one. A zero multiple means nothing and is left out; zero debt is
the best debt/equity there is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

import numpy as np
import numpy.typing as npt

from tpm.domain.reference import Fundamentals
from tpm.domain.score import Driver, PillarScore

__all__ = ["GROUPS", "SCORED_FIELDS", "score_fundamentals"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

GROUPS = ("valuation", "profitability", "growth", "health")
_UNKNOWN_SECTORS = frozenset({"", "unclassified", "unknown", "n/a"})

Kind = Literal["multiple", "leverage", "rate", "liquidity"]


@dataclass(frozen=True, slots=True)
class _Words:
    """How a figure's place is said: best and worst tail, better and worse than the median."""

    best: str
    worst: str
    better: str
    worse: str


_CHEAP = _Words("cheapest", "most expensive", "cheaper than", "dearer than")
_HIGH = _Words("top", "bottom", "above", "below")
_LEVER = _Words("least indebted", "most indebted", "less indebted than", "more indebted than")
_LIQUID = _Words("most liquid", "least liquid", "more liquid than", "less liquid than")


@dataclass(frozen=True, slots=True)
class _Metric:
    field: str
    label: str
    group: str
    kind: Kind
    words: _Words
    negative: str = ""
    """What a negative value means, said after it."""

    def phrases(self) -> tuple[str, ...]:
        """What joins the figure to its peer group, from the best band to the worst."""
        w = self.words
        return (
            f" in the {w.best} 10% of ",
            f" in the {w.best} 20% of ",
            f": {w.better} the median of ",
            ": near the median of ",
            f": {w.worse} the median of ",
            f": {w.worst} 20% of ",
            f": {w.worst} 10% of ",
        )


_METRICS = (
    _Metric("pe", "P/E", "valuation", "multiple", _CHEAP, "losses"),
    _Metric("pb", "P/B", "valuation", "multiple", _CHEAP, "negative book value"),
    _Metric("ps", "P/S", "valuation", "multiple", _CHEAP, "negative sales"),
    _Metric("ev_ebitda", "EV/EBITDA", "valuation", "multiple", _CHEAP, "negative EBITDA"),
    _Metric("roe", "ROE", "profitability", "rate", _HIGH),
    _Metric("gross_margin", "gross margin", "profitability", "rate", _HIGH),
    _Metric("operating_margin", "operating margin", "profitability", "rate", _HIGH),
    _Metric("net_margin", "net margin", "profitability", "rate", _HIGH),
    _Metric("revenue_growth", "revenue growth", "growth", "rate", _HIGH),
    _Metric("eps_growth", "EPS growth", "growth", "rate", _HIGH),
    _Metric("debt_to_equity", "debt/equity", "health", "leverage", _LEVER, "negative equity"),
    _Metric("current_ratio", "current ratio", "health", "liquidity", _LIQUID),
)
SCORED_FIELDS = tuple(m.field for m in _METRICS)
_PHRASES = tuple(m.phrases() for m in _METRICS)
_GROUP_OF = np.array([GROUPS.index(m.group) for m in _METRICS], dtype=np.intp)
_MEMBER = (_GROUP_OF[:, None] == np.arange(len(GROUPS))[None, :]).astype(np.float64)
_GROUP_SIZE = _MEMBER.sum(axis=0)
# Each group is a quarter of the confidence, shared equally by its figures.
_WEIGHT = 1.0 / (len(GROUPS) * _GROUP_SIZE[_GROUP_OF])
_VALUES = attrgetter(*SCORED_FIELDS)


def _keys(raw: FloatArray, liquidity_cap: float) -> FloatArray:
    """Every figure as a number where higher is better; NaN where it cannot be ranked."""
    keys = raw.copy()
    with np.errstate(divide="ignore"):
        for j, metric in enumerate(_METRICS):
            col = raw[:, j]
            if metric.kind == "multiple":
                keys[:, j] = np.where(col == 0, np.nan, 1.0 / col)
            elif metric.kind == "leverage":
                keys[:, j] = np.where(col == 0, np.inf, 1.0 / col)
            elif metric.kind == "liquidity":
                # Beyond the cap, more idle current assets are not better: above it all tie.
                keys[:, j] = np.minimum(col, liquidity_cap)
    return keys


def _percentiles(keys: FloatArray, groups: IntArray, sizes: IntArray) -> FloatArray:
    """Mid-rank percentile of each key within its group (0 lowest, 100 highest).

    Every group named in `groups` must have at least two members (`sizes[g]`).
    """
    _, dense = np.unique(keys, return_inverse=True)
    combined = groups.astype(np.int64) * (len(keys) + 1) + dense.ravel()
    ordered = np.sort(combined)
    lo = np.searchsorted(ordered, combined, side="left")
    hi = np.searchsorted(ordered, combined, side="right")
    start = np.searchsorted(ordered, groups.astype(np.int64) * (len(keys) + 1), side="left")
    below = lo - start + (hi - lo - 1) / 2.0
    return np.asarray(100.0 * below / (sizes[groups] - 1), dtype=np.float64)


def _rank_column(
    keys: FloatArray, codes: IntArray, names: Sequence[str], min_peers: int
) -> tuple[FloatArray, list[str | None]]:
    """One figure's percentiles (NaN where absent) and the peer group each was ranked in."""
    n = len(keys)
    pct = np.full(n, np.nan)
    peers: list[str | None] = [None] * n
    present = np.flatnonzero(~np.isnan(keys))
    m = len(present)
    if m < 2:
        return pct, peers
    k, c = keys[present], codes[present]
    universe = _percentiles(k, np.zeros(m, dtype=np.intp), np.array([m], dtype=np.intp))
    counts = np.bincount(c[c >= 0], minlength=len(names)).astype(np.intp)
    need = max(min_peers, 2)  # one company cannot be ranked against itself
    own = (c >= 0) & (counts[np.maximum(c, 0)] >= need)
    chosen = universe
    if own.any():
        chosen = universe.copy()
        chosen[own] = _percentiles(k[own], c[own], counts)
    pct[present] = chosen
    everyone = f"all {m} companies"
    # A sector that is the whole universe is its own peer group, however small.
    labels = [
        names[s]
        if counts[s] >= need or counts[s] == m
        else f"{everyone} (only {counts[s]} in {names[s]})"
        for s in range(len(names))
    ]
    for i, s in zip(present.tolist(), c.tolist(), strict=True):
        peers[i] = labels[s] if s >= 0 else everyone
    return pct, peers


def _heads(metric: _Metric, values: Sequence[float], present: Sequence[bool]) -> list[str]:
    """Each present figure as a reader expects it: "ROE 31%", "P/E 11.2", "debt/equity 0.45".

    One comprehension per kind, because this runs for every figure of every company.
    """
    label = metric.label
    if metric.kind == "rate":
        return [
            f"{label} {v * 100:.1f}%".replace(".0%", "%") if ok else ""
            for v, ok in zip(values, present, strict=True)
        ]
    if metric.kind == "multiple":
        texts = [
            (f"{label} {v:.1f}".removesuffix(".0") if abs(v) < 1000 else f"{label} {v:.0f}")
            if ok
            else ""
            for v, ok in zip(values, present, strict=True)
        ]
    else:
        texts = [f"{label} {v:.2f}" if ok else "" for v, ok in zip(values, present, strict=True)]
    if metric.negative:
        note = f" ({metric.negative})"
        texts = [
            t + note if ok and v < 0 else t for t, v, ok in zip(texts, values, present, strict=True)
        ]
    return texts


# Percentile bands, best first: top tenth, top fifth, above, near, below the median, bottom
# fifth, bottom tenth (`_bands` picks one phrase of `_Metric.phrases`).
_EPS = 1e-9
_BAND_EDGES = np.array([10.0 + _EPS, 20.0 + _EPS, 40.0, 60.0 + _EPS, 80.0, 90.0])


def _bands(pct: FloatArray) -> npt.NDArray[np.intp]:
    """Which of the seven phrases fits each percentile, 0 for the best tenth."""
    # 90 is in the top tenth, 10 in the bottom tenth, 40 and 60 are still near the median.
    return np.asarray(
        6 - np.searchsorted(_BAND_EDGES, np.nan_to_num(pct), side="right"), dtype=np.intp
    )


def _latest(rows: Sequence[Fundamentals]) -> list[Fundamentals]:
    """One row per symbol, the most recent (the later one on a tie), in first-seen order."""
    keep: dict[str, Fundamentals] = {}
    for row in rows:
        old = keep.get(row.symbol)
        if old is None or row.as_of_ns >= old.as_of_ns:
            keep[row.symbol] = row
    return list(keep.values())


def _sector(name: str | None) -> str:
    name = (name or "").strip()
    return "" if name.lower() in _UNKNOWN_SECTORS else name


def score_fundamentals(
    rows: Sequence[Fundamentals],
    sectors: Mapping[str, str],
    *,
    min_peers: int = 5,
    liquidity_cap: float = 3.0,
    max_drivers: int | None = None,
) -> dict[str, PillarScore]:
    """Every company's fundamental pillar, ranked against its sector (see the module docstring).

    Args:
        rows: the universe's figures; for a symbol given twice, the latest `as_of_ns` counts.
        sectors: symbol to sector name; a symbol without one is ranked against everybody.
        min_peers: the fewest companies of a sector reporting a figure for the sector to be
            its peer group (the company itself included).
        liquidity_cap: the current ratio above which more is no better.
        max_drivers: keep only this many figure drivers (the strongest); None keeps all.
    """
    universe = _latest(rows)
    if not universe:
        return {}
    names: list[str] = []
    index: dict[str, int] = {}
    codes_list: list[int] = []
    for row in universe:
        s = _sector(sectors.get(row.symbol))
        if s and s not in index:
            index[s] = len(names)
            names.append(s)
        codes_list.append(index[s] if s else -1)
    codes = np.array(codes_list, dtype=np.intp)
    nan = math.nan
    flat = [nan if v is None else v for row in universe for v in _VALUES(row)]
    raw = np.array(flat, dtype=np.float64).reshape(len(universe), len(_METRICS))
    raw[~np.isfinite(raw)] = np.nan
    keys = _keys(raw, liquidity_cap)
    pct = np.full(raw.shape, np.nan)
    peers: list[list[str | None]] = []
    for j in range(len(_METRICS)):
        pct[:, j], column_peers = _rank_column(keys[:, j], codes, names, min_peers)
        peers.append(column_peers)
    return _assemble(universe, raw, pct, peers, max_drivers)


def _assemble(
    universe: Sequence[Fundamentals],
    raw: FloatArray,
    pct: FloatArray,
    peers: Sequence[Sequence[str | None]],
    max_drivers: int | None,
) -> dict[str, PillarScore]:
    """Group means, pillar values, confidences and drivers from the ranked figures."""
    has = ~np.isnan(pct)
    counts = has.astype(np.float64) @ _MEMBER
    sums = np.where(has, pct, 0.0) @ _MEMBER
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = np.where(counts > 0, sums / counts, np.nan)
        known = (counts > 0).sum(axis=1)
        value = np.where(known > 0, np.where(counts > 0, parts, 0.0).sum(axis=1) / known, np.nan)
        # A figure's share of the pillar is 1/(groups known x figures known in its group), so
        # the impacts add up exactly to how far the pillar sits from the neutral 50.
        impact = (pct - 50.0) / (known[:, None] * counts[:, _GROUP_OF])
    confidence = (has * _WEIGHT).sum(axis=1)
    order = np.argsort(np.where(has, -np.abs(impact), np.inf), axis=1, kind="stable").tolist()
    has_l = has.tolist()
    heads = [_heads(m, raw[:, j].tolist(), has[:, j].tolist()) for j, m in enumerate(_METRICS)]
    bands = _bands(pct).T.tolist()
    limit = len(_METRICS) if max_drivers is None else max(max_drivers, 0)
    out: dict[str, PillarScore] = {}
    imp_l, parts_l, value_l, conf_l = (
        impact.tolist(),
        parts.tolist(),
        value.tolist(),
        confidence.tolist(),
    )
    for i, row in enumerate(universe):
        group_parts: dict[str, float | None] = {
            g: (None if math.isnan(p) else p) for g, p in zip(GROUPS, parts_l[i], strict=True)
        }
        if math.isnan(value_l[i]):
            out[row.symbol] = PillarScore(None, 0.0, group_parts, ())
            continue
        drivers: list[Driver] = []
        row_has = has_l[i]
        for j in order[i][:limit]:
            if not row_has[j]:
                break
            text = f"{heads[j][i]}{_PHRASES[j][bands[j][i]]}{peers[j][i]}"
            drivers.append(Driver(text, imp_l[i][j]))
        if not all(row_has):
            missing = ", ".join(m.label for j, m in enumerate(_METRICS) if not row_has[j])
            drivers.append(Driver(f"not reported or not comparable: {missing}", 0.0))
        out[row.symbol] = PillarScore(value_l[i], round(conf_l[i], 6), group_parts, tuple(drivers))
    return out
