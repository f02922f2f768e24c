"""Review: a crafted extra-field filter name is ignored, never a 500."""

import pytest

from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["a b", 'a"b', "a;b", "a--b", "a/*b*/", "a'b"])
def test_odd_extra_filter_names_never_crash(amd_client, organization, code):
    AssetFactory(organization=organization)
    assert amd_client.get("/inventaire/", {f"extra.{code}": "x"}).status_code == 200
    assert amd_client.get("/api/v1/datasets/", {f"extra.{code}": "x"}).status_code == 200


def test_an_extra_field_code_with_two_dashes_is_refused_in_french(amd_user, ministry):
    from django.core.exceptions import ValidationError

    from datasets import services
    from datasets.models import ExtraFieldDefinition

    with pytest.raises(ValidationError) as refused:
        services.extra_field_create(
            actor=amd_user, ministry=ministry, code="a--b", label="A", kind="TEXT"
        )
    assert "deux de suite" in refused.value.message_dict["code"][0]
    assert not ExtraFieldDefinition.objects.exists()


@pytest.mark.parametrize("params", [{"q": "arbre\x00"}, {"extra.code": "\x00"}])
def test_nul_characters_in_the_list_filters_never_crash(amd_client, organization, params):
    AssetFactory(organization=organization)
    assert amd_client.get("/inventaire/", params).status_code == 200
    assert amd_client.get("/api/v1/datasets/", params).status_code == 200
