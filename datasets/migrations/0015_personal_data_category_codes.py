"""Personal data categories become codes of the reference table (core.PersonalDataCategory)
instead of free text: a stored text that names a category (its code or its label, or a common
word for it, accents and case aside) becomes its code; any other text is kept as it was (no
value is lost; the entry's form shows it as an earlier value, to keep or remove)."""

import unicodedata

from django.db import migrations

# Common words for the categories (DOMAIN §4.3 lists them in English).
SYNONYMS = {
    "identite": "IDENTIFICATION",
    "etat civil": "IDENTIFICATION",
    "identification": "IDENTIFICATION",
    "coordonnees": "CONTACT",
    "contact": "CONTACT",
    "financial": "ECONOMIQUE_FINANCIERE",
    "financier": "ECONOMIQUE_FINANCIERE",
    "financieres": "ECONOMIQUE_FINANCIERE",
    "fiscal": "ECONOMIQUE_FINANCIERE",
    "location": "LOCALISATION",
    "localisation": "LOCALISATION",
    "geolocalisation": "LOCALISATION",
    "health": "SANTE",
    "sante": "SANTE",
    "criminal": "INFRACTIONS",
    "penal": "INFRACTIONS",
    "infractions": "INFRACTIONS",
    "condamnations": "INFRACTIONS",
    "nir": "NIR",
    "numero de securite sociale": "NIR",
    "biometrie": "GENETIQUE_BIOMETRIQUE",
    "biometrique": "GENETIQUE_BIOMETRIQUE",
    "genetique": "GENETIQUE_BIOMETRIQUE",
    "connexion": "CONNEXION",
    "syndicale": "SYNDICALE",
    "opinions": "OPINIONS",
    "origine": "ORIGINE",
}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def to_codes(apps, schema_editor):
    Category = apps.get_model("core", "PersonalDataCategory")
    DataAsset = apps.get_model("datasets", "DataAsset")
    known = {}
    for code, label in Category.objects.values_list("code", "label"):
        known[_plain(code)] = code
        known[_plain(label)] = code
    known.update(SYNONYMS)
    changed = []
    rows = (
        DataAsset.objects.exclude(personal_data_categories=[])
        .only("pk", "personal_data_categories")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    for asset in rows:
        values = asset.personal_data_categories
        if not isinstance(values, list):
            continue
        codes: list = []
        for value in values:
            code = known.get(_plain(value), value) if isinstance(value, str) else value
            if code not in codes:
                codes.append(code)
        if codes != values:
            asset.personal_data_categories = codes
            changed.append(asset)
        if len(changed) >= 2000:  # memory bounded, whatever the table's size
            DataAsset.objects.bulk_update(changed, ["personal_data_categories"], batch_size=500)
            changed = []
    DataAsset.objects.bulk_update(changed, ["personal_data_categories"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_personal_data_categories"),
        ("datasets", "0014_search_singulars_positioned"),
    ]
    operations = [migrations.RunPython(to_codes, migrations.RunPython.noop)]
