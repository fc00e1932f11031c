"""How an entry reads to a person: who, what changed from → to. Shared by pages and exports.

RESTRICTED values are stored as `{"[restricted]": "<fingerprint>"}`; people see "[restricted]"
only (the fingerprint is for the verifier and appears in the canonical payload alone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mederp.audit.actions import action_label
from mederp.audit.changes import REDACTED
from mederp.audit.models import AuditEntry

EMPTY = "—"
ARROW = "→"


@dataclass(frozen=True)
class ChangeLine:
    field: str  # the field's code, e.g. "full_name"
    label: str  # its name for people, e.g. "full name"
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old} {ARROW} {self.new}"


@lru_cache(maxsize=512)
def _field_label(object_type: str, field: str) -> str | Promise:
    try:
        model = apps.get_model(object_type)
        return model._meta.get_field(field).verbose_name
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return field


def field_label(object_type: str, field: str) -> str:
    return str(_field_label(object_type, field))


def is_restricted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {REDACTED}


def format_value(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if is_restricted(value):
        return str(gettext_lazy("[restricted]"))
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(_unrestrict(value), ensure_ascii=False, sort_keys=True)
    return str(value)


def _unrestrict(value: Any) -> Any:
    """Nested RESTRICTED markers lose their fingerprints too."""
    if is_restricted(value):
        return REDACTED
    if isinstance(value, list):
        return [_unrestrict(v) for v in value]
    if isinstance(value, dict):
        return {k: _unrestrict(v) for k, v in value.items()}
    return value


def change_lines(entry: AuditEntry) -> list[ChangeLine]:
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    lines = []
    for name in sorted(changes):
        pair = changes[name]
        if isinstance(pair, list | tuple) and len(pair) == 2:
            old, new = pair
        else:  # not a [old, new] pair: show it as the new value
            old, new = None, pair
        if format_value(old) == EMPTY and format_value(new) == EMPTY:
            continue  # nothing to nothing, as a creation lists its empty fields
        lines.append(
            ChangeLine(
                field=name,
                label=field_label(entry.object_type, name),
                old=format_value(old),
                new=format_value(new),
            )
        )
    return lines


def changes_text(entry: AuditEntry) -> str:
    return "; ".join(str(line) for line in change_lines(entry))


def actor_display(entry: AuditEntry) -> str:
    """The actor as "Full Name (username)", or what the entry knows about who acted."""
    if entry.actor_type == AuditEntry.ActorType.SYSTEM:
        return _("System")
    if entry.actor_name and entry.actor_username:
        return f"{entry.actor_name} ({entry.actor_username})"
    if entry.actor_username:
        return entry.actor_username
    return _("Anonymous")


def object_display(entry: AuditEntry) -> str:
    if entry.object_repr:
        return entry.object_repr
    if entry.object_type:
        return f"{entry.object_type} #{entry.object_id}" if entry.object_id else entry.object_type
    return EMPTY


def label_for(entry: AuditEntry) -> str:
    return action_label(entry.action)
