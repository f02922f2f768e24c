"""REST API of an entry's change history and of going back to a version (the entry page's
history and revert, for REST clients): scope, locking, French refusals, proposals."""

import datetime

import pytest
from rest_framework.test import APIClient

from core.audit import history_for
from core.models import LegalGround
from datasets import services
from datasets.models import (
    AssessmentHistory,
    DataAsset,
    OpenByDefaultAssessment,
    QualificationProposal,
)
from datasets.validation import GroundInput, QualificationInput
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"
SECRET = "Note interne : la CADA a été saisie."


@pytest.fixture
def edited(organization, amd_user):
    """An entry edited twice: its history holds the two changes."""
    asset = AssetFactory(organization=organization, visibility="PUBLISHED", title="Titre 1")
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Titre 2"}, expected_version=1
    )
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Titre 3"}, expected_version=2
    )
    return asset


def _qualify(actor, asset, status, version, **values):
    services.asset_qualify(
        actor=actor,
        asset=asset,
        qualification=QualificationInput(status=status, **values),
        expected_version=version,
    )


def test_changes_list_who_when_and_before_after_newest_first(amd_client, edited):
    response = amd_client.get(f"{URL}{edited.pk}/changes/")
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["qualification_version"]) == (3, 1)
    rows = body["results"]
    assert [r["action"] for r in rows[:2]] == ["asset.updated", "asset.updated"]
    assert rows[0]["changes"] == [
        {"field": "title", "label": "titre", "before": "Titre 2", "after": "Titre 3"}
    ]
    assert rows[0]["actor"] and rows[0]["action_label"] == "Modification"
    # The newest change is the current state: only the older ones can be gone back to.
    assert [r["revertible"] for r in rows[:2]] == [False, True]


def test_changes_are_the_ministrys_and_hide_what_read_only_readers_may_not_see(
    amd_user,
    amd_client,
    correspondent_user,
    correspondent_client,
    ministry_viewer_user,
    viewer_client,
    organization,
):
    from datasets import proposals
    from tests.datasets.proposal_helpers import propose, to_publish

    asset = AssetFactory(organization=organization, visibility="PUBLISHED")
    ground = LegalGround.objects.filter(regime="ABSOLU", requires_sub_reference=False).first()
    _qualify(
        amd_user,
        asset,
        "NOT_COMMUNICABLE",
        1,
        grounds=[GroundInput(ground=ground, justification_internal=SECRET, public_motive="Motif")],
    )
    proposal = propose(correspondent_user, asset, to_publish(datetime.date(2030, 1, 1)))
    proposals.proposal_reject(actor=amd_user, proposal=proposal, reason="MOTIF-DU-REFUS")
    url = f"{URL}{asset.pk}/changes/"
    seen = amd_client.get(url).content.decode()
    assert SECRET in seen and "MOTIF-DU-REFUS" in seen
    # A correspondent sees the proposals' trail, not the internal justification.
    seen = correspondent_client.get(url).content.decode()
    assert "MOTIF-DU-REFUS" in seen and "Motif" in seen and SECRET not in seen
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {make_token(correspondent_user)}")
    assert SECRET not in token.get(url).content.decode()
    # A ministry viewer (read-only) sees neither the justification nor the proposals' trail.
    viewer = APIClient()
    viewer.force_login(ministry_viewer_user)
    body = viewer.get(url).json()
    text = str(body)
    assert body["results"] and SECRET not in text and "MOTIF-DU-REFUS" not in text
    assert not [r for r in body["results"] if r["action"].startswith("assessment.propos")]
    assert not any(r["revertible"] for r in body["results"])
    # A network viewer sees the published entry, not its history (values before publication).
    outside = viewer_client.get(url)
    assert outside.status_code == 200 and outside.json()["results"] == []


def test_changes_of_another_ministrys_draft_are_not_found(amd_client, other_organization):
    theirs = AssetFactory(organization=other_organization, visibility="DRAFT")
    assert amd_client.get(f"{URL}{theirs.pk}/changes/").status_code == 404


def test_revert_goes_back_after_a_change_and_checks_the_version(amd_client, edited):
    first_change = history_for(edited).filter(action="asset.updated").order_by("pk").first()
    url = f"{URL}{edited.pk}/revert/"
    stale = amd_client.post(url, {"change": first_change.pk, "version": 2}, format="json")
    assert stale.status_code == 409
    assert "le retour à cette version n'a pas été fait" in stale.json()["detail"]
    assert DataAsset.objects.get(pk=edited.pk).title == "Titre 3"
    done = amd_client.post(url, {"change": first_change.pk, "version": 3}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["title"] == "Titre 2"
    assert history_for(edited).first().action == "asset.reverted"


def test_revert_refusals_are_in_french_and_write_nothing(
    amd_client, amd_user, api_client, edited, other_organization
):
    url = f"{URL}{edited.pk}/revert/"
    missing = amd_client.post(url, {"change": 1}, format="json")
    assert missing.status_code == 400
    assert missing.json()["version"] == ["Ce champ est obligatoire."]
    unknown = amd_client.post(url, {"change": 999999, "version": 3}, format="json")
    assert unknown.status_code == 400
    assert "Cette version n'existe pas pour cette entrée." in unknown.content.decode()
    # Another entry's change is not one of this entry's versions.
    other = AssetFactory(organization=edited.organization)
    services.asset_update(actor=amd_user, asset=other, data={"title": "Autre"}, expected_version=1)
    foreign = history_for(other).first()
    refused = amd_client.post(url, {"change": foreign.pk, "version": 3}, format="json")
    assert refused.status_code == 400
    assert DataAsset.objects.get(pk=other.pk).title == "Autre"
    read_only = api_client.post(url, {"change": 1, "version": 3}, format="json")
    assert read_only.status_code == 403
    theirs = AssetFactory(organization=other_organization, visibility="PUBLISHED")
    refused = amd_client.post(f"{URL}{theirs.pk}/revert/", {"change": 1, "version": 1})
    assert refused.status_code == 404  # outside the administrator's scope: not even seen
    assert DataAsset.objects.get(pk=edited.pk).version == 3


def test_qualification_revert_by_an_administrator(amd_client, amd_user, organization):
    asset = AssetFactory(organization=organization)
    _qualify(amd_user, asset, "TO_PUBLISH", 1, planned_date=datetime.date(2030, 1, 1))
    first = AssessmentHistory.objects.filter(asset=asset).order_by("pk").first()
    _qualify(amd_user, asset, "TO_PUBLISH", 2, planned_date=datetime.date(2031, 1, 1))
    url = f"{URL}{asset.pk}/qualification/revert/"
    stale = amd_client.post(url, {"history": first.pk, "version": 2}, format="json")
    assert stale.status_code == 409
    done = amd_client.post(url, {"history": first.pk, "version": 3}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["planned_date"] == "2030-01-01"
    assert OpenByDefaultAssessment.objects.get(asset=asset).version == 4
    again = amd_client.post(url, {"history": first.pk, "version": 4}, format="json")
    assert again.status_code == 400
    assert "déjà celle de cette version : rien n'a été modifié" in again.content.decode()


def test_reverting_to_the_newest_change_says_nothing_was_changed(amd_client, edited):
    newest = history_for(edited).first()
    response = amd_client.post(
        f"{URL}{edited.pk}/revert/", {"change": newest.pk, "version": 3}, format="json"
    )
    assert response.status_code == 400
    assert "déjà dans l'état de cette version : rien n'a été modifié" in response.content.decode()
    assert DataAsset.objects.get(pk=edited.pk).version == 3


def test_qualification_revert_by_a_correspondent_is_a_proposal(
    correspondent_user, amd_user, organization
):
    asset = AssetFactory(organization=organization)
    _qualify(amd_user, asset, "TO_PUBLISH", 1, planned_date=datetime.date(2030, 1, 1))
    first = AssessmentHistory.objects.filter(asset=asset).order_by("pk").first()
    _qualify(amd_user, asset, "TO_PUBLISH", 2, planned_date=datetime.date(2031, 1, 1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(correspondent_user, can_write=True)}")
    response = client.post(
        f"{URL}{asset.pk}/qualification/revert/", {"history": first.pk, "version": 3}
    )
    assert response.status_code == 202, response.json()
    proposal = QualificationProposal.objects.get(asset=asset)
    assert response.json()["id"] == proposal.pk and proposal.status == "PENDING"
    assert proposal.state["planned_date"] == "2030-01-01"
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert (assessment.planned_date, assessment.version) == (datetime.date(2031, 1, 1), 3)
    # A proposal built on a qualification read before a save is refused, and none is stored.
    proposal.delete()
    stale = client.post(
        f"{URL}{asset.pk}/qualification/revert/", {"history": first.pk, "version": 2}
    )
    assert stale.status_code == 409
    assert not QualificationProposal.objects.filter(asset=asset).exists()


def test_revert_endpoints_are_in_the_openapi_schema(anon_client):
    paths = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert "post" in paths["/api/v1/datasets/{id}/revert/"]
    assert "post" in paths["/api/v1/datasets/{id}/qualification/revert/"]
    assert "get" in paths["/api/v1/datasets/{id}/changes/"]


@pytest.mark.parametrize("edits", [1, 6])
def test_changes_and_revert_query_counts_are_flat(
    edits, amd_client, amd_user, organization, django_assert_num_queries
):
    asset = AssetFactory(organization=organization, visibility="PUBLISHED")
    for i in range(edits + 1):
        services.asset_update(
            actor=amd_user, asset=asset, data={"title": f"Titre {i}"}, expected_version=i + 1
        )
    first = history_for(asset).filter(action="asset.updated").order_by("pk").first()
    amd_client.get(f"{URL}{asset.pk}/")
    with django_assert_num_queries(7):
        assert amd_client.get(f"{URL}{asset.pk}/changes/").status_code == 200
    with django_assert_num_queries(22):  # the same whatever the number of later changes
        response = amd_client.post(
            f"{URL}{asset.pk}/revert/", {"change": first.pk, "version": edits + 2}, format="json"
        )
        assert response.status_code == 200, response.json()


@pytest.mark.parametrize("saves", [1, 6])
def test_qualification_revert_query_count_is_flat(
    saves, amd_client, amd_user, organization, django_assert_num_queries
):
    asset = AssetFactory(organization=organization)
    for i in range(saves + 1):
        _qualify(amd_user, asset, "TO_PUBLISH", i + 1, planned_date=datetime.date(2030 + i, 1, 1))
    first = AssessmentHistory.objects.filter(asset=asset).order_by("pk").first()
    amd_client.get(f"{URL}{asset.pk}/")
    with django_assert_num_queries(27):  # the same whatever the number of saved versions
        response = amd_client.post(
            f"{URL}{asset.pk}/qualification/revert/",
            {"history": first.pk, "version": saves + 2},
            format="json",
        )
        assert response.status_code == 200, response.json()
