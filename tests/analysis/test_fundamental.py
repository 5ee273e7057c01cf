"""The fundamental pillar: sector percentiles, fallbacks, missing figures and plain-words drivers."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from tpm.adapters.feeds.sim_fundamentals import SimulatedFundamentals
from tpm.adapters.feeds.sim_universe import UNIVERSE
from tpm.analysis.fundamental import GROUPS, SCORED_FIELDS, score_fundamentals
from tpm.domain import Fundamentals


def row(symbol: str, **figures: float | None) -> Fundamentals:
    return Fundamentals(symbol=symbol, as_of_ns=1, source="test", **figures)


def tech_pe(*pes: float) -> tuple[list[Fundamentals], dict[str, str]]:
    rows = [row(f"T{i}", pe=pe) for i, pe in enumerate(pes)]
    return rows, {r.symbol: "Technology" for r in rows}


def test_percentiles_by_hand_rank_cheapest_highest() -> None:
    rows, sectors = tech_pe(10, 20, 30, 40, 50)
    scores = score_fundamentals(rows, sectors)
    # Five peers: the cheapest is 100, then 75, 50, 25, 0 (rank / (n - 1)).
    assert [scores[f"T{i}"].value for i in range(5)] == [100.0, 75.0, 50.0, 25.0, 0.0]
    assert scores["T0"].parts == {
        "valuation": 100.0,
        "profitability": None,
        "growth": None,
        "health": None,
    }


def test_ties_share_their_middle_rank() -> None:
    rows, sectors = tech_pe(10, 20, 20, 40, 50)
    scores = score_fundamentals(rows, sectors)
    assert scores["T1"].value == scores["T2"].value == 62.5  # ranks 2 and 3 of 0..4 -> 2.5/4


def test_negative_pe_is_the_worst_valuation_and_a_deeper_loss_is_worse() -> None:
    rows, sectors = tech_pe(8, 25, 60, -50, -5)
    scores = score_fundamentals(rows, sectors)
    values = {s: p.value for s, p in scores.items()}
    assert values["T0"] == 100.0  # P/E 8: cheapest
    assert values["T4"] == 0.0  # P/E -5: a loss of a fifth of the price
    assert values["T3"] == 25.0  # P/E -50: a smaller loss, still below every profit
    assert values["T2"] == 50.0  # P/E 60 is dear but profitable
    assert scores["T4"].drivers[0].text == "P/E -5 (losses): most expensive 10% of Technology"


def test_lower_is_better_for_leverage_with_zero_debt_best_and_negative_equity_worst() -> None:
    rows = [row(f"I{i}", debt_to_equity=d) for i, d in enumerate([0.0, 0.5, 1.0, 2.0, -1.5])]
    scores = score_fundamentals(rows, dict.fromkeys([r.symbol for r in rows], "Industrials"))
    assert [scores[r.symbol].parts["health"] for r in rows] == [100.0, 75.0, 50.0, 25.0, 0.0]
    assert "negative equity" in scores["I4"].drivers[0].text


def test_current_ratio_above_the_cap_is_no_better() -> None:
    rows = [row(f"U{i}", current_ratio=c) for i, c in enumerate([0.5, 1.0, 2.0, 3.5, 9.0])]
    scores = score_fundamentals(rows, dict.fromkeys([r.symbol for r in rows], "Utilities"))
    assert scores["U3"].value == scores["U4"].value == 87.5
    assert scores["U0"].value == 0.0


def test_small_sector_falls_back_to_the_universe_and_says_so() -> None:
    rows, sectors = tech_pe(10, 20, 30, 40, 50)
    rows += [row("E0", pe=5.0), row("E1", pe=100.0)]
    sectors |= {"E0": "Energy", "E1": "Energy"}
    scores = score_fundamentals(rows, sectors)
    # Energy has two P/Es (fewer than 5): ranked among all 7, where 5 is the cheapest.
    assert scores["E0"].value == 100.0
    assert scores["E1"].value == 0.0
    assert scores["E0"].drivers[0].text == (
        "P/E 5 in the cheapest 10% of all 7 companies (only 2 in Energy)"
    )
    # Technology keeps its own five peers.
    assert scores["T0"].value == 100.0
    assert scores["T0"].drivers[0].text == "P/E 10 in the cheapest 10% of Technology"


def test_min_peers_is_configurable_and_unknown_sectors_rank_against_everyone() -> None:
    rows = [row("A", roe=0.1), row("B", roe=0.2), row("C", roe=0.3)]
    scores = score_fundamentals(rows, {"A": "Unclassified", "B": "", "C": "Energy"}, min_peers=1)
    assert scores["A"].value == 0.0 and scores["B"].value == 50.0
    assert scores["A"].drivers[0].text.endswith("of all 3 companies")
    # C is alone in Energy: with min_peers=1 its sector is big enough, but one company cannot
    # be ranked against itself, so its ROE is ranked with everyone's.
    assert scores["C"].value == 100.0


def test_missing_figures_lower_confidence_and_never_count_as_zero() -> None:
    full = dict(pe=10.0, roe=0.30, revenue_growth=0.2, current_ratio=2.0)
    rows = [row("FULL", **full), row("GAPS", pe=9.0)]
    rows += [
        row(f"P{i}", pe=20.0 + i, roe=0.05 + i / 100, revenue_growth=0.01 * i, current_ratio=1.0)
        for i in range(4)
    ]
    scores = score_fundamentals(rows, dict.fromkeys([r.symbol for r in rows], "Technology"))
    gaps = scores["GAPS"]
    # Only valuation is known: the pillar is the valuation part, not dragged down by zeros.
    assert gaps.parts["valuation"] == 100.0
    assert gaps.parts["profitability"] is None and gaps.parts["health"] is None
    assert gaps.value == 100.0
    # One of P/E, P/B, P/S, EV/EBITDA: a quarter of the valuation quarter.
    assert gaps.confidence == pytest.approx(1 / 16)
    assert scores["FULL"].confidence == pytest.approx(1 / 16 + 1 / 16 + 1 / 8 + 1 / 8)
    assert "not reported or not comparable: P/B, P/S, EV/EBITDA, ROE" in gaps.drivers[-1].text
    assert gaps.drivers[-1].impact == 0.0


def test_nothing_to_score_gives_none_and_zero_confidence() -> None:
    rows, sectors = tech_pe(10, 20, 30, 40, 50)
    rows += [row("EMPTY"), row("NAN", pe=math.nan, roe=math.inf)]
    scores = score_fundamentals(rows, sectors)
    for symbol in ("EMPTY", "NAN"):
        assert scores[symbol].value is None
        assert scores[symbol].confidence == 0.0
        assert scores[symbol].drivers == ()
        assert set(scores[symbol].parts) == set(GROUPS)
    assert score_fundamentals([], {}) == {}
    lone = score_fundamentals([row("ONLY", pe=12.0)], {"ONLY": "Technology"})
    assert lone["ONLY"].value is None  # nobody to compare with


def test_drivers_are_plain_words_strongest_first_and_add_up_to_the_distance_from_50() -> None:
    sectors: dict[str, str] = {}
    rows: list[Fundamentals] = []
    margins = [0.31, 0.20, 0.15, 0.10, 0.05, 0.02]
    for i, m in enumerate(margins):
        rows.append(row(f"F{i}", net_margin=m, pe=12.0 + i, revenue_growth=0.05))
        sectors[f"F{i}"] = "Financials"
    growth = [-0.08, 0.01, 0.03, 0.05, 0.07]
    for i, g in enumerate(growth):
        rows.append(row(f"E{i}", revenue_growth=g, pe=11.2 if i == 0 else 20.0 + i))
        sectors[f"E{i}"] = "Energy"
    scores = score_fundamentals(rows, sectors)
    f0 = scores["F0"]
    texts = [d.text for d in f0.drivers]
    assert "net margin 31% in the top 10% of Financials" in texts
    assert "P/E 12 in the cheapest 10% of Financials" in texts
    e0 = scores["E0"]
    assert [d.text for d in e0.drivers[:2]] == [
        "P/E 11.2 in the cheapest 10% of Energy",
        "revenue growth -8%: bottom 10% of Energy",
    ]
    for p in scores.values():
        impacts = [abs(d.impact) for d in p.drivers]
        assert impacts == sorted(impacts, reverse=True)
        assert p.value is not None
        assert sum(d.impact for d in p.drivers) == pytest.approx(p.value - 50.0)
    assert e0.drivers[0].impact > 0 > e0.drivers[1].impact


def test_middle_bands_compare_with_the_median() -> None:
    rows, sectors = tech_pe(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110)
    texts = {s: p.drivers[0].text for s, p in score_fundamentals(rows, sectors).items()}
    assert texts["T1"] == "P/E 20 in the cheapest 10% of Technology"  # 90th percentile
    assert texts["T2"] == "P/E 30 in the cheapest 20% of Technology"  # 80th
    assert texts["T3"] == "P/E 40: cheaper than the median of Technology"  # 70th
    assert texts["T5"] == "P/E 60: near the median of Technology"
    assert texts["T7"] == "P/E 80: dearer than the median of Technology"
    assert texts["T6"] == "P/E 70: near the median of Technology"  # 40th
    assert texts["T8"] == "P/E 90: most expensive 20% of Technology"  # 20th
    assert texts["T9"] == "P/E 100: most expensive 10% of Technology"  # 10th


def test_latest_row_of_a_symbol_counts_and_max_drivers_trims() -> None:
    rows, sectors = tech_pe(10, 20, 30, 40, 50)
    newer = Fundamentals("T0", as_of_ns=2, pe=60.0, roe=0.2)
    scores = score_fundamentals([*rows, newer], sectors, max_drivers=1)
    assert scores["T0"].parts["valuation"] == 0.0  # P/E 60 replaced P/E 10
    assert len([d for d in scores["T0"].drivers if d.impact]) == 1


def test_simulated_market_scores_are_deterministic_and_bounded() -> None:
    src = SimulatedFundamentals()
    rows = asyncio.run(src.fundamentals([s.symbol for s in UNIVERSE]))
    sectors = {s.symbol: s.sector for s in UNIVERSE}
    first = score_fundamentals(rows, sectors)
    assert score_fundamentals(rows, sectors) == first
    # The order of the rows does not matter.
    again = score_fundamentals(list(reversed(rows)), sectors)
    assert {s: p.value for s, p in again.items()} == {s: p.value for s, p in first.items()}
    equities = [s.symbol for s in UNIVERSE if s.asset_class == "equity"]
    for symbol in equities:
        p = first[symbol]
        assert p.value is not None and 0 <= p.value <= 100
        assert 0 < p.confidence <= 1
    crypto = [s.symbol for s in UNIVERSE if s.asset_class == "crypto"]
    assert all(first[s].value is None for s in crypto)


def test_real_sp500_snapshot_scores_every_company(shared_data: Path) -> None:
    from tpm.adapters.fundamentals.csv_import import read_fundamentals_csv

    path = shared_data / "fundamentals" / "constituents-financials.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = read_fundamentals_csv(path)
    scores = score_fundamentals(data.rows, data.sectors)
    assert len(scores) == len(data.rows) > 450
    values = [p.value for p in scores.values()]
    assert all(v is not None for v in values)
    known = [v for v in values if v is not None]
    assert min(known) < 10 and max(known) > 90
    # Spread across the range, not bunched around 50.
    deciles = {int(v // 10) for v in known}
    assert len(deciles) >= 9
    # The snapshot has no growth or balance-sheet figures: nobody is fully known.
    assert all(p.confidence < 1 for p in scores.values())
    incomplete = [
        s
        for s, r in zip(scores, data.rows, strict=True)
        if any(getattr(r, f) is None for f in SCORED_FIELDS)
    ]
    assert all(scores[s].confidence < 1 for s in incomplete)
