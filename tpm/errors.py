"""The one exception hierarchy of tpm; each class is named for what the caller does.

TpmError
 ├── ConfigError            bad configuration: print the sentence, exit 2
 │    └── RuleError         a strategy expression that does not parse: show where and why
 ├── StrategyFailed         a strategy's own code raised: name the strategy, the hook, the line
 ├── AccessDenied           not logged in, session ended, or the role may not: say which
 │    ├── LoginNeeded        nobody is logged in, or the session ended: log in (again)
 │    └── ConfirmationNeeded the action asks for the code again: ask, confirm, retry
 ├── AccountError           a user command that cannot be done (taken name, weak password)
 ├── DataError              a malformed file or record: report file, line and problem
 ├── IllegalTransition      an order event that its state does not allow
 ├── StoreUnavailable       the database cannot be reached: retry with backoff
 ├── FeedDisconnected       a market feed dropped: reconnect, resubscribe, resync
 └── BrokerError            the broker refused or failed a request
      └── SubmissionTimeout the broker did not answer: never resend until it says what happened
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AccountError",
    "BrokerError",
    "ConfigError",
    "ConfirmationNeeded",
    "DataError",
    "FeedDisconnected",
    "IllegalTransition",
    "LinkDown",
    "LoginNeeded",
    "RuleError",
    "StoreUnavailable",
    "StrategyFailed",
    "SubmissionTimeout",
    "TpmError",
]


class TpmError(Exception):
    """Base of every error tpm raises on purpose; its message is a sentence for a person."""


class ConfigError(TpmError):
    """The configuration is invalid; the message names the file, the key and the reason."""


class RuleError(ConfigError):
    """A strategy expression is wrong; the message names the expression, the position (from 1)
    and what was expected there."""

    def __init__(self, expression: str, position: int, problem: str) -> None:
        self.expression, self.position, self.problem = expression, position, problem
        super().__init__(f"{expression!r} at {position + 1}: {problem}")


class StrategyFailed(TpmError):
    """A strategy's own code raised (a Python strategy's hook, say); the message names the
    strategy, what it was doing, the line of its file and the exception."""


class AccessDenied(TpmError):
    """An action refused to who asked: not logged in, the session ended, the role may not do
    it, or it needs the code (or password) given again. The message says which."""


class LinkDown(TpmError):
    """The connection to a remote engine is down (or never came up): the call did not reach
    it. The client reconnects by itself; the app says so and carries on."""


class LoginNeeded(AccessDenied):
    """Nobody is logged in, or the session ended (idle, too old, logged out)."""


class ConfirmationNeeded(AccessDenied):
    """The action asks the user to give the code (or password) again first; once confirmed,
    the same call goes through."""


class AccountError(TpmError):
    """A change to users that cannot be made: an unknown or taken name, a weak password, a
    wrong enrolment code."""


class DataError(TpmError):
    """A data file or record is malformed; the message names where and what."""


class IllegalTransition(TpmError):
    """An order event arrived that the order's current state does not allow."""


class StoreUnavailable(TpmError):
    """The database cannot be reached right now."""


class FeedDisconnected(TpmError):
    """A market data feed lost its connection."""


class BrokerError(TpmError):
    """The broker refused or failed a request."""


class SubmissionTimeout(BrokerError):
    """A submission got no answer in time; its fate is unknown until the broker reports it."""
