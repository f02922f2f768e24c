"""A keyword given twice is kept once, in its order, whatever the way in (QA pass: the form
kept « santé, essais, santé » and the re-import of its CSV export then reported a change)."""

import pytest
from rest_framework.test import APIClient

from datasets.models import DataAsset
from tests.conftest import make_token

pytestmark = pytest.mark.django_db


def test_the_form_keeps_each_keyword_once(amd_client, organization):
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {
            "organization": organization.pk,
            "title": "Registre des essais cliniques",
            "description": "Essais",
            "asset_type": "BASE_DE_DONNEES",
            "visibility": "DRAFT",
            "sharing_mode": "OPEN",
            "keywords": "santé, essais ; santé,  essais , ,",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert DataAsset.objects.get().keywords == ["santé", "essais"]


@pytest.mark.parametrize(
    ("keywords", "stored"),
    [
        (["santé", "essais", "santé", " essais "], ["santé", "essais"]),
        ([], []),
    ],
)
def test_the_api_keeps_each_keyword_once(amd_user, organization, keywords, stored):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    payload = {
        "organization": organization.pk,
        "title": "Registre",
        "description": "d",
        "asset_type": "API",
        "keywords": keywords,
    }
    response = client.post("/api/v1/datasets/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert DataAsset.objects.get().keywords == stored


def test_a_keyword_that_is_no_text_is_refused_not_a_crash(amd_user, organization):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    payload = {
        "organization": organization.pk,
        "title": "Registre",
        "description": "d",
        "asset_type": "API",
        "keywords": [{"a": 1}, ["b"]],
    }
    response = client.post("/api/v1/datasets/", payload, format="json")
    assert response.status_code == 400
    assert not DataAsset.objects.exists()
