"""Strategy expressions parse into trees with the usual precedence; every mistake says where
(position from 1) and what was expected."""

from __future__ import annotations

import pytest

from tpm.errors import ConfigError, RuleError
from tpm.strategies.rules import parse_expression
from tpm.strategies.rules.tree import Ago, Binary, Call, Name, Num, Unary


def test_precedence_and_associativity() -> None:
    tree = parse_expression("1 + 2 * 3 - 4 > 0 and not close < 5 or volume == 0")
    assert isinstance(tree, Binary) and tree.op == "or"
    left = tree.left
    assert isinstance(left, Binary) and left.op == "and"
    compare = left.left
    assert isinstance(compare, Binary) and compare.op == ">"
    diff = compare.left
    # (1 + (2 * 3)) - 4: left-associative, * before +
    assert isinstance(diff, Binary) and diff.op == "-"
    plus = diff.left
    assert isinstance(plus, Binary) and plus.op == "+"
    assert isinstance(plus.right, Binary) and plus.right.op == "*"
    negated = left.right
    assert isinstance(negated, Unary) and negated.op == "not"
    assert isinstance(negated.x, Binary) and negated.x.op == "<"


def test_calls_fill_defaults_and_bars_ago_nest() -> None:
    tree = parse_expression("rsi(close)[2][1]")
    assert isinstance(tree, Ago) and tree.bars == 1
    inner = tree.x
    assert isinstance(inner, Ago) and inner.bars == 2
    call = inner.x
    assert isinstance(call, Call) and call.name == "rsi"
    assert call.args == (Name("close", 4), Num(14.0, 0))


def test_unary_minus_and_parentheses() -> None:
    tree = parse_expression("-(close - open) / 2")
    assert isinstance(tree, Binary) and tree.op == "/"
    assert isinstance(tree.left, Unary) and tree.left.op == "-"
    assert isinstance(tree.left.x, Binary) and tree.left.x.op == "-"


def test_numbers_in_every_form() -> None:
    for text, value in (("3", 3.0), ("2.5", 2.5), (".5", 0.5), ("1e3", 1000.0), ("2.", 2.0)):
        assert parse_expression(text) == Num(value, 0)


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("sma(close, 10) >", 17, "expected a number, a series such as close"),
        ("sma(close)", 1, "sma(x, n) takes 2 arguments, got 1"),
        ("rsi(close, 14, 3)", 1, "rsi(x, n=14) takes 1 to 2 arguments, got 3"),
        ("clsoe > 1", 1, "unknown name 'clsoe' (did you mean 'close'?)"),
        ("smaa(close, 3)", 1, "unknown function 'smaa' (did you mean 'sma'?)"),
        ("sma(close, 2.5)", 12, "n of sma must be a whole number of bars"),
        ("sma(close, n)", 12, "unknown name 'n'"),
        ("bb_upper(close, 20, close)", 21, "k of bb_upper must be a number"),
        ("close > 1 > 2", 11, "comparisons do not chain"),
        ("close $ 3", 7, "unexpected character '$'"),
        ("sma > 3", 1, "sma is a function: write sma(x, n)"),
        ("close(3)", 1, "close is a series, not a function"),
        ("position[1] > 0", 9, "known for the current bar only"),
        ("sma(position, 3) > 0", 5, "x of sma reads the position"),
        ("(close > 1", 11, "expected ')' to close the '(' at 1"),
        ("   ", 4, "the expression is empty"),
        ("close[1.5]", 7, "whole number such as 1, got '1.5'"),
        ("close close", 7, "expected an operator or the end of the expression, got 'close'"),
        ("sma(close, 3", 13, "expected ',' or ')'"),
        ("close and", 10, "got the end of the expression"),
    ],
)
def test_mistakes_name_the_place_and_what_was_expected(
    text: str, position: int, problem: str
) -> None:
    with pytest.raises(RuleError) as err:
        parse_expression(text)
    assert err.value.position + 1 == position
    assert problem in err.value.problem
    assert str(err.value).startswith(f"{text!r} at {position}: ")
    assert isinstance(err.value, ConfigError)  # a bad strategy file exits 2, as bad config does


def test_no_python_is_run() -> None:
    for text in ("__import__('os')", "close.__class__", "lambda: 1", "close; 1"):
        with pytest.raises(RuleError):
            parse_expression(text)
