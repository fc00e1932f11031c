"""E-signature template tags.

- `{% signature_manifestation record %}`: the record's signatures (11.50): printed name, date
  and time in UTC and local time, meaning, and whether each still applies to this version.
- `{% esign_assets %}` (in `extra_head`), `{% esign_slot %}` (once per page) and
  `{% esign_button url label %}`: open the e-signature dialog of a controlled transition.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("signatures/_manifestation.html")
def signature_manifestation(record: Any, heading_level: int = 2) -> dict[str, Any]:
    from mederp.signatures.manifestation import manifestations, zone_name

    tz = timezone.get_current_timezone()
    return {
        "items": manifestations(record, tz),
        "zone": zone_name(tz),
        "record_key": f"{record._meta.label_lower}-{record.pk}".replace(".", "-"),
        "heading_level": heading_level,
    }


@register.inclusion_tag("signatures/_assets.html")
def esign_assets() -> dict[str, Any]:
    return {}


@register.inclusion_tag("signatures/_slot.html")
def esign_slot() -> dict[str, Any]:
    return {}


@register.inclusion_tag("signatures/_button.html")
def esign_button(url: str, label: str, css_class: str = "button-primary") -> dict[str, Any]:
    return {"url": url, "label": label, "css_class": css_class}
