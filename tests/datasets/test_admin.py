"""Django admin of the inventory: scoped, entries read-only, deletion through the service."""

import pytest

from datasets.models import AssetStateHistory, DataAsset
from tests.conftest import admin_client_for
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_ministry_admin_sees_own_entries_only_and_cannot_change(
    amd_user, organization, other_organization
):
    own = AssetFactory(organization=organization)
    other = AssetFactory(organization=other_organization)
    client = admin_client_for(amd_user)
    body = client.get("/admin/datasets/dataasset/").content.decode()
    assert own.title in body and other.title not in body
    assert client.get(f"/admin/datasets/dataasset/{other.pk}/change/").status_code in (
        302,
        403,
        404,
    )
    page = client.get(f"/admin/datasets/dataasset/{own.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only


def test_network_staff_delete_goes_through_service(agd_user, organization):
    asset = AssetFactory(organization=organization)
    client = admin_client_for(agd_user)
    response = client.post(f"/admin/datasets/dataasset/{asset.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not DataAsset.objects.filter(pk=asset.pk).exists()
    assert AssetStateHistory.objects.filter(asset_id_ref=asset.pk, deleted=True).exists()
