from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def qty(value: Any) -> str:
    """A quantity without trailing zeros and never in exponent form (100, not 1E+2)."""
    if value is None or value == "":
        return ""
    return format(Decimal(value).normalize(), "f")
