"""Headline sentiment: each rule on hand-written headlines, the score's range and labels, and
the PhraseBank accuracy when the shared data is present."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpm.analysis.sentiment import (
    NEUTRAL_BAND,
    Hit,
    analyse,
    classify,
    explain,
    label_for,
    score_text,
    tokenize,
    word_polarity,
)
from tpm.analysis.sentiment_lexicon import ENTRIES


def pos(text: str) -> None:
    assert classify(text) == "positive", (text, explain(text))


def neg(text: str) -> None:
    assert classify(text) == "negative", (text, explain(text))


def neutral(text: str) -> None:
    assert classify(text) == "neutral", (text, explain(text))


# --- what moved, and which way ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Acme's quarterly profit rose 8%",
        "Net sales increased by 12 % in the first half",
        "Revenue grew strongly in Asia",
        "Operating loss narrowed in the fourth quarter",
        "Costs fell as the savings programme took hold",
        "Acme cut its operating costs by a fifth",
        "Net debt was reduced further",
        "Acme raised its full-year outlook",
        "Acme beat analysts' estimates",
        "Acme lifts dividend",
        "Order intake doubled",
    ],
)
def test_good_moves_are_positive(text: str) -> None:
    pos(text)


@pytest.mark.parametrize(
    "text",
    [
        "Acme's quarterly profit fell 8%",
        "Net sales decreased in the first half",
        "Operating loss widened in the fourth quarter",
        "Costs rose on higher energy use",
        "Acme cuts full-year guidance",
        "Acme lowered its earnings forecast",
        "Acme missed expectations",
        "Earnings fell short of forecasts",
        "Demand weakened in Europe",
        "Acme to cut 400 jobs",
    ],
)
def test_bad_moves_are_negative(text: str) -> None:
    neg(text)


def test_the_same_verb_is_good_news_for_profit_and_bad_news_for_losses() -> None:
    assert score_text("Profit increased") > 0 > score_text("Loss increased")
    assert score_text("Costs decreased") > 0 > score_text("Sales decreased")


def test_a_movement_reaches_its_object_past_a_comma_before_an_earlier_subject() -> None:
    assert explain("Acme beats estimates, raises outlook") == [
        "beats estimates (+0.8)",
        "raises outlook (+1.0)",
    ]


def test_a_stake_or_a_share_capital_that_grows_is_not_news() -> None:
    neutral("Acme increased its stake in Beta to 12 %")
    neutral("The share capital was increased by EUR 1,000")


def test_a_price_move_by_a_percentage_reads_as_the_share_price() -> None:
    neg("Acme falls 5% in early trading")
    pos("Acme jumps 12 % after the results")


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Net sales reached EUR 5.2 mn, up from EUR 3.1 mn", 1),
        ("Net sales were EUR 3.1 mn, compared with EUR 5.2 mn a year earlier", -1),
        ("Operating profit went from EUR 3.1 mn to EUR 5.2 mn", 1),
        ("Operating profit went from EUR 5.2 mn to EUR 3.1 mn", -1),
        ("Costs came to EUR 5.2 mn against EUR 3.1 mn", -1),
        ("Operating loss totalled EUR 1.1 mn, compared with EUR 2.4 mn", 1),
        ("Pre-tax loss was USD 7 million (USD 4 million)", -1),
        ("The operating margin was 2.4 % versus 5.7 %", -1),
        ("Net profit EUR 12.5 mn ( EUR 10.1 mn )", 1),
    ],
)
def test_two_amounts_give_the_direction(text: str, sign: int) -> None:
    score = score_text(text)
    assert score * sign >= NEUTRAL_BAND, (text, explain(text))


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("Net sales rose to EUR 5.2 mn from EUR 3.1 mn", ["net sales 3.1 -> 5.2 (+0.9)"]),
        ("Net sales rose from EUR 3.1 mn to EUR 5.2 mn", ["net sales 3.1 -> 5.2 (+0.9)"]),
        # a percentage is never compared with money
        ("Revenue grew 14 % to ( EUR ) 467 million from a year earlier", ["revenue grew (+0.9)"]),
        # a currency conversion between the two compared figures is skipped
        (
            "Net profit fell to EUR 12.9 mn ( USD 17 mn ) from EUR 17 mn",
            ["net profit 17 -> 12.9 (-1.2)"],
        ),
        # "a negative EUR 68.6 mn" is a sign, not bad news; nor is "-0.4" flipped twice
        (
            "Operating cash flow was EUR 7.4 mn, compared with a negative EUR 68.6 mn",
            ["operating cash flow -68.6 -> 7.4 (+0.8)"],
        ),
        (
            "Profit after taxes was EUR 0.1 mn, compared to EUR -0.4 mn",
            ["profit -0.4 -> 0.1 (+1.2)"],
        ),
        # each amount is compared once; "that of services to EUR 1.3 mn" has no partner
        (
            "Operating profit rose to EUR 1.5 mn from EUR 1.3 mn, and that of services to EUR 1.3 mn",
            ["operating profit 1.3 -> 1.5 (+1.2)"],
        ),
    ],
)
def test_amounts_read_as(text: str, hits: list[str]) -> None:
    assert explain(text) == hits


def test_amounts_overrule_the_words() -> None:
    # "rose" disagrees with the figures; the figures were what the annotator would check
    assert score_text("Costs rose to EUR 3.1 mn from EUR 5.2 mn") > 0


def test_a_loss_and_a_profit_compare_on_one_signed_line() -> None:
    pos("Operating profit was EUR 2 mn, compared with a loss of EUR 1 mn")
    neg("The result was a loss of EUR 3 mn against a profit of EUR 1 mn")
    pos("Acme posted a profit of EUR 2 mn after a loss of EUR 1 mn the year before")


def test_a_currency_conversion_in_brackets_is_not_a_comparison() -> None:
    neutral("Sales totalled EUR 10 mn ( USD 13 mn )")


def test_years_are_not_amounts() -> None:
    neutral("Sales in 2009 compared with 2008 are shown in the table")


def test_scales_are_respected_when_both_amounts_have_one() -> None:
    pos("Revenue grew to EUR 1.1 bn from EUR 900 mn")


def test_a_full_figure_is_compared_with_a_scaled_one_in_units() -> None:
    pos("Operating profit rose to EUR 2.1 mn from EUR 106,000")
    neg("Operating profit fell to EUR 106,000 from EUR 2.1 mn")


def test_numbers_that_are_not_figures_do_not_pair() -> None:
    # "Q1" and "31" are not amounts of money; "from 9.1 to 9.7" pairs with itself
    pos("In Q1 of 2010, net interest income increased from EUR 9.1 mn to EUR 9.7 mn")
    neg("The net loss widened to EUR 3.2 mn for the quarter ending October 31 from EUR 900,000")


def test_thousands_grouped_by_spaces() -> None:
    pos("Production capacity will increase from 36 000 to 85 000 tonnes a year")


def test_the_metric_may_stand_between_the_amounts() -> None:
    neg("Acme proposes a EUR 1.00 dividend per share, against EUR 1.20 a year earlier")


def test_declined_is_a_fall_unless_it_is_a_refusal() -> None:
    neg("Net profit declined to EUR 5 mn")
    neutral("Acme declined to comment on the report")


def test_the_bottom_line_changing_sign() -> None:
    pos("Acme swung to a profit in the third quarter")
    neg("Acme turned to an operating loss")
    neg("Acme slipped to a net loss in the second quarter")  # a new state, not a smaller loss


def test_signed_amounts_are_not_flipped_again() -> None:
    neg("The result was a loss of EUR -3.5 mn ( +1.2 )")
    neutral("Net sales for 2008-2009 are shown in the table")  # a range, not a negative year


def test_an_amount_takes_the_account_named_with_it() -> None:
    pos("Acme posted a EUR 1.49 mn loss, compared with EUR 1.70 mn")  # after the amount
    pos("EPS was EUR 0.03 versus a loss per share of EUR 0.01")
    neg("Loss after financial items totalled EUR 9.7 mn, compared to a profit of EUR 1.3 mn")


# --- negation, intensity, hedges ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The unit is not profitable", "negative"),
        ("Sales did not increase", "negative"),
        ("Sales didn't increase", "negative"),
        ("Sales didn’t increase", "negative"),  # a typographic apostrophe
        ("Acme failed to meet expectations", "negative"),
        ("The merger will go ahead without layoffs", "positive"),
        ("Acme does not expect to cut its dividend", "positive"),
    ],
)
def test_negation_flips(text: str, label: str) -> None:
    assert classify(text) == label, explain(text)


def test_negation_weakens_as_it_flips() -> None:
    assert 0 > score_text("Profit did not rise") > score_text("Profit fell")


def test_intensifiers_and_dampeners_scale_without_flipping() -> None:
    plain = score_text("Sales rose")
    assert score_text("Sales rose sharply") > plain > score_text("Sales rose slightly") > 0
    assert score_text("Costs rose sharply") < score_text("Costs rose") < 0


def test_a_hedge_weakens() -> None:
    assert score_text("Profit fell") < score_text("Profit may fall") < 0


# --- words that are news in themselves, and the neutral band -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Acme files for bankruptcy",
        "Acme faces lawsuit over patents",
        "Acme issues profit warning",
        "Acme posts a net loss for the quarter",
        "Acme announces 500 layoffs",
        "Acme downgraded to underweight",
    ],
)
def test_bad_news_words(text: str) -> None:
    neg(text)


@pytest.mark.parametrize(
    "text",
    [
        "Acme wins contract for new metro line",
        "Acme reports record quarterly profit",
        "Acme upgraded on strong demand",
        "Acme shares rally",
    ],
)
def test_good_news_words(text: str) -> None:
    pos(text)


@pytest.mark.parametrize(
    "text",
    [
        "The company has 120 employees",
        "X will publish its results on 5 May",
        "Acme to present at investor conference",
        "Acme is headquartered in Helsinki and listed in New York",
        "The annual general meeting will be held on 20 March 2025",
        "The deal is expected to close in the second quarter",
        "Operating profit totalled EUR 9.4 mn",
        "Acme appoints new chief financial officer",
        "Acme sells its packaging unit to Beta",
        "Prices are quoted in euros per tonne",
    ],
)
def test_factual_statements_are_neutral(text: str) -> None:
    neutral(text)


# --- robustness ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "...", "!!! ??? ,,,", "12345", "€ $ %", "\n\t"])
def test_nothing_to_read_is_neutral_zero(text: str) -> None:
    assert score_text(text) == 0.0
    assert classify(text) == "neutral"
    assert explain(text) == []


def test_case_punctuation_and_width_do_not_matter() -> None:
    base = score_text("profit rose")
    assert score_text("PROFIT ROSE!!!") == base
    assert score_text("  Profit   rose.  ") == base
    assert score_text("ｐｒｏｆｉｔ ｒｏｓｅ") == base  # full-width letters
    assert score_text("Profit rose 😀") == base


def test_other_scripts_and_accents_are_read_as_unknown_words() -> None:
    assert score_text("Продажи выросли") == 0.0
    assert score_text("利润增长") == 0.0
    assert score_text("Seppälä's profit rose") == score_text("Acme's profit rose")


def test_every_lexicon_form_reads_as_itself() -> None:
    # the tokenizer and the lexicon agree: each form, phrase or word, comes back as one token
    assert [f for f in ENTRIES if tokenize(f) != [f]] == []


def test_tokens_join_the_lexicons_phrases() -> None:
    assert tokenize("Net sales rose to EUR 5.2 mn") == [
        "net sales",
        "rose",
        "to",
        "eur",
        "5.2",
        "mn",
    ]
    assert "profit warning" in tokenize("Acme issues a Profit Warning")


@given(st.text(max_size=300))
def test_any_text_scores_in_range_and_labels_consistently(text: str) -> None:
    score = score_text(text)
    assert -1.0 <= score <= 1.0
    assert classify(text) == label_for(score)
    a = analyse(text)
    assert a.score == score and a.label == label_for(score)


@given(
    st.lists(
        st.sampled_from(
            [
                *("profit", "loss", "costs", "rose", "fell", "cut", "guidance", "record"),
                *("not", "no", "may", "sharply", "slightly", "bankruptcy", "swung", "to"),
                *("from", "compared", "EUR", "5", "3.1", "mn", "%", "(", ")", ",", "."),
            ]
        ),
        max_size=40,
    )
)
def test_lexicon_word_salad_stays_in_range(words: list[str]) -> None:
    text = " ".join(words)
    assert -1.0 <= score_text(text) <= 1.0
    assert classify(text) == label_for(score_text(text))


def test_label_thresholds() -> None:
    assert label_for(NEUTRAL_BAND) == "positive"
    assert label_for(-NEUTRAL_BAND) == "negative"
    assert label_for(NEUTRAL_BAND - 1e-9) == "neutral"
    assert label_for(-NEUTRAL_BAND + 1e-9) == "neutral"
    assert label_for(0.0) == "neutral"
    assert label_for(1.0) == "positive" and label_for(-1.0) == "negative"


def test_explain_names_the_words_with_their_weights() -> None:
    assert explain("Acme cuts guidance") == ["cuts guidance (-1.0)"]
    a = analyse("Acme cuts guidance and faces a lawsuit")
    assert a.hits == (Hit("cuts guidance", -1.0), Hit("lawsuit", -0.8))
    assert str(a.hits[0]) == "cuts guidance (-1.0)"
    assert a.label == "negative"


def test_the_baseline_word_signs() -> None:
    assert word_polarity("bankruptcy") == -1.0
    assert word_polarity("strong") == 1.0
    assert word_polarity("rose") == 1.0
    assert word_polarity("profit") == 0.0  # its sign depends on what it did
    assert word_polarity("the") == 0.0


# --- the acceptance figure -------------------------------------------------------------------


def _phrasebank(path: Path) -> list[tuple[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return [
        (sentence.strip(), label.strip())
        for sentence, _, label in (line.rpartition("@") for line in text.splitlines())
        if sentence
    ]


def test_accuracy_on_phrasebank_all_agree(shared_data: Path) -> None:
    path = shared_data / "sentiment" / "financial_phrasebank" / "Sentences_AllAgree.txt"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    rows = _phrasebank(path)
    assert len(rows) > 2000
    accuracy = sum(classify(text) == label for text, label in rows) / len(rows)
    assert accuracy >= 0.80
