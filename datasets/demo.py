"""Demo inventory: the 406 databases of the State's 2016 inventory (cartographie, bases.json).

Each base is attached to the organisation of its manager ("gestionnaire"), matched exactly (once
normalised) against the organisation tree loaded by `administrators.demo`; the ministry is the
organisation's. A base whose managers match no organisation, or match organisations of several
ministries, is NOT imported: it is reported by name (with the ministry its comment names, when
it does), because guessing an attachment would put a real database under the wrong authority.
The import machinery is the interface's (`datasets.importing`), so the same rules apply.

Derived qualifications (so that the demo dashboard is not empty), clearly a demo convention:
- every imported base gets the obligation basis L312-1-1 3° (a database);
- a base that lists data.gouv.fr datasets is "Publié", visibility "Publiée", licence Licence
  Ouverte 2.0, published at its data.gouv.fr page, format HTML (the page: the real file formats
  are not in the 2016 inventory);
- the others stay "À qualifier".
Idempotent: a second run finds every entry unchanged and writes nothing.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from administrators.models import Ministry, Organization
from datasets import catalogue_schema as cs
from datasets.importing import (
    BASES_JSON_COLUMNS,
    Source,
    SourceRow,
    apply_plan,
    bases_json_rows,
    build_plan,
)

DEMO_COLUMNS = [
    *BASES_JSON_COLUMNS,
    "visibilite",
    "fondement",
    "statut_ouverture",
    "lien_publication",
    "licence",
    "format",
]


def _qualified(row: SourceRow) -> SourceRow:
    cells = dict(row.cells)
    cells["fondement"] = "L312_1_1_3_DATABASES"
    if cells.get("identifiant_datagouv"):
        cells.update(
            visibilite="PUBLISHED",
            statut_ouverture="PUBLISHED",
            lien_publication=f"https://www.data.gouv.fr/fr/datasets/{cells['identifiant_datagouv']}/",
            licence="etalab-2.0",
            format="HTML",
        )
    else:
        cells.update(visibilite="DRAFT", statut_ouverture="", lien_publication="", licence="")
        cells["format"] = ""
    return SourceRow(
        line=row.line,
        cells=cells,
        org_candidates=row.org_candidates,
        ministry_hint=row.ministry_hint,
    )


def place_bases(
    bases: dict[str, Any],
) -> tuple[dict[int, list[SourceRow]], Counter[str], dict[str, str]]:
    """(rows by ministry id, unmatched manager names → count, unmatched base → ministry hint)."""
    by_name: dict[str, set[int]] = defaultdict(set)
    for name, ministry_id in Organization.objects.values_list("name", "ministry_id").iterator(
        chunk_size=5000
    ):
        by_name[cs.normalise(name)].add(ministry_id)
    placed: dict[int, list[SourceRow]] = defaultdict(list)
    unmatched: Counter[str] = Counter()
    unplaced: dict[str, str] = {}
    for row in bases_json_rows(bases):
        ministries: set[int] = set()
        for candidate in row.org_candidates or []:
            found = by_name.get(cs.normalise(candidate))
            if found:
                ministries = found
                break
        if len(ministries) == 1:
            placed[next(iter(ministries))].append(_qualified(row))
            continue
        for candidate in row.org_candidates or ["(gestionnaire non renseigné)"]:
            unmatched[candidate] += 1
        unplaced[row.cells["titre"]] = row.ministry_hint or "ministère inconnu"
    return placed, unmatched, unplaced


def _rows(rows: list[SourceRow]) -> Iterator[SourceRow]:
    yield from rows


def load_demo(stdout: Any) -> None:
    path = Path(settings.SHARED_DATA_DIR) / "cartographie-2016" / "bases.json"
    if not path.exists():
        stdout.write(f"  Cartographie introuvable ({path}) : inventaire non chargé.")
        return
    started = time.monotonic()
    bases = json.loads(path.read_text(encoding="utf-8"))
    placed, unmatched, unplaced = place_bases(bases)
    ministries = Ministry.objects.in_bulk(list(placed))
    totals: Counter[str] = Counter()
    for ministry_id, rows in sorted(placed.items()):
        source = Source(
            format="json",
            columns=list(DEMO_COLUMNS),
            extra_codes=[],
            rows=lambda rows=rows: _rows(rows),  # type: ignore[misc]
            encoding="utf-8",
            line_label="entrée n°",
        )
        plan = build_plan(ministries[ministry_id], source)
        apply_plan(plan, actor=None)
        totals.update(plan.counts())
        for rp in plan.rows:
            if rp.action == "rejected":
                unplaced[rp.title] = "; ".join(m for _, m in rp.errors)[:200]
    stdout.write(
        f"  Cartographie 2016 : {len(bases)} bases — {totals['created']} créées, "
        f"{totals['updated']} mises à jour, {totals['unchanged']} inchangées, "
        f"{len(unplaced)} non rattachées ({time.monotonic() - started:.1f} s)."
    )
    published = sum(1 for rows in placed.values() for r in rows if r.cells.get("statut_ouverture"))
    stdout.write(
        f"  Qualifications de démonstration : {published} bases avec un jeu data.gouv.fr "
        "« Publié » (licence Etalab 2.0, format HTML) ; les autres « À qualifier »."
    )
    if unplaced:
        stdout.write("  Bases non rattachées, par ministère nommé dans leur commentaire :")
        for hint, count in Counter(
            h if h.lower().startswith("ministère") else "ministère non indiqué"
            for h in unplaced.values()
        ).most_common():
            stdout.write(f"    - {hint} : {count}")
    if unmatched:
        stdout.write(
            f"  Gestionnaires non rapprochés de l'annuaire ({len(unmatched)}), bases non importées :"
        )
        for name, count in unmatched.most_common():
            stdout.write(f"    - {name} ({count} base{'s' if count > 1 else ''})")
