"""The headline scorer's rules: what moved and which way, amounts compared, modifiers, negation.

`sentiment.py` tokenizes a headline and applies these rules in order; each reads the tokens,
every word's role found by one dictionary lookup:

1. A direction word ("rose", "cut", "narrowed") links to the nearest metric in its clause
   ("profit", "guidance", "loss"), and the metric's polarity gives the sign: "costs fell" is
   good news, "loss widened" bad. A direction with nothing to move says what it says alone.
2. Two amounts joined by "from ... to", "to ... from", "compared with" or "( )" give the
   direction of the metric before them, and overrule the words. A loss and a profit are
   compared on one signed line ("a loss of 2 against a profit of 1" is worse).
3. "swung to a profit", "returned to a loss": the new state of the bottom line.
4. Words that are news in themselves ("lawsuit", "strong"), and metrics that are news
   unmoved ("a net loss").
5. Each hit is then scaled by the modifiers next to it ("sharply"), hedged by "may" or
   "could" before it, and weakened and flipped by a negator just before it ("no growth").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from tpm.analysis.sentiment_lexicon import (
    BREAK,
    COMPARATOR,
    DETERMINER_FORMS,
    DIRECTION,
    ENTRIES,
    FORWARD_ONLY_FORMS,
    HEDGE,
    LOSS_FORMS,
    METRIC,
    MINUS_FORMS,
    MODIFIER,
    NEGATOR,
    NEUTRAL,
    NONE,
    NOUN_FORMS,
    PROFIT_FORMS,
    SCALE,
    SOFT_BREAK,
    UNIT,
    UNIT_CODES,
)

__all__ = ["Reading", "pairs"]

_NOUNISH: Final = (METRIC, NEUTRAL)  # what a direction word can reach
_STOPS: Final = (SOFT_BREAK, COMPARATOR)  # where a direction stops looking forward
_DIGITS: Final = frozenset("+-0123456789")  # how an amount token starts

# How far a direction word looks for what moved: back to its subject ("net sales in the
# third quarter rose": 6 tokens) and forward to its object ("cut its full-year guidance").
_BACK, _FORWARD = 8, 6
_FORWARD_PENALTY = 0.5  # on a tie the subject wins: "sales fell, costs rose" links "costs rose"
_SOFT_BREAK_PENALTY = 3  # tokens of distance added for each comma crossed going back
_COMPOUND = 2  # how far back a noun-only direction reaches: "sales volume growth"
_NUMBER_BACK = 12  # from a pair of amounts back to the metric they measure
_ACCOUNT_BACK = 6  # from an amount back to "loss" or "profit": "loss per share of EUR 0.01"
_PAIR_SPAN = 24  # the most tokens between two compared amounts, conversions included
_COMPARATOR_REACH = 6  # from "compared with", "from", "(" to the older amount
_BARE_FIGURE: Final = frozenset(
    ("(", "from", "to", "of", "at", "was", "were", "is", "versus", "vs")
)
_FULL_FIGURE = 1000  # "EUR 21 mn from EUR 106,000": an unscaled figure this big is in units
_PERCENT_MOVE = 0.8  # "Acme falls 5 %": a subject that moves by a percentage is its share price
_BOTTOM_LINE = 1.2  # a profit or loss moving, or changing sign
_NEGATION_REACH = 3
_HEDGE_REACH = 5
_NEGATED = -0.5  # "not growing" is weaker news than "shrinking"


def _number(token: str) -> float:
    """'1,200.5' -> 1200.5; '5,2' (a decimal comma) -> 5.2; NaN when it is no number."""
    token = token.replace(" ", "")
    if "," in token:
        if "." in token or all(len(g) == 3 for g in token.split(",")[1:]):
            token = token.replace(",", "")
        else:
            token = token.replace(",", ".", 1).replace(",", "")
    try:
        return float(token)
    except ValueError:  # "12-month", "1.2.3"
        return math.nan


@dataclass(slots=True)
class _Amount:
    at: int  # token index of the number
    value: float  # as written
    scale: float  # from "mn", "bn"; 0.0 when none was given
    unit: str | None
    account: int  # -1 after a loss word ("a loss of 2"), +1 after a profit word, else 0
    account_at: int  # where that word is
    sign_at: int  # where "negative" or "minus" stands before it, else -1
    signed: bool  # written with its sign ("-0.3", "a negative 5"): no account flips it


class Reading:
    """One headline being read: its tokens with their roles, and the signals found so far."""

    __slots__ = ("a", "b", "clause", "found", "linked", "roles", "toks")

    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        entries = [ENTRIES.get(t) for t in toks]
        self.roles = [NONE if e is None else e[0] for e in entries]
        self.a = [0.0 if e is None else e[1] for e in entries]
        self.b = [0.0 if e is None else e[2] for e in entries]
        self.clause = [0] * len(toks)
        c = 0
        for i, r in enumerate(self.roles):
            c += r == BREAK
            self.clause[i] = c
        # key (the metric's index, or the word's own) -> (weight, lo, hi, anchor, text, rules?)
        self.found: dict[int, tuple[float, int, int, int, str, bool]] = {}
        self.linked: set[int] = set()

    def nearest(self, i: int, back: int, forward: int) -> int:
        """The metric or neutral noun nearest to token i in its clause, or -1."""
        roles, clause, c = self.roles, self.clause, self.clause[i]
        best, best_d, crossed = -1, math.inf, 0
        for j in range(i - 1, max(-1, i - back - 1), -1):
            r = roles[j]
            if clause[j] != c:
                break
            if r == SOFT_BREAK:
                crossed += 1
            elif r in _NOUNISH:
                best, best_d = j, i - j + crossed * _SOFT_BREAK_PENALTY
                break
        for j in range(i + 1, min(len(roles), i + forward + 1)):
            if clause[j] != c or roles[j] in _STOPS or j - i + _FORWARD_PENALTY >= best_d:
                break  # "up from a loss": what follows "from" is the old state
            if roles[j] in _NOUNISH:
                best = j
                if j + 1 < len(roles) and roles[j + 1] == METRIC:
                    best = j + 1  # a compound's head is its last noun: "price projections"
                break
        return best

    def text(self, lo: int, hi: int) -> str:
        toks = self.toks
        return " ".join(toks[lo : hi + 1]) if hi - lo <= 3 else f"{toks[lo]} … {toks[hi]}"

    def directions(self, i: int) -> None:
        """Rule 1: what direction word i moved, and whether that is good."""
        toks = self.toks
        if i in self.linked:
            return  # a growth already qualified: "slower growth"
        if i + 1 < len(toks) and toks[i + 1] in NOUN_FORMS and self.roles[i + 1] == DIRECTION:
            # a movement of a movement: "slower growth" is bad, "faster expansion" good
            weight = self.a[i] * math.copysign(1.0, self.b[i + 1])
            self.found[i] = (weight, i, i + 1, i, self.text(i, i + 1), True)
            self.linked.add(i + 1)
            return
        if i and toks[i - 1] in NOUN_FORMS:  # "sales growth slowed": the growth did
            for key, (w, lo, _, anchor, _, _) in self.found.items():
                if anchor == i - 1:
                    self.found[key] = (w * self.a[i], lo, i, i, self.text(lo, i), True)
                    return
        forward_only = toks[i] in FORWARD_ONLY_FORMS
        if toks[i] in NOUN_FORMS:
            back = _COMPOUND
        elif forward_only or (i and toks[i - 1] in DETERMINER_FORMS):
            back = 0  # "Acme closes two mills", "an increase in the share capital"
        else:
            back = _BACK
        j = self.nearest(i, back, _FORWARD)
        if j < 0:
            weight = self.b[i]
            if not forward_only and _moves_by_percent(toks, i):
                weight = self.a[i] * _PERCENT_MOVE
            if weight:
                self.found[i] = (weight, i, i, i, toks[i], True)
        elif self.roles[j] == METRIC:
            self.linked.add(j)
            weight = self.a[i] * self.a[j]
            into = j > i and ("to" in toks[i:j] or "into" in toks[i:j])
            if into and (toks[j] in LOSS_FORMS or toks[j] in PROFIT_FORMS):
                # not a movement of the loss but a new state: "slipped to a net loss"
                weight = -_BOTTOM_LINE if toks[j] in LOSS_FORMS else _BOTTOM_LINE
            lo, hi = min(i, j), max(i, j)
            old = self.found.get(j)
            if old is None or abs(weight) > abs(old[0]):
                self.found[j] = (weight, lo, hi, i, self.text(lo, hi), True)

    def transition(self, i: int) -> None:
        """Rule 3: "swung to a profit", "turned into a loss"."""
        for j in range(i + 1, min(len(self.toks), i + 4)):
            t = self.toks[j]
            if self.clause[j] != self.clause[i]:
                break
            if t in LOSS_FORMS or t in PROFIT_FORMS:
                weight = -_BOTTOM_LINE if t in LOSS_FORMS else _BOTTOM_LINE
                self.found[j] = (weight, i, j, i, self.text(i, j), True)
                self.linked.add(j)
                break

    def amounts(self) -> list[_Amount]:
        """Every number that is an amount (not a year), with its unit, scale and account."""
        toks, roles, clause, n = self.toks, self.roles, self.clause, len(self.toks)
        out: list[_Amount] = []
        for i, t in enumerate(toks):
            if t[0] not in _DIGITS:
                continue
            value = _number(t)
            if math.isnan(value):
                continue
            unit = UNIT_CODES.get(toks[i - 1]) if i else None
            j, scale = i + 1, 0.0
            if j < n and roles[j] == SCALE:
                scale, j = self.a[j], j + 1
            if j < n and roles[j] == UNIT:
                unit = UNIT_CODES[toks[j]]
            if unit is None and not scale and value.is_integer() and 1900 <= value <= 2100:
                continue  # a year
            sign_at = next((k for k in (i - 1, i - 2) if k >= 0 and toks[k] in MINUS_FORMS), -1)
            if sign_at >= 0:  # "compared to a negative EUR 68.6 mn"
                value = -value
            account, account_at = 0, -1
            # "a loss of EUR 2 mn", "EUR 1.5 mn net loss": the account named next to it
            after = j + (j < n and roles[j] == UNIT)
            for k in (after, *range(i - 1, max(-1, i - _ACCOUNT_BACK - 1), -1)):
                if k >= n or clause[k] != clause[i] or (k < i and toks[k][0] in _DIGITS):
                    if k < i:
                        break
                    continue
                if toks[k] in LOSS_FORMS or toks[k] in PROFIT_FORMS:
                    account, account_at = (-1 if toks[k] in LOSS_FORMS else 1), k
                    break
            signed = sign_at >= 0 or t[0] in "+-"
            out.append(_Amount(i, value, scale, unit, account, account_at, sign_at, signed))
        return out

    def comparison(self, new: _Amount, old: _Amount) -> None:
        """Rule 2: a metric that went from `old` to `new`; it overrules the words."""
        first, last = min(new.at, old.at), max(new.at, old.at)
        # what was measured: named before the amounts, else between them ("1.00 eur dividend")
        j = self.nearest(first, _NUMBER_BACK, last - first)
        # an amount with no account of its own is in the account named before the pair
        # ("loss totalled EUR 9.7 mn, compared to a profit of 1.3"), else in the other's
        t = self.toks[j] if j >= 0 else ""
        named = -1 if t in LOSS_FORMS else int(t in PROFIT_FORMS)
        account = named or new.account or old.account
        if account:  # one signed bottom line: a loss is a negative profit
            key = new.account_at if new.account else old.account_at if old.account else j
            if j >= 0 and self.roles[j] == METRIC and j < key:
                key = j  # "net result was a loss of 2 against a profit of 1": the result
            polarity = _BOTTOM_LINE
        elif j < 0 or self.roles[j] != METRIC:
            return
        else:
            key, polarity = j, self.a[j]
        v_new, v_old = new.value, old.value
        if new.scale and old.scale:
            v_new, v_old = v_new * new.scale, v_old * old.scale
        elif new.scale and abs(v_old) >= _FULL_FIGURE:
            v_new *= new.scale  # else "from 3.1 to EUR 5.2 mn": both in millions
        elif old.scale and abs(v_new) >= _FULL_FIGURE:
            v_old *= old.scale
        if not new.signed and (new.account or account) < 0:
            v_new = -v_new
        if not old.signed and (old.account or account) < 0:
            v_old = -v_old
        move = (v_new > v_old) - (v_new < v_old)
        toks = self.toks
        was, now = (("-" if x.sign_at >= 0 else "") + toks[x.at] for x in (old, new))
        if new.account and old.account and new.account != old.account:
            text = f"{toks[old.account_at]} {was} -> {toks[new.account_at]} {now}"
        else:
            text = f"{toks[key]} {was} -> {now}"
        lo = min(key, new.at, old.at)
        self.found[key] = (move * polarity, lo, max(new.at, old.at), key, text, False)
        self.linked.update(k for k in (key, new.account_at, old.account_at) if k >= 0)
        for k in (new.sign_at, old.sign_at):
            self.found.pop(k, None)  # "a negative EUR 5 mn" is a sign, not bad news

    def modify(self, weight: float, lo: int, hi: int, anchor: int, text: str) -> tuple[str, float]:
        """Rule 5: scale a signal by the modifiers around it, hedge it, flip it when negated."""
        toks, roles, clause, c = self.toks, self.roles, self.clause, self.clause[anchor]
        prefix: list[str] = []
        suffix: list[str] = []
        for k in range(max(0, lo - 2), min(len(toks), hi + 3)):
            if roles[k] == MODIFIER and clause[k] == c and not lo <= k <= hi:
                weight *= self.a[k]
                (prefix if k < lo else suffix).append(toks[k])
        for k in range(max(0, lo - _HEDGE_REACH), hi):
            if roles[k] == HEDGE and clause[k] == c:
                weight *= self.a[k]
                break
        negations = 0
        for k in range(max(0, lo - _NEGATION_REACH), anchor):
            if roles[k] == NEGATOR and clause[k] == c:
                negations += 1
                if k < lo:
                    prefix.insert(0, toks[k])
        if negations % 2:
            weight *= _NEGATED
        if prefix or suffix:
            text = " ".join([*prefix, text, *suffix])
        return text, weight


def _moves_by_percent(toks: list[str], i: int) -> bool:
    """True when a percentage goes with direction word i: "fell 4.5 %", "3 pct lower"."""
    if i > 1 and UNIT_CODES.get(toks[i - 1]) == "%" and toks[i - 2][0].isdigit():
        return True
    for k in range(i + 1, min(len(toks), i + 4)):
        if toks[k][0].isdigit():
            return k + 1 < len(toks) and UNIT_CODES.get(toks[k + 1]) == "%"
        if toks[k] != "by":
            return False
    return False


def _comparable(r: Reading, a: _Amount, b: _Amount) -> bool:
    """Same unit, or one unknown; a percentage is never compared with money."""
    if a.unit and b.unit:
        return a.unit == b.unit
    if a.unit == "%" or b.unit == "%":
        return not (a.scale or b.scale)
    if a.unit or b.unit:  # money against a bare number: only one that is clearly a figure
        bare = b if a.unit else a  # "5.2 ( 3.1 )", "from 3.1 to EUR 5.2 mn"; not "October 31"
        return bool(bare.scale) or r.toks[bare.at - 1] in _BARE_FIGURE
    return True


def pairs(r: Reading, amounts: list[_Amount]) -> list[tuple[_Amount, _Amount]]:
    """(new, old) for amounts that a comparison joins; each amount is in one pair at most.

    Each amount is tried as the later of a pair, with the nearest comparable amount before it.
    """
    out: list[tuple[_Amount, _Amount]] = []
    used: set[int] = set()
    for n, b in enumerate(amounts):
        for a in reversed(amounts[:n]):
            if b.at - a.at > _PAIR_SPAN or any(r.roles[k] == BREAK for k in range(a.at, b.at)):
                break
            if a.at in used or not _comparable(r, a, b):
                continue
            pair = _joined(r, a, b)
            if pair is not None:
                out.append(pair)
                used.update((a.at, b.at))
            break  # only the nearest comparable amount
    return out


def _joined(r: Reading, a: _Amount, b: _Amount) -> tuple[_Amount, _Amount] | None:
    """(new, old) when a comparison joins a to the later b, else None."""
    roles, toks = r.roles, r.toks
    if "to" in toks[a.at + 1 : b.at] and "from" in toks[max(0, a.at - 4) : a.at]:
        return b, a  # "from 3.1 to 5.2"
    # the comparison word stands just before the older amount: "5.2 mn, up from EUR 3.1 mn",
    # "5.2 ( 3.1 )"; farther back, "from" is likely "income from services"
    near = [
        k for k in range(max(a.at + 1, b.at - _COMPARATOR_REACH), b.at) if roles[k] == COMPARATOR
    ]
    if near and all(toks[k] == "from" for k in near) and "to" in toks[b.at + 1 : b.at + 5]:
        return None  # b opens its own "from 9.1 to 9.7"
    if near:
        if "(" in toks[max(a.at, b.at - 3) : b.at] and b.unit and not a.unit:
            return None  # "160 mln zloty ( $ 56.9 mln )": a conversion, not last year
        return a, b
    return None
