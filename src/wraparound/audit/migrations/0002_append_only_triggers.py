from django.db import migrations

from wraparound.audit import append_only


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    append_only.install(schema_editor)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    append_only.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
