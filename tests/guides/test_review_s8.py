"""Review of the guides (session 8): search input, concurrent edits, workflow, flags, API."""

import pytest
from django.db import connection

from guides import selectors
from tests.guides.factories import published_guide

pytestmark = pytest.mark.django_db


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["\x00", "données\x00", "a\x00b\x01c"])
def test_search_with_a_nul_character_answers_instead_of_failing(anon_client, query):
    guide = published_guide(guide__title="Qualité des données")
    assert anon_client.get("/guides/", {"q": query}).status_code == 200
    api = anon_client.get("/api/v1/guides/", {"q": query})
    # The API's filter form refuses a NUL itself, in French.
    assert api.status_code == 400 and "caractère nul" in api.content.decode(), api.content
    # Control characters are spaces: nothing left is no query at all.
    found = list(selectors.guide_list(None, query=query))
    assert found == ([] if query == "a\x00b\x01c" else [guide])


@pytest.mark.parametrize(
    "query", ["donnees", "DONNÉES", "metadonnees", "échéancier", "echeanciers", "qualite"]
)
def test_search_ignores_accents(query):
    """Users type without accents: « donnees » must find « données » (as the inventory does)."""
    if connection.vendor != "postgresql":
        pytest.skip("French full-text search")
    guide = published_guide(
        guide__title="Qualité des données",
        body="Les métadonnées et l'échéancier de mise à jour.",
    )
    published_guide(guide__title="API", body="Exposer une interface.")
    assert list(selectors.guide_list(None, query=query)) == [guide]
