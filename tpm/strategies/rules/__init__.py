"""The rule language of strategy files: parse an expression into a tree, evaluate the tree over
a symbol's closed bars. Never eval or exec."""

from tpm.strategies.rules.evaluate import Evaluation, State, truth
from tpm.strategies.rules.functions import FUNCTIONS
from tpm.strategies.rules.parse import parse_expression
from tpm.strategies.rules.tree import PILLARS, SERIES, STATE, Node, is_stateful

__all__ = [
    "FUNCTIONS",
    "PILLARS",
    "SERIES",
    "STATE",
    "Evaluation",
    "Node",
    "State",
    "is_stateful",
    "parse_expression",
    "truth",
]
