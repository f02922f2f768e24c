"""The inventory list in another order than its default (« Trier par », `?tri=`): by title in
French order, or the oldest updates first (the entries nobody has kept up), with or without a
full-text query; the order kept by pagination and filters, dropped by a new search."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from datasets.models import DataAsset
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory


def _titles(response) -> list[str]:
    return [row["title"] for row, _marks in response.context["rows"]]


def _aged(asset: DataAsset, days: int) -> None:
    """The entry as last saved `days` ago (`updated_at` is set by every save)."""
    DataAsset.objects.filter(pk=asset.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=days)
    )


@pytest.fixture
def entries(organization):
    titles = ["Fichier des écoles", "Écoles maternelles", "eau potable", "Zones humides", "Élus"]
    assets = {t: AssetFactory(organization=organization, title=t) for t in titles}
    for age, title in enumerate(titles):  # the first title the most recent
        _aged(assets[title], age)
    return assets


@pytest.mark.django_db
def test_by_title_in_french_order_whatever_the_case_and_accents(amd_client, entries):
    response = amd_client.get("/inventaire/", {"tri": "titre"})
    assert response.status_code == 200
    if connection.vendor == "postgresql":  # elsewhere (`make run`'s SQLite): code point order
        assert _titles(response) == [
            "eau potable",
            "Écoles maternelles",
            "Élus",
            "Fichier des écoles",
            "Zones humides",
        ]
    html = response.content.decode()
    assert '<option value="titre" selected>Titre (de A à Z)</option>' in html
    assert re.search(r'<th scope="col" aria-sort="ascending">Entrée</th>', html)


@pytest.mark.django_db
def test_the_oldest_updates_first_and_the_default_most_recent_first(amd_client, entries):
    oldest = amd_client.get("/inventaire/", {"tri": "anciennes"})
    assert _titles(oldest) == [
        "Élus",
        "Zones humides",
        "eau potable",
        "Écoles maternelles",
        "Fichier des écoles",
    ]
    assert 'aria-sort="ascending">Mise à jour</th>' in oldest.content.decode()
    default = amd_client.get("/inventaire/")
    assert _titles(default) == list(reversed(_titles(oldest)))
    html = default.content.decode()
    assert 'aria-sort="descending">Mise à jour</th>' in html
    # Without a query, the default is the most recent first: offered once, not twice.
    assert '<option value="" selected>Mises à jour récentes d\'abord</option>' in html
    assert 'value="recentes"' not in html


@pytest.mark.django_db
def test_an_unknown_order_is_the_default_one(amd_client, entries):
    for tri in ("titre DESC", "-titre", "<script>", "recentes\x00"):
        response = amd_client.get("/inventaire/", {"tri": tri})
        assert response.status_code == 200
        assert response.context["sort"] == ""
        assert _titles(response)[0] == "Fichier des écoles"


@pytest.mark.django_db
def test_a_search_by_relevance_or_in_the_order_asked(amd_client, organization):
    strong = AssetFactory(organization=organization, title="Zonage des écoles", description="x")
    weak = AssetFactory(
        organization=organization, title="Annuaire", description="Liste des écoles du pays."
    )
    AssetFactory(organization=organization, title="Autre chose", description="Rien.")
    _aged(strong, 10)
    relevance = amd_client.get("/inventaire/", {"q": "écoles"})
    assert response_sort(relevance) == ""
    html = relevance.content.decode()
    assert '<option value="" selected>Pertinence</option>' in html
    assert 'value="recentes"' in html
    by_title = amd_client.get("/inventaire/", {"q": "écoles", "tri": "titre"})
    assert _titles(by_title) == ["Annuaire", "Zonage des écoles"]
    by_date = amd_client.get("/inventaire/", {"q": "écoles", "tri": "recentes"})
    assert _titles(by_date) == ["Annuaire", "Zonage des écoles"]
    oldest = amd_client.get("/inventaire/", {"q": "écoles", "tri": "anciennes"})
    assert _titles(oldest) == ["Zonage des écoles", "Annuaire"]
    assert weak.pk  # the weaker match is listed too


def response_sort(response) -> str:
    return response.context["sort"]


@pytest.mark.django_db
def test_pages_and_filters_keep_the_order_a_new_search_drops_it(amd_client, organization):
    AssetFactory.create_batch(60, organization=organization)
    response = amd_client.get(
        "/inventaire/", {"tri": "titre", "status": "TO_ASSESS", "q": "associations"}
    )
    html = response.content.decode()
    # Page links carry every parameter but the page.
    assert "tri=titre" in re.search(r'href="([^"]*page=2[^"]*)"', html).group(1)
    filters = re.search(r'<form method="get"[^>]*aria-label="Filtres">(.*?)</form>', html, re.S)
    assert '<input type="hidden" name="tri" value="titre">' in filters.group(1)
    search = re.search(r'<form method="get"[^>]*role="search"[^>]*>(.*?)</form>', html, re.S)
    assert 'name="tri"' not in search.group(1)
    # The sort form sends the query and the filters again, not the page nor its own old value.
    sort_form = re.search(r'<form [^>]*class="portal-sort[^"]*"[^>]*>(.*?)</form>', html, re.S)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', sort_form.group(1))
    assert sorted(hidden) == [("q", "associations"), ("status", "TO_ASSESS")]
    page2 = amd_client.get(
        "/inventaire/", {"tri": "titre", "status": "TO_ASSESS", "q": "associations", "page": 2}
    )
    # « … n° 10 » before « … n° 2 », in PostgreSQL's French collation as in Python.
    everything = sorted(DataAsset.objects.values_list("title", flat=True))
    assert _titles(response) + _titles(page2) == everything


@pytest.mark.django_db
def test_the_order_shows_nothing_of_another_ministry(amd_client, entries, other_ministry):
    other = OrganizationFactory(ministry=other_ministry)
    AssetFactory(organization=other, title="Aaa brouillon d'un autre ministère")
    for tri in ("titre", "anciennes", "recentes"):
        titles = _titles(amd_client.get("/inventaire/", {"tri": tri}))
        assert "Aaa brouillon d'un autre ministère" not in titles
        assert len(titles) == 5


@pytest.mark.django_db
def test_no_order_offered_for_a_single_entry(amd_client, organization):
    AssetFactory(organization=organization)
    assert 'id="tri"' not in amd_client.get("/inventaire/").content.decode()


@pytest.mark.parametrize("rows", [3, 70])
@pytest.mark.parametrize("tri", ["titre", "anciennes"])
@pytest.mark.django_db
def test_a_sorted_list_keeps_the_query_count_of_the_default_one(
    rows, tri, amd_client, organization, django_assert_num_queries
):
    AssetFactory.create_batch(rows, organization=organization)
    amd_client.get("/inventaire/")
    cache.clear()
    # As test_views.test_list_page_query_count_is_flat: only the ORDER BY changes.
    with django_assert_num_queries(10):
        assert amd_client.get("/inventaire/", {"tri": tri, "page": 2}).status_code == 200


@pytest.mark.django_db
def test_a_broad_search_stays_by_date_and_offers_no_order(amd_client, organization, monkeypatch):
    from datasets import selectors

    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    assets = [
        AssetFactory(organization=organization, title=f"Registre des élus n° {i}") for i in range(5)
    ]
    for age, asset in enumerate(assets):
        _aged(asset, age)
    response = amd_client.get("/inventaire/", {"q": "élus", "tri": "anciennes"})
    assert response.context["broad"] is True
    assert response.context["sort"] == ""
    assert _titles(response)[0] == "Registre des élus n° 0"
    assert 'id="tri"' not in response.content.decode()


# --- The public catalogue -------------------------------------------------------------------


@pytest.fixture
def published(entries):
    DataAsset.objects.filter(title__in=["eau potable", "Élus", "Zones humides"]).update(
        visibility=DataAsset.Visibility.PUBLISHED
    )
    return entries


@pytest.mark.django_db
def test_the_public_catalogue_sorts_its_published_entries(client, published, ministry):
    by_title = client.get("/inventaire/catalogue/", {"tri": "titre", "ministry": ministry.pk})
    assert by_title.status_code == 200
    titles = _titles(by_title)
    assert set(titles) == {"eau potable", "Élus", "Zones humides"}  # drafts never listed
    if connection.vendor == "postgresql":
        assert titles == ["eau potable", "Élus", "Zones humides"]
    html = by_title.content.decode()
    assert '<option value="titre" selected>Titre (de A à Z)</option>' in html
    sort_form = re.search(r'<form [^>]*class="portal-sort[^"]*"[^>]*>(.*?)</form>', html, re.S)
    assert f'<input type="hidden" name="ministry" value="{ministry.pk}">' in sort_form.group(1)
    oldest = client.get("/inventaire/catalogue/", {"tri": "anciennes"})
    assert _titles(oldest) == ["Élus", "Zones humides", "eau potable"]
    assert _titles(client.get("/inventaire/catalogue/")) == ["eau potable", "Zones humides", "Élus"]


@pytest.mark.django_db
def test_a_public_search_stays_by_relevance_and_offers_no_order(client, published):
    response = client.get("/inventaire/catalogue/", {"q": "zones", "tri": "titre"})
    assert _titles(response) == ["Zones humides"]
    assert 'id="tri"' not in response.content.decode()


@pytest.mark.parametrize("rows", [3, 60])
@pytest.mark.django_db
def test_the_sorted_public_catalogue_keeps_a_flat_query_count(
    rows, client, organization, django_assert_num_queries
):
    AssetFactory.create_batch(rows, organization=organization, visibility="PUBLISHED")
    client.get("/inventaire/catalogue/")
    with django_assert_num_queries(2):  # ministries of the filter, the page's rows
        assert client.get("/inventaire/catalogue/", {"tri": "titre"}).status_code == 200
