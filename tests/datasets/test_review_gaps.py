"""Review: gaps of issue #3's audit — stale qualification page, another ministry's organisation,
javascript: links everywhere a link is typed, mixed import files applied, whole-file refusals."""

from __future__ import annotations

import html
import io
import json
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry, Licence
from datasets import importing, services
from datasets.models import (
    AssessmentHistory,
    AssetStateHistory,
    DataAsset,
    ImportJob,
    OpenByDefaultAssessment,
    ReferenceDataDesignation,
)
from datasets.tabular import FileRejected
from datasets.validation import QualificationInput
from tests.datasets.factories import AssetFactory, csv_format
from tests.datasets.test_import import HEADER, analyse, apply, csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db

API = "/api/v1/datasets/"
JS = "javascript:alert(document.cookie)"


@pytest.fixture
def own_asset(organization):
    return AssetFactory(organization=organization, visibility="DRAFT")


@pytest.fixture
def publishable_asset(organization):
    """An entry whose licence and formats allow « Publié »: only the link can be wrong."""
    asset = AssetFactory(
        organization=organization,
        visibility="DRAFT",
        licence=Licence.objects.get(spdx_id="etalab-2.0"),
    )
    asset.formats.set([csv_format()])
    return asset


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _qualification_post(**over):
    data = {
        "status": "TO_PUBLISH",
        "obligation_basis": "NONE",
        "personal_data_basis": "NOT_APPLICABLE",
        "planned_date": "2027-09-30",
        "version": 1,
        "rows": 3,
    }
    data.update(over)
    return data


# --- 1. Qualification page: a stale version answers 409 --------------------------------------------


def test_qualification_page_with_a_stale_version_answers_409_and_keeps_the_input(
    amd_client, dinum_user, own_asset
):
    # Someone else saves the qualification (version 1 → 2) after the page was shown.
    services.asset_qualify(
        actor=dinum_user,
        asset=own_asset,
        qualification=QualificationInput(status="TO_PUBLISH", planned_date="2027-03-01"),
        expected_version=1,
    )
    history_before = AssessmentHistory.objects.filter(asset=own_asset).count()
    assert history_before == 1
    response = amd_client.post(
        f"/inventaire/{own_asset.pk}/qualification/",
        _qualification_post(planned_date="2027-12-24", sectoral_reference="Saisie de l'AMD"),
    )
    assert response.status_code == 409
    page = _page(response)
    assert "La qualification de cette entrée a été modifiée par" in page
    assert "entre-temps" in page and "vos modifications n'ont pas été enregistrées" in page
    # The submitted input is redisplayed, not the saved one.
    form = response.context["form"]
    assert form.data["planned_date"] == "2027-12-24"
    assert 'value="2027-12-24"' in page and "Saisie de l'AMD" in page
    assessment = OpenByDefaultAssessment.objects.get(asset=own_asset)
    assert (assessment.version, assessment.status, str(assessment.planned_date)) == (
        2,
        "TO_PUBLISH",
        "2027-03-01",
    )
    assert assessment.sectoral_reference == ""
    assert AssessmentHistory.objects.filter(asset=own_asset).count() == history_before


def test_qualification_page_without_a_version_is_stale_once_saved(
    amd_client, dinum_user, own_asset
):
    services.asset_qualify(
        actor=dinum_user,
        asset=own_asset,
        qualification=QualificationInput(status="TO_PUBLISH", planned_date="2027-03-01"),
        expected_version=1,
    )
    data = _qualification_post(planned_date="2027-12-24")
    del data["version"]
    response = amd_client.post(f"/inventaire/{own_asset.pk}/qualification/", data)
    assert response.status_code == 409
    assert "entre-temps" in _page(response)
    assert str(OpenByDefaultAssessment.objects.get(asset=own_asset).planned_date) == "2027-03-01"
    assert AssessmentHistory.objects.filter(asset=own_asset).count() == 1


# --- 2. Another ministry's organisation: form and API ----------------------------------------------


def _entry_form(organization_id, **over):
    data = {
        "organization": organization_id,
        "title": "Fichier des cartes grises",
        "description": "Immatriculation des véhicules",
        "asset_type": "BASE_DE_DONNEES",
        "visibility": "DRAFT",
        "sharing_mode": "UNKNOWN",
    }
    data.update(over)
    return data


def _french_choice_error(errors) -> bool:
    return any("Sélectionnez un choix valide" in e for e in errors)


def test_create_form_with_another_ministrys_organisation_is_redisplayed_with_an_error(
    amd_client, ministry, organization, other_organization
):
    response = amd_client.post("/inventaire/nouvelle/", _entry_form(other_organization.pk))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert _french_choice_error(errors["organization"]), errors
    assert "Sélectionnez un choix valide" in _page(response)
    assert not DataAsset.objects.exists()
    assert not AssetStateHistory.objects.exists()
    # Naming the other ministry in the form does not help either.
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {**_entry_form(other_organization.pk), "ministry": other_organization.ministry_id},
    )
    assert response.status_code == 404
    assert not DataAsset.objects.exists()


def test_edit_form_with_another_ministrys_organisation_changes_nothing(
    amd_client, own_asset, organization, other_organization
):
    response = amd_client.post(
        f"/inventaire/{own_asset.pk}/modifier/",
        _entry_form(other_organization.pk, title="Déplacée", version=own_asset.version),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert _french_choice_error(errors["organization"]), errors
    own_asset.refresh_from_db()
    assert own_asset.organization_id == organization.pk
    assert own_asset.ministry_id == organization.ministry_id
    assert own_asset.title != "Déplacée" and own_asset.version == 1
    assert not AuditEntry.objects.filter(action="asset.updated").exists()


def test_api_create_with_another_ministrys_organisation_is_refused_in_french(
    amd_client, other_organization
):
    response = amd_client.post(
        API,
        {
            "organization": other_organization.pk,
            "title": "x",
            "description": "y",
            "asset_type": "API",
        },
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["organization"][0]
    assert "hors des organisations où vous pouvez créer ou modifier" in message, message
    assert not DataAsset.objects.exists()
    assert not OpenByDefaultAssessment.objects.exists()


def test_api_patch_to_another_ministrys_organisation_is_refused_in_french(
    amd_client, own_asset, organization, other_organization
):
    response = amd_client.patch(
        f"{API}{own_asset.pk}/",
        {"organization": other_organization.pk, "title": "Déplacée", "version": 1},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["organization"][0]
    assert "hors des organisations où vous pouvez créer ou modifier" in message, message
    title = own_asset.title
    own_asset.refresh_from_db()
    assert (own_asset.organization_id, own_asset.title, own_asset.version) == (
        organization.pk,
        title,
        1,
    )
    assert not AuditEntry.objects.filter(action="asset.updated").exists()


# --- 3. javascript: links --------------------------------------------------------------------------


def test_import_refuses_a_javascript_publication_link(amd_user, ministry, organization):
    header = HEADER + ",statut_ouverture,lien_publication"
    rows = [
        row("Lien piégé", statut_ouverture="Publié", lien_publication=JS),
        row("Lien propre", statut_ouverture="Publié", lien_publication="https://data.gouv.fr/x/"),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows, header=header))
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    rejected = [r for r in job.report["rows"] if r["line"] == 2][0]
    assert rejected["action"] == "rejected"
    assert any(
        e["column"] == "lien_publication"
        and "doit commencer par http:// ou https://" in e["message"]
        for e in rejected["errors"]
    ), rejected["errors"]
    apply(job, amd_user)
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Lien propre"]
    assert not OpenByDefaultAssessment.objects.filter(
        published_url__startswith="javascript"
    ).exists()
    assert OpenByDefaultAssessment.objects.get().published_url == "https://data.gouv.fr/x/"


def test_import_refuses_a_javascript_publication_link_on_an_existing_entry(
    amd_user, ministry, organization
):
    header = HEADER + ",statut_ouverture,lien_publication"
    ok = row(statut_ouverture="Publié", lien_publication="https://data.gouv.fr/x/")
    apply(analyse(amd_user, ministry, csv_bytes([ok], header=header)), amd_user)
    history = AssessmentHistory.objects.count()
    bad = row(statut_ouverture="Publié", lien_publication=" JavaScript:alert(1)")
    job = analyse(amd_user, ministry, csv_bytes([bad], header=header))
    assert job.report["counts"]["rejected"] == 1
    apply(job, amd_user)
    assessment = OpenByDefaultAssessment.objects.get()
    assert assessment.published_url == "https://data.gouv.fr/x/"
    assert AssessmentHistory.objects.count() == history


def test_api_qualification_refuses_a_javascript_publication_link(amd_client, publishable_asset):
    response = amd_client.put(
        f"{API}{publishable_asset.pk}/qualification/",
        {"status": "PUBLISHED", "published_url": JS, "published_at": "2025-01-15", "version": 1},
        format="json",
    )
    assert response.status_code == 400, response.json()
    messages = response.json()["published_url"]
    assert any("doit commencer par http:// ou https://" in m for m in messages), messages
    assessment = OpenByDefaultAssessment.objects.get(asset=publishable_asset)
    assert (assessment.status, assessment.published_url, assessment.version) == (
        "TO_ASSESS",
        "",
        1,
    )
    assert not AssessmentHistory.objects.exists()
    # The same request with an http link is accepted: only the link was wrong.
    good = amd_client.put(
        f"{API}{publishable_asset.pk}/qualification/",
        {
            "status": "PUBLISHED",
            "published_url": "https://data.gouv.fr/x/",
            "published_at": "2025-01-15",
            "version": 1,
        },
        format="json",
    )
    assert good.status_code == 200, good.json()


def test_qualification_page_refuses_a_javascript_publication_link(amd_client, publishable_asset):
    url = f"/inventaire/{publishable_asset.pk}/qualification/"
    response = amd_client.post(
        url, _qualification_post(status="PUBLISHED", published_url=JS, planned_date="")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any("doit commencer par http:// ou https://" in e for e in errors["published_url"]), (
        errors
    )
    assert "doit commencer par http:// ou https://" in _page(response)
    assessment = OpenByDefaultAssessment.objects.get(asset=publishable_asset)
    assert (assessment.status, assessment.published_url, assessment.version) == (
        "TO_ASSESS",
        "",
        1,
    )
    assert not AssessmentHistory.objects.exists()
    good = amd_client.post(
        url,
        _qualification_post(
            status="PUBLISHED", published_url="https://data.gouv.fr/x/", planned_date=""
        ),
    )
    assert good.status_code == 302, _page(good)[:3000]


def test_designation_page_refuses_a_javascript_process_link(amd_client, own_asset):
    url = f"/inventaire/{own_asset.pk}/donnee-de-reference/"
    data = {
        "regime": "CANDIDATE",
        "status": "PROPOSED",
        "change_notice_days": 90,
        "version": 0,
        "process_info_url": "javascript:alert(1)",
    }
    response = amd_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any("doit commencer par http:// ou https://" in e for e in errors["process_info_url"]), (
        errors
    )
    assert not ReferenceDataDesignation.objects.exists()
    good = amd_client.post(url, {**data, "process_info_url": "https://exemple.gouv.fr/processus"})
    assert good.status_code == 302, _page(good)[:3000]
    assert ReferenceDataDesignation.objects.get().process_info_url == (
        "https://exemple.gouv.fr/processus"
    )


def test_designation_service_refuses_a_javascript_process_link(amd_user, own_asset):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.reference_designate(
            actor=amd_user,
            asset=own_asset,
            data={
                "regime": "CANDIDATE",
                "status": "PROPOSED",
                "change_notice_days": 90,
                "process_info_url": "data:text/html,<script>alert(1)</script>",
            },
        )
    assert "http://" in refused.value.message_dict["process_info_url"][0]
    assert not ReferenceDataDesignation.objects.exists()


# --- 4. A mixed file applied: only the valid row is written ----------------------------------------


def test_mixed_file_applied_writes_only_the_valid_row(
    amd_user, amd_client, ministry, organization, other_organization
):
    rows = [
        row("Arbres vivants"),
        row("  ARBRES   vivants "),
        row("Monuments historiques", org=other_organization.name),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    job = apply(job, amd_user)
    assert job.state == ImportJob.State.APPLIED
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Arbres vivants"]
    assert DataAsset.objects.get().organization == organization
    assert not DataAsset.objects.filter(organization=other_organization).exists()
    assert OpenByDefaultAssessment.objects.count() == 1
    assert AssetStateHistory.objects.count() == 1
    assert job.report["written"] == {"created": 1, "updated": 0}
    by_line = {r["line"]: r for r in job.report["rows"]}
    assert by_line[2]["action"] == "created"
    assert by_line[3]["action"] == "rejected"
    assert any(
        "Ligne en double" in e["message"] and "ligne 2" in e["message"]
        for e in by_line[3]["errors"]
    )
    assert by_line[4]["action"] == "rejected"
    assert any("autre ministère" in e["message"] for e in by_line[4]["errors"])
    # The result page lists both rejections with their reasons.
    page = _page(amd_client.get(f"/inventaire/import/{job.pk}/?lignes=toutes"))
    assert "Ligne en double" in page
    assert "relève d'un autre ministère" in page


# --- 5. Whole-file refusals: XLSX and bases.json ---------------------------------------------------


def _header_only_xlsx() -> bytes:
    return xlsx_bytes([])


def _empty_workbook() -> bytes:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


BAD_WHOLE_FILES = [
    ("entete.xlsx", _header_only_xlsx(), "que la ligne d'en-tête"),
    ("vide.xlsx", _empty_workbook(), "Le classeur est vide"),
    ("bases.json", b'{"Base": {"description": "x",}', "Le fichier JSON est illisible"),
    (
        "bases.json",
        json.dumps({"Répertoire": {"description": "État civil"}}, ensure_ascii=False).encode(
            "latin-1"
        ),
        "encodé en UTF-8",
    ),
    ("bases.json", json.dumps(["Base A", "Base B"]).encode(), "doit être un objet"),
    ("bases.json", b"{}", "doit être un objet"),
    ("bases.json", json.dumps({"bases": ["A", "B"]}).encode(), "chaque base doit être un objet"),
]
IDS = [
    "xlsx-entete",
    "xlsx-vide",
    "json-mal-forme",
    "json-latin1",
    "json-liste",
    "json-vide",
    "json-forme",
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_WHOLE_FILES, ids=IDS)
def test_whole_file_is_refused_with_a_french_message(
    amd_user, ministry, organization, name, data, message
):
    with pytest.raises(FileRejected, match=re.escape(message)):
        importing.import_job_create(actor=amd_user, ministry=ministry, filename=name, data=data)
    assert not ImportJob.objects.exists()
    assert not DataAsset.objects.exists()


@pytest.mark.parametrize(("name", "data", "message"), BAD_WHOLE_FILES, ids=IDS)
def test_whole_file_refusal_is_shown_on_the_upload_page(
    amd_client, ministry, organization, name, data, message
):
    upload = SimpleUploadedFile(name, data)
    response = amd_client.post(
        "/inventaire/import/", {"fichier": upload, "ministere": ministry.pk, "organisation": ""}
    )
    assert response.status_code == 200
    assert message in _page(response)
    assert not ImportJob.objects.exists()
    assert not DataAsset.objects.exists()
