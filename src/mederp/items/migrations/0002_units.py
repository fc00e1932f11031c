"""The units of measure every installation starts with, and the conversions that hold for
every item (1 kg = 1000 g). Item-specific conversions (a box of 50) are master data."""

from decimal import Decimal

from django.db import migrations

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


def seed(apps, schema_editor):
    Unit = apps.get_model("items", "UnitOfMeasure")
    Conversion = apps.get_model("items", "UomConversion")
    units = {}
    for code, name_en, name_zh, dimension in UNITS:
        units[code], _ = Unit.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh, "dimension": dimension}
        )
    for src, dst, factor in CONVERSIONS:
        Conversion.objects.get_or_create(
            item=None, from_uom=units[src], to_uom=units[dst], defaults={"factor": Decimal(factor)}
        )


class Migration(migrations.Migration):
    dependencies = [("items", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
