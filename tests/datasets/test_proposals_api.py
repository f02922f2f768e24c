"""REST API of the qualification proposals: a correspondent's PUT is a proposal (202), the
administrators read, accept and reject them; permission matrix, scoping, schema, query counts."""

import datetime

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry, LegalGround
from datasets import proposals, services
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from datasets.validation import GroundInput, QualificationInput
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import (
    propose,
    to_publish,
    version_of,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/qualification-proposals/"


def _token(user, *, can_write):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, can_write=can_write)}")
    return client


@pytest.fixture
def write_token_client(amd_user):
    return _token(amd_user, can_write=True)


@pytest.fixture
def pending(correspondent_user, asset):
    return propose(correspondent_user, asset, comment="Prêt")


# --- PUT qualification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "status", "proposed", "applied"),
    [
        ("anon_client", 401, False, False),
        ("other_amd_client", 404, False, False),
        ("ministry_viewer_client", 403, False, False),
        ("sibling_correspondent_client", 403, False, False),
        ("correspondent_client", 202, True, False),
        ("amd_client", 200, False, True),
        ("dinum_client", 200, False, True),
        ("api_client", 403, False, False),  # read-only token
        ("write_token_client", 200, False, True),
    ],
)
def test_put_qualification_matrix(request, client_name, status, proposed, applied, asset):
    response = request.getfixturevalue(client_name).put(
        f"/api/v1/datasets/{asset.pk}/qualification/",
        {"status": "TO_PUBLISH", "planned_date": "2030-01-15", "version": version_of(asset)},
        format="json",
    )
    assert response.status_code == status, response.content[:500]
    assert QualificationProposal.objects.filter(asset=asset).exists() is proposed
    assert (OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_PUBLISH") is applied


def test_a_correspondents_put_answers_the_proposal(correspondent_client, asset):
    response = correspondent_client.put(
        f"/api/v1/datasets/{asset.pk}/qualification/",
        {"status": "TO_PUBLISH", "planned_date": "2030-01-15", "version": version_of(asset)},
        format="json",
    )
    body = response.json()
    assert response.status_code == 202
    assert body["status"] == "PENDING"
    assert body["state"]["status"] == "TO_PUBLISH"
    assert body["asset"] == asset.pk and body["stale"] is False
    assert body["id"] == QualificationProposal.objects.get().pk


def test_a_bad_proposal_answers_400_in_french_and_writes_nothing(correspondent_client, asset):
    audits = AuditEntry.objects.count()
    response = correspondent_client.put(
        f"/api/v1/datasets/{asset.pk}/qualification/",
        {"status": "NOT_COMMUNICABLE", "version": version_of(asset)},
        format="json",
    )
    assert response.status_code == 400
    assert "Non communicable" in " ".join(response.json()["grounds"])
    assert not QualificationProposal.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_a_stale_put_by_a_correspondent_answers_409(correspondent_client, amd_user, asset):
    read = version_of(asset)
    services.asset_qualify(actor=amd_user, asset=asset, qualification=to_publish())
    response = correspondent_client.put(
        f"/api/v1/datasets/{asset.pk}/qualification/",
        {"status": "TO_PUBLISH", "planned_date": "2031-01-15", "version": read},
        format="json",
    )
    assert response.status_code == 409
    assert "modifiée" in response.json()["detail"]
    assert not QualificationProposal.objects.exists()


# --- Read ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "list_sees", "detail_status"),
    [
        ("anon_client", None, 401),
        ("other_amd_client", False, 404),
        ("ministry_viewer_client", False, 404),
        ("sibling_correspondent_client", False, 404),
        ("correspondent_client", True, 200),
        ("amd_client", True, 200),
        ("dinum_client", True, 200),
        ("api_client", True, 200),
    ],
)
def test_read_matrix(request, client_name, list_sees, detail_status, pending):
    client = request.getfixturevalue(client_name)
    listed = client.get(URL)
    if list_sees is None:
        assert listed.status_code == 401
    else:
        assert listed.status_code == 200
        assert (pending.pk in [r["id"] for r in listed.json()["results"]]) is list_sees
    assert client.get(f"{URL}{pending.pk}/").status_code == detail_status


def test_internal_justifications_only_for_administrators(
    correspondent_user, correspondent_client, amd_client, asset
):
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    proposal = propose(
        correspondent_user,
        asset,
        QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[GroundInput(ground=ground, justification_internal="SECRET-INTERNE")],
        ),
    )
    assert "SECRET-INTERNE" not in correspondent_client.get(f"{URL}{proposal.pk}/").content.decode()
    assert "SECRET-INTERNE" in amd_client.get(f"{URL}{proposal.pk}/").content.decode()


def test_list_filters(amd_client, amd_user, correspondent_user, organization, pending):
    other = AssetFactory(organization=organization)
    proposals.proposal_reject(
        actor=amd_user, proposal=propose(correspondent_user, other), reason="Non"
    )
    ids = [r["id"] for r in amd_client.get(URL, {"status": "PENDING"}).json()["results"]]
    assert ids == [pending.pk]
    ids = [r["id"] for r in amd_client.get(URL, {"asset": other.pk}).json()["results"]]
    assert len(ids) == 1 and ids[0] != pending.pk
    assert amd_client.get(URL, {"status": "NIMPORTE"}).status_code == 400
    assert amd_client.get(URL, {"ministry": "abc"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 15])
def test_list_query_count_is_flat(
    rows, amd_client, correspondent_user, organization, django_assert_num_queries
):
    for _ in range(rows):
        propose(correspondent_user, AssetFactory(organization=organization))
    amd_client.get(URL)
    with django_assert_num_queries(5):  # session, user, roles (2), page
        response = amd_client.get(URL)
    assert len(response.json()["results"]) == rows


def test_the_schema_lists_the_proposal_endpoints(amd_client):
    schema = amd_client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        URL,
        URL + "{id}/",
        URL + "{id}/accept/",
        URL + "{id}/reject/",
        URL + "{id}/withdraw/",
    ):
        assert path in schema["paths"], path
    put = schema["paths"]["/api/v1/datasets/{id}/qualification/"]["put"]
    assert {"200", "202"} <= set(put["responses"])


# --- Decisions ----------------------------------------------------------------------------------

DECIDE_MATRIX = [
    ("anon_client", 401),
    ("other_amd_client", 404),
    ("ministry_viewer_client", 404),
    ("sibling_correspondent_client", 404),
    ("correspondent_client", 403),
    ("api_client", 403),  # read-only token
    ("amd_client", 200),
    ("dinum_client", 200),
    ("write_token_client", 200),
]


@pytest.mark.parametrize(("client_name", "status"), DECIDE_MATRIX)
def test_accept_matrix(request, client_name, status, pending):
    response = request.getfixturevalue(client_name).post(
        f"{URL}{pending.pk}/accept/", {"comment": "Vu"}, format="json"
    )
    assert response.status_code == status
    pending.refresh_from_db()
    assert (pending.status == "ACCEPTED") is (status == 200)
    applied = OpenByDefaultAssessment.objects.get(asset_id=pending.asset_id).status == "TO_PUBLISH"
    assert applied is (status == 200)
    if status == 200:
        assert response.json()["status"] == "ACCEPTED"


@pytest.mark.parametrize(("client_name", "status"), DECIDE_MATRIX)
def test_reject_matrix(request, client_name, status, pending):
    response = request.getfixturevalue(client_name).post(
        f"{URL}{pending.pk}/reject/", {"comment": "Trop tôt"}, format="json"
    )
    assert response.status_code == status
    pending.refresh_from_db()
    assert (pending.status == "REJECTED") is (status == 200)


def test_reject_without_reason_answers_400_in_french(amd_client, pending):
    response = amd_client.post(f"{URL}{pending.pk}/reject/", {}, format="json")
    assert response.status_code == 400
    assert "motif du refus" in response.json()["review_comment"][0]
    pending.refresh_from_db()
    assert pending.status == "PENDING"


def test_a_stale_accept_answers_409_and_changes_nothing(amd_client, dinum_user, pending):
    services.asset_qualify(
        actor=dinum_user, asset=pending.asset, qualification=to_publish(datetime.date(2029, 1, 1))
    )
    assert amd_client.get(f"{URL}{pending.pk}/").json()["stale"] is True
    response = amd_client.post(f"{URL}{pending.pk}/accept/", {}, format="json")
    assert response.status_code == 409
    assert "modifiée depuis cette proposition" in response.json()["detail"]
    pending.refresh_from_db()
    assert pending.status == "PENDING"
    assessment = OpenByDefaultAssessment.objects.get(asset_id=pending.asset_id)
    assert assessment.planned_date == datetime.date(2029, 1, 1)


def test_a_decided_proposal_answers_400(amd_client, pending):
    assert amd_client.post(f"{URL}{pending.pk}/accept/", {}, format="json").status_code == 200
    again = amd_client.post(f"{URL}{pending.pk}/reject/", {"comment": "Non"}, format="json")
    assert again.status_code == 400
    assert "déjà été traitée" in again.json()["non_field_errors"][0]


@pytest.mark.parametrize(
    ("client_name", "status"),
    [
        ("anon_client", 401),
        ("other_amd_client", 404),
        ("sibling_correspondent_client", 404),
        ("amd_client", 403),
        ("correspondent_client", 200),
    ],
)
def test_withdraw_matrix(request, client_name, status, pending):
    response = request.getfixturevalue(client_name).post(f"{URL}{pending.pk}/withdraw/")
    assert response.status_code == status
    pending.refresh_from_db()
    assert (pending.status == "WITHDRAWN") is (status == 200)
