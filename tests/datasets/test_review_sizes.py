"""Review: free texts and lists are bounded, so that the search index can always be built."""

import pytest

from datasets.models import DataAsset

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("description", " ".join(f"mot{i}abc" for i in range(180_000)), "20000 caractères"),
        ("field_list", "x " * 40_000, "50000 caractères"),
        # Distinct: a keyword given twice is kept once (so 101 « k » are one keyword).
        ("keywords", [f"k{i}" for i in range(101)], "au plus 100 mots-clés"),
        ("personal_data_categories", ["santé"] * 101, "au plus 100 catégories"),
    ],
)
def test_oversized_texts_and_lists_are_refused_in_french(
    amd_client, organization, name, value, message
):
    body = {"organization": organization.pk, "title": "t", "description": "d", "asset_type": "API"}
    response = amd_client.post(URL, {**body, name: value}, format="json")
    assert response.status_code == 400
    assert any(message in m for m in response.json()[name]), response.json()
    assert not DataAsset.objects.exists()
