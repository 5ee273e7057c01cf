"""Finance-aware headline sentiment: a score in [-1, 1] and a label, with the words behind it.

Our own lexicon (`sentiment_lexicon`) and rules (`sentiment_rules`), no model and nothing
downloaded. The rules read a headline the way a markets reader does: what moved and which
way ("operating loss narrowed" is good news, "costs rose" bad), amounts compared ("to EUR 5.2
mn from EUR 3.1 mn"), negation ("failed to meet"), intensity ("sharply"), and a neutral band
for the many factual statements ("The company has 120 employees").

>>> classify("Acme cuts full-year guidance")
'negative'
>>> explain("Operating loss narrowed to EUR 2.1 mn from EUR 3.4 mn")
['operating loss 3.4 -> 2.1 (+1.2)']
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from tpm.analysis.sentiment_lexicon import (
    DIRECTION,
    ENTRIES,
    METRIC,
    NONE,
    PHRASES,
    POLAR,
    TRANSITION,
)
from tpm.analysis.sentiment_rules import Reading, pairs

__all__ = [
    "NEUTRAL_BAND",
    "Analysis",
    "Hit",
    "Label",
    "analyse",
    "classify",
    "explain",
    "label_for",
    "score_text",
    "signals",
    "tokenize",
    "word_polarity",
]

Label = Literal["positive", "neutral", "negative"]

# Scores strictly inside (-NEUTRAL_BAND, NEUTRAL_BAND) are neutral. One plain piece of news
# (weight 1.0, score tanh(1) = 0.76) is well outside; a lone weak hint (a bare "increase",
# weight 0.15) stays inside, as the many factual statements in company news should.
NEUTRAL_BAND: Final = 0.25


# Numbers keep their decimals and thousands, even with a space before the point or the comma
# ("EUR9 .6 m", "EUR106 ,000"), and their sign ("EUR -0.3 mn"); a number glued to a word or
# a range ("12-month", "2005-06") is one token and no amount.
_TOKEN_RE: Final = re.compile(
    r"(?<!\d)\d{1,3}(?: \d{3})+(?![\d.,])"  # thousands grouped by spaces: "36 000"
    r"|(?:(?<![\w+-])[-+])?\d+(?: ?\.\d+| ?,\d{3}(?!\d)|,\d+)*(?:-\w+)*"  # other numbers
    r"|[^\W\d_]+(?:['-][^\W\d_]+)*"  # words, with their apostrophes and hyphens
    r"|[%$€£¥();:.!?,]"
)
_ASCII_FOLD: Final = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u2032": "'", "\u2013": "-", "\u2014": "-", "\u2212": "-"}
)


def _compound(token: str) -> str:
    """A hyphenated word the lexicon does not know: its last part if that is a metric."""
    if token in ENTRIES or token in PHRASES:
        return token
    head = token.rsplit("-", 1)[1]
    entry = ENTRIES.get(head)
    return head if entry is not None and entry[0] == METRIC else token


def tokenize(text: str) -> list[str]:
    """Lower-case words, numbers and punctuation, with the lexicon's phrases joined into one.

    "Net sales rose to EUR 5.2 mn" -> ["net sales", "rose", "to", "eur", "5.2", "mn"].
    An unknown hyphenated word counts as its last part when that is a metric ("q3-profit"),
    else as one unknown word ("cut-to-length", "non-profitable").
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_ASCII_FOLD)
    raw = _TOKEN_RE.findall(text.lower())
    if "-" in text:
        raw = [_compound(t) if "-" in t else t for t in raw]
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        t = raw[i]
        k = 1
        for words in PHRASES.get(t, ()):
            if tuple(raw[i : i + len(words)]) == words:
                t, k = " ".join(words), len(words)
                break
        out.append(t)
        i += k
    return out


def word_polarity(token: str) -> float:
    """The sign a token carries alone, without any rule: +1, -1 or 0 (the word-count baseline)."""
    role, a, b = ENTRIES.get(token, (NONE, 0.0, 0.0))
    value = a if role == POLAR else b if role in (METRIC, DIRECTION) else 0.0
    return float((value > 0) - (value < 0))


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of text that moved the score, and by how much: Hit("cut guidance", -1.0)."""

    text: str
    weight: float

    def __str__(self) -> str:
        return f"{self.text} ({self.weight:+.1f})"


@dataclass(frozen=True, slots=True)
class Analysis:
    """A headline's score, its label and the hits that made it, in reading order."""

    score: float
    label: Label
    hits: tuple[Hit, ...]


def signals(text: str) -> list[tuple[str, float]]:
    """The pieces of `text` that carry sentiment, in reading order: [("cut guidance", -1.0)].

    The rules of `sentiment_rules`, in their order: words first (directions linked to what
    moved, transitions, words that are news in themselves), then amounts, which overrule the
    words for the metric they measure, then metrics that are news unmoved; last, each hit is
    scaled, hedged and negated by the words around it.
    """
    toks = tokenize(text)
    if not toks:
        return []
    r = Reading(toks)
    for i, role in enumerate(r.roles):
        if role == DIRECTION:
            r.directions(i)
        elif role == POLAR:
            r.found[i] = (r.a[i], i, i, i, toks[i], True)
        elif role == TRANSITION:
            r.transition(i)
    amounts = r.amounts()
    if len(amounts) > 1:
        for new, old in pairs(r, amounts):
            r.comparison(new, old)
    for j, role in enumerate(r.roles):  # "a net loss", "layoffs"
        if role == METRIC and r.b[j] and j not in r.linked:
            r.found[j] = (r.b[j], j, j, j, toks[j], True)
    hits: list[tuple[int, str, float]] = []
    for raw, lo, hi, anchor, found_text, by_rules in r.found.values():
        label, weight = r.modify(raw, lo, hi, anchor, found_text) if by_rules else (found_text, raw)
        if weight:
            hits.append((lo, label, weight))
    hits.sort(key=lambda h: h[0])
    return [(label, weight) for _, label, weight in hits]


def _squash(weights: list[float]) -> float:
    # tanh keeps the score in [-1, 1] and lets a second piece of news add less than the first.
    return math.tanh(math.fsum(weights)) if weights else 0.0


def label_for(score: float) -> Label:
    """The label of a score: positive from NEUTRAL_BAND up, negative from -NEUTRAL_BAND down."""
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def analyse(text: str) -> Analysis:
    """Score `text` and keep the evidence: `Analysis(score, label, hits)`."""
    hits = tuple(Hit(label, weight) for label, weight in signals(text))
    score = _squash([h.weight for h in hits])
    return Analysis(score, label_for(score), hits)


def score_text(text: str) -> float:
    """Sentiment of a headline or sentence in [-1, 1]; 0.0 when nothing in it carries any."""
    return _squash([weight for _, weight in signals(text)])


def classify(text: str) -> Label:
    """'positive', 'neutral' or 'negative': `label_for(score_text(text))`."""
    return label_for(score_text(text))


def explain(text: str) -> list[str]:
    """The words and phrases that scored, with their weights: ["cut guidance (-1.0)", ...]."""
    return [str(Hit(label, weight)) for label, weight in signals(text)]
