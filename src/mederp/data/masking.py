"""Masking of RESTRICTED values, and who sees them in clear.

Masked by default everywhere (UI, API, exports). A value is shown in clear only to a holder of
`<domain>.view_restricted` at the record's site, or once, for one record, through the audited
reveal action (`data.reveal`, with a reason). Erased values read "[erased]" for everybody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mederp.core.classification import field_class
from mederp.data.crypto import Sealed
from mederp.data.fields import EncryptedField, is_erased
from mederp.identity.authz import has_perm


def mask_name(value: str) -> str:
    """张三 → 张*, 张三丰 → 张**, Jane Doe → J***."""
    text = value.strip()
    if not text:
        return ""
    return text[0] + "*" * max(1, min(len(text) - 1, 3))


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; short numbers keep their last two digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        return ""
    prefix = "+" if value.strip().startswith("+") else ""
    if len(digits) >= 7:
        return prefix + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return prefix + "*" * max(1, len(digits) - 2) + digits[-2:]


def mask_email(value: str) -> str:
    """jane@example.com → j***@example.com."""
    local, sep, domain = value.strip().partition("@")
    if not sep:
        return mask_name(local)
    return (local[:1] or "*") + "***@" + domain


def mask_date(value: Any) -> str:
    return "****-**-**"


def mask_text(value: Any) -> str:
    return "[restricted]"


MASKS = {
    "name": mask_name,
    "phone": mask_phone,
    "email": mask_email,
    "date": mask_date,
    "text": mask_text,
    "full": mask_text,
}


def mask(kind: str, value: Any) -> str:
    if value is None or value == "" or value == {}:
        return ""
    if is_erased(value):
        return str(value)
    return MASKS.get(kind, mask_text)(str(value) if kind in {"name", "phone", "email"} else value)


def display(value: Any) -> Any:
    """A clear value as people read it (dates ISO, JSON as compact text)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return value


def restricted_fields(model: type[Any]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if field_class(model, f.name).restricted]


def view_permission(model: type[Any]) -> str:
    return f"{getattr(model, 'data_domain', 'data')}.view_restricted"


def may_see_clear(user: Any, instance: Any) -> bool:
    return has_perm(user, view_permission(type(instance)), getattr(instance, "site", None))


def present(instance: Any, name: str, clear: bool) -> Any:
    """One field as shown: clear, masked, or "[erased]"."""
    field = type(instance)._meta.get_field(name)
    encrypted = isinstance(field, EncryptedField)
    if encrypted:
        # An opened value (a listed page opens its values in one pass) is read as it is; a
        # sealed or deferred one through the descriptor, which opens or loads it.
        value = instance.__dict__.get(name, Sealed)
        if value is Sealed or value.__class__ is Sealed:
            value = getattr(instance, name)
    else:
        value = getattr(instance, name)
    if is_erased(value):
        return str(value)
    if not field_class(type(instance), name).restricted:
        return value
    if clear:
        return display(value)
    return mask(field.mask if encrypted else "full", value)


def present_all(instance: Any, names: list[str], clear: bool) -> dict[str, Any]:
    return {name: present(instance, name, clear) for name in names}
