"""Seed rows of the inventory's reference tables: the nine SPD reference datasets (CRPA R321-5,
DOMAIN §2.8) and the usual file formats with their open / machine-readable flags (L300-4).

Idempotent upsert by code / name; used by a data migration and callable again after an edit of
the JSON files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_inventory_reference(get_model: Any) -> dict[str, int]:
    spd = get_model("datasets", "SpdReferenceDataset")
    for row in json.loads((DATA_DIR / "spd_reference_datasets.json").read_text(encoding="utf-8")):
        code = row.pop("code")
        spd.objects.update_or_create(code=code, defaults=row)
    fmt = get_model("datasets", "Format")
    for row in json.loads((DATA_DIR / "formats.json").read_text(encoding="utf-8")):
        name = row.pop("name")
        fmt.objects.update_or_create(name=name, defaults=row)
    return {"spd": spd.objects.count(), "formats": fmt.objects.count()}
