"""Review: a read-only API token never writes, whatever the endpoint or the method."""

import pytest

from datasets.models import DataAsset, ExtraFieldDefinition, OpenByDefaultAssessment
from tests.datasets.factories import AssetFactory, ExtraFieldFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


def test_read_only_token_of_an_administrator_cannot_write_anything(
    api_client, organization, ministry
):
    asset = AssetFactory(organization=organization)
    field = ExtraFieldFactory(ministry=ministry)
    calls = [
        ("post", URL, {"organization": organization.pk, "title": "t", "description": "d"}),
        ("patch", f"{URL}{asset.pk}/", {"title": "x", "version": 1}),
        ("put", f"{URL}{asset.pk}/", {"title": "x", "version": 1}),
        ("delete", f"{URL}{asset.pk}/", None),
        ("put", f"{URL}{asset.pk}/qualification/", {"status": "TO_PUBLISH", "version": 1}),
        ("post", f"{URL}extra-fields/?ministry={ministry.pk}", {"code": "c", "label": "l"}),
        ("patch", f"{URL}extra-fields/{field.pk}/", {"label": "Nouveau"}),
        ("delete", f"{URL}extra-fields/{field.pk}/", None),
    ]
    for method, url, body in calls:
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.status_code)
        assert "lecture" in response.json()["detail"], url
    for url in ("export.csv", "export.xlsx", "export.jsonld", "export.ttl"):
        assert api_client.post(f"{URL}{url}").status_code in (403, 405), url
    asset.refresh_from_db()
    assert (asset.title, asset.version) != ("x", 2)
    assert DataAsset.objects.count() == 1
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"
    assert ExtraFieldDefinition.objects.get(pk=field.pk).label != "Nouveau"
    assert ExtraFieldDefinition.objects.get(pk=field.pk).retired_at is None
