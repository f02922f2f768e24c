"""Review: in the Django admin, a ministry administrator writes only for their own ministry."""

import pytest

from core.models import AuditEntry
from datasets.models import PersonalDataProcessing, RIPPublication
from tests.conftest import admin_client_for

pytestmark = pytest.mark.django_db


PROCESSING = {"name": "Fichier des usagers", "aipd_criteria_count": 0, "aipd_status": "NON_REQUISE"}


@pytest.fixture
def admin_client_of_amd(amd_user):
    return admin_client_for(amd_user)


def test_processing_and_rip_are_never_written_for_another_ministry(
    admin_client_of_amd, ministry, other_ministry, organization, other_organization
):
    client = admin_client_of_amd
    page = client.get("/admin/datasets/personaldataprocessing/add/").content.decode()
    assert other_ministry.name not in page and other_organization.name not in page
    response = client.post(
        "/admin/datasets/personaldataprocessing/add/",
        {**PROCESSING, "ministry": other_ministry.pk},
    )
    assert response.status_code == 200  # the form again, with an error on the ministry
    response = client.post(
        "/admin/datasets/ripublication/add/".replace("ripub", "rippub"),
        {
            "ministry": ministry.pk,
            "organization": other_organization.pk,
            "year": 2025,
            "published_at": "2025-03-01",
            "asset_count": 3,
        },
    )
    assert response.status_code == 200
    assert not PersonalDataProcessing.objects.exists() and not RIPPublication.objects.exists()
    own = PersonalDataProcessing.objects.create(ministry=ministry, name="Fichier")
    response = client.post(
        f"/admin/datasets/personaldataprocessing/{own.pk}/change/",
        {**PROCESSING, "ministry": other_ministry.pk},
    )
    own.refresh_from_db()
    assert own.ministry_id == ministry.pk


def test_admin_changes_of_processings_are_audited(admin_client_of_amd, ministry):
    response = admin_client_of_amd.post(
        "/admin/datasets/personaldataprocessing/add/",
        {**PROCESSING, "ministry": ministry.pk},
    )

    assert response.status_code == 302
    processing = PersonalDataProcessing.objects.get()
    assert AuditEntry.objects.filter(object_id=str(processing.pk), ministry_id=ministry.pk).exists()
