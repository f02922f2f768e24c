"""Review: every write path of the inventory checks the version its author read."""

import pytest

from datasets.models import OpenByDefaultAssessment
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


@pytest.fixture
def own_asset(organization):
    return AssetFactory(organization=organization, visibility="DRAFT")


def test_api_qualification_put_without_version_is_refused_in_french(amd_client, own_asset):
    response = amd_client.put(
        f"{URL}{own_asset.pk}/qualification/", {"status": "TO_PUBLISH"}, format="json"
    )
    assert response.status_code == 400
    assert "verrou optimiste" in response.json()["version"][0]
    assessment = OpenByDefaultAssessment.objects.get(asset=own_asset)
    assert (assessment.version, assessment.status) == (1, "TO_ASSESS")


def test_api_qualification_put_with_a_stale_version_answers_409(amd_client, own_asset):
    url = f"{URL}{own_asset.pk}/qualification/"
    first = amd_client.put(
        url, {"status": "TO_PUBLISH", "planned_date": "2027-01-15", "version": 1}, format="json"
    )
    assert first.status_code == 200, first.json()
    second = amd_client.put(url, {"status": "TO_ASSESS", "version": 1}, format="json")
    assert second.status_code == 409
    assert OpenByDefaultAssessment.objects.get(asset=own_asset).status == "TO_PUBLISH"
