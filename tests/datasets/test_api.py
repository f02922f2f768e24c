"""REST API v1 of the inventory: permission matrix, filters, search, locking, query counts."""

import pytest
from rest_framework.test import APIClient

from core.models import LegalGround
from datasets.models import AssessmentHistory, DataAsset, OpenByDefaultAssessment
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory, ExtraFieldFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


@pytest.fixture
def own_asset(organization):
    return AssetFactory(organization=organization, visibility="DRAFT")


@pytest.fixture
def other_asset(other_organization):
    return AssetFactory(organization=other_organization, visibility="PUBLISHED")


@pytest.fixture
def other_draft(other_organization):
    return AssetFactory(organization=other_organization, visibility="DRAFT")


def _token_client(user, *, can_write):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, can_write=can_write)}")
    return client


@pytest.fixture
def ministry_viewer_client(ministry_viewer_user):
    client = APIClient()
    client.force_login(ministry_viewer_user)
    return client


@pytest.fixture
def write_token_client(amd_user):
    return _token_client(amd_user, can_write=True)


READ_MATRIX = [
    ("anon_client", "own", 401),
    ("plain_client", "own", 404),
    ("amd_client", "own", 200),
    ("amd_client", "other", 404),
    ("correspondent_client", "own", 200),
    ("correspondent_client", "other", 404),
    ("viewer_client", "own", 404),  # network viewer: published entries only; own_asset is a draft
    ("viewer_client", "other", 200),
    ("viewer_client", "other_draft", 404),
    ("trainer_client", "own", 404),
    ("agd_client", "own", 200),
    ("agd_client", "other_draft", 200),
    ("dinum_client", "other", 200),
    ("api_client", "own", 200),
    ("api_client", "other", 404),
]


@pytest.mark.parametrize(("client_name", "which", "expected"), READ_MATRIX)
def test_detail_read_matrix(
    request, client_name, which, expected, own_asset, other_asset, other_draft
):
    client = request.getfixturevalue(client_name)
    target = {"own": own_asset, "other": other_asset, "other_draft": other_draft}[which]
    assert client.get(f"{URL}{target.pk}/").status_code == expected
    assert client.get(f"{URL}{target.pk}/history/").status_code == expected
    assert client.get(f"{URL}{target.pk}/qualification/").status_code == expected


WRITE_MATRIX = [
    ("anon_client", "own", 401),
    ("plain_client", "own", 404),
    ("amd_client", "own", 200),
    ("amd_client", "other", 404),
    ("correspondent_client", "own", 200),
    ("correspondent_client", "sibling", 403),
    ("viewer_client", "other", 403),
    ("trainer_client", "own", 404),
    ("agd_client", "other", 200),
    ("api_client", "own", 403),  # read-only token
    ("write_token_client", "own", 200),
    ("write_token_client", "other", 404),
]


@pytest.mark.parametrize(("client_name", "which", "expected"), WRITE_MATRIX)
def test_patch_matrix(request, client_name, which, expected, own_asset, other_asset, ministry):
    client = request.getfixturevalue(client_name)
    sibling = AssetFactory(organization=OrganizationFactory(ministry=ministry))
    target = {"own": own_asset, "other": other_asset, "sibling": sibling}[which]
    response = client.patch(f"{URL}{target.pk}/", {"title": "Nouveau", "version": 1}, format="json")
    assert response.status_code == expected
    target.refresh_from_db()
    assert (target.title == "Nouveau") is (expected == 200)


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 401),
        ("plain_client", 404),
        ("amd_client", 204),
        ("correspondent_client", 204),
        ("viewer_client", 404),  # a draft is not visible outside its ministry
        ("ministry_viewer_client", 403),
        ("api_client", 403),
        ("write_token_client", 204),
    ],
)
def test_delete_matrix(request, client_name, expected, own_asset):
    client = request.getfixturevalue(client_name)
    response = client.delete(f"{URL}{own_asset.pk}/?version={own_asset.version}")
    assert response.status_code == expected
    assert DataAsset.objects.filter(pk=own_asset.pk).exists() is (expected != 204)


def test_delete_needs_the_version_read_and_refuses_a_stale_one(amd_client, amd_user, own_asset):
    from datasets import services

    missing = amd_client.delete(f"{URL}{own_asset.pk}/")
    assert missing.status_code == 400
    assert "Indiquez la version lue de l'entrée" in missing.json()["version"][0]
    services.asset_update(actor=amd_user, asset=own_asset, data={"title": "T2"}, expected_version=1)
    stale = amd_client.delete(f"{URL}{own_asset.pk}/?version=1")
    assert stale.status_code == 409 and "modifiée" in stale.json()["detail"]
    assert DataAsset.objects.filter(pk=own_asset.pk).exists()
    assert amd_client.delete(f"{URL}{own_asset.pk}/?version=2").status_code == 204


def test_list_is_scoped_and_drafts_stay_in_their_ministry(
    amd_client, viewer_client, own_asset, other_asset, other_draft
):
    ids = {row["id"] for row in amd_client.get(URL).json()["results"]}
    assert ids == {own_asset.pk}
    ids = {row["id"] for row in viewer_client.get(URL).json()["results"]}
    assert ids == {other_asset.pk}


def test_create_takes_ministry_from_organization(amd_client, organization, other_ministry):
    payload = {
        "organization": organization.pk,
        "ministry": other_ministry.pk,
        "title": "Base des cartes grises",
        "description": "Système d'immatriculation des véhicules",
        "asset_type": "BASE_DE_DONNEES",
        "formats": ["CSV"],
        "keywords": ["véhicules"],
    }
    response = amd_client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["ministry"] == organization.ministry_id


def test_create_in_other_ministry_organization_is_refused(amd_client, other_organization):
    response = amd_client.post(
        URL,
        {
            "organization": other_organization.pk,
            "title": "x",
            "description": "y",
            "asset_type": "API",
        },
        format="json",
    )
    assert response.status_code == 400
    assert DataAsset.objects.count() == 0


def test_javascript_url_is_refused_in_french(amd_client, own_asset):
    response = amd_client.patch(
        f"{URL}{own_asset.pk}/", {"url": "javascript:alert(1)", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "http://" in response.json()["url"][0]


def test_stale_version_answers_409_and_keeps_first_update(amd_client, own_asset):
    first = amd_client.patch(
        f"{URL}{own_asset.pk}/", {"title": "Premier", "version": 1}, format="json"
    )
    assert first.status_code == 200
    second = amd_client.patch(
        f"{URL}{own_asset.pk}/", {"title": "Second", "version": 1}, format="json"
    )
    assert second.status_code == 409
    assert "entre-temps" in second.json()["detail"]
    own_asset.refresh_from_db()
    assert own_asset.title == "Premier"


def test_update_without_version_is_refused(amd_client, own_asset):
    response = amd_client.patch(f"{URL}{own_asset.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def test_search_and_filters(amd_client, organization):
    AssetFactory(
        organization=organization, title="Registre des associations", asset_type="REFERENTIEL"
    )
    AssetFactory(
        organization=organization,
        title="Fichier des véhicules",
        description="Immatriculations",
        service="Service des immatriculations",
        keywords=["véhicules"],
        asset_type="BASE_DE_DONNEES",
    )
    titles = [r["title"] for r in amd_client.get(URL, {"q": "associations"}).json()["results"]]
    assert titles == ["Registre des associations"]
    titles = [
        r["title"] for r in amd_client.get(URL, {"asset_type": "BASE_DE_DONNEES"}).json()["results"]
    ]
    assert titles == ["Fichier des véhicules"]


def test_cursor_pagination(amd_client, organization):
    AssetFactory.create_batch(3, organization=organization)
    page = amd_client.get(URL, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = amd_client.get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_qualification_put_validates_rules_and_records_history(amd_client, own_asset):
    url = f"{URL}{own_asset.pk}/qualification/"
    bad = amd_client.put(
        url, {"status": "NOT_COMMUNICABLE", "obligation_basis": "NONE", "version": 1}, format="json"
    )
    assert bad.status_code == 400
    assert "grounds" in bad.json()
    good = amd_client.put(
        url,
        {
            "status": "NOT_COMMUNICABLE",
            "obligation_basis": "L312_1_1_3_DATABASES",
            "grounds": [
                {
                    "code": "L311_5_2D_SECURITE_SI",
                    "justification_internal": "Architecture du SI",
                    "public_motive": "Sécurité des SI",
                }
            ],
            "version": 1,
        },
        format="json",
    )
    assert good.status_code == 200, good.json()
    assert good.json()["grounds"][0]["code"] == "L311_5_2D_SECURITE_SI"
    assert AssessmentHistory.objects.filter(asset=own_asset).count() == 1
    history = amd_client.get(f"{URL}{own_asset.pk}/history/").json()
    assert history[0]["data"]["grounds"][0]["justification_internal"] == "Architecture du SI"


def test_internal_justification_hidden_from_correspondent_and_viewer(
    amd_user, correspondent_client, own_asset
):
    from datasets.services import asset_qualify
    from datasets.validation import GroundInput, QualificationInput

    asset_qualify(
        actor=amd_user,
        asset=own_asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE"),
                    justification_internal="SECRET-INTERNE",
                    public_motive="Vie privée",
                )
            ],
        ),
    )
    body = correspondent_client.get(f"{URL}{own_asset.pk}/qualification/").content.decode()
    assert "SECRET-INTERNE" not in body and "Vie privée" in body
    body = correspondent_client.get(f"{URL}{own_asset.pk}/history/").content.decode()
    assert "SECRET-INTERNE" not in body


def test_extra_fields_api(amd_client, correspondent_client, ministry, other_ministry):
    ExtraFieldFactory(ministry=other_ministry, code="autre")
    created = amd_client.post(
        "/api/v1/datasets/extra-fields/",
        {
            "code": "sensibilite",
            "label": "Sensibilité",
            "kind": "CHOICE",
            "choices": ["Faible", "Forte"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["ministry"] == ministry.pk
    codes = [d["code"] for d in amd_client.get("/api/v1/datasets/extra-fields/").json()]
    assert codes == ["sensibilite"]
    pk = created.json()["id"]
    assert correspondent_client.delete(f"/api/v1/datasets/extra-fields/{pk}/").status_code == 403
    # Retiring a field, like deleting an entry, needs the version read (an edit since: 409).
    missing = amd_client.delete(f"/api/v1/datasets/extra-fields/{pk}/")
    assert missing.status_code == 400
    assert "Indiquez la version lue du champ" in missing.json()["version"][0]
    version = created.json()["version"]
    assert (
        amd_client.delete(f"/api/v1/datasets/extra-fields/{pk}/?version={version}").status_code
        == 204
    )
    assert amd_client.get("/api/v1/datasets/extra-fields/").json()[0]["is_active"] is False
    other = amd_client.post(
        f"/api/v1/datasets/extra-fields/?ministry={other_ministry.pk}",
        {"code": "x", "label": "X", "kind": "TEXT"},
        format="json",
    )
    assert other.status_code == 404


@pytest.mark.parametrize("rows", [1, 12])
def test_list_query_count_is_flat(rows, amd_client, organization, django_assert_num_queries):
    AssetFactory.create_batch(rows, organization=organization)
    amd_client.get(URL)  # warm the session
    # session, user, roles (2), entries with their joins, formats
    with django_assert_num_queries(6):
        assert amd_client.get(URL).status_code == 200


@pytest.mark.parametrize("rows", [1, 12])
def test_search_query_count_is_flat(rows, amd_client, organization, django_assert_num_queries):
    AssetFactory.create_batch(rows, organization=organization, title="Registre des élus")
    amd_client.get(URL)
    with django_assert_num_queries(6):
        response = amd_client.get(URL, {"q": "élus"})
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("grounds", [1, 4])
def test_detail_and_history_query_counts_are_flat(
    grounds, amd_user, amd_client, own_asset, django_assert_num_queries
):
    from datasets.services import asset_qualify
    from datasets.validation import GroundInput, QualificationInput

    codes = list(
        LegalGround.objects.filter(regime="ABSOLU", requires_sub_reference=False)[:grounds]
    )
    for _ in range(grounds):
        asset_qualify(
            actor=amd_user,
            asset=own_asset,
            qualification=QualificationInput(
                status="NOT_COMMUNICABLE",
                decided_by=f"AMD {_}",
                grounds=[GroundInput(ground=g, justification_internal="j") for g in codes],
            ),
        )
    amd_client.get(URL)
    with django_assert_num_queries(6):
        assert amd_client.get(f"{URL}{own_asset.pk}/").status_code == 200
    with django_assert_num_queries(7):
        assert amd_client.get(f"{URL}{own_asset.pk}/history/").status_code == 200
    with django_assert_num_queries(9):
        assert amd_client.get(f"{URL}{own_asset.pk}/qualification/").status_code == 200


def test_openapi_schema_lists_inventory_endpoints(amd_client):
    schema = amd_client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/datasets/",
        "/api/v1/datasets/{id}/",
        "/api/v1/datasets/{id}/history/",
        "/api/v1/datasets/{id}/qualification/",
        "/api/v1/datasets/extra-fields/",
    ):
        assert path in schema["paths"], path


def test_assessment_row_exists_for_every_entry_created_through_api(amd_client, organization):
    amd_client.post(
        URL,
        {"organization": organization.pk, "title": "t", "description": "d", "asset_type": "API"},
        format="json",
    )
    assert OpenByDefaultAssessment.objects.count() == DataAsset.objects.count() == 1


def test_extra_field_filter_and_value_in_api(amd_client, organization, ministry):
    ExtraFieldFactory(
        ministry=ministry, code="sensibilite", kind="CHOICE", choices=["Faible", "Forte"]
    )
    AssetFactory(organization=organization, title="A", extra={"sensibilite": "Forte"})
    AssetFactory(organization=organization, title="B", extra={"sensibilite": "Faible"})
    rows = amd_client.get(URL, {"extra.sensibilite": "Forte"}).json()["results"]
    assert [(r["title"], r["extra"]) for r in rows] == [("A", {"sensibilite": "Forte"})]


def test_correspondent_put_keeps_the_hidden_justification(
    amd_user, correspondent_client, own_asset
):
    from datasets.services import asset_qualify
    from datasets.validation import GroundInput, QualificationInput

    asset_qualify(
        actor=amd_user,
        asset=own_asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE"),
                    justification_internal="SECRET-INTERNE",
                )
            ],
        ),
    )
    url = f"{URL}{own_asset.pk}/qualification/"
    body = correspondent_client.get(url).json()
    body["grounds"][0]["public_motive"] = "Vie privée"
    # A correspondent's PUT is a proposal (DOMAIN §4.18): 202, applied once accepted.
    response = correspondent_client.put(url, body, format="json")
    assert response.status_code == 202, response.json()
    assert "SECRET-INTERNE" not in response.content.decode()
    from datasets.models import QualificationProposal
    from datasets.proposals import proposal_accept

    proposal = QualificationProposal.objects.get(pk=response.json()["id"])
    assert (
        OpenByDefaultAssessment.objects.get(asset=own_asset).ground_links.get().public_motive == ""
    )
    proposal_accept(actor=amd_user, proposal=proposal)
    link = OpenByDefaultAssessment.objects.get(asset=own_asset).ground_links.get()
    assert link.justification_internal == "SECRET-INTERNE"
    assert link.public_motive == "Vie privée"


@pytest.mark.parametrize("rows", [1, 10])
def test_extra_field_list_query_count_is_flat(
    rows, amd_client, ministry, django_assert_num_queries
):
    for i in range(rows):
        ExtraFieldFactory(ministry=ministry, code=f"c{i}")
    amd_client.get(URL)
    with django_assert_num_queries(5):  # session, user, roles (2), definitions
        assert len(amd_client.get("/api/v1/datasets/extra-fields/").json()) == rows


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 401),
        ("api_client", 403),
        ("correspondent_client", 403),
        ("viewer_client", 403),
        ("write_token_client", 201),
        ("dinum_client", 400),
    ],  # DINUM must name the ministry in the URL
)
def test_extra_field_create_matrix(request, client_name, expected, ministry):
    response = request.getfixturevalue(client_name).post(
        "/api/v1/datasets/extra-fields/", {"code": "x", "label": "X", "kind": "TEXT"}, format="json"
    )
    assert response.status_code == expected
