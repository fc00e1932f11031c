from django.db import migrations


def install(apps, schema_editor):
    from mederp.inventory.triggers import install as _install

    _install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from mederp.inventory.triggers import uninstall as _uninstall

    _uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_initial")]

    operations = [migrations.RunPython(install, uninstall)]
