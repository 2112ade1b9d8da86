"""Logging helpers: every error once, and refusals without tracebacks."""

from __future__ import annotations

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A 4xx (a permission refusal, a 404, bad input) is an expected answer,
    not a bug: keep its one line, drop the traceback Django attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
