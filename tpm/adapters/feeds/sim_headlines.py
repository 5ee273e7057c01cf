"""Headline templates for the simulated news wire, and the tone each one carries.

A headline is a template filled from a row of uniform draws, so a seed fixes every word. The
templates of each tone use words a reader (or a sentiment scorer) takes as that tone; neutral
ones are the routine notices every company issues.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from tpm.adapters.feeds.sim_universe import SymbolSpec

__all__ = ["DRAWS_PER_HEADLINE", "compose", "compose_jump", "template_tone"]

DRAWS_PER_HEADLINE = 8
"""Uniform draws `compose` and `compose_jump` consume per headline."""

POSITIVE, NEUTRAL, NEGATIVE = 1, 0, -1

_EQUITY: dict[int, tuple[str, ...]] = {
    POSITIVE: (
        "{short} beats estimates as {quarter} revenue climbs {pct}%",
        "{name} raises full-year guidance on strong demand for its {product}",
        "{analyst} upgrades {short} to buy, sees {pct}% upside",
        "{short} wins ${amount} million contract for its {product}",
        "{name} launches next-generation {product} to strong early orders",
        "{short} announces ${amount} million share buyback",
        "{short} lifts quarterly dividend by {pct}%",
        "{name} posts record {quarter} margins as costs fall",
        "{short} expands partnership with {partner} on {product}",
        "{analyst} raises {short} price target to ${target}",
        "Regulators approve {short}'s {product}",
    ),
    NEGATIVE: (
        "{short} misses {quarter} estimates as sales slip {pct}%",
        "{name} cuts full-year outlook, citing weak demand for its {product}",
        "{analyst} downgrades {short} to sell on margin worries",
        "{short} faces lawsuit over its {product}",
        "{name} pauses {product} after safety complaints",
        "{short} {role} resigns unexpectedly",
        "Regulators open probe into {name}'s accounting",
        "{short} loses ${amount} million contract to a rival",
        "{analyst} cuts {short} price target to ${target}",
        "{name} delays {product} launch amid quality problems",
        "{short} suspends buyback to preserve cash",
    ),
    NEUTRAL: (
        "{name} to present at the {conference}",
        "{short} schedules {quarter} earnings call",
        "{name} appoints new independent director",
        "{short} files annual report with regulators",
        "{name} to hold investor day in {city}",
        "{short} completes previously announced debt refinancing",
    ),
}

_CRYPTO: dict[int, tuple[str, ...]] = {
    POSITIVE: (
        "{short} rallies as {product} goes live",
        "Large custodian adds support for {short}",
        "{short} network activity hits record high",
        "Fund managers pour ${amount} million into {short} products",
    ),
    NEGATIVE: (
        "{short} slides after exchange outage halts withdrawals",
        "Regulators warn investors over {short} trading risks",
        "{short} network suffers hours-long stall",
        "Large holder moves ${amount} million of {short} to exchanges, stoking sell-off fears",
    ),
    NEUTRAL: (
        "{short} developers schedule community call on {product}",
        "{short} foundation publishes quarterly transparency report",
    ),
}

_FUND: dict[int, tuple[str, ...]] = {
    POSITIVE: (
        "{name} draws ${amount} million of inflows as risk appetite improves",
        "Upbeat earnings season lifts {name}",
    ),
    NEGATIVE: (
        "{name} sees ${amount} million of outflows as investors turn cautious",
        "Recession fears weigh on {name}",
    ),
    NEUTRAL: (
        "{name} rebalances holdings at quarter end",
        "{name} announces quarterly distribution",
    ),
}

_JUMP: dict[str, dict[int, tuple[str, ...]]] = {
    "equity": {
        POSITIVE: (
            "{short} shares jump {pct}% after {catalyst}",
            "{short} soars {pct}% on {catalyst}",
        ),
        NEGATIVE: (
            "{short} shares plunge {pct}% after {catalyst}",
            "{short} sinks {pct}% after {catalyst}",
        ),
    },
    "crypto": {
        POSITIVE: ("{short} jumps {pct}% in heavy trading",),
        NEGATIVE: ("{short} plunges {pct}% in a sudden sell-off",),
    },
    "etf": {
        POSITIVE: ("Broad rally sends {name} up {pct}%",),
        NEGATIVE: ("Broad sell-off sends {name} down {pct}%",),
    },
}

_CATALYSTS = {
    POSITIVE: (
        "a surprise earnings beat",
        "a takeover approach",
        "regulatory approval for its {product}",
        "blowout guidance",
    ),
    NEGATIVE: (
        "a profit warning",
        "an accounting review",
        "a failed {product} trial",
        "its {role} quit",
        "a short-seller report",
    ),
}

_PRODUCTS = {
    "Crypto": ("network upgrade", "staking program", "layer-two scaling release"),
    "Index": ("index methodology",),
}
# What each company makes, so its stories name things it could plausibly sell.
_PRODUCTS_BY_SYMBOL = {
    "ZORV": ("AI accelerator chip", "server processor"),
    "NMBQ": ("cloud security suite", "analytics platform"),
    "VQTR": ("quantum computing service", "cryogenic processor"),
    "LXDV": ("flagship smartphone", "wireless earbuds"),
    "KQRX": ("warehouse robot", "surgical robot arm"),
    "BQFN": ("digital banking app", "credit card program"),
    "HZCP": ("private credit fund", "wealth-management platform"),
    "MWLQ": ("small-business lending program", "mortgage unit"),
    "TQSR": ("cyber insurance product", "auto insurance line"),
    "CVZX": ("oncology drug candidate", "gene therapy"),
    "MDQL": ("Medicare Advantage plan", "telehealth service"),
    "ORVZ": ("obesity drug", "diabetes therapy"),
    "PLXQ": ("heart valve", "insulin pump"),
    "KZNE": ("offshore oil field", "refinery upgrade"),
    "SLQX": ("solar farm portfolio", "battery storage project"),
    "DRQO": ("offshore drilling fleet", "well-services contract"),
    "FXGP": ("natural gas pipeline", "LNG export terminal"),
    "VLQZ": ("spring apparel line", "sneaker collection"),
    "RQMT": ("same-day delivery service", "online marketplace"),
    "AUZX": ("electric SUV", "compact electric car"),
    "HQVN": ("resort portfolio", "loyalty program"),
    "GZBK": ("plant-based snack line", "frozen meals range"),
    "PQRL": ("sparkling water brand", "energy drink"),
    "MXQH": ("laundry detergent range", "paper towel brand"),
    "TZFM": ("grocery delivery service", "private-label range"),
    "AXQR": ("regional jet", "jet engine program"),
    "RZTK": ("excavator line", "industrial automation system"),
    "BQLX": ("freight network", "warehouse automation system"),
    "HVZN": ("freight rail network", "intermodal service"),
    "QWPL": ("grid modernisation plan", "offshore wind project"),
    "GZUT": ("gas distribution network", "rate plan"),
    "NRQW": ("water treatment plant", "pipe replacement program"),
    "SQVD": ("streaming bundle", "ad-supported tier"),
    "TLZQ": ("5G home internet service", "fiber network"),
    "PXQM": ("news app", "podcast network"),
    "FQMT": ("copper mine expansion", "steel mill"),
    "CZLX": ("specialty coatings line", "battery materials plant"),
    "LQNR": ("lithium processing plant", "rare-earth mine"),
    "VQRE": ("downtown office tower", "shopping center portfolio"),
    "SZPR": ("logistics park", "senior-housing portfolio"),
}
_ANALYSTS = (
    "Halvard & Finch",
    "Northmere Securities",
    "Caldwell Ridge Research",
    "Osterby Capital",
)
_PARTNERS = (
    "a major cloud provider",
    "a national retailer",
    "a European carmaker",
    "a state utility",
)
_CONFERENCES = (
    "Global Growth Summit",
    "Annual Investor Forum",
    "Industry Leaders Conference",
    "Capital Markets Symposium",
)
_CITIES = ("New York", "London", "Chicago", "Singapore")
_ROLES = ("CEO", "CFO", "COO", "chief technology officer")
_QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def _pick(options: Sequence[str], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _kind(spec: SymbolSpec) -> str:
    return spec.asset_class if spec.asset_class in ("crypto", "etf") else "equity"


def _fill(template: str, u: Sequence[float], spec: SymbolSpec, tone: int, pct: int) -> str:
    products = _PRODUCTS_BY_SYMBOL.get(spec.symbol) or _PRODUCTS.get(spec.sector, ("product",))
    target_move = 1 + tone * (0.08 + 0.25 * u[6])
    fields = {
        "name": spec.instrument.name,
        "short": spec.instrument.name.split()[0],
        "product": _pick(products, u[1]),
        "analyst": _pick(_ANALYSTS, u[2]),
        "partner": _pick(_PARTNERS, u[3]),
        "conference": _pick(_CONFERENCES, u[3]),
        "city": _pick(_CITIES, u[4]),
        "role": _pick(_ROLES, u[4]),
        "quarter": _pick(_QUARTERS, u[5]),
        "amount": str(20 + int(u[7] * 880)),
        "target": f"{spec.price * target_move:.0f}",
        "pct": str(pct),
    }
    if "{catalyst}" in template:
        fields["catalyst"] = _pick(_CATALYSTS[tone], u[5]).format(**fields)
    return template.format(**fields)


def compose(u: Sequence[float], spec: SymbolSpec, tone: int) -> str:
    """A routine headline about `spec` of the given tone (+1, 0 or -1) from 8 uniform draws."""
    table = {"crypto": _CRYPTO, "etf": _FUND}.get(_kind(spec), _EQUITY)
    return _fill(_pick(table[tone], u[0]), u, spec, tone, 3 + int(u[6] * 23))


def compose_jump(u: Sequence[float], spec: SymbolSpec, log_move: float) -> str:
    """A headline reporting a sudden move of `log_move` in `spec`, with a plausible cause."""
    tone = POSITIVE if log_move > 0 else NEGATIVE
    pct = max(round(abs(math.expm1(log_move)) * 100), 1)
    return _fill(_pick(_JUMP[_kind(spec)][tone], u[0]), u, spec, tone, pct)


def _pattern(templates: Sequence[str]) -> re.Pattern[str]:
    parts = [re.sub(r"\\\{\w+\\\}", ".+?", re.escape(t)) for t in templates]
    return re.compile("^(?:" + "|".join(parts) + ")$")


_TONE_PATTERNS = [
    (
        tone,
        _pattern(
            [t for table in (_EQUITY, _CRYPTO, _FUND) for t in table[tone]]
            + [t for kinds in _JUMP.values() for t in kinds.get(tone, ())]
        ),
    )
    for tone in (POSITIVE, NEGATIVE, NEUTRAL)
]


def template_tone(headline: str) -> int | None:
    """The tone (+1, 0, -1) of the template that wrote `headline`; None if none did.

    Lets tests and demos check the generator's bias without a sentiment model.
    """
    for tone, pattern in _TONE_PATTERNS:
        if pattern.match(headline):
            return tone
    return None
