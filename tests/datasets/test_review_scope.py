"""Review: nothing of another ministry is reachable or guessable through the inventory."""

import pytest

from datasets.models import DataAsset, PersonalDataProcessing

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


def test_api_processing_of_another_ministry_reads_as_unknown(
    amd_client, organization, ministry, other_ministry
):
    foreign = PersonalDataProcessing.objects.create(ministry=other_ministry, name="Fichier X")
    own = PersonalDataProcessing.objects.create(ministry=ministry, name="Fichier Y")
    body = {
        "organization": organization.pk,
        "title": "Entrée",
        "description": "d",
        "asset_type": "BASE_DE_DONNEES",
    }
    response = amd_client.post(URL, {**body, "processing": foreign.pk}, format="json")
    missing = amd_client.post(URL, {**body, "processing": 999999}, format="json")
    assert response.status_code == missing.status_code == 400
    assert "n'existe pas" in missing.json()["processing"][0]
    # Same answer as an id that does not exist: nothing tells the processing is there.
    assert response.json()["processing"] == [
        m.replace("999999", str(foreign.pk)) for m in missing.json()["processing"]
    ]
    assert not DataAsset.objects.exists()
    created = amd_client.post(URL, {**body, "processing": own.pk}, format="json")
    assert created.status_code == 201, created.json()
