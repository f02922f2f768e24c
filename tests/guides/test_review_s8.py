"""Review of the guides (session 8): search input, concurrent edits, workflow, flags, API."""

import pytest

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
