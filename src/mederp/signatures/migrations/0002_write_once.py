from django.db import migrations


def install(apps, schema_editor):
    from mederp.signatures.triggers import install as _install

    _install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from mederp.signatures.triggers import uninstall as _uninstall

    _uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
