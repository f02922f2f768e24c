from django.db import migrations

AUDIENCES = [
    ("AMD", "Administrateurs ministériels des données"),
    ("CORRESPONDANTS", "Correspondants données"),
    ("AGENTS_METIER", "Agents des services métier"),
    ("JURISTES_PRADA", "Juristes et PRADA"),
    ("DPO", "Délégués à la protection des données"),
    ("DATA_SCIENTISTS", "Data scientists"),
    ("ENCADREMENT", "Encadrement"),
    ("DSI", "Directions des systèmes d'information"),
]


def load(apps, schema_editor):
    Audience = apps.get_model("trainings", "Audience")
    for order, (code, label) in enumerate(AUDIENCES):
        Audience.objects.update_or_create(code=code, defaults={"label": label, "order": order})


class Migration(migrations.Migration):
    dependencies = [("trainings", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
