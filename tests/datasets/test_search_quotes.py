"""French and typographic quotes are phrase quotes, like « " » (the search box's own example is
« base adresse »), and an `or` with no term on one side is ignored (datasets/search.py,
`search_text`).

websearch_to_tsquery knows only « " »: « base de données » in guillemets searched the two
words anywhere, and « établissement OR » required the word « or » (no result). The page tests
run on either engine (PostgreSQL in the suite, SQLite for `make run`'s demo)."""

import pytest

from datasets import search
from tests.datasets.search_helpers import found, titled_entries

TITLES = {
    "phrase": "Base de données des associations",
    "scattered": "Données issues de la base Sirene",  # both words, not the phrase
    "adresse": "Base adresse nationale",
    "etablissement": "Établissements scolaires",
    "ecole": "Annuaire des écoles",
}
STRAIGHT = '"base de données"'
# « » with plain, no-break and narrow no-break spaces, or none; English and German quotes.
QUOTED = [
    "« base de données »",
    "«\u00a0base de données\u00a0»",
    "«\u202fbase de données\u202f»",
    "«base de données»",
    "“base de données”",
    "„base de données“",
]


def _titles(*keys):
    return sorted(TITLES[k] for k in keys)


@pytest.fixture
def entries(organization):
    entries = titled_entries(organization, TITLES)
    for entry in entries.values():
        entry.visibility = "PUBLISHED"
        entry.save(update_fields=["visibility"])
    return entries


def _api_titles(client, q):
    response = client.get("/api/v1/datasets/", {"q": q})
    assert response.status_code == 200
    return sorted(r["title"] for r in response.json()["results"])


def _public_titles(client, q):
    response = client.get("/inventaire/catalogue/", {"q": q})
    assert response.status_code == 200
    return sorted(row["title"] for row, _ in response.context["rows"])


@pytest.mark.django_db
@pytest.mark.parametrize("quoted", QUOTED)
def test_french_quotes_search_the_phrase_in_the_inventory(amd_client, entries, quoted):
    assert found(amd_client, STRAIGHT) == _titles("phrase")
    assert found(amd_client, quoted) == _titles("phrase")


@pytest.mark.django_db
@pytest.mark.parametrize("quoted", QUOTED)
def test_french_quotes_search_the_phrase_in_the_api(api_client, entries, quoted):
    assert _api_titles(api_client, STRAIGHT) == _titles("phrase")
    assert _api_titles(api_client, quoted) == _titles("phrase")


@pytest.mark.django_db
@pytest.mark.parametrize("quoted", QUOTED)
def test_french_quotes_search_the_phrase_in_the_public_catalogue(anon_client, entries, quoted):
    assert _public_titles(anon_client, STRAIGHT) == _titles("phrase")
    assert _public_titles(anon_client, quoted) == _titles("phrase")


@pytest.mark.django_db
def test_an_excluded_phrase_in_french_quotes_is_excluded_as_a_phrase(amd_client, entries):
    expected = _titles("scattered", "adresse")
    assert found(amd_client, 'base -"base de données"') == expected
    assert found(amd_client, "base -« base de données »") == expected
    assert found(amd_client, "base -«\u00a0bases de données\u00a0»") == expected  # plural too


@pytest.mark.django_db
def test_the_placeholder_example_finds_the_phrase(amd_client, entries):
    assert found(amd_client, "« base adresse »") == _titles("adresse")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q",
    ["établissement OR", "OR établissement", "établissement or", "OR établissement OR OR"],
)
def test_a_dangling_or_is_ignored(amd_client, api_client, anon_client, entries, q):
    expected = _titles("etablissement")
    assert found(amd_client, q) == expected
    assert _api_titles(api_client, q) == expected
    assert _public_titles(anon_client, q) == expected


@pytest.mark.django_db
def test_a_repeated_or_still_joins_its_two_terms(amd_client, entries):
    expected = _titles("etablissement", "ecole")
    assert found(amd_client, "établissement OR école") == expected
    assert found(amd_client, "établissement OR OR école") == expected
    assert found(amd_client, "établissement OR école OR") == expected


@pytest.mark.django_db
def test_the_highlights_read_french_quotes_as_straight_ones(entries):
    pk = entries["phrase"].pk
    french = search.highlights([pk], "« base de données »")[pk]
    assert french == search.highlights([pk], STRAIGHT)[pk]
    assert "<mark>" in str(french["title"])


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("« base adresse »", '"base adresse"'),
        ("«base adresse» -«cancers graves»", '"base adresse" -"cancers graves"'),
        ("“base adresse” cadastre", '"base adresse" cadastre'),
        ("„base adresse“", '"base adresse"'),
        ("« base adresse", '"base adresse'),  # unclosed: to the end, as with « " »
        ("établissement OR", "établissement"),
        ("OR établissement", "établissement"),
        ("a OR OR b", "a OR b"),
        ("a or -b", "a or -b"),
        ("a or ,", "a ,"),
        ('a or "b c"', 'a or "b c"'),
        ('"rouge or" noir', '"rouge or" noir'),  # a word inside a phrase
        ('"a" or', '"a"'),
        ("orge or", "orge"),
        ("or", "or"),  # nothing else: the word
        ("OR OR", "OR OR"),
    ],
)
def test_search_text(typed, read):
    assert search.search_text(search.normalise_query(typed)) == read


def test_the_query_forms_and_highlight_forms_read_french_quotes():
    assert search.query_forms("« élus locaux » -« cancers »") == (
        '"élus locaux" -"cancers"',
        '"élu locau" -"cancers"',
    )
    assert search.highlight_forms("„élu“ or") == ('"élu"', '"élu"', '"élus"')
