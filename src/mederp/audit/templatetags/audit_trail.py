"""`{% audit_trail obj %}`: the "Audit trail" tab of a record page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("audit/_trail.html", takes_context=True)
def audit_trail(context: template.Context, obj: Any) -> dict[str, Any]:
    """The record's entries, human-readable, newest first; a short note instead when the user
    may not see the trail (they need `audit.view_trail` at the record's site)."""
    from mederp.audit.views import trail_context

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return trail_context(user, obj._meta.label_lower, str(obj.pk), obj=obj)
