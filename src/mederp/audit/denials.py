"""Permission denials (HTTP 403 in UI and API) go into the ledger.

A denial is raised inside a service transaction that then rolls back, so it is written here,
after the view has failed, in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from mederp import audit


def record_denial(request: Any, detail: str) -> None:
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    audit.record(
        "permission_denied",
        None,
        actor=actor,
        site=getattr(request, "mederp_site", None),
        actor_username=None if actor else "",
        object_type="http",
        object_id=request.method,
        object_repr=request.get_full_path()[:300],
        reason=detail[:500],
    )
