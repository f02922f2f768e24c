"""The public catalogue's search reads only what its pages show (migration 0013): the internal
information system (`source_system`) is searchable in the inventory, for signed-in users, and
nowhere else."""

import pytest
from django.db import connection

from datasets import search
from datasets.models import DataAsset
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(organization):
    return AssetFactory(
        organization=organization,
        title="Registre des subventions",
        description="Montants versés aux associations.",
        service="Bureau des concours",
        keywords=["budget"],
        source_system="GESTAPROX des ELUS",
        visibility="PUBLISHED",
    )


def _public_titles(client, q):
    response = client.get("/inventaire/catalogue/", {"q": q})
    assert response.status_code == 200
    return [row["title"] for row, _ in response.context["rows"]]


@pytest.mark.parametrize("q", ["gestaprox", "GESTAPROX", "élus", "élu", "registre gestaprox"])
def test_an_anonymous_search_cannot_test_the_internal_system(anon_client, published, q):
    assert _public_titles(anon_client, q) == []


@pytest.mark.parametrize("q", ["registre", "associations", "concours", "budget", "subvention"])
def test_an_anonymous_search_finds_what_the_public_page_shows(anon_client, published, q):
    assert _public_titles(anon_client, q) == ["Registre des subventions"]


def test_the_inventory_still_finds_an_entry_by_its_system(amd_client, published):
    response = amd_client.get("/inventaire/", {"q": "gestaprox"})
    assert [row["title"] for row, _ in response.context["rows"]] == ["Registre des subventions"]


def test_public_and_inventory_searches_differ_only_there(published):
    qs = DataAsset.objects.all()
    assert list(search.apply_search(qs, "gestaprox", public=True)) == []
    assert list(search.apply_search(qs, "gestaprox")) == [published]
    assert list(search.apply_search(qs, "registre", public=True)) == [published]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stored vector: PostgreSQL")
def test_the_system_weighs_d_and_has_no_singular_stems(published):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM datasets_dataasset WHERE id = %s", [published.pk]
        )
        (vector,) = cursor.fetchone()
    # Weight D is the one the text form of a vector does not print.
    positions = vector.split("'gestaprox':")[1].split(" ")[0]
    assert positions.isdigit()
    assert "'elus':" in vector
    assert "'elu'" not in vector  # « ELUS » without its s: an unpositioned stem, any weight


def test_off_postgresql_the_search_still_filters(anon_client, published, organization, monkeypatch):
    """`make run` serves SQLite: the catalogue listed every published entry for any search."""
    from datasets import public_catalogue

    AssetFactory(organization=organization, title="Annuaire des écoles", visibility="PUBLISHED")
    monkeypatch.setattr(public_catalogue, "is_postgres", lambda: False)
    assert _public_titles(anon_client, "subventions") == ["Registre des subventions"]
    assert _public_titles(anon_client, "gestaprox") == []
