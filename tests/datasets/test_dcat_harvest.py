"""The DCAT catalogue as data.gouv.fr's harvester (udata's DCAT backend) reads it.

What that harvester does, and what these tests hold the catalogue to:
- it takes the format from the source address's extension, or else from a HEAD request's
  Content-Type (an address with a query string): HEAD must answer;
- it follows `hydra:next` (PartialCollectionView) from page to page: the links must keep the
  ministry and the harvest flag, and the walk must see every entry once;
- it reads one dataset per `dct:identifier` (an identifier seen twice fails): identifiers must
  not depend on the host a request used;
- it matches a dataset's resources by URL: each format needs its own URL;
- it takes the licence from the dataset, else from a distribution;
- its format is the EU file-type code; the link back to the source is the landing page, which
  must open without an account.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

from core.models import HvdCategory, Licence
from datasets.models import Format
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SITE = "https://portail-amd.exemple.gouv.fr"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE + "/"


def published(organization, **over):
    return AssetFactory(organization=organization, visibility="PUBLISHED", **over)


def parse(response, fmt="turtle") -> Graph:
    assert response.status_code == 200, response.content[:300]
    return Graph().parse(data=response.content.decode(), format=fmt)


def local(url: str) -> str:
    assert url.startswith(SITE), url
    return url[len(SITE) :]


def harvest(client, source: str) -> list[Graph]:
    """The pages a udata-like walk reads: the source, then `hydra:next` until there is none
    (with a guard: the harvester has none, a loop would never end)."""
    pages = []
    url = source
    for _ in range(50):
        graph = parse(client.get(url), "json-ld" if ".jsonld" in url else "turtle")
        pages.append(graph)
        view = next(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
        following = next(graph.objects(view, HYDRA.next), None)
        if following is None:
            return pages
        url = local(str(following))
    raise AssertionError("la pagination ne finit pas")


def identifiers(pages: list[Graph]) -> list[str]:
    return [
        str(graph.value(ds, DCTERMS.identifier))
        for graph in pages
        for ds in graph.subjects(RDF.type, DCAT.Dataset)
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/inventaire/catalogue.jsonld",
        "/inventaire/catalogue.ttl",
        "/inventaire/catalogue/interieur.jsonld?moissonnage=1",
        "/api/v1/datasets/export.jsonld?ministere=interieur&moissonnage=1",
        "/api/v1/datasets/export.ttl",
    ],
)
def test_head_answers_with_the_content_type_the_harvester_reads(anon_client, organization, path):
    published(organization)
    response = anon_client.head(path)
    assert response.status_code == 200
    expected = "application/ld+json" if ".jsonld" in path else "text/turtle"
    assert response["Content-Type"].startswith(expected)
    assert response.content == b""


def test_post_is_still_refused(anon_client, organization):
    assert anon_client.post("/inventaire/catalogue.ttl").status_code == 405


@pytest.mark.parametrize(
    "source",
    [
        "/api/v1/datasets/export.jsonld?ministere=interieur&page_size=2",
        "/inventaire/catalogue/interieur.ttl?page_size=2",
    ],
)
def test_a_ministry_walk_stays_in_the_ministry_and_sees_each_entry_once(
    anon_client, organization, other_organization, source
):
    mine = {published(organization).pk for _ in range(5)}
    for _ in range(4):
        published(other_organization)
    AssetFactory(organization=organization, visibility="DRAFT")
    pages = harvest(anon_client, source)
    assert len(pages) == 3
    ids = identifiers(pages)
    assert len(ids) == len(set(ids)) == 5
    assert {int(i.rstrip("/").rsplit("/", 1)[1]) for i in ids} == mine
    # Every page's links keep the ministry (the API's) and the page size.
    for graph in pages:
        for link in graph.objects(None, HYDRA.next):
            assert "page_size=2" in str(link)
            if "/api/" in source:
                assert "ministere=interieur" in str(link)


def _open(asset):
    from datasets.models import OpenByDefaultAssessment

    OpenByDefaultAssessment.objects.filter(asset=asset).update(status="PUBLISHED")
    return asset


def test_the_harvest_catalogue_leaves_out_entries_data_gouv_fr_already_has(
    anon_client, organization
):
    kept = [_open(published(organization)) for _ in range(3)]
    known = _open(published(organization, datagouv_dataset_id="5b7ffc618b4c4169d30727e0"))
    full = identifiers(harvest(anon_client, "/inventaire/catalogue.ttl?page_size=2"))
    assert len(full) == 4
    pages = harvest(anon_client, "/inventaire/catalogue.ttl?moissonnage=1&page_size=2")
    assert len(pages) == 2
    for graph in pages:
        for link in graph.objects(None, HYDRA.next):
            assert "moissonnage=1" in str(link)
    ids = identifiers(pages)
    assert sorted(ids) == sorted(f"{SITE}/inventaire/catalogue/{a.pk}/" for a in kept)
    assert f"{SITE}/inventaire/catalogue/{known.pk}/" not in ids
    description = str(
        pages[0].value(URIRef(f"{SITE}/inventaire/catalogue.ttl"), DCTERMS.description)
    )
    assert "data.gouv.fr" in description


def test_identifiers_do_not_depend_on_the_host_of_the_request(anon_client, organization, settings):
    asset = published(organization)
    settings.ALLOWED_HOSTS = ["*"]
    seen = set()
    for host in ("testserver", "10.0.0.7:8000", "portail.interne"):
        graph = parse(anon_client.get("/inventaire/catalogue.ttl", HTTP_HOST=host))
        seen |= set(identifiers([graph]))
        ours = [
            *graph.subjects(RDF.type, DCAT.Dataset),
            *graph.subjects(RDF.type, DCAT.Catalog),
            *graph.subjects(RDF.type, HYDRA.PartialCollectionView),
        ]
        assert len(ours) == 3
        assert all(str(s).startswith(SITE) for s in ours)
    assert seen == {f"{SITE}/inventaire/catalogue/{asset.pk}/"}


def test_each_format_is_a_resource_with_its_own_url_and_eu_code(anon_client, organization):
    names = ["CSV", "JSON-LD", "TTL", "API"]
    several = published(
        organization,
        url="https://data.exemple.gouv.fr/jeu#haut",
        formats=list(Format.objects.filter(name__in=names)),
    )
    single = published(
        organization,
        url="https://data.exemple.gouv.fr/autre",
        formats=[Format.objects.get(name="GeoJSON")],
    )
    graph = parse(anon_client.get("/inventaire/catalogue.ttl"))

    def resources(asset):
        ds = URIRef(f"{SITE}/inventaire/catalogue/{asset.pk}/")
        return {
            str(graph.value(d, DCAT.accessURL)): graph.value(d, DCTERMS.format)
            for d in graph.objects(ds, DCAT.distribution)
        }

    base = "https://data.exemple.gouv.fr/jeu"
    eu = "http://publications.europa.eu/resource/authority/file-type/"
    assert resources(several) == {
        f"{base}#format-csv": URIRef(eu + "CSV"),
        f"{base}#format-json-ld": URIRef(eu + "JSON_LD"),
        f"{base}#format-ttl": URIRef(eu + "RDF_TURTLE"),
        f"{base}#format-api": None,  # not a file type: no invented code
    }
    assert resources(single) == {"https://data.exemple.gouv.fr/autre": URIRef(eu + "GEOJSON")}


def test_an_entry_without_link_or_format_keeps_its_licence_and_a_public_landing_page(
    anon_client, organization
):
    licence = Licence.objects.filter(url__startswith="http").first()
    asset = published(organization, url="", licence=licence)
    graph = parse(anon_client.get("/inventaire/catalogue.ttl"))
    ds = URIRef(f"{SITE}/inventaire/catalogue/{asset.pk}/")
    assert list(graph.objects(ds, DCAT.distribution)) == []
    assert str(graph.value(ds, DCTERMS.license)) == licence.url
    landing = str(graph.value(ds, DCAT.landingPage))
    assert landing == str(ds)
    page = anon_client.get(local(landing))
    assert page.status_code == 200
    assert asset.title in page.content.decode()


def test_acronym_and_high_value_category_are_exported(anon_client, organization):
    category = HvdCategory.objects.get(code="STATISTICS")
    asset = published(organization, acronym="SIRENE", hvd_category=category)
    graph = parse(anon_client.get("/inventaire/catalogue.jsonld"), "json-ld")
    ds = URIRef(f"{SITE}/inventaire/catalogue/{asset.pk}/")
    assert str(graph.value(ds, SKOS.altLabel)) == "SIRENE"
    assert graph.value(ds, URIRef("http://data.europa.eu/r5r/hvdCategory")) == URIRef(
        "http://data.europa.eu/bna/c_e1da4e07"
    )
    assert graph.value(ds, URIRef("http://data.europa.eu/r5r/applicableLegislation")) == URIRef(
        "http://data.europa.eu/eli/reg_impl/2023/138/oj"
    )


def test_every_hvd_category_of_the_reference_table_has_its_eu_code():
    from datasets.exporting import HVD_CATEGORY_CODES

    assert set(HvdCategory.objects.values_list("code", flat=True)) == set(HVD_CATEGORY_CODES)


def test_every_format_of_the_reference_table_but_api_has_its_eu_code():
    from datasets.exporting import EU_FILE_TYPE_CODES

    missing = {
        name
        for name in Format.objects.values_list("name", flat=True)
        if name.upper() not in EU_FILE_TYPE_CODES
    }
    assert missing == {"API"}


def test_the_richer_catalogue_still_validates_against_dcat_ap(anon_client, organization):
    from pyshacl import validate

    from tests.datasets.test_export import SHARED

    published(
        organization,
        acronym="RNA",
        hvd_category=HvdCategory.objects.get(code="COMPANIES"),
        licence=Licence.objects.filter(url__startswith="http").first(),
        formats=list(Format.objects.filter(name__in=["CSV", "API", "JSON"])),
        first_published_at=datetime.date(2024, 3, 1),
    )
    published(organization, url="")
    shapes = Graph().parse(SHARED / "dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl", format="turtle")
    for path, fmt in (
        ("/inventaire/catalogue.ttl", "turtle"),
        ("/inventaire/catalogue.jsonld", "json-ld"),
    ):
        conforms, _, text = validate(
            parse(anon_client.get(path), fmt), shacl_graph=shapes, advanced=True
        )
        assert conforms, text


# --- The public page of a published entry ----------------------------------------------------


def test_the_public_page_shows_a_published_entry_to_anyone_escaped(anon_client, organization):
    asset = published(
        organization,
        title="Registre <script>alert(1)</script>",
        datagouv_dataset_id="5b7ffc618b4c4169d30727e0",
        formats=[Format.objects.get(name="CSV")],
    )
    response = anon_client.get(f"/inventaire/catalogue/{asset.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "Registre &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "https://www.data.gouv.fr/fr/datasets/5b7ffc618b4c4169d30727e0/" in text
    assert "Voir la fiche complète" not in text  # anonymous: no way into the inventory


def test_the_public_page_of_a_draft_or_a_missing_entry_is_404(
    anon_client, amd_client, organization
):
    draft = AssetFactory(organization=organization, visibility="DRAFT")
    for client in (anon_client, amd_client):  # not even for its own ministry: it is not public
        assert client.get(f"/inventaire/catalogue/{draft.pk}/").status_code == 404
        assert client.get("/inventaire/catalogue/999999/").status_code == 404
    assert anon_client.post(f"/inventaire/catalogue/{draft.pk}/").status_code == 405


def test_readers_of_the_inventory_get_a_link_to_the_full_entry(
    amd_client, organization, other_organization
):
    from administrators.models import Membership
    from tests.datasets.proposal_helpers import login, user_with

    mine = published(organization)
    theirs = published(other_organization)
    assert (
        "Voir la fiche complète"
        in amd_client.get(f"/inventaire/catalogue/{mine.pk}/").content.decode()
    )
    # A published entry of another ministry: its full entry is readable by the network's
    # readers, and so linked for them; not for an administrator of another ministry.
    other_admin = amd_client.get(f"/inventaire/catalogue/{theirs.pk}/").content.decode()
    network_reader = login(user_with(Membership.Role.VIEWER, None))
    reader = network_reader.get(f"/inventaire/catalogue/{theirs.pk}/").content.decode()
    assert "Voir la fiche complète" in reader
    assert network_reader.get(f"/inventaire/{theirs.pk}/").status_code == 200
    # An administrator of another ministry does not open the full entry: no link to it, and
    # its address leads them back to the public page (no loop between the two).
    response = amd_client.get(f"/inventaire/{theirs.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/inventaire/catalogue/{theirs.pk}/"
    assert "Voir la fiche complète" not in other_admin


def test_the_public_page_costs_the_same_queries_with_one_or_many_formats(anon_client, organization):
    one = published(organization, formats=[Format.objects.get(name="CSV")])
    many = published(organization, formats=list(Format.objects.all()[:8]))
    counts = []
    for asset in (one, many):
        with CaptureQueriesContext(connection) as ctx:
            assert anon_client.get(f"/inventaire/catalogue/{asset.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    # The entry with its organisation, ministry, licence and category, then its formats.
    assert counts == [2, 2]


def test_the_export_page_gives_the_address_to_declare_on_data_gouv_fr(amd_client, organization):
    text = amd_client.get("/inventaire/export/").content.decode()
    assert f"{SITE}/inventaire/catalogue.jsonld?moissonnage=1" in text
    assert settings.SITE_URL.startswith(SITE)


def test_an_organisation_is_named_without_a_dead_link(anon_client, organization):
    # The publisher is a blank node carrying the organisation's name.
    published(organization)
    graph = parse(anon_client.get("/inventaire/catalogue.ttl"))
    publishers = set(graph.objects(None, DCTERMS.publisher))
    named = {str(graph.value(p, URIRef("http://xmlns.com/foaf/0.1/name"))) for p in publishers}
    assert organization.name in named
    assert not [p for p in publishers if isinstance(p, URIRef) and "/organisations/" in str(p)]


def test_the_public_page_shows_what_the_catalogue_says(anon_client, organization):
    """Service without e-mail, licence without address, data.gouv.fr dataset: on the page
    and in the catalogue alike."""
    licence = Licence.objects.create(name="Licence maison", url="")
    asset = published(
        organization,
        service="Bureau des archives",
        contact_service="",
        contact_person="",
        licence=licence,
        datagouv_dataset_id="5b7ffc618b4c4169d30727e0",
    )
    page = anon_client.get(f"/inventaire/catalogue/{asset.pk}/").content.decode()
    graph = parse(anon_client.get("/inventaire/catalogue.ttl"))
    ds = URIRef(f"{SITE}/inventaire/catalogue/{asset.pk}/")
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    contact = graph.value(ds, DCAT.contactPoint)
    assert str(graph.value(contact, vcard.fn)) == "Bureau des archives" in page
    assert graph.value(contact, vcard.hasEmail) is None
    assert str(graph.value(graph.value(ds, DCTERMS.license), DCTERMS.title)) == "Licence maison"
    assert "Licence maison" in page
    dataset = "https://www.data.gouv.fr/fr/datasets/5b7ffc618b4c4169d30727e0/"
    assert str(graph.value(ds, DCTERMS.isReferencedBy)) == dataset and dataset in page


def test_the_harvest_catalogue_holds_open_data_only_and_says_who_may_access_what(
    anon_client, organization
):
    from datasets.models import OpenByDefaultAssessment

    statuses = {
        "PUBLISHED": "PUBLIC",
        "PUBLISHED_AFTER_OCCULTATION": "PUBLIC",
        "NOT_COMMUNICABLE": "NON_PUBLIC",
        "TO_PUBLISH": None,
        "TO_ASSESS": None,
    }
    assets = {}
    for status in statuses:
        asset = published(organization)
        OpenByDefaultAssessment.objects.filter(asset=asset).update(status=status)
        assets[status] = asset
    graph = parse(anon_client.get("/inventaire/catalogue.ttl"))
    eu = "http://publications.europa.eu/resource/authority/access-right/"
    for status, right in statuses.items():
        ds = URIRef(f"{SITE}/inventaire/catalogue/{assets[status].pk}/")
        got = graph.value(ds, DCTERMS.accessRights)
        assert got == (URIRef(eu + right) if right else None), status
    harvested = identifiers(harvest(anon_client, "/inventaire/catalogue.ttl?moissonnage=1"))
    assert sorted(harvested) == sorted(
        f"{SITE}/inventaire/catalogue/{assets[s].pk}/"
        for s in ("PUBLISHED", "PUBLISHED_AFTER_OCCULTATION")
    )
    page = anon_client.get(f"/inventaire/catalogue/{assets['NOT_COMMUNICABLE'].pk}/")
    assert "Non publique" in page.content.decode()
