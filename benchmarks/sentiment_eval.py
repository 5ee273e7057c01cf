"""Headline sentiment: accuracy on the Financial PhraseBank, and the time to score 10,000 headlines.

The scorer (`tpm.analysis.sentiment`) is our own lexicon and rules; the PhraseBank is used
here to measure it, never to build it. For each Sentences_*.txt present (AllAgree, 75Agree,
66Agree, 50Agree: sentences on which all, >= 75 %, >= 66 %, > 50 % of the annotators agreed)
this prints accuracy, per-class precision and recall, and the 3x3 confusion matrix, for the
scorer and for a baseline: the plain count of positive minus negative words, with the same
lexicon words and no rules (no direction, no negation, no amounts), so the rules' worth shows.

Also reported: `50Agree-not-75Agree`, the sentences with 50-75 % agreement, whose errors were
studied (by category) while writing the rules; it shares no sentence with AllAgree or 75Agree
(see benchmarks/README.md for the two later looks at AllAgree, which found amount-reading
bugs).

The data folder is TPM_SHARED_DATA, else ../shared/data beside the repository (or --data);
without it the accuracy part is skipped, with a message, and the timing uses built-in headlines.

Usage: python benchmarks/sentiment_eval.py [--data DIR] [--headlines 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tpm.analysis.sentiment import classify, score_text, tokenize, word_polarity

ROOT = Path(__file__).resolve().parents[1]
LABELS = ("positive", "neutral", "negative")
FILES = ("AllAgree", "75Agree", "66Agree", "50Agree")
# Headlines for the timing when the data folder is absent: the shapes of real company news.
BUILT_IN = [
    "Acme Corp cuts full-year guidance as demand weakens in Europe",
    "Operating loss narrowed to EUR 2.1 mn from EUR 3.4 mn in the third quarter",
    "Net sales rose 12 % to USD 540 million, beating analysts' estimates",
    "Acme shares fall 4.5 % after the company missed expectations",
    "The company will publish its interim report on 5 May 2025",
    "Beta Oyj has signed an agreement to supply cranes to a port operator in Poland",
    "Gamma faces a lawsuit over alleged patent infringement",
    "Delta raises its dividend and announces a EUR 50 mn share buyback",
    "Epsilon plans to close two plants, with up to 300 job cuts",
    "Zeta reported an operating profit of EUR 9.4 mn, down from EUR 11.7 mn a year earlier",
]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def data_dir(arg: str | None) -> Path:
    base = arg or os.environ.get("TPM_SHARED_DATA") or str(ROOT.parent / "shared" / "data")
    return Path(base).resolve() / "sentiment" / "financial_phrasebank"


def load(path: Path) -> list[tuple[str, str]]:
    """`sentence@label` lines. AllAgree is UTF-8, the other files Latin-1: try in that order."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    rows = []
    for line in text.splitlines():
        sentence, sep, label = line.rpartition("@")
        if sep and label.strip() in LABELS:
            rows.append((sentence.strip(), label.strip()))
    return rows


def baseline(text: str) -> str:
    """Positive minus negative lexicon words, no rules: the sign is the label."""
    total = sum(word_polarity(t) for t in tokenize(text))
    return "positive" if total > 0 else "negative" if total < 0 else "neutral"


def evaluate(rows: list[tuple[str, str]], predict: Any) -> dict[str, Any]:
    pairs = Counter((gold, predict(text)) for text, gold in rows)
    per_class = {}
    for c in LABELS:
        tp = pairs[(c, c)]
        predicted = sum(pairs[(g, c)] for g in LABELS)
        actual = sum(pairs[(c, p)] for p in LABELS)
        per_class[c] = {
            "precision": round(tp / predicted, 4) if predicted else None,
            "recall": round(tp / actual, 4) if actual else None,
            "n": actual,
        }
    return {
        "n": len(rows),
        "accuracy": round(sum(pairs[(c, c)] for c in LABELS) / len(rows), 4),
        "per_class": per_class,
        # rows: the annotators' label; columns: ours; both in LABELS order
        "confusion": [[pairs[(g, p)] for p in LABELS] for g in LABELS],
    }


def disagreements(rows: list[tuple[str, str]]) -> dict[str, int]:
    """On the sentences where scorer and baseline differ, which of them is right."""
    out = {"ours_right": 0, "baseline_right": 0, "neither": 0}
    for text, gold in rows:
        ours, base = classify(text), baseline(text)
        if ours != base:
            key = "ours_right" if ours == gold else "baseline_right" if base == gold else "neither"
            out[key] += 1
    return out


def show(name: str, ours: dict[str, Any], base: dict[str, Any]) -> None:
    say(
        f"\n{name}: {ours['n']:,} sentences, accuracy {ours['accuracy']:.3f} "
        f"(word-count baseline {base['accuracy']:.3f})"
    )
    head = "gold | predicted"
    say(f"  {head:<18}{'positive':>9}{'neutral':>9}{'negative':>9}   prec  recall")
    for c, row in zip(LABELS, ours["confusion"], strict=True):
        pc = ours["per_class"][c]
        prec = "-" if pc["precision"] is None else f"{pc['precision']:.3f}"
        rec = "-" if pc["recall"] is None else f"{pc['recall']:.3f}"
        say(f"  {c:<18}{row[0]:>9}{row[1]:>9}{row[2]:>9}  {prec:>5}  {rec:>6}")
    say(f"  baseline confusion (same layout): {base['confusion']}")


def time_scoring(headlines: list[str], repeat: int) -> dict[str, float]:
    for text in headlines[:500]:  # warm-up: first calls fill caches
        score_text(text)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for text in headlines:
            score_text(text)
        runs.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(runs), 4), "best_s": round(min(runs), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--data", help="the shared data folder (default: TPM_SHARED_DATA, ../shared/data)"
    )
    ap.add_argument("--headlines", type=int, default=10_000, help="headlines per timed run")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs (the median is reported)")
    args = ap.parse_args()
    folder = data_dir(args.data)
    present = {f: folder / f"Sentences_{f}.txt" for f in FILES}
    present = {f: p for f, p in present.items() if p.is_file()}
    figures: dict[str, Any] = {"data": str(folder), "files": {}}
    sets = {f: load(p) for f, p in present.items()}
    if not sets:
        say(f"no Financial PhraseBank at {folder} (set TPM_SHARED_DATA): accuracy skipped")
        figures["skipped"] = f"no Sentences_*.txt in {folder}"
    if "50Agree" in sets and "75Agree" in sets:
        held_out = {text for text, _ in sets["75Agree"]}
        sets["50Agree-not-75Agree"] = [r for r in sets["50Agree"] if r[0] not in held_out]
    for name, rows in sets.items():
        ours, base = evaluate(rows, classify), evaluate(rows, baseline)
        show(name, ours, base)
        split = disagreements(rows)
        say(
            f"  where the two disagree ({sum(split.values())}): ours right {split['ours_right']}, "
            f"baseline right {split['baseline_right']}, neither {split['neither']}"
        )
        figures["files"][name] = {**ours, "baseline": base, "disagreements": split}

    corpus = [text for rows in sets.values() for text, _ in rows] or BUILT_IN
    headlines = [corpus[i % len(corpus)] for i in range(args.headlines)]
    timing = time_scoring(headlines, args.repeat)
    mean_chars = statistics.fmean(len(h) for h in headlines)
    source = "PhraseBank sentences" if sets else "built-in headlines"
    say(
        f"\nscoring {len(headlines):,} {source} (mean {mean_chars:.0f} characters): "
        f"median {timing['median_s']:.3f} s, best {timing['best_s']:.3f} s over {args.repeat} runs "
        f"({timing['median_s'] / len(headlines) * 1e6:.1f} us each)"
    )
    figures["timing"] = {
        "headlines": len(headlines),
        "source": source,
        "mean_chars": round(mean_chars, 1),
        **timing,
    }
    if "AllAgree" in figures["files"]:
        acc = figures["files"]["AllAgree"]["accuracy"]
        say(f"acceptance: AllAgree accuracy {acc:.3f} (>= 0.80), 10,000 headlines in < 1 s")
    figures["python"] = sys.version.split()[0]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
