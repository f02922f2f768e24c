"""Load the legal reference tables from core/data/*.json (idempotent upsert by code).

Used by a data migration (so every database, the test one included, has them) and by
`manage.py load_reference_data` after an amendment. Rows are matched on their code; rows edited
in the admin are overwritten only for the fields the file carries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_reference_tables(get_model: Any) -> dict[str, int]:
    """`get_model(app_label, name)` is `apps.get_model` in a migration or the live registry."""
    counts: dict[str, int] = {}
    LegalReference = get_model("core", "LegalReference")
    for row in _rows("legal_references.json"):
        code = row.pop("code")
        LegalReference.objects.update_or_create(code=code, defaults=row)
    counts["legal_references"] = LegalReference.objects.count()

    refs = {r.code: r for r in LegalReference.objects.all()}
    LegalGround = get_model("core", "LegalGround")
    for row in _rows("legal_grounds.json"):
        code = row.pop("code")
        row["legal_reference"] = refs.get(row.pop("legal_reference") or "")
        LegalGround.objects.update_or_create(code=code, defaults=row)
    counts["legal_grounds"] = LegalGround.objects.count()

    Licence = get_model("core", "Licence")
    for row in _rows("licences.json"):
        spdx = row.pop("spdx_id")
        Licence.objects.update_or_create(spdx_id=spdx, defaults=row)
    counts["licences"] = Licence.objects.count()

    for model_name in CODED_TABLES:
        try:
            get_model("core", model_name)
        except LookupError:  # an earlier migration: the table comes later, loaded then
            continue
        counts[model_name] = load_coded_table(get_model, model_name)
    return counts


# Tables of rows keyed by `code` (a ReferenceRow), and their file.
CODED_TABLES = {
    "NoAnonymisationCategory": "no_anonymisation_categories.json",
    "HvdCategory": "hvd_categories.json",
    "PersonalDataCategory": "personal_data_categories.json",
}


def load_coded_table(get_model: Any, model_name: str) -> int:
    """Upsert one coded table from its file; returns its row count. Only the fields the model
    has (in a migration, as it stood then) are written: a key added to the file for a later
    field does not break an earlier migration."""
    Model = get_model("core", model_name)
    fields = {f.name for f in Model._meta.get_fields()}
    for row in _rows(CODED_TABLES[model_name]):
        code = row.pop("code")
        Model.objects.update_or_create(
            code=code, defaults={k: v for k, v in row.items() if k in fields}
        )
    return int(Model.objects.count())
