"""The units of measure every installation starts with, and the conversions that hold for
every item (1 kg = 1000 g). Item-specific conversions (a box of 50) are master data.

Seeded after every migrate (like the roles and permissions), so a database emptied by a
flush, as test runs do, gets them back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

UNITS = [
    ("EA", "each", "个", "count"),
    ("PCS", "piece", "件", "count"),
    ("SET", "set", "套", "count"),
    ("BOX", "box", "盒", "count"),
    ("CTN", "carton", "箱", "count"),
    ("ROLL", "roll", "卷", "count"),
    ("KG", "kilogram", "千克", "mass"),
    ("G", "gram", "克", "mass"),
    ("M", "metre", "米", "length"),
    ("MM", "millimetre", "毫米", "length"),
    ("L", "litre", "升", "volume"),
    ("ML", "millilitre", "毫升", "volume"),
    ("M2", "square metre", "平方米", "area"),
]
CONVERSIONS = [("KG", "G", "1000"), ("M", "MM", "1000"), ("L", "ML", "1000")]


def seed(unit_model: Any, conversion_model: Any, using: str = "default") -> None:
    """Add the missing units and company-wide conversions; existing rows are kept as they
    are (an installation may have renamed a unit)."""
    with transaction.atomic(using=using):
        units = {}
        for code, name_en, name_zh, dimension in UNITS:
            units[code], _ = unit_model.objects.using(using).get_or_create(
                code=code, defaults={"name_en": name_en, "name_zh": name_zh, "dimension": dimension}
            )
        for src, dst, factor in CONVERSIONS:
            exists = conversion_model.objects.using(using).filter(
                item=None,
                from_uom__in=[units[src], units[dst]],
                to_uom__in=[units[src], units[dst]],
            )
            if not exists.exists():
                conversion_model.objects.using(using).create(
                    item=None, from_uom=units[src], to_uom=units[dst], factor=Decimal(factor)
                )


def seed_after_migrate(using: str = "default", **kwargs: Any) -> None:
    from mederp.items.models import UnitOfMeasure, UomConversion

    seed(UnitOfMeasure, UomConversion, using)
