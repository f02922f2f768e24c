"""Inventory import: dry run, apply, idempotence, bad inputs (issue #3 §6)."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from core.models import LegalGround
from datasets import importing
from datasets.models import (
    AssessmentHistory,
    AssetStateHistory,
    DataAsset,
    ExtraFieldDefinition,
    ImportJob,
    OpenByDefaultAssessment,
)
from datasets.tabular import FileRejected
from datasets.tasks import confirm_import, import_analyse, import_apply
from tests.factories import OrganizationFactory

HEADER = (
    "titre,description,mots_cles,nom_orga,siret_orga,id_alt_orga,service,si,contact_service,"
    "contact_personne,date_pub,date_maj,freq_maj,couv_geo,url,format,licence"
)
SIRET = "18006701900430"


def row(title="Arbres vivants", org="Direction des libertés publiques", **over):
    values = {
        "titre": title,
        "description": "Données brutes de l'inventaire.",
        "mots_cles": "arbre,forêt",
        "nom_orga": org,
        "siret_orga": "",
        "id_alt_orga": "",
        "service": "Service de l'inventaire",
        "si": "Inventaire",
        "contact_service": "inventaire@exemple.gouv.fr",
        "contact_personne": "jean.martin@exemple.gouv.fr",
        "date_pub": "2005-01-14",
        "date_maj": "2019-05-28",
        "freq_maj": "Annuelle",
        "couv_geo": "France métropolitaine",
        "url": "https://www.data.gouv.fr/fr/datasets/exemple/",
        "format": "CSV,XLSX",
        "licence": "Licence ouverte",
    }
    values.update(over)
    return values


def csv_bytes(rows, header=HEADER, sep=",", encoding="utf-8"):
    import csv

    out = io.StringIO()
    names = header.split(",")
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([r.get(n, "") for n in names])
    return out.getvalue().encode(encoding)


def analyse(amd_user, ministry, data, filename="inventaire.csv", default_organization=None):
    job = importing.import_job_create(
        actor=amd_user,
        ministry=ministry,
        filename=filename,
        data=data,
        default_organization=default_organization,
    )
    import_analyse(job.pk)
    job.refresh_from_db()
    return job


def apply(job, user):
    assert confirm_import(job, user)
    import_apply(job.pk, user.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def imported(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")]))
    return apply(job, amd_user)


@pytest.mark.django_db
def test_dry_run_reports_created_rows_and_writes_nothing(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")]))
    assert job.state == ImportJob.State.ANALYSED
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert [r["line"] for r in job.report["rows"]] == [2, 3]
    assert DataAsset.objects.count() == 0
    assert job.progress_done == job.progress_total == 2


@pytest.mark.django_db
def test_apply_creates_entries_with_all_columns(imported, ministry, organization):
    assert imported.state == ImportJob.State.APPLIED
    asset = DataAsset.objects.get(title="Arbres vivants")
    assert asset.ministry == ministry and asset.organization == organization
    assert asset.keywords == ["arbre", "forêt"]
    assert asset.update_frequency == "ANNUELLE"
    assert asset.last_updated_at.isoformat() == "2019-05-28"
    assert asset.licence.spdx_id == "etalab-2.0"
    assert sorted(f.name for f in asset.formats.all()) == ["CSV", "XLSX"]
    assert asset.import_key
    assert OpenByDefaultAssessment.objects.filter(asset=asset, status="TO_ASSESS").exists()
    assert AssetStateHistory.objects.filter(asset_id_ref=asset.pk).count() == 1


@pytest.mark.django_db
def test_same_file_again_is_all_unchanged_and_writes_nothing(imported, amd_user, ministry):
    before = (DataAsset.objects.count(), AssetStateHistory.objects.count())
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")]))
    assert job.report["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    apply(job, amd_user)
    assert (DataAsset.objects.count(), AssetStateHistory.objects.count()) == before


@pytest.mark.django_db
def test_changed_value_is_an_update_with_the_changed_column(imported, amd_user, ministry):
    job = analyse(amd_user, ministry, csv_bytes([row(couv_geo="France entière"), row("Deuxième jeu")]))
    assert job.report["counts"]["updated"] == 1
    updated = [r for r in job.report["rows"] if r["action"] == "updated"][0]
    assert updated["changes"] == ["couv_geo"]
    apply(job, amd_user)
    asset = DataAsset.objects.get(title="Arbres vivants")
    assert asset.geo_coverage == "France entière"
    assert asset.version == 2
