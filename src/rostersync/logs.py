"""Structured logs: one JSON object per line, with the request id when there is one.

Never log a person's name, email or a token; log ids and codes instead.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# Attributes every LogRecord has; anything else was passed through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn duplicates its message with ANSI colours
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Stamped when the record was made (see configure_logging), else the current one.
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and key != "request_id"
        )
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _stamp_request_id(
    factory: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return record

    make_record.stamps_request_id = True  # type: ignore[attr-defined]
    return make_record


def stamp_request_ids() -> None:
    """Make every log record carry the request id current when it was made (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "stamps_request_id", False):
        logging.setLogRecordFactory(_stamp_request_id(factory))


def configure_logging(level: str = "INFO") -> None:
    stamp_request_ids()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # pgserver logs its server's shell commands at INFO; they help only when debugging it.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # APScheduler logs every run of every job at INFO (the reaper runs every 15 s); the jobs
    # log what they did themselves.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
