"""A symbol's sentiment: the time-decayed average of its scored headlines, as a 0-100 pillar
with the headlines that drove it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tpm.domain.score import Driver, PillarScore

__all__ = ["ScoredHeadline", "SentimentBook"]

_NS = 1_000_000_000
# Headlines whose |score| is below this count as neutral in the summary line.
_NEUTRAL = 0.1


@dataclass(frozen=True, slots=True)
class ScoredHeadline:
    id: str
    ts_ns: int
    headline: str
    score: float
    """-1 (negative) to 1 (positive)."""


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(seconds, 0) / 60:.0f}m"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


class SentimentBook:
    """Recent scored headlines per symbol, and the decayed sentiment they add up to."""

    def __init__(
        self,
        half_life_s: float = 86_400.0,
        *,
        max_age_s: float = 7 * 86_400.0,
        max_per_symbol: int = 200,
        full_weight: float = 3.0,
    ) -> None:
        if half_life_s <= 0:
            raise ValueError(f"the sentiment half-life must be positive, got {half_life_s}")
        self.half_life_s = half_life_s
        self._max_age_ns = int(max_age_s * _NS)
        self._max = max_per_symbol
        self._full_weight = full_weight
        self._items: dict[str, deque[ScoredHeadline]] = {}
        self._seen: set[str] = set()

    def add(self, symbol: str, item: ScoredHeadline) -> bool:
        """Keep `item` for `symbol`; False if the same story was already kept."""
        if item.id in self._seen:
            return False
        self._seen.add(item.id)
        items = self._items.get(symbol)
        if items is None:
            items = self._items[symbol] = deque(maxlen=self._max)
        if items and items[-1].ts_ns > item.ts_ns:
            # Out of order (a backfill): insert in time order; rare, so a rebuild is fine.
            merged = sorted([*items, item], key=lambda h: h.ts_ns)
            items.clear()
            items.extend(merged[-self._max :])
        else:
            items.append(item)
        return True

    def headlines(self, symbol: str) -> list[ScoredHeadline]:
        return list(self._items.get(symbol, ()))

    def pillar(self, symbol: str, now_ns: int) -> PillarScore:
        """The sentiment pillar of `symbol` at `now_ns`: None when it has no recent headline."""
        items = self._items.get(symbol)
        if items:
            while items and now_ns - items[0].ts_ns > self._max_age_ns:
                items.popleft()
        if not items:
            return PillarScore(None, 0.0, {"headlines": 0})
        weights = []
        for h in items:
            age_s = max(now_ns - h.ts_ns, 0) / _NS
            weights.append(0.5 ** (age_s / self.half_life_s))
        total = sum(weights)
        mean = sum(w * h.score for w, h in zip(weights, items, strict=True)) / total
        value = 50.0 + 50.0 * mean
        day = [h for h in items if now_ns - h.ts_ns <= 86_400 * _NS]
        pos = sum(1 for h in day if h.score >= _NEUTRAL)
        neg = sum(1 for h in day if h.score <= -_NEUTRAL)
        drivers = []
        if pos or neg:
            lean = "positive" if pos > neg else "negative" if neg > pos else "mixed"
            summary = f"{pos} positive and {neg} negative headlines in 24h ({lean})"
            drivers.append(Driver(summary, value - 50.0))
        ranked = sorted(
            zip(weights, items, strict=True), key=lambda p: abs(p[0] * p[1].score), reverse=True
        )
        for w, h in ranked[:3]:
            if abs(h.score) < _NEUTRAL:
                continue
            age = _age((now_ns - h.ts_ns) / _NS)
            drivers.append(
                Driver(f'"{h.headline}" ({h.score:+.2f}, {age} ago)', 50.0 * w * h.score / total)
            )
        return PillarScore(
            value=value,
            confidence=min(1.0, total / self._full_weight),
            parts={
                "headlines": float(len(items)),
                "positive_24h": float(pos),
                "negative_24h": float(neg),
            },
            drivers=tuple(drivers),
        )
