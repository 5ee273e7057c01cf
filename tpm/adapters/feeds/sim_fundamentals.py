"""Fundamentals for the simulated market: sector-typical figures that agree with each name's drift.

Figures are built to be consistent with one another the way real ones are (P/S is P/E times the
net margin, P/B is P/E times ROE, EV/EBITDA follows from those and the leverage), and names the
simulator makes grow faster get faster revenue and earnings growth and richer multiples. A few
figures are left out on purpose, because real data has gaps.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tpm.adapters.feeds.sim_universe import DEFAULT_EPOCH_NS, UNIVERSE, SymbolSpec
from tpm.domain import FUNDAMENTAL_FIELDS, Fundamentals

__all__ = ["SimulatedFundamentals"]

_STREAM_FUNDAMENTALS = 5
_TYPICAL_DRIFT = 0.05


@dataclass(frozen=True, slots=True)
class _Profile:
    pe: float
    gross_margin: float
    operating_margin: float
    roe: float
    growth: float
    debt_to_equity: float
    current_ratio: float
    payout: float


_PROFILES: dict[str, _Profile] = {
    "Technology": _Profile(28, 0.62, 0.24, 0.22, 0.10, 0.45, 2.3, 0.15),
    "Communication Services": _Profile(21, 0.55, 0.20, 0.16, 0.07, 0.80, 1.3, 0.20),
    "Consumer Discretionary": _Profile(24, 0.38, 0.11, 0.18, 0.07, 0.90, 1.4, 0.20),
    "Consumer Staples": _Profile(21, 0.36, 0.15, 0.20, 0.04, 0.90, 0.95, 0.60),
    "Energy": _Profile(11, 0.32, 0.14, 0.14, 0.03, 0.55, 1.2, 0.40),
    "Financials": _Profile(13, 0.60, 0.30, 0.12, 0.05, 1.60, 1.1, 0.35),
    "Health Care": _Profile(23, 0.66, 0.18, 0.15, 0.07, 0.60, 1.8, 0.30),
    "Industrials": _Profile(20, 0.30, 0.13, 0.17, 0.05, 0.80, 1.4, 0.35),
    "Materials": _Profile(16, 0.27, 0.14, 0.13, 0.04, 0.55, 1.7, 0.35),
    "Real Estate": _Profile(30, 0.58, 0.32, 0.07, 0.04, 1.10, 1.0, 0.85),
    "Utilities": _Profile(18, 0.42, 0.22, 0.10, 0.03, 1.50, 0.85, 0.65),
}


def _company(spec: SymbolSpec, rng: np.random.Generator) -> dict[str, float | None]:
    """Every figure of one company, before any are dropped."""
    prof = _PROFILES[spec.sector]
    excess = spec.drift - _TYPICAL_DRIFT
    z = rng.standard_normal(10)
    revenue_growth = prof.growth + 0.6 * excess + 0.02 * z[0]
    eps_growth = 1.5 * revenue_growth + 0.5 * excess + 0.05 * z[1]
    operating = max(prof.operating_margin * np.exp(0.2 * z[2]) + 0.8 * excess, -0.35)
    gross = max(prof.gross_margin * np.exp(0.1 * z[3]), operating + 0.05)
    net = operating * 0.75 - 0.01 if operating > 0 else operating * 1.1
    is_profitable = net > 0.005
    pe = prof.pe * np.exp(2.0 * excess + 0.15 * z[4]) if is_profitable else None
    roe = prof.roe * np.exp(0.2 * z[5]) + 0.3 * excess if is_profitable else 2.0 * net
    sector_pb = prof.pe * prof.roe
    sector_ps = prof.pe * (prof.operating_margin * 0.75 - 0.01)
    pb = pe * roe if pe is not None and roe > 0 else sector_pb * np.exp(0.3 * z[6])
    ps = pe * net if pe is not None else sector_ps * np.exp(0.3 * z[7])
    debt_to_equity = prof.debt_to_equity * np.exp(0.3 * z[8])
    ebitda_margin = operating + 0.05  # plus depreciation and amortisation
    ev_ebitda = ps * (1 + debt_to_equity / pb) / ebitda_margin if ebitda_margin > 0.02 else None
    # Fast growers reinvest rather than pay out; thin or negative earners pay nothing.
    payout = prof.payout * float(np.clip(1 - 4 * excess, 0.0, 1.3)) if net > 0.03 else 0.0
    dividend_yield = payout / pe if pe is not None else 0.0
    return {
        "market_cap": spec.cap_bn * 1e9,
        "pe": pe,
        "pb": pb,
        "ps": ps,
        "ev_ebitda": ev_ebitda,
        "roe": roe,
        "gross_margin": gross,
        "operating_margin": operating,
        "net_margin": net,
        "revenue_growth": revenue_growth,
        "eps_growth": eps_growth,
        "debt_to_equity": debt_to_equity,
        "current_ratio": prof.current_ratio * np.exp(0.2 * z[9]),
        "dividend_yield": dividend_yield,
    }


class SimulatedFundamentals:
    """A `FundamentalsSource` for the simulated universe; same seed, same figures.

    Crypto pairs carry only a market value and the index fund no company figures at all.
    """

    name = "sim"

    def __init__(
        self,
        *,
        seed: int = 42,
        specs: Sequence[SymbolSpec] | None = None,
        as_of_ns: int = DEFAULT_EPOCH_NS,
        missing_rate: float = 0.03,
    ) -> None:
        self._rows: dict[str, Fundamentals] = {}
        for spec in specs if specs is not None else UNIVERSE:
            # Seeded per symbol so a name's figures do not depend on which others are simulated.
            rng = np.random.default_rng(
                (seed, _STREAM_FUNDAMENTALS, zlib.crc32(spec.symbol.encode()))
            )
            values: dict[str, float | None] = dict.fromkeys(FUNDAMENTAL_FIELDS)
            if spec.asset_class == "equity":
                values.update(_company(spec, rng))
                dropped = rng.random(len(FUNDAMENTAL_FIELDS)) < missing_rate
                for field, is_dropped in zip(FUNDAMENTAL_FIELDS, dropped.tolist(), strict=True):
                    if is_dropped and field != "market_cap":
                        values[field] = None
            elif spec.asset_class == "crypto":
                values["market_cap"] = spec.cap_bn * 1e9
            clean = {k: None if v is None else round(float(v), 6) for k, v in values.items()}
            self._rows[spec.symbol] = Fundamentals(
                symbol=spec.symbol, as_of_ns=as_of_ns, source=self.name, **clean
            )

    async def fundamentals(self, symbols: Sequence[str]) -> list[Fundamentals]:
        """Figures for the symbols this source knows, in the order asked; others are skipped."""
        return [self._rows[s] for s in symbols if s in self._rows]
