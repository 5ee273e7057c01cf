"""The headline scorer's vocabulary: general financial language, written by hand.

Data, and at the end the one dictionary compiled from it. Each table maps comma-separated
forms (a form may be a phrase of several words) to a value. Nothing here comes from an
evaluation data set: these are the words a markets reader would list for good and bad news
about a company, and the grammar words that steer them.

Weights share one scale: 1.0 is a plain, clear piece of company news ("profit rose"), 0.5 a
weak hint, 1.5 an emphatic one. A headline's score is the tanh of its summed weights.
"""

from __future__ import annotations

from typing import Final

# What a company reports, whose movement carries the sign: (polarity, weight when unmoved).
# Polarity > 0: good when it goes up (profit, sales, guidance); < 0: good when it goes down
# (losses, costs, debt). Its size ranks the news: earnings outweigh revenue, revenue
# outweighs volumes. The weight when unmoved is what the bare word says ("a net loss").
METRICS: dict[str, tuple[float, float]] = {
    "profit, profits, earnings, income, net income, ebit, ebita, ebitda, eps": (1.2, 0.0),
    "profitability, earnings per share, operating profit, net profit, pretax profit": (1.2, 0.0),
    "operating result, result, results": (1.0, 0.0),
    "sales, net sales, revenue, revenues, turnover, invoicing, billings": (0.9, 0.0),
    "margin, margins, operating margin, gross margin": (1.0, 0.0),
    "orders, order intake, new orders, bookings, backlog, order book, order backlog": (0.9, 0.0),
    "demand": (0.9, 0.0),
    "dividend, dividends, payout": (1.0, 0.0),
    "guidance, guide, guides, outlook, forecast, forecasts, projection, projections": (1.0, 0.0),
    "estimate, estimates, expectations, expectation, consensus, target, targets": (0.8, 0.0),
    "price target, target price, rating, ratings, credit rating": (0.8, 0.0),
    "share price, stock price, shares, stock, stocks, valuation, market value": (1.0, 0.0),
    "market capitalisation, market capitalization, market cap, market share": (1.0, 0.0),
    "cash flow, cash flows, net cash, cash, liquidity, solvency, equity ratio": (0.8, 0.0),
    "cash flow from operations, cash flow from operating activities, operating cash flow": (
        0.8,
        0.0,
    ),
    "return on equity, return on investment, return on capital, roe, roi, roce": (0.8, 0.0),
    "productivity, efficiency, competitiveness, performance": (0.8, 0.0),
    "output, production, capacity, volume, volumes, deliveries, shipments, exports": (0.6, 0.0),
    "customers, clients, subscribers, users, traffic, passengers, visitors, footfall": (0.6, 0.0),
    "occupancy, utilisation, utilization, capacity utilisation, capacity utilization": (0.6, 0.0),
    "jobs, job, employment, workforce, staff, personnel, headcount, employees": (0.6, 0.0),
    "investment, investments, assets": (0.5, 0.0),
    # where the business is done: opening them is expansion, closing them retrenchment
    "plant, plants, factory, factories, mill, mills, store, stores, shop, shops": (0.6, 0.0),
    "branch, branches, outlet, outlets, facility, facilities, unit, units, site, sites": (0.6, 0.0),
    "production line, production lines, centre, center, office, offices": (0.6, 0.0),
    # bad when they rise
    "loss, losses, net loss, operating loss, pretax loss, pre-tax loss, loss per share": (
        -1.2,
        -0.6,
    ),
    "deficit, deficits": (-1.0, -0.4),
    "cost, costs, expense, expenses, expenditure, overheads": (-0.8, 0.0),
    "interest expense, interest expenses, financial expenses, financing costs": (-0.6, 0.0),
    "raw material prices, raw materials prices, input prices, input costs": (-0.6, 0.0),
    "raw material costs, energy costs, fuel costs, fuel prices, energy prices": (-0.6, 0.0),
    "debt, debts, net debt, borrowings, liabilities, leverage, gearing": (-0.7, 0.0),
    "impairment, impairments, writedown, writedowns, write-down, write-downs": (-0.8, -0.5),
    "write-off, write-offs, writeoff, writeoffs, charges, one-off charge": (-0.8, -0.3),
    "charge, provisions": (-0.8, 0.0),
    "layoffs, lay-offs, redundancies, job losses, job cuts, dismissals": (-1.0, -0.8),
    "unemployment": (-0.8, -0.2),
    "inventory, inventories, stockpiles": (-0.5, 0.0),
    "churn, defaults, arrears, delinquencies, non-performing loans, bad debts": (-0.8, -0.3),
    "credit losses, loan losses": (-0.8, -0.5),
    "risk, risks": (-0.6, -0.2),
    "emissions, fuel consumption, energy consumption": (-0.5, 0.0),
    "vacancy, vacancies, vacancy rate": (-0.6, 0.0),
    "dilution": (-0.6, -0.3),
}

# Words that say which way something moved: (signed strength, weight when nothing moved).
# The sign is up (+) or down (-); what moved decides whether that is good. The second value
# is what the word says alone ("a plunge" is bad news even before we know of what).
DIRECTIONS: dict[str, tuple[float, float]] = {
    "rise, rises, rising, rose, risen": (1.0, 0.15),
    "increase, increases, increased, increasing": (1.0, 0.15),
    "grow, grows, grew, grown, growing, growth": (1.0, 0.35),
    "gain, gains, gained, gaining": (1.0, 0.4),
    "climb, climbs, climbed, climbing": (1.0, 0.3),
    "up, higher": (1.0, 0.1),
    "upward, upwards": (1.0, 0.2),
    "pick up, picks up, picked up, picking up": (1.0, 0.4),
    "went up, goes up, go up, gone up, going up": (1.0, 0.1),  # "went up to": not "up to 50"
    "advance, advances, advancing": (1.0, 0.3),
    "advanced": (1.0, 0.0),  # also "advanced technology"
    "expand, expands, expanded, expanding, expansion": (1.0, 0.35),
    "raise, raises, raised, raising, lift, lifts, lifted, lifting, hike, hikes, hiked": (1.0, 0.1),
    "boost, boosts, boosted, boosting": (1.2, 0.5),
    "jump, jumps, jumped, jumping, leap, leaps, leapt, leaped": (1.3, 0.5),
    "surge, surges, surged, surging, soar, soars, soared, soaring": (1.5, 0.7),
    "rocket, rockets, rocketed, skyrocket, skyrockets, skyrocketed": (1.5, 0.7),
    "double, doubles, doubled, doubling, triple, triples, tripled": (1.5, 0.5),
    "rebound, rebounds, rebounded, rebounding": (1.2, 0.6),
    "hire, hires, hired, hiring, recruit, recruits, recruited, recruiting": (1.0, 0.3),
    "create, creates, created, creating, open, opens, opened, opening": (1.0, 0.0),
    "strengthen, strengthens, strengthened, strengthening": (1.0, 0.5),
    "accelerate, accelerates, accelerated, accelerating": (1.2, 0.3),
    "upgrade, upgrades, upgraded": (1.0, 0.8),
    "beat, beats, beating, exceed, exceeds, exceeded, exceeding": (1.0, 0.7),
    "surpass, surpasses, surpassed, topped, tops, outpace, outpaced": (1.0, 0.6),
    "above": (1.0, 0.0),
    "record, all-time high, record high, record-high": (1.3, 0.5),
    "highest": (1.2, 0.2),
    "widen, widens, widened, widening, wider, bigger, larger": (1.0, 0.0),
    "fall, falls, fell, fallen, falling": (-1.0, -0.2),
    "decrease, decreases, decreased, decreasing": (-1.0, -0.15),
    "decline, declines, declined, declining": (-1.0, -0.4),
    "drop, drops, dropped, dropping": (-1.0, -0.3),
    "down, lower, lowers, lowered, lowering": (-1.0, -0.1),
    "downward, downwards": (-1.0, -0.2),
    "reduce, reduces, reduced, reducing, reduction, reductions": (-1.0, -0.05),
    "cut, cuts, cutting, slash, slashes, slashed, slashing, trim, trims, trimmed": (-1.0, -0.2),
    "slump, slumps, slumped, slumping, tumble, tumbles, tumbled, tumbling": (-1.4, -0.7),
    "plunge, plunges, plunged, plunging, plummet, plummets, plummeted": (-1.5, -0.8),
    "sink, sinks, sank, sunk, sinking, slide, slides, slid, sliding": (-1.2, -0.5),
    "slip, slips, slipped, slipping, dip, dips, dipped, dipping, retreated": (-0.8, -0.3),
    "ease, eases, eased, easing, soften, softened, softening": (-0.7, -0.1),
    "shrink, shrinks, shrank, shrunk, shrinking, contraction": (-1.0, -0.4),
    "narrow, narrows, narrowed, narrowing, narrower, smaller, fewer": (-1.0, 0.0),
    "halve, halves, halved, halving": (-1.5, -0.5),
    "weaken, weakens, weakened, weakening": (-1.0, -0.5),
    "erode, erodes, eroded, eroding, erosion": (-1.0, -0.5),
    "diminish, diminishes, diminished, diminishing": (-1.0, -0.3),
    "decelerate, decelerated, slowed, slowing, slows, slower": (-0.8, -0.3),
    "faster, quicker": (1.0, 0.2),
    "lose, loses, lost, losing": (-1.0, -0.5),
    "downgrade, downgrades, downgraded": (-1.0, -0.8),
    "miss, misses, missed": (-1.0, -0.7),
    "fell short, falls short, fall short, short of": (-1.0, -0.7),
    "meet, meets, met": (1.0, 0.0),  # "met expectations"; "failed to meet" them
    "below": (-1.0, 0.0),
    "lowest, record low, record-low, all-time low": (-1.2, -0.2),
    "close, closes, closed, closing, close down, closes down, closed down": (-1.0, 0.0),
    "stop, stops, stopped, stopping, cease, ceases, ceased": (-1.0, -0.3),
    "discontinue, discontinues, discontinued": (-1.0, -0.3),
}

# Direction words that are only nouns: they reach back no further than a compound ("sales
# growth") and otherwise forward ("growth in sales"). After a determiner, so does any
# direction word ("an increase in the share capital", "these reductions").
DIRECTION_NOUNS = "growth, reduction, reductions, expansion, contraction, erosion"
# Verbs whose subject is the actor, not what moved ("Acme closes two mills", "Acme hires 50
# staff"): they reach forward to their object only.
FORWARD_ONLY = (
    "close, closes, closed, closing, close down, closes down, closed down, open, opens, opened, "
    "opening, create, creates, created, creating, hire, hires, hired, hiring, recruit, recruits, "
    "recruited, recruiting"
)
DETERMINERS = "a, an, the, this, these, that, those, its, their, his, her, our, such, any, another"

# Words that are good or bad news whatever they attach to.
POLAR_WORDS: dict[str, float] = {
    # good
    "improve, improves, improved, improving, improvement, improvements": 0.8,
    "recover, recovers, recovered, recovering": 0.6,
    "better": 0.6,
    "best": 0.3,  # also "best known", "all the best"
    "strong, stronger, strongest": 0.7,
    "robust, solid, healthy, resilient": 0.6,
    "good, excellent, outstanding, exceptional": 0.8,
    "favourable, favorable, positive, positively, encouraging": 0.6,
    "success, successful, successfully": 0.7,
    "win, wins, won, winning": 0.6,
    "award, awards, awarded": 0.5,
    "profitable, profitably": 0.8,
    "benefit, benefits, benefited, benefiting, beneficial": 0.4,
    "upbeat, optimistic, optimism, confident, confidence, bullish": 0.7,
    "pleased, delighted, proud, satisfied, impressive, remarkable": 0.5,
    "outperform, outperforms, outperformed, outperforming, overweight": 0.8,
    "rally, rallies, rallied, boom, booming": 0.7,
    "breakthrough": 0.8,
    "milestone": 0.4,
    "opportunity, opportunities, upside": 0.3,
    "attractive": 0.4,
    "savings, synergies, synergy, cost-cutting, cost-saving, cost savings": 0.5,
    "recovery, turnaround": 0.6,
    "capital gain, capital gains": 0.6,
    "accretive": 0.6,
    "order, contract": 0.3,
    "better-than-expected, stronger-than-expected": 1.0,
    "buyback, buy-back, buy back, buys back, bought back, share repurchase": 0.5,
    "steady, stable, stability": 0.2,
    "breakeven, break-even, break even": 0.2,
    # bad
    "lawsuit, lawsuits, litigation": -0.8,
    "sue, sues, sued, suing": -0.7,
    "bankruptcy, bankrupt, insolvency, insolvent, receivership, liquidation": -1.2,
    "default, defaulted": -0.9,
    "fraud, scandal, bribery, corruption, embezzlement, misconduct": -1.2,
    "investigation, probe": -0.5,
    "fine, fined, fines, penalty, penalties, sanction, sanctions": -0.6,
    "recall, recalls, recalled": -0.6,
    "strike, strikes, walkout": -0.5,
    "weak, weaker, weakest, weakness": -0.7,
    "poor, poorly, bad, worse, worst": -0.7,
    "disappoint, disappoints, disappointing, disappointed, disappointment": -0.8,
    "underperform, underperforms, underperformed, underperforming, underweight": -0.8,
    "warning, warns, warned, warn": -0.6,
    "profit warning, profit warnings": -1.5,
    "slowdown, recession, crisis, downturn, turmoil": -0.7,
    "restructuring": -0.3,
    "closure, closures, shutdown, shut, shuts, shut down, shuts down, close-down": -0.6,
    "delay, delays, delayed, postpone, postponed, put off, puts off": -0.5,
    "halt, halts, halted, suspend, suspends, suspended, suspension": -0.6,
    "cancel, cancels, cancelled, canceled, cancellation, terminate, terminated": -0.5,
    "bearish, pessimistic, pessimism": -0.7,
    "concerns, worried, worries, upset": -0.4,
    "uncertain, uncertainty, uncertainties, volatile, volatility": -0.4,
    "pressure, pressures, headwinds": -0.4,
    "challenging, difficult, difficulties": -0.5,
    "negative, negatively, adverse, adversely": -0.6,
    "hurt, hurts, damage, damaged": -0.5,
    "dilutive": -0.4,
    "breach, breaches, violation, violations, violate, violates, violated": -0.6,
    "unprofitable, loss-making": -0.8,
    "shortfall, shortage, shortages, overcapacity, oversupply": -0.5,
    "collapse, collapsed, collapses, crash, crashed": -1.2,
    "fail, fails, failed, failure, failures": -0.7,
    "problem, problems, trouble, troubled": -0.5,
    "threat, threatens, threatened, dispute, disputes": -0.5,
    "accident, accidents, explosion, fire": -0.5,
    "downsizing, layoff, lay-off": -0.7,
    "lay off, lays off, laid off, laying off": -0.8,
    # Nordic labour law: statutory talks that precede lay-offs
    "employer-employee negotiations, employer-employee talks, co-operation negotiations": -0.5,
    "cooperation negotiations, codetermination negotiations, change negotiations": -0.5,
    "personnel negotiations, employee negotiations, redundant": -0.5,
    "worse-than-expected, weaker-than-expected": -1.0,
    # the colour of the bottom line
    "in the black, into the black": 0.6,
    "in the red, into the red": -0.6,
}

# Words that scale the sentiment next to them ("sharply higher", "rose slightly").
MODIFIERS: dict[str, float] = {
    "very, highly, much, far": 1.3,
    "significantly, significant, substantially, substantial, considerably": 1.4,
    "considerable, sharply, sharp, steeply, steep, dramatically, dramatic": 1.5,
    "markedly, marked, strongly, massive, massively, huge, heavy, heavily": 1.5,
    "severe, severely, extremely": 1.5,
    "rapidly, rapid, fast, notably, notable, clearly": 1.3,
    "slightly, slight, somewhat, marginally, marginal, modestly, modest, edged": 0.5,
    "moderate, moderately, small, minor, little, partly, partially, mildly, mild": 0.6,
}

# Words before a statement that make it a possibility rather than news.
HEDGES: dict[str, float] = {
    "may, might, could, possibly, possible, if, unless, would": 0.6,
}

# Words that turn the sense of what follows ("no growth", "failed to meet").
NEGATORS = (
    "not, no, never, none, nothing, neither, nor, without, cannot, n't, fail to, fails to, "
    "failed to, unable to, lack of, lacks, lacked, absence of, don't, doesn't, didn't, isn't, "
    "aren't, wasn't, weren't, won't, wouldn't, can't, couldn't, hasn't, haven't, hadn't, "
    "shouldn't"
)

# Nouns that take a movement but carry no sentiment: a larger stake, higher prices, a new
# share capital. They stop a direction word from reaching a metric further away.
NEUTRAL_NOUNS = (
    "stake, stakes, holding, holdings, shareholding, ownership, share capital, capital, "
    "votes, voting rights, price, prices, tariff, tariffs, rate, rates, interest, "
    "interest rate, interest rates, offer, bid, temperature, age, population, "
    "number of shares"
)

# Phrases that contain a lexicon word in another sense ("up to 50 jobs", "record date").
FILLERS = (
    "up to, set up, sets up, setting up, made up, make up, makes up, draw up, drew up, "
    "drawn up, take up, takes up, follow up, follow-up, line up, record date, track record, "
    "on record, in charge, free of charge, short term, short-term, fine-tune, back office, "
    "shut off, top management, at least, in line, in order to, in order, "
    "shares outstanding, outstanding shares, best-known, well-known, at best, "
    "declined to comment, declines to comment, declined to disclose, declined comment, "
    "little changed, strike price, by default, "
    "stock exchange, stock exchanges, stock exchange release"
)

# "swung to a profit", "returned to profitability", "turned into a loss".
TRANSITIONS = "swung, swing, swings, turned, turn, turns, returned, return, returns, back"

# Losses and profits are one account with opposite signs: "a loss of 2 against a profit of
# 1" is compared on that one signed line.
LOSS_WORDS = (
    "loss, losses, net loss, operating loss, pretax loss, pre-tax loss, loss per share, deficit"
)
PROFIT_WORDS = (
    "profit, profits, earnings, income, net income, ebit, ebita, ebitda, operating profit, "
    "net profit, pretax profit, result, operating result, eps, earnings per share"
)

# Where one statement ends and another begins: a direction does not reach across these.
CLAUSE_BREAKS = "., ;, :, !, ?, but, however, while, whereas, although, though, despite, meanwhile"

# Where a list or an aside begins: a direction reaches back across one only when nothing
# nearer ahead of it fits ("beat estimates, raised its outlook" raised the outlook).
SOFT_BREAKS = ","

# Between two amounts, these mark the second as the earlier one ("5.2 from 3.1").
COMPARATORS = (
    "compared, comparison, against, versus, vs, from, after, (, corresponding, previous, prior, "
    "year-earlier, a year earlier, a year ago"
)

# Words that make the amount after them negative ("compared to a negative EUR 5 mn").
MINUS = "negative, minus"

# Multipliers of the number before them.
SCALES: dict[str, float] = {
    "thousand, k": 1e3,
    "mn, m, mln, million, millions, mio": 1e6,
    "bn, b, billion, billions": 1e9,
}

# Units: two amounts in different units are not compared ("EUR 10 mn ( USD 13 mn )").
UNITS: dict[str, str] = {
    "eur, euro, euros, €": "EUR",
    "usd, dollar, dollars, $": "USD",
    "gbp, pound, pounds, £, sterling": "GBP",
    "sek, krona, kronor": "SEK",
    "nok, krone, kroner": "NOK",
    "dkk": "DKK",
    "jpy, yen, ¥": "JPY",
    "chf": "CHF",
    "cny, yuan, rmb": "CNY",
    "rub, rouble, roubles, ruble, rubles": "RUB",
    "inr, rupee, rupees": "INR",
    "pln, zloty, zlotys": "PLN",
    "ltl, litas": "LTL",
    "lvl, lats": "LVL",
    "eek, kroon, kroons": "EEK",
    "huf, forint, forints": "HUF",
    "czk, koruna": "CZK",
    "hkd": "HKD",
    "sgd": "SGD",
    "brl": "BRL",
    "zar, rand": "ZAR",
    "cad": "CAD",
    "aud": "AUD",
    "%, percent, pct, per cent, percentage points": "%",
}


# --- Compiled: every form above -> (role, a, b), so that reading a word is one lookup --------

# Word roles, small ints so that a role test is an integer compare; NONE: not in the lexicon.
(METRIC, DIRECTION, POLAR, MODIFIER, HEDGE, NEGATOR, NEUTRAL, FILLER, TRANSITION, BREAK,
 SOFT_BREAK, COMPARATOR, SCALE, UNIT) = range(14)  # fmt: skip
NONE = -1


def forms(spec: str) -> list[str]:
    """'rise, rises, Profit  warning' -> ['rise', 'rises', 'profit warning'] (as tokenized)."""
    return [" ".join(f.split()) for f in spec.lower().split(", ") if f.strip()]


def _compile() -> tuple[dict[str, tuple[int, float, float]], dict[str, list[tuple[str, ...]]]]:
    """Every form -> (role, a, b), and the phrases by their first word, longest first."""
    table: dict[str, tuple[int, float, float]] = {}

    def put(spec: str, role: int, a: float = 0.0, b: float = 0.0) -> None:
        for key in forms(spec):
            if key in table and table[key][0] != role:
                raise ValueError(f"sentiment lexicon: {key!r} has two roles")
            table[key] = (role, a, b)

    for pairs, role in ((METRICS, METRIC), (DIRECTIONS, DIRECTION)):
        for spec, (a, b) in pairs.items():
            put(spec, role, a, b)
    for values, role in (
        (POLAR_WORDS, POLAR),
        (MODIFIERS, MODIFIER),
        (HEDGES, HEDGE),
        (SCALES, SCALE),
    ):
        for spec, a in values.items():
            put(spec, role, a)
    for spec in UNITS:
        put(spec, UNIT)
    for spec, role in (
        (NEGATORS, NEGATOR),
        (NEUTRAL_NOUNS, NEUTRAL),
        (FILLERS, FILLER),
        (TRANSITIONS, TRANSITION),
        (CLAUSE_BREAKS, BREAK),
        (SOFT_BREAKS, SOFT_BREAK),
        (COMPARATORS, COMPARATOR),
    ):
        put(spec, role)
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for key in table:
        words = tuple(key.split(" "))
        if len(words) > 1:
            phrases.setdefault(words[0], []).append(words)
    for options in phrases.values():
        options.sort(key=len, reverse=True)  # the longest phrase wins
    return table, phrases


ENTRIES, PHRASES = _compile()
UNIT_CODES: Final = {form: code for spec, code in UNITS.items() for form in forms(spec)}
LOSS_FORMS: Final = frozenset(forms(LOSS_WORDS))
PROFIT_FORMS: Final = frozenset(forms(PROFIT_WORDS))
NOUN_FORMS: Final = frozenset(forms(DIRECTION_NOUNS))
DETERMINER_FORMS: Final = frozenset(forms(DETERMINERS))
FORWARD_ONLY_FORMS: Final = frozenset(forms(FORWARD_ONLY))
MINUS_FORMS: Final = frozenset(forms(MINUS))
