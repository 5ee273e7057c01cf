"""Symbol sentiment: decayed by age, de-duplicated, explained by its headlines."""

from __future__ import annotations

import pytest

from tpm.analysis.news_sentiment import ScoredHeadline, SentimentBook

H = 3_600_000_000_000  # an hour in ns
NOW = 1_000 * H


def _h(i: str, hours_ago: float, score: float, text: str = "") -> ScoredHeadline:
    return ScoredHeadline(i, NOW - int(hours_ago * H), text or f"story {i}", score)


def test_no_recent_headline_means_no_sentiment() -> None:
    book = SentimentBook(max_age_s=48 * 3600)
    assert book.pillar("X", NOW).value is None
    book.add("X", _h("a", 72, 0.9))
    assert book.pillar("X", NOW).value is None  # older than the window


def test_a_headline_one_half_life_old_counts_half() -> None:
    book = SentimentBook(half_life_s=24 * 3600)
    book.add("X", _h("new", 0, 1.0))
    book.add("X", _h("old", 24, -1.0))
    # weights 1 and 0.5: mean = (1 - 0.5) / 1.5 = 1/3
    assert book.pillar("X", NOW).value == pytest.approx(50 + 50 / 3)


def test_the_same_story_counts_once() -> None:
    book = SentimentBook()
    assert book.add("X", _h("a", 1, -0.8))
    assert not book.add("X", _h("a", 1, -0.8))
    assert len(book.headlines("X")) == 1


def test_confidence_grows_with_fresh_headlines() -> None:
    book = SentimentBook(full_weight=3.0)
    book.add("X", _h("a", 0, 0.5))
    assert book.pillar("X", NOW).confidence == pytest.approx(1 / 3)
    book.add("X", _h("b", 0, 0.5))
    book.add("X", _h("c", 0, 0.5))
    assert book.pillar("X", NOW).confidence == pytest.approx(1.0)


def test_drivers_say_what_happened_and_which_headlines_mattered() -> None:
    book = SentimentBook(half_life_s=24 * 3600)
    book.add("X", _h("a", 2, -0.7, "Acme cuts guidance"))
    book.add("X", _h("b", 5, -0.4, "Acme faces lawsuit"))
    book.add("X", _h("c", 30, 0.6, "Acme wins contract"))
    book.add("X", _h("d", 1, 0.0, "Acme to present at conference"))
    p = book.pillar("X", NOW)
    assert p.value is not None and p.value < 50
    assert p.drivers[0].text == "0 positive and 2 negative headlines in 24h (negative)"
    assert p.drivers[1].text.startswith('"Acme cuts guidance" (-0.70, 2h ago)')
    assert all("conference" not in d.text for d in p.drivers)


def test_out_of_order_headlines_are_kept_in_time_order() -> None:
    book = SentimentBook()
    book.add("X", _h("late", 1, 0.1))
    book.add("X", _h("early", 10, 0.2))
    assert [h.id for h in book.headlines("X")] == ["early", "late"]
