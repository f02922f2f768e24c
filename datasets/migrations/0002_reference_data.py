from django.db import migrations


def load(apps, schema_editor):
    from datasets.reference_data import load_inventory_reference

    load_inventory_reference(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
