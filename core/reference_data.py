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
        _upsert(LegalReference, {"code": code}, row)
    counts["legal_references"] = LegalReference.objects.count()

    refs = {r.code: r for r in LegalReference.objects.all()}
    LegalGround = get_model("core", "LegalGround")
    for row in _rows("legal_grounds.json"):
        code = row.pop("code")
        row["legal_reference"] = refs.get(row.pop("legal_reference") or "")
        _upsert(LegalGround, {"code": code}, row)
    counts["legal_grounds"] = LegalGround.objects.count()

    Licence = get_model("core", "Licence")
    for row in _rows("licences.json"):
        spdx = row.pop("spdx_id")
        _upsert(Licence, {"spdx_id": spdx}, row)
    counts["licences"] = Licence.objects.count()

    for model_name in CODED_TABLES:
        try:
            get_model("core", model_name)
        except LookupError:  # an earlier migration: the table comes later, loaded then
            continue
        counts[model_name] = load_coded_table(get_model, model_name)
    return counts


def _upsert(Model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> None:
    """Create the row, or write only the fields whose value differs from the file's. A row the
    file describes as it stands is not saved: its `updated_at` stays, so the guides citing a
    legal reference are flagged for review only when the reference really changed."""
    row = Model.objects.filter(**lookup).first()
    if row is None:
        Model.objects.create(**lookup, **values)
        return
    changed = []
    for name, value in values.items():
        field = Model._meta.get_field(name)
        if field.is_relation:
            same = getattr(row, field.attname) == (value.pk if value is not None else None)
        else:
            value = field.to_python(value)
            same = getattr(row, name) == value
        if not same:
            setattr(row, name, value)
            changed.append(name)
    if changed:
        stamped = [f.name for f in Model._meta.concrete_fields if getattr(f, "auto_now", False)]
        row.save(update_fields=changed + stamped)


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
        _upsert(Model, {"code": code}, {k: v for k, v in row.items() if k in fields})
    return int(Model.objects.count())
