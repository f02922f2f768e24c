"""REST API v1 of the network: permission matrix, scoping, filters, writes through services."""

import datetime

import pytest
from rest_framework.test import APIClient

from administrators.models import DataAdministrator, Ministry, Organization
from core.models import ApiToken, AuditEntry
from tests.conftest import make_token
from tests.factories import MandateFactory, OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _token_client(user, *, can_write=False):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, can_write=can_write)}")
    return client


@pytest.fixture
def dinum_write_token_client(dinum_user):
    return _token_client(dinum_user, can_write=True)


@pytest.fixture
def dinum_read_token_client(dinum_user):
    return _token_client(dinum_user)


@pytest.fixture
def amd_write_token_client(amd_user):
    return _token_client(amd_user, can_write=True)


@pytest.fixture
def data(ministry, other_ministry, organization, other_organization):
    return {
        "mandate": MandateFactory(ministry=ministry),
        "other_mandate": MandateFactory(ministry=other_ministry),
    }


CLIENTS = [
    "anon_client",
    "plain_client",
    "amd_client",
    "correspondent_client",
    "viewer_client",
    "trainer_client",
    "dinum_client",
    "api_client",  # read-only token of the ministry administrator
    "network_api_client",  # read-only token of a network viewer
    "dinum_read_token_client",
    "dinum_write_token_client",
    "amd_write_token_client",
]
# How many of the two ministries each caller sees in a list (None: refused).
LIST_SCOPE = [None, 0, 1, 1, 2, 0, 2, 1, 2, 2, 2, 1]
# Status of a write (POST on the list) per caller.
WRITE_STATUS = [401, 403, 403, 403, 403, 403, 201, 403, 403, 403, 201, 403]


def _list_result(response):
    if response.status_code != 200:
        return response.status_code
    return response.json()["count"]


@pytest.mark.parametrize("endpoint", ["ministries", "organizations", "mandates"])
def test_list_permission_matrix(request, data, endpoint):
    """Every caller in one test: 401 for anonymous, else how many of the two ministries' rows."""
    got = {
        name: _list_result(request.getfixturevalue(name).get(f"/api/v1/{endpoint}/"))
        for name in CLIENTS
    }
    expected = {name: 401 if scope is None else scope for name, scope in zip(CLIENTS, LIST_SCOPE)}
    assert got == expected


DETAIL_EXPECTED = {None: (401, 401), 0: (404, 404), 1: (200, 404), 2: (200, 200)}


@pytest.mark.parametrize("endpoint", ["ministries", "organizations", "mandates"])
def test_detail_of_own_and_other_ministry(request, data, ministry, other_ministry, endpoint):
    if endpoint == "ministries":
        own, other = ministry.pk, other_ministry.pk
    elif endpoint == "organizations":
        own = Organization.objects.get(ministry=ministry).pk
        other = Organization.objects.get(ministry=other_ministry).pk
    else:
        own, other = data["mandate"].pk, data["other_mandate"].pk
    got = {}
    for name in CLIENTS:
        client = request.getfixturevalue(name)
        got[name] = (
            client.get(f"/api/v1/{endpoint}/{own}/").status_code,
            client.get(f"/api/v1/{endpoint}/{other}/").status_code,
        )
    assert got == {name: DETAIL_EXPECTED[scope] for name, scope in zip(CLIENTS, LIST_SCOPE)}


def test_write_permission_matrix(request, ministry):
    got, created = {}, {}
    for idx, name in enumerate(CLIENTS):
        response = request.getfixturevalue(name).post(
            "/api/v1/organizations/",
            {"ministry": ministry.pk, "name": f"Service créé {idx}", "kind": "SCN"},
            format="json",
        )
        got[name] = response.status_code
        created[name] = Organization.objects.filter(name=f"Service créé {idx}").exists()
    assert got == dict(zip(CLIENTS, WRITE_STATUS, strict=True))
    assert created == {name: status == 201 for name, status in zip(CLIENTS, WRITE_STATUS)}


def test_read_only_token_message_is_french(api_client, ministry):
    response = api_client.patch(
        f"/api/v1/ministries/{ministry.pk}/", {"prada_name": "X"}, format="json"
    )
    assert response.status_code == 403
    assert "lecture" in response.json()["detail"]


def test_revoked_and_unknown_tokens_are_refused(amd_user):
    client = _token_client(amd_user)
    ApiToken.objects.filter(user=amd_user).update(revoked_at=datetime.datetime.now(datetime.UTC))
    response = client.get("/api/v1/ministries/")
    assert response.status_code == 401 and "révoqué" in response.json()["detail"]
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Token amd_inconnu_secret")
    assert unknown.get("/api/v1/ministries/").status_code == 401


# --- writes -------------------------------------------------------------------------------------


def test_second_titular_through_the_api_is_refused_in_french(
    dinum_write_token_client, data, ministry
):
    before = DataAdministrator.objects.count()
    response = dinum_write_token_client.post(
        "/api/v1/mandates/",
        {
            "ministry": ministry.pk,
            "role": "AMD_TITULAIRE",
            "appointment_date": "2025-01-01",
            "person": {"email": "api@exemple.gouv.fr", "first_name": "A", "last_name": "B"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "déjà un administrateur ministériel des données titulaire" in str(response.json())
    assert DataAdministrator.objects.count() == before


def test_mandate_is_created_then_ended_through_the_api(dinum_write_token_client, ministry):
    response = dinum_write_token_client.post(
        "/api/v1/mandates/",
        {
            "ministry": ministry.pk,
            "role": "AMD_TITULAIRE",
            "appointment_date": "2025-01-01",
            "person": {"email": "api@exemple.gouv.fr", "first_name": "A", "last_name": "B"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["person"]["email"] == "api@exemple.gouv.fr"
    bad = dinum_write_token_client.post(
        f"/api/v1/mandates/{pk}/end/", {"end_date": "2024-12-31"}, format="json"
    )
    assert bad.status_code == 400 and "précède" in str(bad.json())
    ok = dinum_write_token_client.post(
        f"/api/v1/mandates/{pk}/end/", {"end_date": "2025-06-30"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["end_date"] == "2025-06-30"
    assert AuditEntry.objects.filter(action="mandate.ended", object_id=str(pk)).exists()


def test_malformed_siret_through_the_api_is_refused(dinum_write_token_client, ministry):
    response = dinum_write_token_client.post(
        "/api/v1/organizations/",
        {"ministry": ministry.pk, "name": "Mauvais SIRET", "siret": "12345678901234"},
        format="json",
    )
    assert response.status_code == 400
    assert "clé de contrôle incorrecte" in str(response.json()["siret"])
    assert not Organization.objects.filter(name="Mauvais SIRET").exists()


def test_parent_from_another_ministry_in_the_body_is_refused(
    dinum_write_token_client, ministry, other_organization
):
    response = dinum_write_token_client.post(
        "/api/v1/organizations/",
        {"ministry": ministry.pk, "name": "Intrus", "parent": other_organization.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "même ministère" in str(response.json())


def test_organisation_cannot_be_moved_to_another_ministry(
    dinum_write_token_client, organization, other_ministry
):
    response = dinum_write_token_client.patch(
        f"/api/v1/organizations/{organization.pk}/", {"ministry": other_ministry.pk}, format="json"
    )
    assert response.status_code == 400
    organization.refresh_from_db()
    assert organization.ministry_id != other_ministry.pk


def test_ministry_patch_is_audited(dinum_write_token_client, ministry, dinum_user):
    response = dinum_write_token_client.patch(
        f"/api/v1/ministries/{ministry.pk}/", {"dpo_name": "Dominique DPO"}, format="json"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="ministry.updated")
    assert entry.actor == dinum_user and entry.changes == {"dpo_name": ["", "Dominique DPO"]}
    # Answered as a read gives it (schemathesis: null after a write, a boolean on GET).
    assert response.json()["has_current_titular"] is False


def test_end_before_start_on_ministry_is_refused(dinum_write_token_client, ministry):
    response = dinum_write_token_client.patch(
        f"/api/v1/ministries/{ministry.pk}/",
        {"valid_from": "2020-01-01", "valid_to": "2019-01-01"},
        format="json",
    )
    assert response.status_code == 400
    ministry.refresh_from_db()
    assert ministry.valid_to is None


def test_delete_is_not_offered(dinum_write_token_client, ministry):
    response = dinum_write_token_client.delete(f"/api/v1/ministries/{ministry.pk}/")
    assert response.status_code == 405
    assert Ministry.objects.filter(pk=ministry.pk).exists()


# --- filters ------------------------------------------------------------------------------------


def test_mandate_filters(viewer_client, ministry, other_ministry):
    MandateFactory(ministry=ministry, person=PersonFactory(last_name="Durand"))
    MandateFactory(
        ministry=ministry,
        role="AMD_ADJOINT",
        appointment_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2020, 1, 1),
    )
    MandateFactory(ministry=other_ministry, role="CORRESPONDANT_DIRECTION")

    def ids(query):
        return {
            row["role"] for row in viewer_client.get(f"/api/v1/mandates/?{query}").json()["results"]
        }

    assert ids(f"ministry={ministry.pk}") == {"AMD_TITULAIRE", "AMD_ADJOINT"}
    assert ids(f"ministry_code={ministry.code}&current=true") == {"AMD_TITULAIRE"}
    assert ids("current=false") == {"AMD_ADJOINT"}
    assert ids("role=CORRESPONDANT_DIRECTION") == {"CORRESPONDANT_DIRECTION"}
    assert ids("search=durand") == {"AMD_TITULAIRE"}


def test_organization_filters(viewer_client, ministry, organization):
    child = OrganizationFactory(ministry=ministry, parent=organization, kind="EPA", siret="")
    Organization.objects.filter(pk=child.pk).update(siret="13002526500013")

    def names(query):
        return {
            r["name"]
            for r in viewer_client.get(f"/api/v1/organizations/?{query}").json()["results"]
        }

    assert names("kind=EPA") == {child.name}
    assert names("siret=13002526500013") == {child.name}
    assert names(f"parent={organization.pk}") == {child.name}
    assert names("root=true") == {organization.name}
    assert names("search=libertés") == {organization.name}
    assert viewer_client.get("/api/v1/organizations/?kind=INCONNU").status_code == 400


def test_ministry_filters(viewer_client, ministry, other_ministry):
    Ministry.objects.filter(pk=other_ministry.pk).update(valid_to=datetime.date(2020, 1, 1))
    MandateFactory(ministry=ministry)

    def codes(query):
        return {
            r["code"] for r in viewer_client.get(f"/api/v1/ministries/?{query}").json()["results"]
        }

    assert codes("current=true") == {"interieur"}
    assert codes("current=false") == {"culture"}
    assert codes("search=cult") == {"culture"}
    rows = viewer_client.get("/api/v1/ministries/?code=interieur").json()["results"]
    assert rows[0]["has_current_titular"] is True


def test_pagination(viewer_client, ministry):
    OrganizationFactory.create_batch(3, ministry=ministry)
    body = viewer_client.get("/api/v1/organizations/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_schema_generates_and_lists_the_network_endpoints(viewer_client):
    response = viewer_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/ministries/", "/api/v1/organizations/", "/api/v1/mandates/{id}/end/"]:
        assert path in paths
    params = {p["name"] for p in paths["/api/v1/mandates/"]["get"]["parameters"]}
    assert {"ministry", "role", "current", "search", "page"} <= params
