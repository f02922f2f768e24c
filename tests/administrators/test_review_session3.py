"""Renames made in the Django admin reach the inventory and the directory paths, as the
portal's own pages do (administrators/services.py)."""

import pytest
from django.test import Client

from administrators.models import Organization
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _staff_client(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def _shown(response, key):
    rows = {row[key] for row, _ in response.context["rows"]}
    facet = next(f for f in response.context["facets"] if f.key == key.split("__")[0])
    return rows, {v.label for v in facet.values}


def test_an_organisation_renamed_in_the_admin_is_renamed_in_the_inventory(
    amd_user, organization, django_capture_on_commit_callbacks
):
    AssetFactory(organization=organization, visibility="PUBLISHED")
    client = _staff_client(amd_user)
    for params in ({}, {"status": "TO_ASSESS"}):
        before = _shown(client.get("/inventaire/", params), "organization__name")
        assert before == ({organization.name}, {organization.name})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/administrators/organization/{organization.pk}/change/",
            {"name": "Direction renommée", "kind": organization.kind},
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    for params in ({}, {"status": "TO_ASSESS"}):
        after = _shown(client.get("/inventaire/", params), "organization__name")
        assert after == ({"Direction renommée"}, {"Direction renommée"}), params


def test_a_ministry_renamed_in_the_admin_is_renamed_in_the_inventory(
    dinum_user, ministry, organization, other_organization, django_capture_on_commit_callbacks
):
    AssetFactory(organization=organization, visibility="PUBLISHED")
    AssetFactory(organization=other_organization, visibility="PUBLISHED")
    client = _staff_client(dinum_user)
    rows, labels = _shown(client.get("/inventaire/"), "ministry__short_name")
    assert "Intérieur" in rows and "Intérieur" in labels

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/administrators/ministry/{ministry.pk}/change/",
            {
                "code": ministry.code,
                "name": ministry.name,
                "short_name": "MI",
                "in_ogp_scope": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    rows, labels = _shown(client.get("/inventaire/"), "ministry__short_name")
    assert "MI" in rows and "MI" in labels
    assert "Intérieur" not in rows and "Intérieur" not in labels


def test_an_organisation_renamed_or_created_in_the_admin_has_its_directory_path(
    amd_user, ministry, organization
):
    child = OrganizationFactory(
        ministry=ministry, parent=organization, name="Bureau", path=f"{organization.name} / Bureau"
    )
    client = _staff_client(amd_user)
    response = client.post(
        f"/admin/administrators/organization/{organization.pk}/change/",
        {"name": "Direction renommée", "kind": organization.kind},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organization.objects.get(pk=organization.pk).path == "Direction renommée"
    assert Organization.objects.get(pk=child.pk).path == "Direction renommée / Bureau"

    response = client.post(
        "/admin/administrators/organization/add/",
        {
            "name": "Section",
            "kind": organization.kind,
            "ministry": ministry.pk,
            "parent": child.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organization.objects.get(name="Section").path == "Direction renommée / Bureau / Section"
