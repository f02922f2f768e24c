import pytest

from datasets import search
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_highlight_delimiters_typed_by_a_user_never_unbalance_mark(ministry, organization):
    asset = AssetFactory(
        ministry=ministry,
        organization=organization,
        title="Registre \u2999 des \u299a élus <b>x</b>",
        description="Liste \u299a des élus",
    )
    html = search.highlights([asset.pk], "élus")[asset.pk]
    for part in (str(html["title"]), str(html["description"])):
        assert part.count("<mark>") == part.count("</mark>") >= 1
        assert "\u2999" not in part and "\u299a" not in part
        assert "<b>" not in part


# Users type without accents: the search folds them on both sides (migration 0010).
@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("enquete", "Enquête annuelle de recensement"),
        ("hopital", "Activité des hôpitaux publics"),
        ("donnees medicaments", "Données des médicaments remboursés"),
        ("Élèves", "Effectifs des eleves du second degre"),  # and the other way round
        ("ENQUÊTE", "enquête sur les forêts"),
    ],
)
def test_search_ignores_accents_and_marks_the_accented_words(
    amd_client, organization, typed, title
):
    AssetFactory(organization=organization, title=title, description="Sans rapport.")
    AssetFactory(organization=organization, title="Registre des associations")
    response = amd_client.get("/inventaire/", {"q": typed})
    rows = [r["title"] for r, _ in response.context["rows"]]
    assert rows == [title]
    marked = str(search.highlights([response.context["rows"][0][0]["pk"]], typed).popitem()[1])
    assert "<mark>" in marked


def test_the_api_search_ignores_accents_too(api_client, organization):
    AssetFactory(organization=organization, title="Enquête sur les hôpitaux")
    response = api_client.get("/api/v1/datasets/", {"q": "enquete hopitaux"})
    assert [r["title"] for r in response.json()["results"]] == ["Enquête sur les hôpitaux"]
