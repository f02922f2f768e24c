"""Review of session 6: the two forms of a search query (datasets/search.py, migration 0011)
keep the meaning of what was typed.

The singular form is matched *or* the typed one, so whatever it loses widens the results:
- an excluded word or phrase must exclude in both forms (« -hôpitaux » excluded « hôpital »
  before 0011, the stemmer folds the two; the singular form only excluded « hôpitau »);
- a word whose shortened form is a stop word (« pass » → « pas », « mois » → « moi ») must stay
  as typed, or the singular form drops it and « pass culture » finds all of « culture »."""

import pytest
from django.db import connection

from datasets import search
from tests.datasets.factories import AssetFactory
from tests.datasets.search_helpers import found, titled_entries

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search: PostgreSQL"),
]

TITLES = {
    "hopital": "Registre de l'hôpital",
    "graves": "Registre des cancers graves",
    "pass": "Pass Culture : réservations",
    "culture": "Fréquentation des musées de la culture",
    "mois": "Indicateurs du mois",
    "indicateurs": "Indicateurs de qualité",
    "aix": "Élèves de l'académie d'Aix",
    "academie": "Élèves de l'académie de Lille",
}


@pytest.fixture
def entries(organization):
    return titled_entries(organization, TITLES)


def _titles(*keys):
    return sorted(TITLES[k] for k in keys)


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("registre -hôpitaux", ["graves"]),  # « hôpitaux » and « hôpital » share a stem
        ('registre -"cancers graves"', ["hopital"]),
        ("indicateurs -mois", ["indicateurs"]),
    ],
)
def test_an_exclusion_excludes_in_both_forms(amd_client, entries, typed, keys):
    assert found(amd_client, typed) == _titles(*keys)


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("pass culture", ["pass"]),
        ("indicateurs mois", ["mois"]),
        ("académie aix", ["aix"]),
    ],
)
def test_a_word_shortened_to_a_stop_word_still_counts(amd_client, entries, typed, keys):
    assert found(amd_client, typed) == _titles(*keys)


def test_the_public_catalogue_keeps_the_exclusion(client, organization):
    AssetFactory(organization=organization, title="Registre de l'hôpital", visibility="PUBLISHED")
    AssetFactory(organization=organization, title="Registre des élus", visibility="PUBLISHED")
    response = client.get("/inventaire/catalogue/", {"q": "registre -hôpitaux"})
    assert [row["title"] for row, _ in response.context["rows"]] == ["Registre des élus"]


@pytest.mark.parametrize(
    ("typed", "forms"),
    [
        ("élus -hôpitaux", ("élus -hôpitaux -hôpitau", "élu -hôpitaux -hôpitau")),
        ('élus -"cancers graves"', ('élus -"cancers graves"', 'élu -"cancers graves"')),
        ("pass culture", ("pass culture", "pass culture")),
        ("élus du mois", ("élus du mois", "élu du mois")),
    ],
)
def test_query_forms_keep_exclusions_and_stop_words(typed, forms):
    assert search.query_forms(typed) == forms


def test_the_stop_words_kept_as_typed_are_the_databases():
    """`search._STOP_WORDS` is PostgreSQL's French stop list as `french_unaccent` applies it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w FROM unnest(%s::text[]) AS w "
            "WHERE to_tsvector('french_unaccent', w) <> ''::tsvector",
            [sorted(search._STOP_WORDS)],
        )
        assert cursor.fetchall() == []
        # Accented entries of the list never apply once accents are removed.
        cursor.execute("SELECT to_tsvector('french_unaccent', 'été')::text")
        assert cursor.fetchone() == ("'ete':1",)


@pytest.mark.parametrize("url", ["/inventaire/", "/api/v1/datasets/", "/inventaire/catalogue/"])
@pytest.mark.parametrize("q", ["élus\x00", '"élus -', "-", "or", "les des", "x" * 5000])
def test_odd_queries_give_a_clean_answer(request, entries, url, q):
    client = request.getfixturevalue("anon_client" if "catalogue" in url else "amd_client")
    if url.startswith("/api/"):
        client = request.getfixturevalue("api_client")
    assert client.get(url, {"q": q}).status_code == 200
