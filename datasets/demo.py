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
Then two qualifications proposed by the demo correspondent on entries of their organisations
(`load_demo_proposals`), so that « Propositions à valider » is not empty for DINUM.
Idempotent: a second run finds every entry unchanged and writes nothing.
"""

from __future__ import annotations

import datetime
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from administrators.demo import DEMO_ACCOUNTS
from administrators.models import Ministry, Organization
from core.models import LegalGround, User
from datasets import catalogue_schema as cs
from datasets import proposals
from datasets.importing import (
    BASES_JSON_COLUMNS,
    Source,
    SourceRow,
    apply_plan,
    bases_json_rows,
    build_plan,
)
from datasets.models import DataAsset, OpenByDefaultAssessment, QualificationProposal
from datasets.permissions import can_propose_qualification
from datasets.validation import GroundInput, QualificationInput

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
    load_demo_proposals(stdout)


def _demo_qualifications() -> list[tuple[QualificationInput, str]]:
    """What the demo correspondent proposes, in order: (qualification, comment)."""
    today = timezone.localdate()
    privacy = LegalGround.objects.filter(code="L311_6_1_VIE_PRIVEE").first()
    wanted = [
        (
            QualificationInput(
                status=OpenByDefaultAssessment.Status.TO_PUBLISH,
                obligation_basis=OpenByDefaultAssessment.Basis.L312_1_1_3_DATABASES,
                planned_date=datetime.date(today.year + 1, 6, 30),
            ),
            "Démo : statistiques agrégées publiables sur data.gouv.fr",
        )
    ]
    if privacy is not None:
        wanted.append(
            (
                QualificationInput(
                    status=OpenByDefaultAssessment.Status.NOT_COMMUNICABLE,
                    obligation_basis=OpenByDefaultAssessment.Basis.L312_1_1_3_DATABASES,
                    grounds=[
                        GroundInput(
                            ground=privacy,
                            justification_internal=(
                                "Données de santé nominatives des personnes suivies."
                            ),
                            public_motive="Protection de la vie privée",
                        )
                    ],
                ),
                "Démo : données individuelles de santé",
            )
        )
    return wanted


@transaction.atomic
def load_demo_proposals(stdout: Any) -> None:
    """Pending proposals of the demo correspondent (through `proposals.proposal_submit`, so
    validated and audited like any other), on the first entries of their organisations still
    « À qualifier ». Added once: nothing when the correspondent already proposed anything."""
    email = next((a[0] for a in DEMO_ACCOUNTS if a[3] == "CORRESPONDENT"), None)
    user = User.objects.filter(email=email).first() if email else None
    if user is None:
        stdout.write("  Propositions de démonstration : compte correspondant absent.")
        return
    if QualificationProposal.objects.filter(proposed_by=user).exists():
        stdout.write("  Propositions de démonstration : déjà présentes.")
        return
    candidates = (
        DataAsset.objects.for_user(user)
        .filter(assessment__status=OpenByDefaultAssessment.Status.TO_ASSESS)
        .select_related("organization", "assessment")
        .order_by("title", "id")
    )
    assets = [a for a in candidates[:200] if can_propose_qualification(user, a)]
    made = 0
    for asset, (qualification, comment) in zip(assets, _demo_qualifications(), strict=False):
        proposals.proposal_submit(
            actor=user,
            asset=asset,
            qualification=qualification,
            based_on_version=asset.assessment.version,
            read_pending=0,
            comment=comment,
        )
        made += 1
    stdout.write(
        f"  Propositions de démonstration : {made} en attente de validation, déposées par "
        f"{email} (visibles par la DINUM dans « Propositions à valider »)."
    )
