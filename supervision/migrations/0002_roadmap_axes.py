"""The axes of the interministerial roadmap template (DOMAIN §3.2), loaded as data."""

from django.db import migrations

AXES = [
    ("1", "Accélérer la transformation publique grâce à la donnée", None),
    ("2", "Faciliter et valoriser l'ouverture, le partage et l'exploitation", None),
    ("2.1", "Connaissance fine de l'existant (inventaire)", "2"),
    ("2.2", "Ouvrir les données", "2"),
    ("2.3", "Partager les données entre acteurs habilités", "2"),
    ("2.4", "Exploiter les données (visualisation, science des données, IA)", "2"),
    ("2.5", "Codes sources", "2"),
    ("2.6", "Algorithmes publics", "2"),
    ("3", "Capital humain : acculturation, formation, recrutement, communautés", None),
    ("4", "Gouvernance, pilotage et ressources", None),
]


def load(apps, schema_editor):
    RoadmapAxis = apps.get_model("supervision", "RoadmapAxis")
    by_code = {}
    for order, (code, label, parent) in enumerate(AXES):
        axis, _ = RoadmapAxis.objects.update_or_create(
            code=code, defaults={"label": label, "parent": by_code.get(parent), "order": order}
        )
        by_code[code] = axis


def unload(apps, schema_editor):
    apps.get_model("supervision", "RoadmapAxis").objects.filter(
        code__in=[c for c, _, _ in AXES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
