"""Review: a link that passes validation but is not a valid IRI never breaks the DCAT catalogue."""

import pytest
from rdflib import Graph

from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


CASES = [
    ("url", "https://x.fr/a>b<c"),
    ("url", 'https://x.fr/a"b'),
    ("url", "https://x.fr/{a}|b^c`"),
    ("contact_service", "a{b}|c@exemple.gouv.fr"),
]


@pytest.mark.parametrize(("field", "value"), CASES)
def test_dcat_turtle_and_jsonld_stay_valid_with_odd_characters_in_links(
    anon_client, organization, field, value
):
    from datasets.validation import check_email, check_url

    errors: dict = {}
    (check_url if field == "url" else check_email)(errors, field, value)
    assert not errors  # accepted by the portal's validation, so it can be stored
    AssetFactory(
        organization=organization, visibility="PUBLISHED", title="Entrée", **{field: value}
    )
    for path, fmt in (
        ("/inventaire/catalogue.ttl", "turtle"),
        ("/inventaire/catalogue.jsonld", "json-ld"),
    ):
        response = anon_client.get(path)
        assert response.status_code == 200, path
        graph = Graph().parse(data=response.content.decode(), format=fmt)
        titles = [str(o) for o in graph.objects(None, None) if str(o) == "Entrée"]
        assert titles == ["Entrée"], path


def test_a_ministry_catalogue_is_described_without_repeating_its_title(anon_client, organization):
    from rdflib.namespace import DCAT, DCTERMS, RDF

    AssetFactory(organization=organization, visibility="PUBLISHED", title="Entrée")
    code = organization.ministry.code
    graph = Graph().parse(
        data=anon_client.get(f"/inventaire/catalogue/{code}.ttl").content.decode(),
        format="turtle",
    )
    catalogue = next(graph.subjects(RDF.type, DCAT.Catalog))
    title = str(graph.value(catalogue, DCTERMS.title))
    description = str(graph.value(catalogue, DCTERMS.description))
    assert organization.ministry.name in title and organization.ministry.name in description
    assert title not in description
