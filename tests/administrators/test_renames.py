"""Renaming or moving a ministry or an organisation: paths below follow, cached pages forget."""

import pytest

from administrators import services
from administrators.models import Organization
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _facet_labels(response, key):
    facet = next(f for f in response.context["facets"] if f.key == key)
    return {v.label for v in facet.values}


def test_renaming_an_organisation_renames_the_paths_below_it(dinum_user, ministry):
    top = services.organization_create(actor=dinum_user, ministry=ministry, data={"name": "DGEF"})
    mid = services.organization_create(
        actor=dinum_user, ministry=ministry, data={"name": "Service A", "parent": top}
    )
    low = services.organization_create(
        actor=dinum_user, ministry=ministry, data={"name": "Bureau 1", "parent": mid}
    )
    assert Organization.objects.get(pk=low.pk).path == "DGEF / Service A / Bureau 1"

    services.organization_update(actor=dinum_user, organization=top, data={"name": "DGEF bis"})

    paths = dict(Organization.objects.filter(ministry=ministry).values_list("name", "path"))
    assert paths == {
        "DGEF bis": "DGEF bis",
        "Service A": "DGEF bis / Service A",
        "Bureau 1": "DGEF bis / Service A / Bureau 1",
    }


def test_moving_an_organisation_moves_the_paths_below_it(dinum_user, ministry):
    left = services.organization_create(actor=dinum_user, ministry=ministry, data={"name": "G"})
    right = services.organization_create(actor=dinum_user, ministry=ministry, data={"name": "D"})
    mid = services.organization_create(
        actor=dinum_user, ministry=ministry, data={"name": "S", "parent": left}
    )
    low = services.organization_create(
        actor=dinum_user, ministry=ministry, data={"name": "B", "parent": mid}
    )

    services.organization_update(actor=dinum_user, organization=mid, data={"parent": right})

    assert Organization.objects.get(pk=mid.pk).path == "D / S"
    assert Organization.objects.get(pk=low.pk).path == "D / S / B"
    assert Organization.objects.get(pk=left.pk).path == "G"


def test_a_refused_move_leaves_every_path_as_it_was(dinum_user, ministry):
    top = services.organization_create(actor=dinum_user, ministry=ministry, data={"name": "T"})
    low = services.organization_create(
        actor=dinum_user, ministry=ministry, data={"name": "L", "parent": top}
    )
    before = dict(Organization.objects.values_list("pk", "path"))
    with pytest.raises(Exception, match="elle-même"):
        services.organization_update(actor=dinum_user, organization=top, data={"parent": low})
    assert dict(Organization.objects.values_list("pk", "path")) == before


def test_renamed_organisation_shows_its_new_name_in_cached_facets(
    amd_client, dinum_user, organization, django_capture_on_commit_callbacks
):
    AssetFactory(organization=organization, visibility="PUBLISHED")
    old = organization.name
    assert old in _facet_labels(amd_client.get("/inventaire/"), "organization")
    assert old in _facet_labels(
        amd_client.get("/inventaire/", {"status": "TO_ASSESS"}), "organization"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.organization_update(
            actor=dinum_user, organization=organization, data={"name": "Direction renommée"}
        )

    for params in ({}, {"status": "TO_ASSESS"}):
        labels = _facet_labels(amd_client.get("/inventaire/", params), "organization")
        assert labels == {"Direction renommée"}, params


def test_renamed_ministry_shows_its_new_name_in_cached_facets(
    agd_client, dinum_user, ministry, organization, django_capture_on_commit_callbacks
):
    AssetFactory(organization=organization, visibility="PUBLISHED")
    OrganizationFactory(ministry=ministry)
    assert "Intérieur" in _facet_labels(agd_client.get("/inventaire/"), "ministry")

    with django_capture_on_commit_callbacks(execute=True):
        services.ministry_update(actor=dinum_user, ministry=ministry, data={"short_name": "MI"})

    assert _facet_labels(agd_client.get("/inventaire/"), "ministry") == {"MI"}


def test_an_unchanged_name_keeps_the_cached_counts(
    dinum_user, organization, django_capture_on_commit_callbacks
):
    from datasets.selectors import _generation

    before = _generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.organization_update(
            actor=dinum_user, organization=organization, data={"siret": ""}
        )
    assert not callbacks
    assert _generation() == before
