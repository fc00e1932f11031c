"""JSON logs through structlog; stdlib loggers (Django, gunicorn) share the same format."""

from __future__ import annotations

import logging
from typing import Any

import structlog

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _request_id_from_record(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Django logs 4xx responses (django.request "Not Found: ...") after the middleware chain
    has returned, when the request id is no longer bound; take it from the record's request."""
    if "request_id" not in event_dict:
        record = event_dict.get("_record")
        request_id = getattr(getattr(record, "request", None), "request_id", None)
        if isinstance(request_id, str):
            event_dict["request_id"] = request_id
    return event_dict


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def json_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, _request_id_from_record],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
