"""The SQLite fallback (`make run`'s demo without PostgreSQL) reads the production query
language (datasets/search.py): case and accents folded, every word required, `-word` excluded,
phrases in sequence, `or`, a final « s »/« x ».

It used `icontains`, which SQLite folds for ASCII only: « Établissement » found nothing,
« enquetes » nothing, « baromètre -cancer » nothing (« -cancer » was a substring to find), and a
lone « " » every entry holding a quote.

How it is tested: the page tests below run on either engine and state what production finds,
so the PostgreSQL suite (`make test`) checks them against production and a SQLite run
(`env -u DATABASE_URL pytest tests/datasets/test_search_sqlite.py`) checks the fallback. The
pure-Python parts (`fold_words`, `parse_query`, the highlights) and the SQL functions, on an
in-memory database of Python's `sqlite3`, are tested on any engine."""

import sqlite3
from types import SimpleNamespace

import pytest
from django.db import connection

from datasets import search
from tests.datasets.factories import AssetFactory
from tests.datasets.search_helpers import found, titled_entries

TITLES = {
    "barometre": "Baromètre santé publique",
    "cancer": "Baromètre cancer 2021",
    "reversed": "Santé : le baromètre annuel",  # both words, not in sequence
    "enquete": "Enquête emploi du temps",
    "etablissements": "Établissements scolaires du second degré",
    "etablissement": "Annuaire de l'établissement public",
    "hopital": "Activité des hôpitaux",
    "quote": 'Registre dit "officiel"',
}


def _titles(*keys):
    return sorted(TITLES[k] for k in keys)


@pytest.fixture
def entries(organization):
    return titled_entries(organization, TITLES)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("Établissement", ["etablissement", "etablissements"]),
        ("établissement", ["etablissement", "etablissements"]),
        ("ETABLISSEMENTS", ["etablissement", "etablissements"]),
        ("enquetes", ["enquete"]),
        ("Enquete", ["enquete"]),
        ("hopital", ["hopital"]),
        ("baromètres", ["barometre", "cancer", "reversed"]),
        ("baromètre santé", ["barometre", "reversed"]),
        ("baromètre -cancer", ["barometre", "reversed"]),
        ("baromètre - cancer", ["barometre", "reversed"]),  # as websearch_to_tsquery reads it
        ("baromètre -cancers", ["barometre", "reversed"]),
        ('baromètre -"santé publique"', ["cancer", "reversed"]),
        ('"baromètre santé"', ["barometre"]),
        ("« baromètre santé »", ["barometre"]),
        ('"baromètre santé', ["barometre"]),  # unclosed: to the end
        ("baromètre or enquête", ["barometre", "cancer", "reversed", "enquete"]),
        ("enquête or", ["enquete"]),
        ('baromètre "', ["barometre", "cancer", "reversed"]),
        ("baromètre -", ["barometre", "cancer", "reversed"]),
        ("le baromètre", ["barometre", "cancer", "reversed"]),  # « le »: a stop word
        ("barom", []),  # whole words, as production
    ],
)
def test_the_search_reads_the_query_language(amd_client, entries, typed, keys):
    assert found(amd_client, typed) == _titles(*keys)


@pytest.mark.django_db
def test_an_exclusion_alone_keeps_every_other_entry(amd_client, entries):
    assert found(amd_client, "-enquête") == _titles(*(k for k in TITLES if k != "enquete"))


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ['"', "-", "«", "- « »", "de"])
def test_a_query_without_a_word_finds_nothing_as_in_production(amd_client, entries, typed):
    """websearch_to_tsquery makes an empty query of a lone quote, dash or stop word, which
    matches no entry; before, SQLite listed the entries holding the character."""
    assert found(amd_client, typed) == []


@pytest.mark.django_db
def test_keywords_are_searched_accents_folded(amd_client, organization):
    AssetFactory(organization=organization, title="Registre", keywords=["Hôpitaux", "santé"])
    assert found(amd_client, "hopital sante") == ["Registre"]


@pytest.mark.django_db
def test_the_public_catalogue_reads_the_query_language(anon_client, organization):
    common = {"organization": organization, "keywords": [], "service": "", "description": "."}
    AssetFactory(title="Baromètre santé", visibility="PUBLISHED", **common)
    AssetFactory(title="Baromètre cancer", visibility="PUBLISHED", **common)
    AssetFactory(title="Baromètre santé interne", **common)  # a draft
    response = anon_client.get("/inventaire/catalogue/", {"q": "BAROMETRE -cancer"})
    assert [row["title"] for row, _ in response.context["rows"]] == ["Baromètre santé"]


@pytest.mark.django_db
def test_the_highlights_mark_the_folded_words(entries):
    pk = entries["etablissements"].pk
    marks = search.highlights([pk], "etablissement -degré")[pk]
    assert "<mark>Établissements</mark>" in str(marks["title"])


def test_the_fallback_marks_whole_words_it_matched_only():
    """Not the excluded ones (ts_headline marks those too), not a word's beginning."""
    text = "Élus, élue, ÉLU\u0301S d'Hôpitaux -- Œuvre"
    marked = search._delimited(text, {"elu", "hopital", "oeuvre"})
    start, stop = search._START, search._STOP
    assert marked == (
        f"{start}Élus{stop}, élue, {start}ÉLU\u0301S{stop} d'{start}Hôpitaux{stop} -- "
        f"{start}Œuvre{stop}"
    )


# The pure-Python parts: run on every engine.


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Baromètre des Élus (2016)", " barometre des elu 2016 "),
        ("Œuvres, ÉTÉ ; l’eau", " oeuvre ete l eau "),
        ("hôpitaux régionaux, bateaux", " hopital regional bateau "),
        ("pass mois Aix", " pass mois aix "),  # shortened, they would be stop words
        ("", "  "),
    ],
)
def test_fold_words(text, words):
    assert search.fold_words(text) == words


@pytest.mark.parametrize(
    ("typed", "groups"),
    [
        ("Établissements", (((False, " etablissement "),),)),
        ("baromètre -cancer", (((False, " barometre "), (True, " cancer ")),)),
        ("a - b", (((False, " a "), (True, " b ")),)),
        ("a -- b", (((False, " a "), (False, " b ")),)),  # « !!b » is « b »
        ("x-y", (((False, " x y "),),)),  # a dash inside a word excludes nothing
        ('"baromètre santé', (((False, " barometre sante "),),)),
        (
            "«\u00a0base de données\u00a0» -„cancers“",
            (((False, " base de donnee "), (True, " cancer ")),),
        ),
        ("a or b c", (((False, " a "),), ((False, " b "), (False, " c ")))),
        ("or a", (((False, " a "),),)),
        ("a -or", (((False, " a "), (True, " or ")),)),  # an excluded word « or »
        ('"', ()),
        ("-", ()),
        ("de la", ()),
        ('"de la"', (((False, " de la "),),)),  # a phrase keeps its stop words
        # An elided article is a stop word, as for PostgreSQL's French dictionary.
        ("d'établissements", (((False, " etablissement "),),)),
        ("l’assurance -qu'elle", (((False, " assurance "),),)),  # « elle »: a stop word
        ("aujourd'hui", (((False, " aujourd hui "),),)),  # an apostrophe inside a word stays
    ],
)
def test_parse_query(typed, groups):
    assert search.parse_query(typed) == groups


def test_the_sql_functions_fold_like_python():
    """`register_sqlite_functions` on a bare SQLite connection: what `LIKE` then compares."""
    raw = sqlite3.connect(":memory:")
    search.register_sqlite_functions(
        None, connection=SimpleNamespace(vendor="sqlite", connection=raw)
    )
    rows = raw.execute(
        "SELECT portal_fold(?), portal_fold_keywords(?), portal_fold(NULL),"
        " portal_fold(?) LIKE ?, portal_fold(?) LIKE ?",
        [
            "Établissements",
            '["H\\u00f4pitaux", "sant\\u00e9"]',  # how Django stores a JSONField on SQLite
            "Baromètre Santé publique",
            "% barometre sante %",
            "Santé : le baromètre",
            "% barometre sante %",
        ],
    ).fetchone()
    assert rows == (" etablissement ", " hopital sante ", "  ", 1, 0)


def test_other_engines_get_no_function():
    class Untouchable:
        def create_function(self, *args, **kwargs):
            raise AssertionError("registered on PostgreSQL")

    wrapper = SimpleNamespace(vendor="postgresql", connection=Untouchable())
    search.register_sqlite_functions(None, connection=wrapper)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback's connection")
def test_each_sqlite_connection_has_the_functions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT portal_fold(%s)", ["Enquêtes"])
        assert cursor.fetchone() == (" enquete ",)


def test_the_sqlite_sort_key_sorts_titles_the_french_way():
    """The list by title on SQLite (`selectors.sort_terms`): « école » beside « Ecole », not
    after « zoo » as code points would have it."""
    raw = sqlite3.connect(":memory:")
    search.register_sqlite_functions(
        None, connection=SimpleNamespace(vendor="sqlite", connection=raw)
    )
    raw.execute("CREATE TABLE t (title TEXT)")
    titles = ["Zoo", "école", "Bâtiment", "abeille", "Éducation", "zèbre", "avion", "Ecole"]
    raw.executemany("INSERT INTO t VALUES (?)", [(t,) for t in titles])
    ordered = [
        r[0] for r in raw.execute("SELECT title FROM t ORDER BY portal_sort_key(title), title")
    ]
    assert ordered == [
        "abeille",
        "avion",
        "Bâtiment",
        "Ecole",
        "école",
        "Éducation",
        "zèbre",
        "Zoo",
    ]
