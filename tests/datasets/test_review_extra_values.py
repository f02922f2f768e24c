"""Review: extra-field values are checked for type and size before any costly conversion."""

import time

import pytest

from datasets.models import DataAsset
from datasets.validation import clean_extra_value
from tests.datasets.factories import ExtraFieldFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["1e100000", "1e1000000000", "-9e99999", "1e-1000000000"])
def test_a_number_with_a_huge_exponent_is_refused_at_once(ministry, raw):
    definition = ExtraFieldFactory(ministry=ministry, kind="NUMBER")
    started = time.monotonic()
    with pytest.raises(ValueError, match="hors limites"):
        clean_extra_value(definition, raw)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("raw", ["0", "12,5", "-3", "123456789012345", "0.000001"])
def test_ordinary_numbers_are_kept(ministry, raw):
    definition = ExtraFieldFactory(ministry=ministry, kind="NUMBER")
    assert clean_extra_value(definition, raw) is not None


def test_api_refuses_a_huge_number_and_writes_nothing(amd_client, organization, ministry):
    ExtraFieldFactory(ministry=ministry, code="nombre", kind="NUMBER")
    body = {"organization": organization.pk, "title": "t", "description": "d", "asset_type": "API"}
    response = amd_client.post(
        "/api/v1/datasets/", {**body, "extra": {"nombre": "1e1000000000"}}, format="json"
    )
    assert response.status_code == 400
    assert "hors limites" in response.json()["extra.nombre"][0]
    assert not DataAsset.objects.exists()


@pytest.mark.parametrize("raw", [{"a": 1}, ["a", "b"]])
def test_a_structure_is_refused_instead_of_stored_as_its_python_repr(
    amd_client, organization, ministry, raw
):
    ExtraFieldFactory(ministry=ministry, code="texte", kind="TEXT")
    body = {"organization": organization.pk, "title": "t", "description": "d", "asset_type": "API"}
    response = amd_client.post(
        "/api/v1/datasets/", {**body, "extra": {"texte": raw}}, format="json"
    )
    assert response.status_code == 400
    assert "valeur simple" in response.json()["extra.texte"][0]
    assert not DataAsset.objects.exists()
