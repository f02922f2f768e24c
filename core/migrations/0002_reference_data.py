from django.db import migrations


def load(apps, schema_editor):
    from core.reference_data import load_reference_tables

    load_reference_tables(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
