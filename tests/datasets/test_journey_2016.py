"""Issue #3, "Done when", on the real 2016 inventory: a ministry administrator imports
bases.json, completes and qualifies an entry, exports, and re-imports the export unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings

from core.models import Licence
from datasets import services
from datasets.models import DataAsset, Format
from datasets.validation import QualificationInput
from tests.datasets.test_export import _schema_report
from tests.datasets.test_import import analyse, apply
from tests.factories import OrganizationFactory

SHARED = Path(settings.SHARED_DATA_DIR)
DREES = "Direction de la recherche, des études, de l'évaluation et des statistiques"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_import_2016_then_export_and_reimport_unchanged(amd_client, amd_user, ministry, tmp_path):
    drees = OrganizationFactory(ministry=ministry, name=DREES)
    data = (SHARED / "cartographie-2016" / "bases.json").read_bytes()
    job = analyse(amd_user, ministry, data, "bases.json")
    counts = job.report["counts"]
    # Only the bases managed by an organisation of this ministry are created; the others are
    # rejected and their managers reported, never guessed.
    assert counts["created"] > 0 and counts["rejected"] > 0
    assert counts["created"] + counts["rejected"] == 406
    unmatched = job.report["unmatched_organisations"]
    assert {"name": "Ministère de l'Intérieur", "count": 17} in unmatched
    apply(job, amd_user)
    created = DataAsset.objects.filter(ministry=ministry)
    assert created.count() == counts["created"]
    assert set(created.values_list("organization_id", flat=True)) == {drees.pk}

    # Complete one entry for the schema and qualify it, as the administrator would.
    adeli = created.get(title="Répertoire Adeli")
    services.asset_update(
        actor=amd_user,
        asset=adeli,
        data={
            "keywords": ["santé", "professionnels"],
            "service": "Bureau des professions de santé",
            "contact_person": "adeli@exemple.gouv.fr",
            "geo_coverage": "France",
            "licence": Licence.objects.get(spdx_id="etalab-2.0"),
            "visibility": "PUBLISHED",
        },
        formats=[Format.objects.get_or_create(name="CSV")[0]],
        expected_version=adeli.version,
    )
    adeli.refresh_from_db()
    services.asset_qualify(
        actor=amd_user,
        asset=adeli,
        qualification=QualificationInput(
            status="PUBLISHED",
            obligation_basis="L312_1_1_3_DATABASES",
            published_url="https://www.data.gouv.fr/fr/datasets/repertoire-adeli/",
        ),
    )

    # The full Etalab CSV and the extended one re-import without any change.
    for suffix in ("", "?etendu=1"):
        exported = _body(amd_client.get(f"/inventaire/export.csv{suffix}"))
        assert len(list(csv.reader(io.StringIO(exported.decode())))) == created.count() + 1
        again = analyse(amd_user, ministry, exported, "export.csv")
        assert again.report["counts"] == {
            "created": 0,
            "updated": 0,
            "unchanged": created.count(),
            "rejected": 0,
        }, (suffix, [r for r in again.report["rows"] if r["action"] != "unchanged"][:3])

    # The conforming CSV holds the completed entry only, and validates against schema.json.
    conforming = _body(amd_client.get("/inventaire/export.csv?conforme=1"))
    rows = list(csv.reader(io.StringIO(conforming.decode())))
    assert [r[0] for r in rows[1:]] == ["Répertoire Adeli"]
    report = _schema_report(conforming, tmp_path)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
