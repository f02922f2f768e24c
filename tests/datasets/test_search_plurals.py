"""A word is found whatever its number (migration 0011): the French stemmer alone keeps « élus »
apart from « élu », and « cancers » apart from « cancer »."""

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
    "elus": "Répertoire national des élus",
    "elu": "Fiche de chaque élu municipal",
    "cancers": "Registre des cancers",
    "cancer": "Registre du cancer pédiatrique",
    "mois": "Indicateurs du mois",
    "voeux": "Vœux des agents",
    "other": "Annuaire des associations",
}


@pytest.fixture
def entries(organization):
    return titled_entries(organization, TITLES)


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("élu", ["elu", "elus"]),
        ("élus", ["elu", "elus"]),
        ("elus", ["elu", "elus"]),  # accents folded as before
        ("cancer", ["cancer", "cancers"]),
        ("cancers", ["cancer", "cancers"]),
        ("registre cancers", ["cancer", "cancers"]),
        ("vœu", ["voeux"]),
        ("mois", ["mois"]),  # « moi » is a stop word: the word as typed still counts
        ("association", ["other"]),
    ],
)
def test_singular_and_plural_find_each_other(amd_client, entries, typed, keys):
    assert found(amd_client, typed) == sorted(TITLES[k] for k in keys)


def test_phrases_and_exclusions_keep_their_meaning(amd_client, entries):
    both = sorted([TITLES["cancer"], TITLES["cancers"]])
    assert found(amd_client, '"registre des cancers"') == both
    assert found(amd_client, '"cancers registre"') == []  # the order of a phrase still counts
    assert found(amd_client, "registre -cancer") == []
    assert found(amd_client, "registre -cancers") == []
    assert found(amd_client, "-élus élu") == []
    assert found(amd_client, "élu or cancer") == sorted(
        TITLES[k] for k in ("elu", "elus", "cancer", "cancers")
    )


# Typed in the plural, an entry in the plural holds both forms' stems and ranks first. Typed in
# the singular, both hold its stem once, with its position: they rank alike, by date.
@pytest.mark.parametrize(("typed", "first"), [("élus", "elus"), ("cancers", "cancers")])
def test_the_plural_typed_ranks_first(amd_client, entries, typed, first):
    response = amd_client.get("/inventaire/", {"q": typed})
    assert response.context["rows"][0][0]["title"] == TITLES[first]


def test_the_other_form_is_highlighted_too(entries):
    plural = search.highlights([entries["elus"].pk], "élu")[entries["elus"].pk]
    assert "<mark>élus</mark>" in str(plural["title"])
    singular = search.highlights([entries["elu"].pk], "élus")[entries["elu"].pk]
    assert "<mark>élu</mark>" in str(singular["title"])


def test_the_api_search_finds_both_forms(api_client, entries):
    response = api_client.get("/api/v1/datasets/", {"q": "élu"})
    assert sorted(r["title"] for r in response.json()["results"]) == [
        TITLES["elu"],
        TITLES["elus"],
    ]


@pytest.mark.parametrize(
    ("typed", "forms"),
    [
        ("élus", ("élus", "élu")),
        ("registre -cancers", ("registre -cancers -cancer", "registre -cancers -cancer")),
        ('"a-cancers" -vœux', ('"a-cancers" -vœux -vœu', '"a-cancer" -vœux -vœu')),
    ],
)
def test_query_forms(typed, forms):
    assert search.query_forms(typed) == forms


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("élu", "élus"),
        ("cancers", "cancers"),
        ("Vœu or prix", "Vœus or prix"),
        ('"registre des" -cancer 2016', '"registres des" -cancers 2016'),
        ("a l'eau", "a l'eaus"),
    ],
)
def test_plural_words_of_the_highlight_query(typed, expected):
    assert search._plural_words(typed) == expected


def test_the_query_drops_the_letters_the_stored_vector_dropped():
    """The Python rule of the queries and the SQL function of the stored vector agree."""
    from importlib import import_module

    migration = import_module("datasets.migrations.0011_search_plurals")
    assert migration.LETTERS == search.LETTERS
    text = "Vœux des élus; cours, prix 2016 (réseaux) dans l'eau — ÉTATS bus X as"
    with connection.cursor() as cursor:
        cursor.execute("SELECT portal_singulars(%s)", [text])
        (stored,) = cursor.fetchone()
    # The stored vector adds the shortened words; the query shortens them in place.
    assert stored == "Vœu de élu cour pri réseau dan ÉTAT bu"
    assert (
        search._ENDS_IN_S.sub(r"\1", text)
        == "Vœu de élu; cour, pri 2016 (réseau) dan l'eau — ÉTAT bu X as"
    )


def test_a_plural_in_a_title_outranks_the_singular_in_a_description(amd_client, organization):
    """The singular stems of plurals carry their position and weight (0014): with 0011's
    unpositioned stems, « élu » ranked the title « … des élus » last (rank 0)."""
    common = {"organization": organization, "keywords": [], "service": ""}
    AssetFactory(title="Répertoire national des élus", description="Liste.", **common)
    AssetFactory(
        title="Subventions aux associations", description="Versées à la demande d'un élu.", **common
    )
    response = amd_client.get("/inventaire/", {"q": "élu"})
    titles = [row["title"] for row, _ in response.context["rows"]]
    assert titles == ["Répertoire national des élus", "Subventions aux associations"]


def test_highlight_forms():
    assert search.highlight_forms("élu -cancers") == (
        "élu -cancers -cancer",
        "élu -cancers -cancer",
        "élus -cancers -cancers",
    )
