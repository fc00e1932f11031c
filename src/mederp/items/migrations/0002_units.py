"""The units of measure every installation starts with (mederp.items.units)."""

from django.db import migrations


def seed(apps, schema_editor):
    from mederp.items.units import seed as seed_units

    seed_units(
        apps.get_model("items", "UnitOfMeasure"),
        apps.get_model("items", "UomConversion"),
        schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [("items", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
