"""The simulated market's universe: invented companies, two crypto pairs and a benchmark fund.

Every ticker and company name here is made up, so nothing the simulator shows can be mistaken for
a real quote. The table is grouped by sector for reading; `UNIVERSE` deals it out one sector at a
time, so the first N symbols of a small simulation still span many sectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import zip_longest

from tpm.domain import Instrument, dt_to_ns

__all__ = [
    "BENCHMARK_SYMBOL",
    "DEFAULT_EPOCH_NS",
    "MARKET_VOL",
    "SECTOR_VOL",
    "UNIVERSE",
    "SymbolSpec",
]

MARKET_VOL = 0.16
"""Annual volatility of the market factor, which is also the benchmark fund's volatility."""

SECTOR_VOL: dict[str, float] = {
    "Technology": 0.32,
    "Communication Services": 0.28,
    "Consumer Discretionary": 0.28,
    "Energy": 0.30,
    "Materials": 0.25,
    "Health Care": 0.24,
    "Financials": 0.23,
    "Industrials": 0.22,
    "Real Estate": 0.21,
    "Consumer Staples": 0.16,
    "Utilities": 0.14,
    "Crypto": 0.70,
    "Index": MARKET_VOL,
}
"""Base annual volatility by sector; each name scales it by its own `vol_mult`."""

BENCHMARK_SYMBOL = "SIMX"

DEFAULT_EPOCH_NS = dt_to_ns(datetime(2024, 1, 2, tzinfo=UTC))
"""Where the sim clock starts when it does not follow the wall clock."""


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One simulated symbol: what it is and the parameters of its price process.

    `drift` and the volatility are annual (a simulated year is 252 days of 24 hours); `beta` is the
    sensitivity to the market factor; `cap_bn` is the market value in billions at `price`.
    """

    instrument: Instrument
    price: float
    drift: float
    beta: float
    vol_mult: float
    cap_bn: float

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def sector(self) -> str:
        return self.instrument.sector

    @property
    def asset_class(self) -> str:
        return self.instrument.asset_class

    @property
    def vol(self) -> float:
        """Annual volatility in the calm-to-turbulent average regime."""
        return SECTOR_VOL[self.instrument.sector] * self.vol_mult


# symbol, company, price, drift, beta, vol_mult, cap_bn
_Row = tuple[str, str, float, float, float, float, float]

_EQUITIES: dict[str, list[_Row]] = {
    "Technology": [
        ("ZORV", "Zorvane Semiconductor", 412.30, 0.24, 1.40, 1.10, 310.0),
        ("NMBQ", "Nimbriq Cloud Software", 186.75, 0.15, 1.20, 1.00, 95.0),
        ("VQTR", "Vectaron Quantum Systems", 57.20, -0.14, 1.50, 1.45, 6.2),
        ("LXDV", "Luxdeva Devices", 128.40, 0.07, 1.05, 0.85, 640.0),
        ("KQRX", "Kyrox Robotics", 874.10, 0.18, 1.30, 1.05, 220.0),
    ],
    "Financials": [
        ("BQFN", "Brightquay Financial", 64.15, 0.07, 1.15, 1.00, 88.0),
        ("HZCP", "Harzen Capital Partners", 142.60, 0.05, 1.30, 1.10, 41.0),
        ("MWLQ", "Merrowlake Bancorp", 38.90, -0.04, 1.05, 0.95, 12.0),
        ("TQSR", "Tessquire Insurance Group", 96.30, 0.06, 0.80, 0.80, 27.0),
    ],
    "Health Care": [
        ("CVZX", "Covazix Therapeutics", 23.85, -0.18, 1.20, 1.90, 2.4),
        ("MDQL", "Medquell Health", 312.40, 0.09, 0.75, 0.80, 150.0),
        ("ORVZ", "Orvizen Biosciences", 88.10, 0.20, 1.10, 1.35, 18.0),
        ("PLXQ", "Pellaxiq Medical Devices", 173.25, 0.06, 0.90, 0.90, 54.0),
    ],
    "Energy": [
        ("KZNE", "Kazenne Petroleum", 72.45, 0.03, 1.00, 1.00, 135.0),
        ("SLQX", "Solquex Renewables", 19.60, 0.16, 1.45, 1.50, 4.8),
        ("DRQO", "Drakqo Oilfield Services", 31.20, -0.10, 1.25, 1.20, 9.5),
        ("FXGP", "Flaxgrove Pipelines", 45.80, 0.02, 0.70, 0.70, 38.0),
    ],
    "Consumer Discretionary": [
        ("VLQZ", "Velquize Apparel", 54.30, -0.06, 1.15, 1.05, 11.0),
        ("RQMT", "Roqmart Online Retail", 238.90, 0.19, 1.30, 1.15, 420.0),
        ("AUZX", "Auzexa Motors", 8.42, -0.22, 1.60, 1.70, 1.9),
        ("HQVN", "Havenquist Hotels", 103.70, 0.05, 1.10, 0.95, 23.0),
    ],
    "Consumer Staples": [
        ("GZBK", "Grazebrook Foods", 61.25, 0.04, 0.60, 0.95, 34.0),
        ("PQRL", "Pearlquay Beverages", 148.50, 0.06, 0.55, 0.90, 190.0),
        ("MXQH", "Maxquith Household Products", 87.60, 0.01, 0.50, 0.85, 62.0),
        ("TZFM", "Tezfield Markets", 42.10, 0.03, 0.65, 1.10, 15.0),
    ],
    "Industrials": [
        ("AXQR", "Axquire Aerospace", 265.30, 0.11, 1.05, 1.05, 160.0),
        ("RZTK", "Rezitek Machinery", 79.40, 0.07, 1.15, 1.00, 29.0),
        ("BQLX", "Bolquix Logistics", 56.75, -0.05, 1.00, 1.00, 17.0),
        ("HVZN", "Havzen Rail", 133.20, 0.05, 0.90, 0.85, 71.0),
    ],
    "Utilities": [
        ("QWPL", "Quillwater Power & Light", 58.40, 0.03, 0.45, 1.00, 44.0),
        ("GZUT", "Greyzen Utilities", 34.15, 0.02, 0.50, 1.05, 19.0),
        ("NRQW", "Norquay Water Works", 71.90, 0.04, 0.40, 0.90, 13.0),
    ],
    "Communication Services": [
        ("SQVD", "Streamquill Video", 198.60, 0.14, 1.20, 1.10, 125.0),
        ("TLZQ", "Telzaq Wireless", 26.30, -0.05, 0.75, 0.80, 58.0),
        ("PXQM", "Pixquom Media", 12.15, -0.15, 1.35, 1.40, 3.1),
    ],
    "Materials": [
        ("FQMT", "Ferroquam Metals", 47.20, 0.05, 1.15, 1.05, 26.0),
        ("CZLX", "Cryzelix Chemicals", 112.80, 0.03, 1.00, 0.90, 47.0),
        ("LQNR", "Lumquarry Minerals", 22.35, 0.10, 1.30, 1.35, 5.6),
    ],
    "Real Estate": [
        ("VQRE", "Vellquay Realty Trust", 39.70, 0.01, 0.85, 1.00, 21.0),
        ("SZPR", "Sozpier Property Trust", 88.95, 0.04, 0.80, 0.95, 33.0),
    ],
}

_CRYPTO: list[_Row] = [
    ("SIMBTC-USD", "Simcoin / US Dollar", 684.20, 0.25, 0.90, 1.00, 13.5),
    ("SIMETH-USD", "Simether / US Dollar", 41.37, 0.18, 1.00, 1.20, 5.0),
]

# The fund's "market value" is its assets under management, which sets its liquidity.
_INDEX: _Row = (BENCHMARK_SYMBOL, "SIM Total Market Index Fund", 452.60, 0.08, 1.00, 1.00, 480.0)

_CRYPTO_LOT = Decimal("0.0001")


def _spec(row: _Row, sector: str, asset_class: str) -> SymbolSpec:
    symbol, name, price, drift, beta, vol_mult, cap_bn = row
    is_crypto = asset_class == "crypto"
    instrument = Instrument(
        symbol=symbol,
        name=name,
        sector=sector,
        asset_class=asset_class,
        exchange="SIM",
        currency="USD",
        timezone="UTC",
        session_open="00:00",
        session_close="00:00",
        tick_size=Decimal("0.01"),
        lot_size=_CRYPTO_LOT if is_crypto else Decimal(1),
        min_qty=_CRYPTO_LOT if is_crypto else Decimal(1),
        is_shortable=not is_crypto,
    )
    return SymbolSpec(instrument, price, drift, beta, vol_mult, cap_bn)


def _deal() -> tuple[SymbolSpec, ...]:
    """The benchmark first, then one name per sector per round, a crypto pair after each round."""
    rounds = zip_longest(*_EQUITIES.values())
    sectors = list(_EQUITIES)
    specs = [_spec(_INDEX, "Index", "etf")]
    for round_no, rows in enumerate(rounds):
        specs.extend(_spec(r, s, "equity") for r, s in zip(rows, sectors, strict=True) if r)
        if round_no < len(_CRYPTO):
            specs.append(_spec(_CRYPTO[round_no], "Crypto", "crypto"))
    return tuple(specs)


UNIVERSE: tuple[SymbolSpec, ...] = _deal()
"""Every simulated symbol, in the order `SimulatedMarket(symbols=N)` takes the first N."""
