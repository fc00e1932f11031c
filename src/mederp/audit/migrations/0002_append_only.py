from django.db import migrations


def install(apps, schema_editor):
    from mederp.audit.triggers import install as _install

    _install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from mederp.audit.triggers import uninstall as _uninstall

    _uninstall(schema_editor.connection)


def create_head(apps, schema_editor):
    apps.get_model("audit", "LedgerHead").objects.using(schema_editor.connection.alias).get_or_create(
        id=1, defaults={"last_seq": 0}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
