"""The tamper-evident audit ledger.

Services call `audit.record(...)` inside their transaction; `audit.snapshot` / `audit.diff`
build the `{field: [old, new]}` change set with RESTRICTED values replaced by fingerprints.
These wrappers import lazily so that `from mederp import audit` works before apps are ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mederp.audit.models import AuditEntry


def record(action: str, obj: Any = None, **kwargs: Any) -> AuditEntry:
    from mederp.audit.ledger import record as _record

    return _record(action, obj, **kwargs)


def snapshot(instance: Any) -> dict[str, Any]:
    from mederp.audit.changes import snapshot as _snapshot

    return _snapshot(instance)


def diff(before: dict[str, Any] | None, after: Any) -> dict[str, list[Any]]:
    from mederp.audit.changes import diff as _diff

    return _diff(before, after)
