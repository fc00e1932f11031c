"""Refusals that must reach the ledger although the service transaction rolls back.

A segregation-of-duties violation or a failed e-signature is raised inside the service's
transaction, which then rolls back, taking any ledger entry written there with it. So the
exception carries what to record, and `@audited_refusals` (placed on the service, outside its
`@transaction.atomic`) records it once the transaction has rolled back:

    @audited_refusals
    @transaction.atomic
    def approve_lot(actor, lot, ...):
        sod.check("author_not_approver", actor, record=lot)   # may raise SodViolation
        ...

Services call each other: only the outermost decorated call records, so a refusal raised
three services deep is written once, after everything it would have changed is undone.
A caller that wraps such a service in its own transaction and rolls that back loses the
entry too: call these services outside `transaction.atomic` (views and jobs do).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar, cast

from django.db import transaction

F = TypeVar("F", bound=Callable[..., Any])

_depth: ContextVar[int] = ContextVar("mederp_refusal_depth", default=0)


class AuditedRefusal(Exception):  # a mixin for PermissionDenied and ValidationError
    """Mixin: a refusal that knows how to write itself to the ledger."""

    recorded = False

    def record(self) -> None:  # pragma: no cover - subclasses implement
        raise NotImplementedError

    def record_once(self) -> None:
        if not self.recorded:
            self.recorded = True
            self.record()


def audited_refusals(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _depth.set(_depth.get() + 1)
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except AuditedRefusal as exc:
            if _depth.get() == 1:
                exc.record_once()
            raise
        finally:
            _depth.reset(token)

    return cast(F, wrapper)
