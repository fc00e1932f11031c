"""Who is acting, where and from what, for the duration of one request or job.

Services and the audit ledger read this instead of taking the request as an argument, so the
same service code runs from a view, the API, the CLI and background jobs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    actor: Any = None  # identity.User, or None for the system
    site: Any = None  # identity.Site the user is working in
    ip: str | None = None
    user_agent: str = ""
    device_id: str | None = None
    channel: str = "system"  # web, api, cli, job, system


_current: ContextVar[RequestContext | None] = ContextVar("mederp_request_context", default=None)


def new_request_id() -> str:
    """32 random hex digits, as a UUID4's hex (the ledger makes one per entry written with no
    request around it: os.urandom is the cheaper way to them)."""
    return os.urandom(16).hex()


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        return RequestContext(request_id=new_request_id())
    return ctx


@contextlib.contextmanager
def bind(**values: Any) -> Iterator[RequestContext]:
    """Run a block with a context; values not given are kept from the enclosing one."""
    outer = _current.get()
    ctx = (
        replace(outer, **values)
        if outer
        else RequestContext(request_id=values.pop("request_id", None) or new_request_id(), **values)
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_current(ctx: RequestContext | None) -> Any:
    return _current.set(ctx)


def reset(token: Any) -> None:
    _current.reset(token)
