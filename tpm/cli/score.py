"""tpm score: every symbol's pillars, composite, rating and drivers, now."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from tpm.cli.control import engine_alive
from tpm.cli.wiring import build_feed, build_fundamentals, build_news, build_store
from tpm.config import Config, Paths
from tpm.domain import PillarScore, Score
from tpm.engine.bus import Bus
from tpm.engine.control import dumps_exact
from tpm.engine.scoring import ScoreBoard
from tpm.errors import ConfigError

__all__ = ["compute_scores", "render_scores", "score_command"]


async def compute_scores(config: Config, paths: Paths) -> tuple[dict[str, Score], str]:
    """Scores from the configured feed's history, figures and news; and where they came from."""
    feed = build_feed(config)  # anchored to now, so its history and news are recent
    store = build_store(config, paths)
    await store.open()
    try:
        where = "computed now from the feed's history"
        if await engine_alive(store) is not None:
            where += " (a running engine keeps its own, live)"
        sectors = {i.symbol: i.sector for i in feed.instruments()}
        board = ScoreBoard(Bus(), store, config.scores, time.time_ns, sectors)
        source = build_fundamentals(config, paths, feed)
        await board.start(
            feed,
            source,
            build_news(config, feed),
            publish=False,
            fundamentals_from_store=source is None,
        )
        return board.latest, where
    finally:
        await store.close()
        await feed.close()


def _pillar(p: PillarScore) -> dict[str, Any]:
    return {
        "value": p.value,
        "confidence": p.confidence,
        "parts": p.parts,
        "drivers": [{"text": d.text, "impact": d.impact} for d in p.drivers],
    }


def render_scores(scores: list[Score], as_json: bool, *, drivers: int = 3) -> str:
    if as_json:
        return dumps_exact(
            [
                {
                    "symbol": s.symbol,
                    "composite": s.composite,
                    "rating": None if s.rating is None else s.rating.value,
                    "technical": _pillar(s.technical),
                    "fundamental": _pillar(s.fundamental),
                    "sentiment": _pillar(s.sentiment),
                    "drivers": [{"text": d.text, "impact": d.impact} for d in s.drivers],
                }
                for s in scores
            ],
            indent=2,
        )

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}"

    lines = [f"{'symbol':12} {'score':>5} {'rating':11} {'tech':>5} {'fund':>5} {'sent':>5}  why"]
    for s in scores:
        rating = "-" if s.rating is None else s.rating.value
        why = "; ".join(d.text for d in s.drivers[:drivers]) or "-"
        lines.append(
            f"{s.symbol:12} {num(s.composite):>5} {rating:11} "
            f"{num(s.technical.value):>5} {num(s.fundamental.value):>5} "
            f"{num(s.sentiment.value):>5}  {why}"
        )
    return "\n".join(lines)


def score_command(args: argparse.Namespace, config: Config, paths: Paths) -> int:
    latest, where = asyncio.run(compute_scores(config, paths))
    wanted = [s.upper() for s in args.symbols]
    unknown = sorted(set(wanted) - set(latest))
    if unknown:
        raise ConfigError(f"score: {', '.join(unknown)} not served by the {config.feed.kind} feed")
    chosen = (
        [latest[s] for s in wanted]
        if wanted
        else sorted(
            latest.values(), key=lambda s: -1 if s.composite is None else s.composite, reverse=True
        )
    )
    print(render_scores(chosen, args.json))
    if not args.json:
        print(f"\n{len(chosen)} symbols, {where}")
    return 0
