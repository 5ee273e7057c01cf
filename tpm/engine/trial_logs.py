"""Trials (backtests the builder runs inside a live engine) use the engine's own parts, and so
its loggers; what they log is about no real order, so it stays out of the engine's log."""

from __future__ import annotations

import logging
from contextvars import ContextVar

__all__ = ["QuietTrials", "quiet"]

quiet: ContextVar[bool] = ContextVar("tpm_trial_quiet", default=False)
"""Set in a trial's worker thread (the asyncio.run there copies it into every task)."""


class QuietTrials(logging.Filter):
    """A handler filter: drops what a trial logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not quiet.get()
